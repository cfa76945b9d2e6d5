"""directory search keys: surname readings and every reading of polyphonic characters

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 18:00:00.000000

The stored search keys of organization members, departments and external contacts are computed
again with the rules of ``lakeside.domain.pinyin`` (``KEY_VERSION`` 2): the surname's reading
first (单磊 is ``shanlei sl`` before ``danlei dl``), then the other readings of each polyphonic
character, so that either reading finds the person. No schema changes; the downgrade leaves the
longer keys in place (they still find everything the old ones did).

A migration rather than a backfill at start: it runs once, in order with the schema and inside
``lakeside migrate`` (which every start runs too), and Alembic's version table is the record
that it ran, where a backfill would need a marker of its own. It reads the rules from the
application's module, so it computes keys as the running code does; should the rules change
again, a new revision recomputes them again.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

BATCH = 500


def _recompute(bind: Any, table: sa.TableClause, key: tuple[str, ...], select: Any, compute: Any) -> None:
    """Page through ``select`` (ordered by ``key``) and rewrite each row's search_key."""
    after: tuple[Any, ...] | None = None
    while True:
        query = select
        if after is not None:
            query = query.where(sa.tuple_(*(table.c[name] for name in key)) > sa.tuple_(*after))
        rows = bind.execute(query.order_by(*(table.c[name] for name in key)).limit(BATCH)).all()
        if not rows:
            return
        for row in rows:
            new = compute(row)
            if new != row.search_key:
                condition = sa.and_(*(table.c[name] == getattr(row, name) for name in key))
                bind.execute(sa.update(table).where(condition).values(search_key=new))
        after = tuple(getattr(rows[-1], name) for name in key)


def upgrade() -> None:
    from lakeside.domain.pinyin import DEPARTMENT_KEY, search_key

    bind = op.get_bind()
    members = sa.table(
        "org_members",
        sa.column("organization_id", sa.BigInteger()),
        sa.column("user_id", sa.BigInteger()),
        sa.column("name", sa.String()),
        sa.column("employee_no", sa.String()),
        sa.column("search_key", sa.String()),
    )
    users = sa.table("users", sa.column("id", sa.BigInteger()), sa.column("username", sa.String()))
    _recompute(
        bind,
        members,
        ("organization_id", "user_id"),
        sa.select(
            members.c.organization_id,
            members.c.user_id,
            members.c.name,
            members.c.employee_no,
            members.c.search_key,
            users.c.username,
        ).join(users, users.c.id == members.c.user_id),
        lambda row: search_key(row.name, row.username, row.employee_no),
    )
    departments = sa.table(
        "departments",
        sa.column("id", sa.BigInteger()),
        sa.column("name", sa.String()),
        sa.column("search_key", sa.String()),
    )
    _recompute(
        bind,
        departments,
        ("id",),
        sa.select(departments.c.id, departments.c.name, departments.c.search_key),
        lambda row: search_key(row.name, limit=DEPARTMENT_KEY),
    )
    contacts = sa.table(
        "external_contacts",
        sa.column("id", sa.BigInteger()),
        sa.column("name", sa.String()),
        sa.column("company", sa.String()),
        sa.column("phone", sa.String()),
        sa.column("email", sa.String()),
        sa.column("tags", sa.String()),
        sa.column("search_key", sa.String()),
    )
    _recompute(
        bind,
        contacts,
        ("id",),
        sa.select(
            contacts.c.id,
            contacts.c.name,
            contacts.c.company,
            contacts.c.phone,
            contacts.c.email,
            contacts.c.tags,
            contacts.c.search_key,
        ),
        lambda row: search_key(row.name, row.company, row.phone, row.email, row.tags),
    )


def downgrade() -> None:
    pass  # the longer keys find everything the old ones did
