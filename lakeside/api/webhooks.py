"""Managing a group's incoming webhooks (群机器人): list, create, change, revoke. A group's owner
and admins, and the server's administrators for any group; members get 403, everyone else 404.
The robot's URL (its token inside) is in the create answer, and in a change that regenerates it,
and nowhere else; so is a signing secret."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from lakeside.api.deps import ServicesDep, UserDep
from lakeside.api.schemas import ERRORS, Ok, Strict
from lakeside.api.views import IdPath

router = APIRouter(prefix="/api/v1", tags=["webhooks"], responses=ERRORS)

Dialect = Literal["dingtalk", "slack", "wecom", "feishu"]


class WebhookOut(BaseModel):
    id: int
    conversation_id: int
    dialect: Dialect
    name: str
    avatar_file_id: str | None
    bot_user_id: int
    token_prefix: str = Field(description="The first characters of the token, to tell robots apart.")
    keywords: list[str]
    ip_allowlist: list[str]
    signing: bool
    may_mention_all: bool = Field(
        description="Whether the robot may @所有人 (its creator managed the group)."
    )
    created_by: int | None
    created_at: int
    last_used_at: int | None


class WebhookCreatedOut(WebhookOut):
    url: str | None = Field(description="The robot's full URL, token included: shown this once.")
    secret: str | None = Field(description="The signing secret, when signing is on: shown this once.")


class WebhookList(BaseModel):
    webhooks: list[WebhookOut]


class WebhookIn(Strict):
    dialect: Dialect = Field(examples=["dingtalk"])
    name: str = Field(min_length=1, max_length=64, examples=["构建机器人"])
    avatar_file_id: str | None = Field(default=None, max_length=32)
    keywords: list[str] = Field(default_factory=list, max_length=10)
    ip_allowlist: list[str] = Field(default_factory=list, max_length=10, examples=[["203.0.113.0/24"]])
    signing: bool = False


class WebhookChange(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=64)
    avatar_file_id: str | None = Field(default=None, max_length=32)
    clear_avatar: bool = False
    keywords: list[str] | None = Field(default=None, max_length=10)
    ip_allowlist: list[str] | None = Field(default=None, max_length=10)
    signing: bool | None = None
    regenerate_token: bool = False
    regenerate_secret: bool = False


@router.get("/conversations/{conversation_id}/webhooks", response_model=WebhookList)
async def list_webhooks(conversation_id: IdPath, user: UserDep, services: ServicesDep) -> WebhookList:
    """The group's robots (tokens are never shown again; ``token_prefix`` tells them apart)."""
    rows = await services.webhooks.list_webhooks(user, conversation_id)
    return WebhookList(webhooks=[WebhookOut(**row) for row in rows])


@router.post("/conversations/{conversation_id}/webhooks", response_model=WebhookCreatedOut, status_code=201)
async def create_webhook(
    conversation_id: IdPath, body: WebhookIn, user: UserDep, services: ServicesDep
) -> WebhookCreatedOut:
    """Add a robot to the group, speaking one dialect; its URL (and secret) are shown this once."""
    created = await services.webhooks.do_create(
        user,
        conversation_id,
        dialect=body.dialect,
        name=body.name,
        avatar_file_id=body.avatar_file_id,
        keywords=body.keywords,
        ip_allowlist=body.ip_allowlist,
        signing=body.signing,
    )
    return WebhookCreatedOut(**created)


@router.patch("/webhooks/{webhook_id}", response_model=WebhookCreatedOut)
async def update_webhook(
    webhook_id: IdPath, body: WebhookChange, user: UserDep, services: ServicesDep
) -> WebhookCreatedOut:
    """Rename, change the avatar or the security settings, or regenerate the token or the secret
    (``url`` and ``secret`` are set in the answer only when new)."""
    changed = await services.webhooks.do_update(
        user,
        webhook_id,
        name=body.name,
        avatar_file_id=body.avatar_file_id,
        clear_avatar=body.clear_avatar,
        keywords=body.keywords,
        ip_allowlist=body.ip_allowlist,
        signing=body.signing,
        regenerate_token=body.regenerate_token,
        regenerate_secret=body.regenerate_secret,
    )
    return WebhookCreatedOut(**changed)


@router.delete("/webhooks/{webhook_id}", response_model=Ok)
async def revoke_webhook(webhook_id: IdPath, user: UserDep, services: ServicesDep) -> Ok:
    """Revoke the robot: its URL stops working at once and it leaves the group."""
    await services.webhooks.do_revoke(user, webhook_id)
    return Ok()
