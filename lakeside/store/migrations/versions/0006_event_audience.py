"""events: the audience beside the payload

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 17:00:00.000000

What an event's conversation and user columns cannot say about who receives it moves out of the
payload into its own column (orjson, NULL for most events): ``only`` narrows a conversation
event to some members (read receipts, whose payload used to carry it as ``audience``);
``joining`` and ``leaving`` say whose membership of the conversation the event changes. Rows
already in the log are given theirs from their payloads, so a catch-up across the upgrade
routes them as before.
"""

from __future__ import annotations

from typing import Any

import orjson
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BATCH = 1000


def _audience(type_: str, op_: str, data: dict[str, Any]) -> dict[str, list[int]] | None:
    if (type_, op_) == ("receipt", "read") and isinstance(data.get("audience"), list):
        return {"only": sorted(data["audience"])}
    if (type_, op_) == ("conversation", "created") and data.get("member_ids"):
        return {"joining": list(data["member_ids"])}
    if (type_, op_) == ("member", "added") and data.get("user_ids"):
        return {"joining": list(data["user_ids"])}
    if (type_, op_) == ("member", "removed") and isinstance(data.get("user_id"), int):
        return {"leaving": [data["user_id"]]}
    return None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("audience", sa.LargeBinary(), nullable=True))
    bind = op.get_bind()
    events = sa.table(
        "events",
        sa.column("id", sa.BigInteger()),
        sa.column("type", sa.String()),
        sa.column("op", sa.String()),
        sa.column("data", sa.LargeBinary()),
        sa.column("audience", sa.LargeBinary()),
    )
    kinds = sa.or_(
        sa.and_(events.c.type == "receipt", events.c.op == "read"),
        sa.and_(events.c.type == "conversation", events.c.op == "created"),
        sa.and_(events.c.type == "member", events.c.op.in_(("added", "removed"))),
    )
    after = 0
    while True:
        rows = bind.execute(
            sa.select(events.c.id, events.c.type, events.c.op, events.c.data)
            .where(kinds, events.c.id > after)
            .order_by(events.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        updates = []
        for row in rows:
            audience = _audience(row.type, row.op, orjson.loads(row.data))
            if audience is not None:
                updates.append({"row_id": row.id, "new_audience": orjson.dumps(audience)})
        if updates:
            bind.execute(
                events.update()
                .where(events.c.id == sa.bindparam("row_id"))
                .values(audience=sa.bindparam("new_audience")),
                updates,
            )
        after = rows[-1].id


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("audience")
