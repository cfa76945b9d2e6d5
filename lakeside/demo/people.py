"""The demo's people: thirty accounts and who is friends with whom.

The first account, ``admin``, is the server administrator; the next twenty-four work at the demo
company, the last five are friends from outside it. Colleagues in a department all know each
other, a few people know someone elsewhere, and the admin knows everyone. Every other module of
the demo imports its cast from here (the password, the admin, ``USERS``), so this module imports
none of them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from lakeside.services.accounts import AuthUser
from lakeside.services.container import Services

DEMO_PASSWORD = "lakeside-demo"
ADMIN = "admin"
ADMIN_NAME = "管理员"

# In registration order; ``admin`` must come first, since the first account is the server admin.
USERS: tuple[tuple[str, str], ...] = (
    (ADMIN, ADMIN_NAME),
    ("zhangwei", "张伟"),
    ("wangfang", "王芳"),
    ("liuyang", "刘洋"),
    ("chenjing", "陈静"),
    ("lina", "李娜"),
    ("zhaolei", "赵磊"),
    ("david", "David Wang"),
    ("yangxue", "杨雪"),
    ("zhoujie", "周杰"),
    ("wuting", "吴婷"),
    ("sunhao", "孙浩"),
    ("emily", "Emily Zhang"),
    ("alice", "Alice Chen"),
    ("maqiang", "马强"),
    ("hujun", "胡军"),
    ("guoxin", "郭鑫"),
    ("linfeng", "林峰"),
    ("kevin", "Kevin Liu"),
    ("michael", "Michael Zhou"),
    ("xiemin", "谢敏"),
    ("gaoyan", "高燕"),
    ("luobin", "罗斌"),
    ("tangning", "唐宁"),
    ("huangmin", "黄敏"),
    # Friends from outside the company.
    ("hexiaoyu", "何晓雨"),
    ("zhengshuang", "郑爽"),
    ("songjia", "宋佳"),
    ("fengyu", "冯宇"),
    ("sophie", "Sophie Lin"),
)

OUTSIDE_FRIENDS_FROM = 25  # USERS[25:] are friends from outside the company

# Everyone in a department is friends with everyone else in it.
TEAMS: Mapping[str, tuple[str, ...]] = {
    "产品研发部": ("zhangwei", "wangfang", "liuyang", "chenjing", "lina", "zhaolei", "david"),
    "市场部": ("yangxue", "zhoujie", "wuting", "sunhao", "emily", "alice"),
    "销售部": ("maqiang", "hujun", "guoxin", "linfeng", "kevin", "michael"),
    "综合部": ("xiemin", "gaoyan", "luobin", "tangning", "huangmin"),
}

# Friendships across departments and beyond the company: shared projects, badminton, school.
OTHER_FRIENDS: tuple[tuple[str, str], ...] = (
    ("wangfang", "yangxue"),
    ("wangfang", "maqiang"),
    ("zhangwei", "luobin"),
    ("david", "alice"),
    ("david", "kevin"),
    ("chenjing", "alice"),
    ("chenjing", "xiemin"),
    ("liuyang", "sunhao"),
    ("liuyang", "linfeng"),
    ("lina", "wuting"),
    ("zhaolei", "hujun"),
    ("emily", "kevin"),
    ("emily", "michael"),
    ("maqiang", "gaoyan"),
    ("tangning", "wuting"),
    ("huangmin", "zhoujie"),
    ("guoxin", "xiemin"),
    ("luobin", "hujun"),
    ("hexiaoyu", "chenjing"),
    ("hexiaoyu", "liuyang"),
    ("hexiaoyu", "songjia"),
    ("hexiaoyu", "zhengshuang"),
    ("hexiaoyu", "fengyu"),
    ("zhengshuang", "wuting"),
    ("zhengshuang", "songjia"),
    ("songjia", "fengyu"),
    ("songjia", "sophie"),
    ("fengyu", "zhaolei"),
    ("sophie", "alice"),
    ("sophie", "emily"),
)


def friendships() -> list[tuple[str, str]]:
    """Every friendship of the demo, once: the admin knows everyone (they set up their accounts)."""
    pairs = [(ADMIN, username) for username, _ in USERS[1:]]
    for members in TEAMS.values():
        pairs.extend((a, b) for i, a in enumerate(members) for b in members[i + 1 :])
    pairs.extend(OTHER_FRIENDS)
    seen: set[frozenset[str]] = set()
    unique = []
    for a, b in pairs:
        if frozenset((a, b)) not in seen:
            seen.add(frozenset((a, b)))
            unique.append((a, b))
    return unique


def demo_logins(password: str = DEMO_PASSWORD) -> list[tuple[str, str, str]]:
    return [(username, name, password) for username, name in USERS]


async def register_people(services: Services, password: str) -> dict[str, AuthUser]:
    """Register everyone: the admin alone first (the first account is the server admin), then the
    rest at once. Password hashing dominates; the hasher keeps as many in flight as it allows."""

    async def register(username: str, name: str) -> tuple[str, AuthUser]:
        session = await services.accounts.do_register(
            username=username,
            password=password,
            display_name=name,
            email=f"{username}@example.com",
            user_agent="lakeside demo",
        )
        # Proved, as a real workspace's people would have: they log in and are invited by e-mail.
        await services.verification.do_mark_proved(session.user_id)
        return username, await services.accounts.authenticate(session.token)

    users = dict([await register(*USERS[0])])
    users.update(await asyncio.gather(*(register(username, name) for username, name in USERS[1:])))
    return users
