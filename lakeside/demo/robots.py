"""The demo's group robots: one incoming webhook of each dialect in the launch room, made by the
room's owner. Their tokens are fixed and published (docs/integrations/webhooks.md), so that the
documentation's curl examples post as written against ``make demo``; a real robot's token is
random and shown once."""

from __future__ import annotations

from lakeside.services.accounts import AuthUser
from lakeside.services.container import Services

ROBOTS_GROUP = "Lakeside launch 🚀"
OWNER = "wangfang"
# (dialect, name, token): the demo's only, never a real robot's.
ROBOTS = (
    ("dingtalk", "构建机器人", "lakeside-demo-dingtalk"),
    ("slack", "Grafana", "lakeside-demo-slack"),
    ("wecom", "企微告警", "lakeside-demo-wecom"),
    ("feishu", "飞书通知", "lakeside-demo-feishu"),
)


async def seed_robots(services: Services, users: dict[str, AuthUser], conversation_id: int) -> str:
    owner = users[OWNER]
    for dialect, name, token in ROBOTS:
        await services.webhooks.do_create(owner, conversation_id, dialect=dialect, name=name, token=token)
    return f"{len(ROBOTS)} group robots in {ROBOTS_GROUP} (docs/integrations/webhooks.md)."
