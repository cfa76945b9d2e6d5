"""Single sign-on (OpenID Connect): organizations' own providers, the external identities linked
to accounts, and the log-ins under way between a browser's redirect to a provider and its return.

Server-wide providers are settings (``oidc_providers``), not rows: the server's operator keeps
them with the rest of the configuration. An identity names its provider by key — a server
provider's configured key, or ``org-<id>`` for a row here — and the provider's ``sub``: the pair
is unique, so one person at the provider is one lakeside account.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Index, String, Table, Text, UniqueConstraint, text

from lakeside.store.tables.base import Id, Ms, metadata

sso_providers = Table(
    "sso_providers",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False),
    Column("display_name", String(64), nullable=False),
    Column("issuer", String(512), nullable=False),
    Column("client_id", String(256), nullable=False),
    # Needed in clear to authenticate to the provider's token endpoint; never answered by the API.
    Column("client_secret", String(512), nullable=False),
    Column("scopes", String(256), nullable=False),
    Column("allow_signup", Boolean, nullable=False, server_default=text("true")),
    Column("add_to_org", Boolean, nullable=False, server_default=text("true")),
    Column("enabled", Boolean, nullable=False, server_default=text("true")),
    Column("created_by", Id, ForeignKey("users.id", ondelete="SET NULL")),
    Column("created_at", Ms, nullable=False),
    Column("updated_at", Ms, nullable=False),
    Index("ix_sso_providers_organization_id", "organization_id"),
)

external_identities = Table(
    "external_identities",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("provider_key", String(64), nullable=False),
    # An organization's provider: its identities go with it.
    Column("org_provider_id", Id, ForeignKey("sso_providers.id", ondelete="CASCADE")),
    Column("subject", String(255), nullable=False),
    Column("issuer", String(512), nullable=False),
    # What the provider said at the last log-in, to show the user which account is linked.
    Column("email", String(320)),
    Column("name", String(256), nullable=False, server_default=""),
    Column("created_at", Ms, nullable=False),
    Column("last_login_at", Ms),
    UniqueConstraint("provider_key", "subject"),
    Index("ix_external_identities_user_id", "user_id"),
)

# One row per redirect to a provider, consumed by the callback (a replayed callback finds none).
oidc_logins = Table(
    "oidc_logins",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("state_hash", String(64), nullable=False, unique=True),
    # The browser that started it: the SHA-256 of a random value in its cookie.
    Column("browser_hash", String(64), nullable=False),
    Column("provider_key", String(64), nullable=False),
    Column("nonce", String(64), nullable=False),
    Column("code_verifier", String(128), nullable=False),
    Column("redirect_uri", String(1024), nullable=False),
    Column("next_path", Text, nullable=False, server_default="/"),
    # Set when a logged-in user adds an identity to their own account (settings).
    Column("link_user_id", Id, ForeignKey("users.id", ondelete="CASCADE")),
    Column("created_at", Ms, nullable=False),
    Column("expires_at", Ms, nullable=False),
    Index("ix_oidc_logins_expires_at", "expires_at"),
)
