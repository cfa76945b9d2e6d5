"""The demo workspace behind ``lakeside demo``: a small Hangzhou company and some of its people's friends.

``seed_demo`` seeds it into an empty database, one module of this package after another:

- ``people``: thirty accounts (the first, ``admin``, is the server administrator) and their
  friendships; the password, the admin and the cast the other modules share live there;
- ``chats``: twenty conversations with short, believable histories, reactions and read cursors;
- ``company``: 湖畔科技, about sixty people in departments, with org groups, external contacts,
  an announcement and a DING still waiting for confirmation;
- ``campaign``: the seed's 2013 Laiwang contest, shipped as data and moved to run now, with
  outside friends and a referral farm for fraud screening to flag (and ``load_campaign``, which
  ``lakeside campaign load`` uses for any campaign file);
- ``robots``: one incoming webhook of each dialect in the all-staff group, with fixed tokens so that
  the curl examples of docs/integrations/webhooks.md work as written;
- ``growth``: ninety days of sign-ups and activity for the analytics dashboard
  (``seed_growth_demo``; ``lakeside demo`` runs it after ``seed_demo`` created the workspace).

People, chats and the company go through the services, exactly as if the people had used the
app; the campaign's outside accounts and the growth history are written into their tables
directly, dated in the past. Every choice comes from a seeded random generator, so two seeds
give the same workspace.
"""

from __future__ import annotations

from dataclasses import dataclass

from lakeside.demo.campaign import load_campaign, seed_campaign
from lakeside.demo.chats import CHATS, Chat, play_chats
from lakeside.demo.company import seed_company
from lakeside.demo.growth import seed_growth_demo
from lakeside.demo.people import (
    ADMIN,
    ADMIN_NAME,
    DEMO_PASSWORD,
    OUTSIDE_FRIENDS_FROM,
    USERS,
    demo_logins,
    friendships,
    register_people,
)
from lakeside.demo.robots import seed_robots
from lakeside.errors import Conflict
from lakeside.services.container import Services
from lakeside.store import users as user_store

__all__ = [
    "ADMIN",
    "CHATS",
    "DEMO_PASSWORD",
    "USERS",
    "Chat",
    "DemoResult",
    "demo_logins",
    "friendships",
    "load_campaign",
    "seed_campaign",
    "seed_company",
    "seed_demo",
    "seed_growth_demo",
]


@dataclass
class DemoResult:
    logins: list[tuple[str, str, str]]  # (username, display name, password)
    summary: str
    created: bool


async def seed_demo(services: Services, *, password: str = DEMO_PASSWORD) -> DemoResult:
    """Seed the demo workspace into an empty database; on the demo database again, do nothing.

    Raises Conflict for a database that holds accounts but is not the demo's, so that the demo
    never mixes its people into real data (``lakeside demo`` then serves that data as it is).
    """
    hint = f"Log in as {ADMIN} / {password} (every demo account has this password)."
    if await _has_users(services):
        await _check_is_demo(services)
        return DemoResult(
            demo_logins(password), f"The demo workspace exists already; nothing was added.\n{hint}", False
        )
    users = await register_people(services, password)
    pairs = friendships()
    for a, b in pairs:
        await services.friends.do_make_friends(users[a].id, users[b].id)
    await play_chats(services, users)
    # The company: the first 25 people work at 湖畔科技 (the last five are friends from outside),
    # with departments, org groups, external contacts, an announcement and a pending DING.
    staff = [users[username].id for username, _ in USERS[1:OUTSIDE_FRIENDS_FROM]]
    company = await seed_company(services, users[ADMIN].id, staff)
    # The seed's 2013 contest as shipped data, running on the company now (campaign.py).
    company += "\n" + await seed_campaign(services)
    # One robot of each dialect in the company's all-staff group, with the tokens of the docs.
    company += "\n" + await seed_robots(services, users[ADMIN])
    # The seeding sessions were never handed to anyone; they should not linger in session lists.
    for user in users.values():
        await services.accounts.do_revoke_session(user, user.session_id)
    groups = sum(1 for chat in CHATS if chat.title is not None)
    messages = sum(len(chat.lines) for chat in CHATS)
    summary = (
        f"Seeded the demo workspace: {len(users)} users, {len(pairs)} friendships, "
        f"{len(CHATS)} conversations ({groups} groups, {len(CHATS) - groups} direct chats), "
        f"{messages} messages.\n{company}\n{hint}"
    )
    return DemoResult(demo_logins(password), summary, True)


async def _has_users(services: Services) -> bool:
    async with services.ctx.db.read() as conn:
        return await user_store.count_users(conn) > 0


async def _check_is_demo(services: Services) -> None:
    found = await services.accounts.find_users(ADMIN)
    if not any(user["display_name"] == ADMIN_NAME for user in found):
        raise Conflict(
            "The database already holds accounts that are not the demo workspace's; "
            "the demo is only seeded into an empty database.",
            code="DATABASE_NOT_EMPTY",
        )
