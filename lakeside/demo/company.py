"""The demo company: 湖畔科技, an organization of about sixty people for ``lakeside demo``.

``seed_company`` takes the demo's admin and existing people, registers the colleagues still
missing (same demo password), and lays out six departments on three levels under the company
(研发中心 › 前端组 › 移动端, 研发中心 › 后端组, 产品部, 市场部), with leaders, titles and employee
numbers, a handful of external contacts, a pinned announcement and a DING still waiting for
confirmation, plus escalation rules. Everything goes through the services, so the department
groups, the all-staff group and their system messages come out exactly as in real use. Names are
fixed and ordered, so two seeds give the same company.
"""

from __future__ import annotations

from pypinyin import lazy_pinyin

from lakeside.demo.approvals import seed_approvals
from lakeside.demo.people import DEMO_PASSWORD
from lakeside.services.accounts import AuthUser
from lakeside.services.container import Services
from lakeside.store import users as user_store

COMPANY = "湖畔科技"
TARGET_SIZE = 60

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
GIVEN = (
    "晓明",
    "丽华",
    "建国",
    "思远",
    "雨桐",
    "子涵",
    "浩然",
    "欣怡",
    "嘉豪",
    "梓萱",
    "宇航",
    "诗琪",
    "俊杰",
    "雅婷",
)

# (name, parent, titles for its people); the first person placed in a department leads it.
DEPARTMENTS: tuple[tuple[str, str | None, tuple[str, ...]], ...] = (
    ("研发中心", None, ("研发总监", "架构师", "测试工程师")),
    ("前端组", "研发中心", ("前端负责人", "前端工程师")),
    ("移动端", "前端组", ("移动端负责人", "iOS 工程师", "Android 工程师")),
    ("后端组", "研发中心", ("后端负责人", "后端工程师", "运维工程师")),
    ("产品部", None, ("产品总监", "产品经理", "交互设计师")),
    ("市场部", None, ("市场总监", "市场专员", "销售经理")),
)
SHARES = (8, 10, 8, 12, 9, 12)  # people per department, in the order above (the admin sits apart)

CONTACTS = (
    {
        "name": "周总",
        "company": "阿里云",
        "title": "大客户总监",
        "phone": "+8613900000101",
        "tags": ["客户", "VIP"],
    },
    {"name": "吴经理", "company": "淘宝", "title": "采购经理", "phone": "+8613900000102", "tags": ["客户"]},
    {
        "name": "郑律师",
        "company": "西湖律师事务所",
        "title": "合伙人",
        "email": "zheng@example.com",
        "tags": ["法务"],
    },
    {
        "name": "Grace Hopper",
        "company": "Navy Labs",
        "title": "CTO",
        "email": "grace@example.com",
        "tags": ["partner"],
    },
    {"name": "孔老师", "company": "浙江大学", "title": "教授", "tags": ["校企合作"]},
)


def _auth(user_id: int, username: str = "", name: str = "") -> AuthUser:
    return AuthUser(id=user_id, username=username, display_name=name, is_admin=False, session_id=0)


def _extra_people(count: int) -> list[tuple[str, str]]:
    people = []
    for index in range(count):
        name = SURNAMES[index % len(SURNAMES)] + GIVEN[index % len(GIVEN)]
        username = "hp." + "".join(lazy_pinyin(name))
        people.append((f"{username}{index + 1}", name))
    return people


async def _register_missing(services: Services, count: int) -> list[int]:
    wanted = _extra_people(count)
    async with services.ctx.db.read() as conn:
        taken = await user_store.get_ids_by_usernames(conn, {username for username, _ in wanted})
    ids = list(taken.values())
    for username, name in wanted:
        if username in taken:
            continue
        session = await services.accounts.do_register(
            username=username, password=DEMO_PASSWORD, display_name=name, user_agent="lakeside demo"
        )
        await services.accounts.do_revoke_session(_auth(session.user_id), session.session_id)
        ids.append(session.user_id)
    return ids


