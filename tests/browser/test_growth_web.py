"""The growth engine in the browser: the leaderboard, fraud review, the analytics dashboard, the
campaign editor, the invitation page and signing up through a referral link.

People, the organization, friendships and the campaign are arranged over the HTTP API; activity on
past days goes through the activity service of the running app. What is checked goes through the
page. Screenshots land in artifacts/screenshots (growth-*.png)."""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from lakeside.config import Settings
from lakeside.domain.campaigns import DAY_MS
from lakeside.domain.tokens import now_ms
from tests.browser.conftest import Cast, LiveServer, Member, expect, screenshot
from tests.conftest import PASSWORD

PHONE = {"width": 390, "height": 844}


@pytest.fixture
async def server(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[LiveServer]:
    """The browser tests' server, with sign-up red packets on, screening on demand only, and
    activity written quickly (the leaderboard worker reads it from the table)."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copy(sqlite_template, data_dir / "lakeside.db")
    settings = Settings(
        data_dir=data_dir,
        secret_key="browser-test-secret",
        migrate_on_start=False,
        password_hash_time_cost=1,
        password_hash_memory_kib=1024,
        referral_reward_fen=888,
        referral_inviter_reward_fen=500,
        fraud_screen_interval_seconds=0,
        activity_flush_seconds=0.3,
        leaderboard_interval_seconds=0.5,
    )
    live = LiveServer(settings)
    await live.start()
    try:
        yield live
    finally:
        await live.stop()


def services(server: LiveServer) -> Any:
    assert server._server is not None
    return server._server.config.app.state.services


async def register(cast: Cast, username: str, name: str, **extra: Any) -> Member:
    body = {"username": username, "password": PASSWORD, "display_name": name, **extra}
    response = await cast.http.post("/api/v1/auth/register", json=body)
    assert response.status_code == 201, response.text
    data = response.json()
    return Member(cast.http, data["token"], data["user"])


def read_text(path: Any) -> str:
    """A downloaded CSV (the server starts it with a byte-order mark for spreadsheets)."""
    return Path(path).read_text(encoding="utf-8-sig")


def today_cst() -> dt.date:
    return dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=8))).date()


class Company:
    """湖畔科技: 管理员 (server admin, owner), 张三 in 市场部, 李四 in 研发部; friends outside it."""

    def __init__(self, cast: Cast) -> None:
        self.cast = cast

    async def build(self) -> Company:
        cast = self.cast
        self.admin = await cast.person("admin", "管理员")
        self.zhang = await cast.person("zhangsan", "张三")
        self.li = await cast.person("lisi", "李四")
        org = await self.admin.call("POST", "/orgs", json={"name": "湖畔科技"})
        self.org_id = int(org["id"])
        code = (await self.admin.call("POST", f"/orgs/{self.org_id}/invitations", json={"kind": "code"}))[
            "code"
        ]
        for person in (self.zhang, self.li):
            await person.call("POST", f"/org-invitations/{code}/join", json={})
        self.departments: dict[str, int] = {}
        for name, person in (("市场部", self.zhang), ("研发部", self.li)):
            dept = await self.admin.call("POST", f"/orgs/{self.org_id}/departments", json={"name": name})
            self.departments[name] = int(dept["id"])
            await self.admin.call(
                "PUT", f"/orgs/{self.org_id}/departments/{dept['id']}/members/{person.id}", json={}
            )
        # 张三's friends: two from one device (a farm: flagged), two honest ones; 李四 has three.
        self.farm = [await register(cast, f"farm{i}", f"小号{i}", device_id="farm-device") for i in range(2)]
        self.honest = [
            await register(cast, f"friend{i}", f"朋友{i}", device_id=f"phone-{i}") for i in range(2)
        ]
        self.lis = [await register(cast, f"pal{i}", f"伙伴{i}", device_id=f"pal-{i}") for i in range(3)]
        for friend in [*self.farm, *self.honest]:
            await cast.befriend(self.zhang, friend)
        for friend in self.lis:
            await cast.befriend(self.li, friend)
        return self

    async def campaign(self, **overrides: Any) -> int:
        today = today_cst()
        document: dict[str, Any] = {
            "name": "来往推广大赛",
            "description": "邀请同事之外的亲朋好友注册来往。",
            "start": (today - dt.timedelta(days=5)).isoformat(),
            "deadline": (today + dt.timedelta(days=30)).isoformat(),
            "participants": {"kind": "organization"},
            "metric": {"kind": "active_outside_friends", "active_days": 7},
            "prizes": [
                {
                    "key": "first",
                    "name": "一等奖",
                    "name_en": "First prize",
                    "count": 1,
                    "amount_fen": 10_000_000,
                },
                {
                    "key": "second",
                    "name": "二等奖",
                    "name_en": "Second prize",
                    "count": 1,
                    "amount_fen": 5_000_000,
                },
            ],
            "teams": {
                "by": "department",
                "aggregate": "sum",
                "prizes": [
                    {
                        "key": "team",
                        "name": "团队奖",
                        "name_en": "Team prize",
                        "count": 1,
                        "amount_fen": 2_000_000,
                    },
                ],
            },
            "quota": {
                "min_outside_users": 3,
                "by": (today + dt.timedelta(days=10)).isoformat(),
                "consequence": "视为放弃年底红包",
                "consequence_en": "No year-end bonus",
            },
            "fraud": {"rules": ["device_burst"], "burst_signups": 2, "burst_minutes": 10},
        }
        document.update(overrides)
        created = await self.admin.call("POST", f"/orgs/{self.org_id}/campaigns", json=document)
        return int(created["id"])

    async def scores(self, campaign_id: int) -> dict[str, int]:
        board = await self.admin.call("GET", f"/campaigns/{campaign_id}/leaderboard", params={"limit": 100})
        return {entry["username"]: entry["score"] for entry in board["entries"]}


async def until(check: Any, what: str, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)


async def test_leaderboard_ranks_highlights_me_and_a_cleared_flag_counts_again(
    cast: Cast, open_page: Any, server: LiveServer
) -> None:
    company = await Company(cast).build()
    campaign_id = await company.campaign()
    await until(lambda: _scores_are(company, campaign_id, {"zhangsan": 4, "lisi": 3}), "the first scores")
    # Screening flags the two accounts made on one device: 张三 falls behind 李四.
    assert (await company.admin.call("POST", f"/campaigns/{campaign_id}/screen"))["new_flags"] == 2
    await until(lambda: _scores_are(company, campaign_id, {"zhangsan": 2, "lisi": 3}), "the flags to apply")

    page = await open_page("zhangsan", locale="zh-CN")
    await page.goto(f"{server.url}/#/campaigns/{campaign_id}")
    rows = page.locator(".g-ranking .g-row")
    await expect(rows).to_have_count(3)
    await expect(rows.nth(0)).to_contain_text("李四")
    await expect(rows.nth(0).locator(".g-prize")).to_contain_text("一等奖")
    await expect(rows.nth(1)).to_contain_text("张三")
    await expect(rows.nth(2)).to_contain_text("管理员")
    await expect(page.locator(".g-row-me")).to_contain_text("张三")
    await expect(page.locator(".g-row-me .g-score strong")).to_have_text("2")
    await expect(page.locator(".g-mine-number").first).to_have_text("2")  # my rank
    await expect(page.locator(".g-mine-number").nth(1)).to_have_text("2")  # my score
    await expect(page.locator(".g-clock")).to_contain_text("天")
    # Team standings: one bar per department, 研发部 (3) above 市场部 (2).
    bars = page.locator(".g-teams .chart-bar")
    await expect(bars).to_have_count(2)
    await expect(page.locator(".g-teams .chart-name").first).to_have_text("研发部")
    await screenshot(page, "growth-leaderboard-zh")
    # My friends: the flagged ones say why they do not count.
    await page.locator(".g-tabs a", has_text="我的好友").click()
    await expect(page.locator(".g-friend")).to_have_count(4)
    await expect(page.locator(".g-friend-no")).to_have_count(2)
    await expect(page.locator(".g-friend-no").first).to_contain_text("风控审核中")
    await screenshot(page, "growth-friends-zh")

    # The owner clears one flag in the review; 张三's page shows the new score by itself.
    admin = await open_page("admin", locale="en-US")
    await admin.goto(f"{server.url}/#/campaigns/{campaign_id}/flags")
    cards = admin.locator(".g-flag")
    await expect(cards).to_have_count(2)
    await expect(cards.first).to_contain_text("one device")
    await screenshot(admin, "growth-flags-en")
    await cards.first.locator(".g-note").fill("real person, checked by phone")
    await cards.first.locator("button[data-decision=clear]").click()
    await expect(cards).to_have_count(1)
    await admin.locator(".g-subtabs .tab", has_text="Cleared").click()
    await expect(admin.locator(".g-flag")).to_have_count(1)
    await expect(admin.locator(".g-flag")).to_contain_text("real person, checked by phone")
    await expect(page.locator(".g-tabs a.active")).to_contain_text("我的好友")
    await page.locator(".g-tabs a", has_text="排行榜").click()
    await expect(page.locator(".g-row-me .g-score strong")).to_have_text("3", timeout=25_000)

    # The quota report: everyone needs 3; the owner has none.
    await admin.goto(f"{server.url}/#/campaigns/{campaign_id}/quota")
    await expect(admin.locator(".g-quota-table tbody tr").first).to_contain_text("管理员")
    await screenshot(admin, "growth-quota-en")
    async with admin.expect_download() as download_info:
        await admin.locator(".g-csv").click()
    download = await download_info.value
    text = read_text(await download.path())
    assert "admin" in text and "3" in text


async def _scores_are(company: Company, campaign_id: int, expected: dict[str, int]) -> bool:
    scores = await company.scores(campaign_id)
    return all(scores.get(name) == value for name, value in expected.items())


async def test_the_dashboard_draws_the_known_days_and_downloads_csv(
    cast: Cast, open_page: Any, server: LiveServer
) -> None:
    admin = await cast.person("admin", "管理员")
    people = [await cast.person(f"user{i}", f"用户{i}") for i in range(4)]
    org = await admin.call("POST", "/orgs", json={"name": "湖畔科技"})
    assert org["id"]
    # Activity on past days: user0 every day of the last week, user1 three days ago.
    activity = services(server).growth.activity
    for days_ago in range(7):
        activity.record(people[0].id, "open", at=now_ms() - days_ago * DAY_MS)
    activity.record(people[1].id, "open", at=now_ms() - 3 * DAY_MS)
    await activity.flush()

    page = await open_page("admin", locale="zh-CN")
    await page.goto(f"{server.url}/#/analytics?days=7")
    lines = page.locator(".chart-kind-line .chart-series")
    await expect(page.locator(".chart-kind-line .chart-series")).to_have_count(3)
    for series in range(3):
        await expect(lines.nth(series).locator(".chart-dot")).to_have_count(7)
    await expect(page.locator(".chart-kind-bar .chart-series .chart-bar")).to_have_count(7)
    daily = (await admin.call("GET", "/admin/analytics/daily", params={"from": _day(-6), "to": _day(0)}))[
        "days"
    ]
    assert [day["dau"] for day in daily][3] >= 2
    # The last day's tooltip shows the exact numbers.
    chart_box = page.locator(".chart-kind-line .chart-svg")
    await chart_box.focus()
    await chart_box.press("End")
    tip = page.locator(".chart-kind-line .chart-tip")
    await expect(tip).to_be_visible()
    await expect(tip.locator(".chart-tip-row").first).to_contain_text(str(daily[-1]["dau"]))
    await chart_box.press("ArrowLeft")
    await chart_box.press("ArrowLeft")
    await chart_box.press("ArrowLeft")
    await expect(tip.locator(".chart-tip-row").first).to_contain_text(str(daily[3]["dau"]))
    await expect(page.locator(".g-stat").first).to_contain_text("5")  # registered users
    await expect(page.locator(".g-heatmap tbody tr")).to_have_count(1)  # everyone signed up today
    await screenshot(page, "growth-analytics-zh")
    phone = await open_page("admin", locale="en-US", viewport=PHONE)
    await phone.goto(f"{server.url}/#/analytics?days=30")
    await expect(phone.locator(".chart-kind-line .chart-dot").first).to_be_attached()
    await screenshot(phone, "growth-analytics-en-phone")

    async with page.expect_download() as download_info:
        await page.locator(".g-panel").first.locator(".g-csv").click()
    download = await download_info.value
    lines_csv = read_text(await download.path()).strip().splitlines()
    assert lines_csv[0].startswith("date,")
    assert len(lines_csv) == 8

    await page.locator(".g-segment", has_text="30").click()
    await expect(lines.nth(0).locator(".chart-dot")).to_have_count(30)
    # Not for everyone: a member sees no rail item and a refusal.
    other = await open_page("user1", locale="en-US")
    await expect(other.locator('.rail-item[href="#/analytics"]')).to_be_hidden()
    await other.goto(f"{server.url}/#/analytics")
    await expect(other.locator(".main-pane")).to_contain_text("server administrators")


def _day(offset: int) -> str:
    return (today_cst() + dt.timedelta(days=offset)).isoformat()


async def test_signing_up_with_a_referral_link_records_the_inviter(
    cast: Cast, open_page: Any, server: LiveServer, browser: Any
) -> None:
    admin = await cast.person("admin", "管理员")
    await admin.call("POST", "/admin/ledger/fund", json={"amount_fen": 1_000_000})
    zhang = await cast.person("zhangsan", "张三")
    codes = await zhang.call("GET", "/me/referral-codes")
    code = codes[0]["code"]
    assert "#/register?" in codes[0]["link"]

    page = await open_page(None, locale="zh-CN")
    await page.goto(f"{server.url}/#/register?ref={code}")
    await expect(page.locator(".login-tabs .tab.active")).to_have_text("注册")
    await expect(page.locator("#f-invitation_code")).to_have_value(code)
    await page.locator("#f-username").fill("wangwu")
    await page.locator("#f-display_name").fill("王五")
    await page.locator("#f-password").fill(PASSWORD)
    await page.locator(".login-form button[type=submit]").click()
    await page.locator(".shell").wait_for()

    invitees = await zhang.call("GET", "/me/invitees")
    assert [item["user"]["username"] for item in invitees["people"]] == ["wangwu"]
    new_id = invitees["people"][0]["user"]["id"]
    profile = await admin.call("GET", f"/admin/users/{new_id}")
    assert profile["attribution"]["inviter"]["username"] == "zhangsan"
    assert profile["attribution"]["device"].startswith("web-")

    # 王五's own wallet holds the sign-up red packet; 张三 sees who came and the reward.
    await page.goto(f"{server.url}/#/settings/invite")
    await expect(page.locator(".g-entry")).to_have_count(1)
    await expect(page.locator(".g-entry")).to_contain_text("注册红包")
    inviter = await open_page("zhangsan", locale="en-US")
    await inviter.goto(f"{server.url}/#/settings/invite")
    await expect(inviter.locator(".g-code")).to_have_text(code)
    await expect(inviter.locator(".g-invitee")).to_have_count(1)
    await expect(inviter.locator(".g-invitee")).to_contain_text("王五")
    await expect(inviter.locator(".g-balance")).to_have_text("¥5")
    await expect(inviter.locator(".g-invited-count")).to_have_text("1")
    await screenshot(inviter, "growth-invite-en")
    phone = await open_page("zhangsan", locale="zh-CN", viewport=PHONE)
    await phone.goto(f"{server.url}/#/settings/invite")
    await expect(phone.locator(".g-invitee")).to_have_count(1)
    await screenshot(phone, "growth-invite-zh-phone")


async def test_an_admin_defines_a_campaign_from_the_laiwang_example(
    cast: Cast, open_page: Any, server: LiveServer
) -> None:
    company = await Company(cast).build()
    page = await open_page("admin", locale="zh-CN")
    await page.goto(f"{server.url}/#/campaigns")
    await expect(page.locator(".g-campaign-list")).to_contain_text("还没有活动")
    await page.locator(".g-campaign-list a", has_text="新建活动").click()
    await page.locator(".g-preset button").click()
    await expect(page.locator("#g-name")).to_have_value("来往推广大赛 2013")
    await expect(page.locator(".g-tier-table").first.locator("tbody tr")).to_have_count(3)
    await page.locator("#g-name").fill("来往推广大赛（湖畔）")
    await page.locator("#g-days").fill("14")
    await screenshot(page, "growth-campaign-form-zh")
    await page.locator(".g-form button[type=submit]").click()
    await expect(page.locator(".g-campaign-item")).to_have_count(1)
    await expect(page.locator(".page-title")).to_have_text("来往推广大赛（湖畔）")
    campaigns = (await company.admin.call("GET", f"/orgs/{company.org_id}/campaigns"))["campaigns"]
    spec = campaigns[0]["spec"]
    assert spec["metric"]["active_days"] == 14
    assert [(tier["count"], tier["amount_fen"]) for tier in spec["prizes"]] == [
        (1, 10_000_000),
        (3, 5_000_000),
        (10, 1_000_000),
    ]
    assert spec["quota"]["min_outside_users"] == 100
    await expect(page.locator(".g-ranking .g-row")).to_have_count(3, timeout=20_000)
    # Members see the leaderboard too, on a phone in the workbench's campaigns.
    phone = await open_page("zhangsan", locale="zh-CN", viewport=PHONE)
    await phone.goto(f"{server.url}/#/campaigns/{campaigns[0]['id']}")
    await expect(phone.locator(".g-row-me")).to_contain_text("张三", timeout=20_000)
    await screenshot(phone, "growth-leaderboard-zh-phone")
    desktop = await open_page("lisi", locale="en-US")
    await desktop.goto(f"{server.url}/#/campaigns/{campaigns[0]['id']}")
    await expect(desktop.locator(".g-row-me")).to_contain_text("李四", timeout=20_000)
    await screenshot(desktop, "growth-leaderboard-en")

    # A campaign whose deadline has passed: frozen, with the podium and its prizes.
    today = today_cst()
    ended = await company.campaign(
        name="上月拉新赛",
        start=(today - dt.timedelta(days=20)).isoformat(),
        deadline=(today - dt.timedelta(days=1)).isoformat(),
        quota=None,
    )

    async def frozen() -> bool:
        campaign = await company.admin.call("GET", f"/campaigns/{ended}")
        return bool(campaign["status"] == "ended")

    await until(frozen, "the campaign to freeze", timeout=30)
    await page.goto(f"{server.url}/#/campaigns/{ended}")
    await expect(page.locator(".g-results")).to_be_visible()
    await expect(page.locator(".g-hero")).to_contain_text("已结束")
    await screenshot(page, "growth-results-zh")
