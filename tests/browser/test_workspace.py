"""The enterprise workspace in the browser: the organization switcher, the directory (department
tree, pinyin search, member cards) and the admin pages, kept current by events."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.browser.conftest import Cast, LiveServer, Member, Page, expect, screenshot

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


async def company(owner: Member, name: str, *members: Member) -> dict[str, Any]:
    """An organization owned by `owner`; the others join with an invitation code."""
    org = await owner.call("POST", "/orgs", json={"name": name})
    invitation = await owner.call("POST", f"/orgs/{org['id']}/invitations", json={"kind": "code"})
    for member in members:
        joined = await member.call("POST", f"/org-invitations/{invitation['code']}/join", json={})
        assert joined["status"] == "joined"
    return dict(org)


def tree_item(page: Page, name: str) -> Any:
    return page.locator(".list-pane .tree-link", has_text=name)


async def test_a_department_made_by_an_admin_reaches_the_directory_live(cast: Cast, open_page) -> None:
    zhang = await cast.person("zhangsan", "张三")
    li = await cast.person("lisi", "李四")
    wang = await cast.person("wangwu", "王五")
    org = await company(zhang, "湖畔科技", li, wang)
    await zhang.call(
        "PATCH", f"/orgs/{org['id']}/members/{wang.id}", json={"title": "前端工程师", "employee_no": "A007"}
    )
    admin = await open_page("zhangsan")
    member = await open_page("lisi", locale="zh-CN")

    # The member opens the directory: the organization, nobody in a department yet.
    await member.locator(".rail-item[href='#/directory']").click()
    await expect(member.locator(".org-head-name")).to_have_text("湖畔科技")
    await expect(member.locator(".list-pane .org-root")).to_contain_text("3")
    await expect(member.locator(".rail-item[href='#/admin']")).to_be_hidden()

    # The admin creates a department …
    await admin.locator(".rail-item[href='#/admin']").click()
    await admin.locator(".admin-nav").get_by_role("link", name="Departments").click()
    await admin.get_by_role("button", name="New department").click()
    await admin.get_by_role("dialog").get_by_label("Department name").fill("研发中心")
    await admin.get_by_role("dialog").get_by_role("button", name="Save").click()
    await expect(admin.locator(".dept-title")).to_have_text("研发中心")
    # … and the member's tree shows it without reloading.
    await expect(tree_item(member, "研发中心")).to_be_visible()

    # The admin moves Wang into it, found by pinyin initials, and makes him its leader.
    await admin.get_by_role("button", name="Add people").click()
    dialog = admin.get_by_role("dialog", name="Add people to 研发中心")
    await dialog.get_by_role("searchbox").fill("ww")
    await dialog.locator(".picker-row", has_text="王五").locator("input").check()
    await dialog.get_by_label("Move them").check()
    await dialog.get_by_role("button", name="Add").click()
    row = admin.locator(".admin-dept .person-row", has_text="王五")
    await expect(row).to_be_visible()
    await row.get_by_label("王五 leads 研发中心").check()
    await screenshot(admin, "workspace-admin-departments")

    # The member sees the count change and, in the department, Wang marked as its leader.
    await expect(tree_item(member, "研发中心").locator(".tree-count")).to_have_text("1")
    await tree_item(member, "研发中心").click()
    person = member.locator(".main-pane .person-row", has_text="王五")
    await expect(person.locator(".leader-tag")).to_have_text("主管")

    # Pinyin initials find a Chinese name; the card shows the profile and opens a chat.
    await member.get_by_role("searchbox", name="搜索通讯录").fill("ww")
    result = member.locator(".dir-results .person-link", has_text="王五")
    await expect(result).to_contain_text("研发中心")
    await member.get_by_role("searchbox", name="搜索通讯录").fill("zs")
    await expect(member.locator(".dir-results .person-link").first).to_contain_text("张三")
    await expect(member.locator(".dir-results .person-link")).to_have_count(1)
    await member.get_by_role("searchbox", name="搜索通讯录").fill("wangwu")
    await member.locator(".dir-results .person-link", has_text="王五").click()
    card = member.locator(".member-card")
    await expect(card).to_contain_text("前端工程师")
    await expect(card).to_contain_text("A007")
    await expect(card.locator(".seat-chip")).to_contain_text("研发中心")
    await expect(card.get_by_role("button", name="编辑")).to_have_count(0)
    await screenshot(member, "workspace-directory-card-zh")
    await card.get_by_role("button", name="发消息").click()
    await expect(member).to_have_url(re.compile(r"#/chats/\d+$"))


async def test_switching_organizations_switches_the_directory_and_admin(cast: Cast, open_page) -> None:
    zhang = await cast.person("zhangsan", "张三")
    li = await cast.person("lisi", "李四")
    own = await company(zhang, "湖畔科技", li)
    other = await company(li, "远山贸易", zhang)
    await zhang.call("POST", f"/orgs/{own['id']}/departments", json={"name": "研发中心"})
    await li.call("POST", f"/orgs/{other['id']}/departments", json={"name": "外贸部"})
    page = await open_page("zhangsan")

    await page.locator(".rail-item[href='#/directory']").click()
    head = page.locator(".list-pane .org-head")
    if await page.locator(".org-head-name").text_content() != "湖畔科技":
        await head.click()
        await page.get_by_role("menuitemradio", name="湖畔科技").click()
    await expect(tree_item(page, "研发中心")).to_be_visible()
    await expect(page.locator(".rail-item[href='#/admin']")).to_be_visible()

    # Switch: the other organization's tree; no admin pages there (a plain member).
    await head.click()
    await expect(page.get_by_role("menuitemradio")).to_have_count(2)
    await screenshot(page, "workspace-switcher")
    await page.get_by_role("menuitemradio", name="远山贸易").click()
    await expect(page.locator(".org-head-name")).to_have_text("远山贸易")
    await expect(tree_item(page, "外贸部")).to_be_visible()
    await expect(tree_item(page, "研发中心")).to_have_count(0)
    await expect(page.locator(".rail-item[href='#/admin']")).to_be_hidden()
    await page.goto(page.url.split("#")[0] + "#/admin")
    await expect(page.locator(".main-pane")).to_contain_text("Only the owner and admins")

    # The choice is remembered across a reload.
    await page.reload()
    await page.locator(".shell").wait_for()
    await page.goto(page.url.split("#")[0] + "#/directory")
    await expect(page.locator(".org-head-name")).to_have_text("远山贸易")

    # Removed from it by its owner: it disappears and the switcher falls back to the other one.
    await li.call("DELETE", f"/orgs/{other['id']}/members/{zhang.id}")
    await expect(page.locator(".org-head-name")).to_have_text("湖畔科技")
    await expect(page.locator(".toast", has_text="no longer a member of 远山贸易")).to_be_visible()
    await expect(tree_item(page, "研发中心")).to_be_visible()
    await expect(page.locator(".toast-error")).to_have_count(0)


async def test_an_invitation_link_from_the_admin_page_lets_a_new_user_join(
    cast: Cast, open_page, server: LiveServer
) -> None:
    zhang = await cast.person("zhangsan", "张三")
    await cast.person("zhaoliu", "赵六")
    await company(zhang, "湖畔科技")
    admin = await open_page("zhangsan")
    await admin.goto(admin.url.split("#")[0] + "#/admin/invitations")
    await admin.get_by_label("Use limit").fill("5")
    await admin.get_by_role("button", name="Create").click()
    row = admin.locator(".invite-row", has_text="used 0 of 5")
    await expect(row).to_be_visible()
    link = (await row.locator(".invite-code").text_content() or "").strip()
    assert link.startswith(server.url + "/join/")
    await screenshot(admin, "workspace-admin-invitations")

    # The link itself redirects to the page's join dialog.
    async with httpx.AsyncClient() as http:
        response = await http.get(link)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/#/join/")

    newcomer = await open_page("zhaoliu")
    await expect(newcomer.locator(".rail-item[href='#/directory']")).to_be_hidden()
    await newcomer.goto(link)
    dialog = newcomer.get_by_role("dialog", name="Join organization")
    await expect(dialog.locator(".join-card")).to_contain_text("湖畔科技")
    await expect(dialog.locator(".join-card")).to_contain_text("1 people")
    await dialog.get_by_role("button", name="Join", exact=True).click()
    await expect(newcomer.locator(".toast")).to_contain_text("You joined 湖畔科技")
    await expect(newcomer.locator(".org-head-name")).to_have_text("湖畔科技")
    await expect(newcomer.locator(".list-pane .org-root")).to_contain_text("2")

    # The admin sees the use counted, live.
    await expect(admin.locator(".invite-row", has_text="used 1 of 5")).to_be_visible()


async def test_join_approval_and_the_phone_workbench(cast: Cast, open_page) -> None:
    zhang = await cast.person("zhangsan", "张三")
    li = await cast.person("lisi", "李四")
    org = await company(zhang, "湖畔科技", li)
    await zhang.call("PATCH", f"/orgs/{org['id']}", json={"join_approval": True})
    code = (await zhang.call("POST", f"/orgs/{org['id']}/invitations", json={"kind": "code"}))["code"]
    await zhang.call("POST", f"/orgs/{org['id']}/departments", json={"name": "市场部"})
    admin = await open_page("zhangsan", locale="zh-CN")
    await admin.goto(admin.url.split("#")[0] + "#/admin/settings")
    await expect(admin.get_by_label("加入需审批")).to_be_checked()

    # A newcomer on a phone asks to join with the code from the workbench tab.
    await cast.person("zhaoliu", "赵六")
    phone = await open_page("zhaoliu", locale="zh-CN", viewport=PHONE)
    tabs = phone.locator(".rail .rail-item:visible")
    await expect(tabs).to_have_count(5)
    for box in [await tab.bounding_box() for tab in await tabs.all()]:
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    await phone.get_by_role("button", name="工作台").click()
    await phone.locator(".workbench-org").click()
    await phone.get_by_role("menuitem", name="加入组织").click()
    dialog = phone.get_by_role("dialog", name="加入组织")
    await dialog.get_by_label("邀请链接或邀请码").fill(code)
    await dialog.get_by_role("button", name="查找").click()
    await expect(dialog.locator(".join-card")).to_contain_text("加入需管理员审批")
    await dialog.get_by_label("给管理员的留言（选填）").fill("我是新来的市场专员")
    await dialog.get_by_role("button", name="申请加入").click()
    await expect(phone.locator(".toast")).to_contain_text("已向“湖畔科技”提交加入申请")

    # The admin's rail badge counts the request; approving it lets the newcomer in.
    await expect(admin.locator(".rail-item[href='#/admin'] .badge")).to_have_text("1")
    await admin.locator(".admin-nav").get_by_role("link", name="加入申请").click()
    request = admin.locator(".person-row", has_text="赵六")
    await expect(request).to_contain_text("我是新来的市场专员")
    await screenshot(admin, "workspace-admin-requests-zh")
    await request.get_by_role("button", name="通过").click()
    await expect(admin.locator(".rail-item[href='#/admin'] .badge")).to_be_hidden()

    await expect(phone.locator(".toast").last).to_contain_text("申请已通过")
    await phone.get_by_role("button", name="工作台").click()
    await expect(phone.locator(".workbench-org")).to_contain_text("湖畔科技")
    await screenshot(phone, "workspace-phone-workbench-zh")
    await phone.locator(".workbench-tile[href='#/directory']").click()
    await expect(phone.locator(".list-pane .tree-link", has_text="市场部")).to_be_visible()
    await screenshot(phone, "workspace-phone-directory-zh")
    await phone.locator(".list-pane .tree-link", has_text="市场部").click()
    await expect(phone.locator(".main-pane .page-title")).to_have_text("市场部")
    await phone.get_by_role("link", name="返回").click()
    await expect(phone.locator(".list-pane")).to_be_visible()


async def test_admins_edit_profiles_roles_contacts_and_ding_escalation(cast: Cast, open_page) -> None:
    zhang = await cast.person("zhangsan", "张三")
    li = await cast.person("lisi", "李四")
    wang = await cast.person("wangwu", "王五")
    org = await company(zhang, "湖畔科技", li, wang)
    for name in ("研发中心", "市场部"):
        await zhang.call("POST", f"/orgs/{org['id']}/departments", json={"name": name})
    admin = await open_page("zhangsan")
    colleague = await open_page("wangwu", locale="zh-CN")

    # A profile: title, employee number, a hidden work phone, and a department Li leads.
    await admin.goto(admin.url.split("#")[0] + "#/admin/members")
    row = admin.locator(".admin-members .person-row", has_text="李四")
    await row.get_by_role("button", name="Edit").click()
    dialog = admin.get_by_role("dialog", name="Edit 李四")
    await dialog.get_by_label("Title").fill("产品经理")
    await dialog.get_by_label("Employee no.").fill("A001")
    await dialog.get_by_label("Work phone", exact=True).fill("010-12345678")
    await dialog.get_by_label("Hide the work phone from colleagues").check()
    seat = dialog.locator(".seat-row", has_text="市场部")
    await seat.get_by_label("市场部").check()
    await seat.get_by_text("Leader").click()
    await dialog.get_by_role("button", name="Save").click()
    await expect(row).to_contain_text("市场部 (Leader)")  # English brackets on an English page
    await expect(row).to_contain_text("#A001")

    # The owner appoints Wang an admin; Wang's rail gains the admin pages live.
    await (
        admin.locator(".admin-members .person-row", has_text="王五")
        .get_by_role("button", name="Actions for 王五")
        .click()
    )
    await admin.get_by_role("menuitem", name="Make admin").click()
    await expect(
        admin.locator(".admin-members .person-row", has_text="王五").locator(".role-tag")
    ).to_have_text("Admin")
    await expect(colleague.locator(".rail-item[href='#/admin']")).to_be_visible()
    await screenshot(admin, "workspace-admin-members")

    # Colleagues see the card; as an admin Wang sees the hidden phone, marked as hidden.
    await colleague.goto(colleague.url.split("#")[0] + f"#/directory/member/{li.id}")
    card = colleague.locator(".member-card")
    await expect(card).to_contain_text("产品经理")
    await expect(card).to_contain_text("01012345678")
    await expect(card).to_contain_text("对同事隐藏")
    await expect(card.locator(".seat-chip")).to_contain_text("市场部主管")

    # External contacts with tags, searched and filtered.
    await admin.goto(admin.url.split("#")[0] + "#/directory/contacts")
    for name, company_name, tags in (("陈经理", "华东电子", "客户, 上海"), ("刘工", "西湖物流", "供应商")):
        await admin.get_by_role("button", name="Add contact").click()
        form = admin.get_by_role("dialog", name="Add contact")
        await form.get_by_label("Name").fill(name)
        await form.get_by_label("Company").fill(company_name)
        await form.get_by_label("Tags").fill(tags)
        await form.get_by_role("button", name="Save").click()
        await expect(admin.locator(".ext-row", has_text=name)).to_be_visible()
    await admin.locator(".tag-chip", has_text="供应商").click()
    await expect(admin.locator(".ext-row")).to_have_count(1)
    await admin.locator(".tag-chip", has_text="All").click()
    await expect(admin.locator(".ext-row")).to_have_count(2)
    await admin.get_by_role("searchbox", name="Search external contacts").fill("cjl")
    await expect(admin.locator(".ext-row").first).to_contain_text("华东电子")
    await expect(admin.locator(".ext-row")).to_have_count(1)
    await admin.locator(".ext-row").click()
    await expect(admin.get_by_role("dialog", name="陈经理")).to_contain_text("上海")
    await admin.keyboard.press("Escape")

    # DING escalation: in-app after 10 minutes, e-mail after 30; kept after a reload.
    await admin.goto(admin.url.split("#")[0] + "#/admin/ding")
    await admin.locator("#ding-app-on").check()
    await admin.locator("#ding-app").fill("10")
    await admin.locator("#ding-email-on").check()
    await admin.locator("#ding-email").fill("30")
    async with admin.expect_response(
        lambda r: r.url.endswith("/ding-policy") and r.request.method == "PUT"
    ) as put:
        await admin.get_by_role("button", name="Save").click()
    assert (await put.value).ok
    await admin.reload()
    await expect(admin.locator("#ding-app")).to_have_value("10")
    await expect(admin.locator("#ding-email")).to_have_value("30")
    await expect(admin.locator("#ding-sms")).to_be_disabled()
    await screenshot(admin, "workspace-admin-ding")

    await colleague.goto(colleague.url.split("#")[0] + "#/admin/settings")
    await expect(colleague.locator("#set-name")).to_have_value("湖畔科技")
    await screenshot(colleague, "workspace-admin-settings-zh")
