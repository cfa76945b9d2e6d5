"""The demo company's approvals (审批): the built-in templates, the 人事 and 财务 roles (the demo's
admin is in both, so that logging in as the admin shows work waiting), and requests in flight — a
3-day leave approved by the team's leader and waiting for HR, a purchase waiting for its leader,
and a business trip already approved."""

from __future__ import annotations

import datetime as dt

from lakeside.domain.tokens import now_ms
from lakeside.services.accounts import AuthUser
from lakeside.services.container import Services


def _auth(user_id: int) -> AuthUser:
    return AuthUser(id=user_id, username="", display_name="", is_admin=False, session_id=0)


def _next_monday(today: dt.date) -> dt.date:
    return today + dt.timedelta(days=7 - today.weekday())


async def seed_approvals(
    services: Services, admin_user_id: int, org_id: int, teams: dict[str, list[int]]
) -> str:
    """``teams``: each department's people, its leader first."""
    approvals = services.approvals
    admin = _auth(admin_user_id)
    templates = {
        t["builtin"]: t["id"] for t in await approvals.list_templates(admin, org_id, everything=True)
    }
    roles = {r["name"]: r["id"] for r in await approvals.list_roles(admin, org_id)}
    product = teams["产品部"]
    await approvals.do_set_role_members(admin, org_id, roles["人事"], [admin_user_id, product[-1]])
    await approvals.do_set_role_members(admin, org_id, roles["财务"], [admin_user_id])

    frontend = teams["前端组"]
    leader, first, second = frontend[0], frontend[1], frontend[2]
    monday = _next_monday(dt.date.fromtimestamp(now_ms() / 1000))
    leave = await approvals.do_submit(
        _auth(first),
        org_id,
        templates["leave"],
        {
            "leave_type": "年假",
            "period": {"start": monday.isoformat(), "end": (monday + dt.timedelta(days=2)).isoformat()},
            "reason": "回老家参加表姐的婚礼，工作已交接给同组同事。",
        },
    )
    await approvals.do_approve(_auth(leader), org_id, leave["id"], "好的，注意交接。")
    await approvals.do_submit(
        _auth(second),
        org_id,
        templates["purchase"],
        {
            "items": [
                {"name": "27 寸显示器", "quantity": 2, "amount": 259800},
                {"name": "机械键盘", "quantity": 1, "amount": 49900},
            ],
            "reason": "新同事入职，工位设备。",
        },
    )
    marketing = teams["市场部"]
    trip = await approvals.do_submit(
        _auth(marketing[1]),
        org_id,
        templates["trip"],
        {
            "destination": "上海",
            "period": {"start": monday.isoformat(), "end": (monday + dt.timedelta(days=1)).isoformat()},
            "transport": ["火车"],
            "budget": 300000,
            "reason": "拜访客户，参加行业展会。",
        },
    )
    await approvals.do_approve(_auth(marketing[0]), org_id, trip["id"], "")
    return "Approvals: the 5 built-in templates, roles 人事 and 财务, 3 requests (2 in flight, 1 approved)."
