"""Typed settings, read once at start from the environment and an optional TOML file.

Every setting has the prefix ``LAKESIDE_`` in the environment. A file named by
``LAKESIDE_CONFIG`` (TOML, keys without the prefix) is read first; the environment wins over it.
The secret key is never a built-in default: on first run it is generated into the data
directory and read back from there afterwards.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class OidcProviderSetting(BaseModel):
    """One server-wide OpenID Connect provider (``oidc_providers``): docs/integrations/sso-oidc.md."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(
        pattern=r"^[a-z][a-z0-9_-]{0,31}$",
        description="In URLs (/api/v1/auth/oidc/KEY/callback) and stored with each linked identity: "
        "never change it once people have logged in.",
    )
    display_name: str = Field(min_length=1, max_length=64, description="On the log-in button.")
    issuer: str = Field(
        min_length=1, max_length=512, description="Discovery is ISSUER/.well-known/openid-configuration."
    )
    client_id: str = Field(min_length=1, max_length=256)
    client_secret: str = Field(min_length=1, max_length=512)
    scopes: str = "openid email profile"
    allow_signup: bool = Field(default=True, description="Create an account on first log-in (just in time).")
    link_by_email: bool = Field(
        default=True, description="Link to an account whose proved e-mail the provider says it verified."
    )
    link_by_phone: bool = Field(
        default=True, description="Link to an account whose proved phone the provider says it verified."
    )

    @field_validator("key")
    @classmethod
    def _not_org(cls, value: str) -> str:
        if value.startswith("org-"):
            raise ValueError("keys starting with 'org-' name organizations' providers")
        return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LAKESIDE_", extra="ignore")

    data_dir: Path = Field(
        default=Path("data"), description="Where the SQLite file, uploads and the secret live."
    )
    database_url: str = Field(
        default="", description="SQLAlchemy URL; empty means a SQLite file in data_dir."
    )
    bus_namespace: str = Field(
        default="", description="Channel prefix on the bus; empty: derived from the database URL."
    )
    bus_url: str = Field(default="memory://", description="memory:// (one process) or redis://host:port/db.")
    secret_key: str = Field(default="", description="Empty means: generated once into data_dir/secret_key.")
    public_url: str = Field(default="http://127.0.0.1:8000", description="How users reach this server.")

    sqlite_synchronous: Literal["NORMAL", "FULL"] = Field(
        default="FULL",
        description="FULL survives power loss; NORMAL survives a process crash and is faster.",
    )
    migrate_on_start: bool = True

    max_message_bytes: int = 16 * 1024
    max_upload_bytes: int = 50 * 1024 * 1024
    max_avatar_bytes: int = 5 * 1024 * 1024
    image_max_pixels: int = Field(
        default=24_000_000,
        ge=1,
        description="Most pixels an uploaded image may decode to for its thumbnail (JPEG after scaling down "
        "in the decoder); a larger image is refused with IMAGE_TOO_LARGE. Two decode at once.",
    )
    group_member_cap: int = 10_000
    edit_window_seconds: int = 24 * 3600
    recall_window_social_seconds: int = 120
    recall_window_org_seconds: int = 24 * 3600

    login_failures_per_account: int = 5
    login_failures_per_address: int = 20
    login_failure_window_seconds: int = 900
    password_hash_concurrency: int = 4
    password_hash_time_cost: int = 3
    password_hash_memory_kib: int = 65536
    rate_limits_enabled: bool = Field(
        default=True, description="Apply the abuse limits of rate_limits (and the log-in failure limits)."
    )
    rate_limits: dict[str, str] = Field(
        default_factory=dict,
        description="Per-user and per-address limits, 'COUNT/SECONDS' or 'off'; unnamed ones keep defaults.",
    )
    max_request_body_bytes: int = Field(
        default=1024 * 1024, description="Largest request body outside file uploads (JSON requests)."
    )

    session_ttl_days: int = 30
    event_retention_days: int = 30

    # -- data exports (services/exports.py) ------------------------------------------------------------
    export_max_bytes: int = Field(
        default=2 * 1024**3,
        description="Largest export archive; files that would pass it are left out and listed as omitted.",
    )
    export_ttl_days: int = Field(default=7, description="How long a ready export can be downloaded.")
    export_daily_limit: int = Field(
        default=3, description="Exports one user (or organization) may ask for a day."
    )
    export_worker_interval_seconds: float = Field(
        default=5.0,
        description="How often each node looks for queued exports (a request on the node wakes it at once); "
        "0 runs no export worker on this node.",
    )
    ws_queue_max: int = 4096
    ws_queue_max_bytes: int = Field(
        default=4 * 1024 * 1024,
        ge=64 * 1024,
        description="Most bytes of frames queued for one WebSocket connection; past it the socket is "
        "closed with 4008 and the client resumes from its position.",
    )
    ws_max_connections_per_user: int = Field(
        default=20,
        ge=1,
        description="Most WebSocket connections one account may hold open on one node; one more is "
        "refused with an error frame TOO_MANY_CONNECTIONS and close code 4010.",
    )
    ws_idle_timeout_seconds: int = 75
    ws_allowed_origins: list[str] = Field(
        default_factory=list, description="Origins allowed to open the WebSocket besides public_url's."
    )
    send_batch_max: int = 64

    # -- enterprise workspace: DING escalation, e-mail, the guarded webhook client ------------------
    smtp_host: str = Field(default="", description="SMTP server for DING e-mail; empty: e-mail is off.")
    smtp_port: int = 25
    smtp_from: str = "lakeside@localhost"
    smtp_starttls: bool = False
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_timeout_seconds: float = 10.0
    sms_webhook_url: str = Field(
        default="",
        description="The SMS provider webhook (as DING's) that sends phone verification codes; empty: off.",
    )
    sms_webhook_secret: str = Field(default="", description="Signs the verification webhook's requests.")
    verification_code_ttl_seconds: int = Field(
        default=600, ge=60, description="How long an SMS code is good."
    )
    verification_link_ttl_hours: int = Field(default=24, ge=1, description="How long an e-mail link is good.")
    verification_max_attempts: int = Field(default=5, ge=1, description="Wrong codes allowed per code sent.")
    egress_allow_private: bool = Field(
        default=False,
        description="Let the webhook client reach private and loopback addresses (tests, closed networks).",
    )
    egress_timeout_seconds: float = 10.0
    ding_worker_interval_seconds: float = Field(
        default=5.0, description="How often each node looks for DING escalation steps that are due."
    )
    work_timezone: str = Field(
        default="Asia/Shanghai",
        description="The time zone of the work apps: the day a daily report covers, when a reminder "
        "to write one is due, and the times written in work notices.",
    )

    outbound_worker_interval_seconds: float = Field(
        default=1.0,
        ge=0,
        description="How often each node dispatches and sends outgoing robot calls and bot events; 0: off.",
    )
    robot_session_minutes: float = Field(
        default=90.0, gt=0, le=24 * 60, description="How long an outgoing robot's sessionWebhook is good."
    )
    bot_subscription_max_failures: int = Field(
        default=10,
        ge=1,
        description="Deliveries in a row that may fail before a bot's subscription is disabled.",
    )

    # -- single sign-on (OpenID Connect): services/oidc.py, services/sso.py ------------------------
    oidc_providers: list[OidcProviderSetting] = Field(
        default_factory=list,
        description="Server-wide OpenID Connect providers, a JSON list (keys: key, display_name, issuer, "
        "client_id, client_secret, scopes, allow_signup, link_by_email, link_by_phone).",
    )
    oidc_login_ttl_seconds: int = Field(
        default=600,
        ge=60,
        description="How long a log-in may stay at the provider before it must start over.",
    )
    oidc_discovery_ttl_seconds: int = Field(
        default=3600, ge=0, description="How long a provider's discovery document and keys are cached."
    )

    # -- LDAP / Active Directory (services/ldap_directory.py, docs/integrations/ldap.md) ------------
    ldap_allowed_hosts: list[str] = Field(
        default_factory=list,
        description="Host names and networks (CIDR) that organizations' LDAP directories may be on besides "
        'public addresses, e.g. ["10.0.0.0/8", "dc1.corp.example"].',
    )
    ldap_timeout_seconds: float = Field(
        default=10.0, gt=0, description="Connect and answer timeout of each LDAP request."
    )
    ldap_worker_interval_seconds: float = Field(
        default=60.0,
        ge=0,
        description="How often each node looks for directory syncs that are due; 0: none here.",
    )

    metrics_enabled: bool = Field(default=False, description="Serve Prometheus metrics at GET /metrics.")
    metrics_token: str = Field(
        default="", description="When set, /metrics wants 'Authorization: Bearer <token>'."
    )

    # -- growth engine: activity roll-ups, invitations, wallet, analytics ---------------------------
    growth_timezone: str = Field(
        default="Asia/Shanghai", description="The time zone whose calendar days activity and analytics count."
    )
    activity_flush_seconds: float = Field(
        default=10.0, gt=0, description="How often each node writes its buffered activity counters."
    )
    referral_reward_fen: int = Field(
        default=0,
        ge=0,
        description="Paid from the default budget to whoever signs up with a referral code; 0: off.",
    )
    referral_inviter_reward_fen: int = Field(
        default=0, ge=0, description="Paid from the default budget to the inviter per such sign-up; 0: off."
    )

    # -- growth engine: campaigns, the live leaderboard, fraud screening ----------------------------
    leaderboard_interval_seconds: float = Field(
        default=2.0, gt=0, description="How often the leaderboard worker applies new changes to campaigns."
    )
    fraud_screen_interval_seconds: float = Field(
        default=300.0, ge=0, description="How often live campaigns are screened for fraud; 0: on demand."
    )

    @field_validator("oidc_providers")
    @classmethod
    def _unique_keys(cls, value: list[OidcProviderSetting]) -> list[OidcProviderSetting]:
        keys = [provider.key for provider in value]
        if len(keys) != len(set(keys)):
            raise ValueError("two OIDC providers share a key")
        return value

    @field_validator("growth_timezone", "work_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        from lakeside.domain.growth import zone

        zone(value)
        return value

    @field_validator("rate_limits")
    @classmethod
    def _limits(cls, value: dict[str, str]) -> dict[str, str]:
        from lakeside.domain.limits import check_limits

        return check_limits(value)

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir / 'lakeside.db'}"

    @property
    def files_dir(self) -> Path:
        return self.data_dir / "files"

    def ensure_secret(self) -> str:
        """Return the secret key, creating and storing one on first use."""
        if self.secret_key:
            return self.secret_key
        self.data_dir.mkdir(parents=True, exist_ok=True)
        path = self.data_dir / "secret_key"
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
        self.secret_key = path.read_text().strip()
        return self.secret_key


def load_settings(**overrides: Any) -> Settings:
    """Settings from the optional TOML file, then the environment, then explicit overrides."""
    file_values: dict[str, Any] = {}
    config_path = os.environ.get("LAKESIDE_CONFIG")
    if config_path:
        with open(config_path, "rb") as handle:
            file_values = tomllib.load(handle)
    env_values = Settings().model_dump(exclude_unset=True)
    merged = {**file_values, **env_values, **{k: v for k, v in overrides.items() if v is not None}}
    return Settings(**merged)
