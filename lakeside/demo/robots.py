"""The demo's group robots: one incoming webhook of each dialect in the company's all-staff group
(湖畔科技), made by the admin, who owns the company. Their tokens are fixed and published
(docs/integrations/webhooks.md), so that the documentation's curl examples post as written
against ``make demo``; a real robot's token is random and shown once."""

from __future__ import annotations

from lakeside.services.accounts import AuthUser
from lakeside.services.container import Services

ROBOTS_GROUP = "湖畔科技"
# (dialect, name, token): the demo's only, never a real robot's.
ROBOTS = (
    ("dingtalk", "构建机器人", "lakeside-demo-dingtalk"),
    ("slack", "Grafana", "lakeside-demo-slack"),
    ("wecom", "企微告警", "lakeside-demo-wecom"),
    ("feishu", "飞书通知", "lakeside-demo-feishu"),
)


async def seed_robots(services: Services, owner: AuthUser) -> str:
    listed, _ = await services.conversations.list_conversations(owner, limit=100, before=None)
    conversation_id = next(c["id"] for c in listed if c["kind"] == "org_all" and c["title"] == ROBOTS_GROUP)
    for dialect, name, token in ROBOTS:
        await services.webhooks.do_create(owner, conversation_id, dialect=dialect, name=name, token=token)
    return f"{len(ROBOTS)} group robots in {ROBOTS_GROUP} (docs/integrations/webhooks.md)."
