"""sso: organizations' OpenID providers, linked external identities, OIDC log-ins under way

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 22:30:00.000000

New tables (``store/tables/sso.py``): ``sso_providers``, ``external_identities``, ``oidc_logins``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "sso_providers",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("display_name", sa.String(length=64), nullable=False),
        sa.Column("issuer", sa.String(length=512), nullable=False),
        sa.Column("client_id", sa.String(length=256), nullable=False),
        sa.Column("client_secret", sa.String(length=512), nullable=False),
        sa.Column("scopes", sa.String(length=256), nullable=False),
        sa.Column("allow_signup", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("add_to_org", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_by", ID, nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_sso_providers_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_sso_providers_created_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sso_providers")),
    )
    op.create_index("ix_sso_providers_organization_id", "sso_providers", ["organization_id"], unique=False)
    op.create_table(
        "external_identities",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("provider_key", sa.String(length=64), nullable=False),
        sa.Column("org_provider_id", ID, nullable=True),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("issuer", sa.String(length=512), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("name", sa.String(length=256), server_default="", nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("last_login_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_external_identities_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["org_provider_id"],
            ["sso_providers.id"],
            name=op.f("fk_external_identities_org_provider_id_sso_providers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_external_identities")),
        sa.UniqueConstraint(
            "provider_key", "subject", name=op.f("uq_external_identities_provider_key_subject")
        ),
    )
    op.create_index("ix_external_identities_user_id", "external_identities", ["user_id"], unique=False)
    op.create_table(
        "oidc_logins",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("browser_hash", sa.String(length=64), nullable=False),
        sa.Column("provider_key", sa.String(length=64), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("code_verifier", sa.String(length=128), nullable=False),
        sa.Column("redirect_uri", sa.String(length=1024), nullable=False),
        sa.Column("next_path", sa.Text(), server_default="/", nullable=False),
        sa.Column("link_user_id", ID, nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["link_user_id"], ["users.id"], name=op.f("fk_oidc_logins_link_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oidc_logins")),
        sa.UniqueConstraint("state_hash", name=op.f("uq_oidc_logins_state_hash")),
    )
    op.create_index("ix_oidc_logins_expires_at", "oidc_logins", ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_oidc_logins_expires_at", table_name="oidc_logins")
    op.drop_table("oidc_logins")
    op.drop_index("ix_external_identities_user_id", table_name="external_identities")
    op.drop_table("external_identities")
    op.drop_index("ix_sso_providers_organization_id", table_name="sso_providers")
    op.drop_table("sso_providers")