async def _read_company_groups(services: Services, user: AuthUser) -> None:
    views, _ = await services.conversations.list_conversations(user, limit=200, before=None)
    for view in views:
        if view["kind"] in ("org_all", "department") and view["unread"]:
            await services.messages.do_mark_read(user, view["id"], view["last_seq"])


async def seed_company(services: Services, admin_user_id: int, member_ids: list[int]) -> str:
    """Seed 湖畔科技 with ``admin_user_id`` as owner; returns a one-line summary."""
    enterprise = services.enterprise
    admin = _auth(admin_user_id)
    members = [uid for uid in dict.fromkeys(member_ids) if uid != admin_user_id]
    members += await _register_missing(services, max(0, TARGET_SIZE - 1 - len(members)))
    org = await enterprise.organizations.do_create(admin, COMPANY)
    org_id = org["id"]
    code = (
        await enterprise.invitations.do_create(
            admin, org_id, kind="code", expires_in_hours=None, max_uses=None
        )
    )["code"]
    for user_id in members:
        await enterprise.invitations.do_join(_auth(user_id), code, "")

    departments: dict[str, int] = {}
    for name, parent, _titles in DEPARTMENTS:
        created = await enterprise.directory.do_create_department(
            admin, org_id, name=name, parent_id=departments.get(parent or ""), sort_order=len(departments)
        )
        departments[name] = created["id"]
    cursor = 0
    teams: dict[str, list[int]] = {}
    for (name, _parent, titles), share in zip(DEPARTMENTS, SHARES, strict=True):
        teams[name] = members[cursor : cursor + share]
        for position, user_id in enumerate(members[cursor : cursor + share]):
            leader = position == 0
            await enterprise.directory.do_set_departments(
                admin,
                org_id,
                user_id,
                department_ids=[departments[name]],
                leader_of=[departments[name]] if leader else [],
            )
            title = titles[0] if leader else titles[1 + position % (len(titles) - 1)]
            employee_no = f"HP{1000 + cursor + position + 1}"
            await enterprise.directory.do_update_member(
                admin, org_id, user_id, {"title": title, "employee_no": employee_no}
            )
        cursor += share
    await enterprise.directory.do_update_member(
        admin, org_id, admin_user_id, {"title": "CEO", "employee_no": "HP1000"}
    )
    if len(members) > 1:
        await enterprise.organizations.do_set_role(admin, org_id, members[0], "admin")

    for contact in CONTACTS:
        await enterprise.contacts.do_create_contact(admin, org_id, dict(contact))
    await enterprise.dings.do_set_policy(
        admin, org_id, {"app_after_minutes": 15, "email_after_minutes": 60, "sms_after_minutes": 120}
    )
    await enterprise.announcements.do_publish(
        admin,
        org_id,
        title="欢迎使用湖畔科技工作台",
        body="通讯录、部门群、DING 和公告都已就绪。有问题请在全员群里 @管理员。",
        pinned=True,
        department_ids=[],
        as_ding=False,
    )
    # Everyone has seen the "X joined" tips of the set-up: the demo opens with unread badges only
    # where there is something to read.
    for user_id in [admin_user_id, *members]:
        await _read_company_groups(services, _auth(user_id))
    recipients = members[:5]
    if recipients:
        await enterprise.dings.do_send(
            admin,
            org_id,
            recipient_ids=recipients,
            body="今天 17:00 全员会议，请准时参加。",
            message_id=None,
            send_at=None,
        )
    approvals = await seed_approvals(services, admin_user_id, org_id, teams)
    return (
        f"Seeded the company {COMPANY}: {len(members) + 1} members in {len(DEPARTMENTS)} departments "
        f"on three levels, {len(CONTACTS)} external contacts, 1 announcement, "
        f"1 pending DING to {len(recipients)} people. {approvals}"
    )
