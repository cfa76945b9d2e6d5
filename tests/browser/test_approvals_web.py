"""Approvals (审批) in the browser, in Chinese and English: a 3-day leave filed from the workbench
goes to the direct leader, who approves from the work-notice card in chat, then to HR (the ≥ 3 days
condition), who approves from the request page on a phone, and the applicant sees the outcome; an
expense with lines and an invoice is returned for changes and resubmitted; an admin designs a
template with a condition, and it routes a request by it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import Cast, Member, Page, expect, png, screenshot

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


class Company:
    """湖畔科技: zhangsan owns it; 总部 led by wangwu holds 研发部 led by lisi, where alice works;
    bob is in the 人事 (HR) role, wangwu in 财务 (Finance)."""

    def __init__(self, org: dict[str, Any], people: dict[str, Member]) -> None:
        self.org = org
        self.id = int(org["id"])
        self.people = people
        self.templates: dict[str, dict[str, Any]] = {}
        self.roles: dict[str, int] = {}


async def company(cast: Cast) -> Company:
    people = {
        "zhangsan": await cast.person("zhangsan", "张三"),
        "lisi": await cast.person("lisi", "李四"),
        "wangwu": await cast.person("wangwu", "王五"),
        "alice": await cast.person("alice", "艾丽丝"),
        "bob": await cast.person("bob", "鲍勃"),
    }
    owner = people["zhangsan"]
    org = await owner.call("POST", "/orgs", json={"name": "湖畔科技"})
    invitation = await owner.call("POST", f"/orgs/{org['id']}/invitations", json={"kind": "code"})
    for name in ("lisi", "wangwu", "alice", "bob"):
        joined = await people[name].call("POST", f"/org-invitations/{invitation['code']}/join", json={})
        assert joined["status"] == "joined"
    c = Company(org, people)
    base = f"/orgs/{c.id}"
    hq = await owner.call("POST", f"{base}/departments", json={"name": "总部", "parent_id": None})
    rd = await owner.call("POST", f"{base}/departments", json={"name": "研发部", "parent_id": hq["id"]})
    for department, name, leader in ((hq, "wangwu", True), (rd, "lisi", True), (rd, "alice", False)):
        await owner.call(
            "PUT",
            f"{base}/departments/{department['id']}/members/{people[name].id}",
            json={"is_leader": leader},
        )
    listed = await people["alice"].call("GET", f"{base}/approval-templates")
    c.templates = {t["builtin"]: t for t in listed["templates"]}
    roles = await owner.call("GET", f"{base}/roles")
    c.roles = {r["name"]: r["id"] for r in roles["roles"]}
    await owner.call("PUT", f"{base}/roles/{c.roles['人事']}/members", json={"user_ids": [people["bob"].id]})
    await owner.call(
        "PUT", f"{base}/roles/{c.roles['财务']}/members", json={"user_ids": [people["wangwu"].id]}
    )
    return c


def field(page: Page, key: str) -> Any:
    return page.locator(f".appr-fill .appr-field[data-key='{key}']").first


def step(page: Page, name: str) -> Any:
    return page.locator(".appr-flow .appr-tl-item", has_text=name)


async def open_approvals(page: Page) -> None:
    """审批 is a work app: in the 工作台 (workbench) sheet, on a wide screen as on a phone."""
    await page.locator(".rail-workbench").click()
    await page.locator(".workbench-tile[href='#/approvals']").click()
    await expect(page.locator(".appr-grid .appr-tile").first).to_be_visible()


async def test_leave_of_three_days_leader_from_the_card_then_hr(cast: Cast, open_page) -> None:
    c = await company(cast)
    alice = await open_page("alice", locale="zh-CN")
    lisi = await open_page("lisi")

    # Alice files 请假 from the workbench: three days of annual leave.
    await open_approvals(alice)
    await expect(alice.locator(".appr-tile")).to_contain_text(["请假", "报销", "出差", "采购", "通用审批"])
    await alice.locator(".appr-tile", has_text="请假").click()
    await field(alice, "leave_type").locator("select").select_option("年假")
    await field(alice, "period").locator("input").nth(0).fill("2026-12-14")
    await field(alice, "period").locator("input").nth(1).fill("2026-12-16")
    await expect(field(alice, "period").locator(".appr-duration")).to_have_text("共 3 天")
    await field(alice, "reason").locator("textarea").fill("回老家参加婚礼")
    # The resolved flow follows the values: 3 days brings in HR (鲍勃) after the leader (李四).
    preview = alice.locator(".appr-preview")
    await expect(preview.locator(".appr-tl-item", has_text="直属主管")).to_contain_text("李四")
    await expect(preview.locator(".appr-tl-item", has_text="人事")).to_contain_text("鲍勃")
    await screenshot(alice, "approvals-leave-form-zh")
    await alice.get_by_role("button", name="提交").click()
    await expect(alice.locator(".appr-head .appr-status")).to_have_text("审批中")
    await expect(step(alice, "直属主管")).to_contain_text("李四")

    # Li Si sees the badge, and the card in his work notices; he approves from the card.
    await expect(lisi.locator(".rail-workbench .badge")).to_have_text("1")
    await lisi.locator(".conv-item", has_text="Work notices").click()
    card = lisi.locator(".msg-card").last
    await expect(card).to_contain_text("艾丽丝提交的请假等待你审批")
    await screenshot(lisi, "approvals-leave-card-en")
    await card.get_by_role("button", name="同意").click()
    await expect(card.locator(".card-done")).to_have_text("已同意")
    await expect(lisi.locator(".rail-workbench .badge")).to_be_hidden()
    # The card's title links to the request page, inside the app.
    await card.locator(".card-title a").click()
    await expect(lisi.locator(".appr-head .appr-status")).to_have_text("In progress")
    await expect(step(lisi, "直属主管")).to_contain_text("Approved")
    await expect(step(lisi, "人事")).to_contain_text("Pending")

    # Bob (HR) approves on his phone from the request page, with a comment.
    bob = await open_page("bob", locale="zh-CN", viewport=PHONE)
    await expect(bob.locator(".rail-workbench .badge")).to_have_text("1")
    await bob.locator(".rail-workbench").click()
    await expect(bob.locator(".workbench-tile[href='#/approvals'] .badge")).to_have_text("1")
    await screenshot(bob, "approvals-workbench-phone-zh")
    await bob.locator(".workbench-tile[href='#/approvals']").click()
    await expect(bob.locator(".appr-item")).to_have_count(1)
    await screenshot(bob, "approvals-list-phone-zh")
    await bob.locator(".appr-item").click()
    await expect(bob.locator(".appr-value[data-key='period']")).to_contain_text("共 3 天")
    await screenshot(bob, "approvals-request-phone-zh")
    await bob.locator(".appr-actions").get_by_role("button", name="同意").click()
    dialog = bob.get_by_role("dialog")
    await dialog.locator("textarea").fill("同意，注意交接")
    await dialog.get_by_role("button", name="同意").click()
    await expect(bob.locator(".appr-head .appr-status")).to_have_text("已通过")

    # Alice sees the outcome live, on the page and in her work notices.
    await expect(alice.locator(".appr-head .appr-status")).to_have_text("已通过")
    await expect(alice.locator(".appr-history")).to_contain_text("同意，注意交接")
    await screenshot(alice, "approvals-leave-approved-zh")
    await alice.locator(".rail-item[href='#/chats']").click()
    await alice.locator(".conv-item", has_text="工作通知").click()
    await expect(alice.locator(".msg-card").last).to_contain_text("你提交的请假已通过")
    assert c.templates["leave"]["name"] == "请假"


async def test_an_expense_is_returned_for_changes_and_resubmitted(cast: Cast, open_page, tmp_path) -> None:
    await company(cast)
    alice = await open_page("alice")
    lisi = await open_page("lisi", locale="zh-CN")

    await open_approvals(alice)
    await alice.locator(".appr-tile", has_text="报销").click()
    lines = field(alice, "lines")
    await lines.locator(".appr-row").nth(0).locator("select").select_option("差旅费")
    await lines.locator(".appr-row").nth(0).locator(".appr-field[data-key='amount'] input").fill("1200.50")
    await lines.get_by_role("button", name="Add a line").click()
    await lines.locator(".appr-row").nth(1).locator("select").select_option("交通费")
    await lines.locator(".appr-row").nth(1).locator(".appr-field[data-key='amount'] input").fill("99.5")
    await expect(lines.locator(".appr-total")).to_contain_text("1,300.00")
    # Submitting without the required invoice: the hint is on that field.
    await alice.get_by_role("button", name="Submit").click()
    await expect(field(alice, "invoices").locator(".appr-hint")).to_be_visible()
    invoice = tmp_path / "invoice.pdf"
    invoice.write_bytes(b"%PDF-1.4\n% invoice\n")
    await field(alice, "invoices").locator("input[type=file]").set_input_files(str(invoice))
    await expect(field(alice, "invoices").locator(".appr-file")).to_contain_text("invoice.pdf")
    await expect(field(alice, "invoices").locator(".spinner")).to_have_count(0)
    await field(alice, "reason").locator("textarea").fill("Trip to Hangzhou")
    await expect(alice.locator(".appr-preview .appr-tl-item", has_text="直属主管")).to_contain_text("李四")
    await screenshot(alice, "approvals-expense-form-en")
    await alice.get_by_role("button", name="Submit").click()
    await expect(alice.locator(".appr-head .appr-status")).to_have_text("In progress")
    await expect(alice.locator(".appr-value[data-key='lines']")).to_contain_text("1,300.00")

    # Li Si returns it from the request page, saying what to change.
    await open_approvals(lisi)
    await lisi.locator(".appr-item").first.click()
    await lisi.locator(".appr-actions").get_by_role("button", name="退回").click()
    dialog = lisi.get_by_role("dialog")
    await dialog.locator("textarea").fill("交通费请附上行程单")
    await dialog.get_by_role("button", name="退回").click()
    await expect(lisi.locator(".appr-head .appr-status")).to_have_text("已退回")
    await screenshot(lisi, "approvals-expense-returned-zh")

    # Alice resubmits the form, filled in with what she sent, with the amount changed.
    await expect(alice.locator(".appr-head .appr-status")).to_have_text("Returned")
    await expect(alice.locator(".appr-history")).to_contain_text("交通费请附上行程单")
    await alice.locator(".appr-actions").get_by_role("button", name="Resubmit").click()
    lines = field(alice, "lines")
    await expect(lines.locator(".appr-row")).to_have_count(2)
    amount = lines.locator(".appr-row").nth(1).locator(".appr-field[data-key='amount'] input")
    await expect(amount).to_have_value("99.5")
    await amount.fill("88")
    await expect(lines.locator(".appr-total")).to_contain_text("1,288.50")
    await expect(field(alice, "invoices").locator(".appr-file")).to_have_count(1)
    await alice.get_by_role("button", name="Resubmit").click()
    await expect(alice.locator(".appr-head .appr-status")).to_have_text("In progress")
    await expect(alice.locator(".appr-history")).to_contain_text("resubmitted")

    # Li Si approves; Finance (wangwu) is next.
    await expect(lisi.locator(".appr-head .appr-status")).to_have_text("审批中")
    await lisi.locator(".appr-actions").get_by_role("button", name="同意").click()
    await lisi.get_by_role("dialog").get_by_role("button", name="同意").click()
    await expect(step(lisi, "财务")).to_contain_text("王五")
    await screenshot(alice, "approvals-expense-resubmitted-en")


async def test_the_admin_designs_a_template_with_a_condition(cast: Cast, open_page) -> None:
    c = await company(cast)
    admin = await open_page("zhangsan")
    await open_approvals(admin)
    await admin.get_by_role("link", name="Manage templates").click()
    await expect(admin.locator(".appr-tpl-row")).to_have_count(5)
    await admin.get_by_role("link", name="New template").click()

    await admin.get_by_label("Name", exact=True).fill("用车申请")
    add = admin.get_by_label("Add a field…")
    for kind in ("text", "number", "datetimerange", "image", "department"):
        await add.select_option(kind)
    fields = admin.locator(".appr-d-field")
    await fields.nth(0).get_by_label("Label").fill("目的地")
    await fields.nth(0).get_by_label("Required").check()
    await fields.nth(1).get_by_label("Label").fill("公里数")
    # Step 1: the direct leader; step 2: Finance, only when more than 100 km.
    await admin.get_by_role("button", name="Add a step").click()
    second = admin.locator(".appr-d-step").nth(1)
    await second.get_by_label("Step name").fill("财务")
    await second.get_by_label("Approver kind").select_option("role")
    await second.get_by_label("Role").select_option(label="财务")
    await second.get_by_role("button", name="Add a condition").click()
    await second.get_by_label("Condition field").select_option(label="公里数")
    await second.get_by_label("Operator").select_option(">")
    await second.get_by_label("Value").fill("100")
    await admin.locator(".appr-d-step").nth(0).get_by_label("Step name").fill("直属主管")
    await screenshot(admin, "approvals-designer-en")
    await admin.locator(".appr-d-save").click()
    await expect(admin.locator(".appr-tpl-row", has_text="用车申请")).to_be_visible()

    # Changing 通用审批's form (a detail table with a money column) makes its version 2.
    await admin.locator(".appr-tpl-row", has_text="通用审批").click()
    await expect(admin.locator(".appr-d-field")).to_have_count(3)
    await admin.get_by_label("Add a field…").select_option("table")
    table = admin.locator(".appr-d-field").nth(3)
    await table.get_by_label("Label").first.fill("费用明细")
    await table.get_by_role("button", name="Add a column").click()
    column = table.locator(".appr-d-column").nth(1)
    await column.get_by_label("Label").fill("用途")
    await expect(table.get_by_label("Total of")).to_have_value("amount")
    await screenshot(admin, "approvals-designer-table-en")
    await admin.locator(".appr-d-save").click()
    await expect(admin.locator(".appr-tpl-row", has_text="通用审批")).to_contain_text("Version 2")

    # Alice's form (on her phone) has the new template; 150 km brings in Finance, 50 does not.
    alice = await open_page("alice", locale="zh-CN", viewport=PHONE)
    await open_approvals(alice)
    await alice.locator(".appr-tile", has_text="用车申请").click()
    await field(alice, "f1").locator("input").fill("杭州")
    await field(alice, "f2").locator("input").fill("150")
    preview = alice.locator(".appr-preview")
    await expect(preview.locator(".appr-tl-item", has_text="财务")).to_contain_text("王五")
    await field(alice, "f2").locator("input").fill("50")
    await expect(preview.locator(".appr-tl-item", has_text="财务")).to_have_count(0)
    # A time range counts its hours; a picture and a department go along.
    await field(alice, "f3").locator("input").nth(0).fill("2026-12-21T09:00")
    await field(alice, "f3").locator("input").nth(1).fill("2026-12-21T12:30")
    await expect(field(alice, "f3").locator(".appr-duration")).to_have_text("共 3.5 小时")
    await (
        field(alice, "f4")
        .locator("input[type=file]")
        .set_input_files(files=[{"name": "car.png", "mimeType": "image/png", "buffer": png(40, 30)}])
    )
    await expect(field(alice, "f4").locator(".appr-file")).to_contain_text("car.png")
    await expect(field(alice, "f4").locator(".spinner")).to_have_count(0)
    await field(alice, "f5").locator("select").select_option(label="研发部")
    await screenshot(alice, "approvals-designed-form-zh")
    await alice.get_by_role("button", name="提交").click()
    await expect(alice.locator(".appr-head .appr-status")).to_have_text("审批中")
    await expect(alice.locator(".appr-value[data-key='f3']")).to_contain_text("共 3.5 小时")
    await expect(alice.locator(".appr-value[data-key='f4'] img")).to_have_count(1)
    await expect(alice.locator(".appr-value[data-key='f5']")).to_contain_text("研发部")
    await screenshot(alice, "approvals-designed-request-phone-zh")
    await alice.locator(".appr-page .back-btn").click()
    await expect(alice.locator(".appr-grid")).to_be_visible()
    await alice.locator(".appr-tile", has_text="通用审批").click()
    await expect(alice.locator(".appr-field-table .appr-row")).to_have_count(1)
    await expect(alice.locator(".appr-field-table .appr-row")).to_contain_text("用途")
    assert c.roles["财务"]


async def pick(page: Page, name: str, search: str) -> None:
    dialog = page.get_by_role("dialog").last
    await dialog.locator("input[type=search]").fill(search)
    # The search's own answer, not the first list still arriving (which would redraw the rows and
    # drop the tick): exactly the one person searched for.
    rows = dialog.locator(".picker-row")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text(name)
    box = rows.first.locator("input")
    await box.check()
    await expect(box).to_be_checked()
    await dialog.locator(".modal-actions .btn-primary").click()


async def test_comment_transfer_urge_withdraw_and_a_stale_card(cast: Cast, open_page, tmp_path) -> None:
    c = await company(cast)
    alice_api = c.people["alice"]
    request = await alice_api.call(
        "POST",
        f"/orgs/{c.id}/approvals",
        json={
            "template_id": c.templates["general"]["id"],
            "values": {"title": "申请一台显示器", "detail": "27 寸"},
        },
    )
    lisi = await open_page("lisi")
    await open_approvals(lisi)
    await lisi.locator(".appr-item", has_text="申请一台显示器").click()

    # A rejection needs a reason.
    await lisi.locator(".appr-actions").get_by_role("button", name="Reject").click()
    dialog = lisi.get_by_role("dialog")
    await dialog.get_by_role("button", name="Reject").click()
    await expect(dialog.locator(".appr-hint")).to_have_text("Please give a reason.")
    await dialog.get_by_role("button", name="Cancel").click()

    # A comment with an @mention and an attachment goes into the history.
    await lisi.locator(".appr-comment-input").fill("@艾丽丝 请补充型号")
    spec = tmp_path / "spec.txt"
    spec.write_text("Dell U2723QE\n", encoding="utf-8")
    await lisi.locator(".appr-composer input[type=file]").set_input_files(str(spec))
    await expect(lisi.locator(".appr-composer .appr-file")).to_contain_text("spec.txt")
    await expect(lisi.locator(".appr-composer .spinner")).to_have_count(0)
    await lisi.locator(".appr-composer").get_by_role("button", name="Comment").click()
    entry = lisi.locator(".appr-history-item[data-action='comment']")
    await expect(entry).to_contain_text("@艾丽丝 请补充型号")
    await expect(entry.locator("a")).to_have_text("Attachment 1")

    # 加签: Wang Wu after Li Si, a step of its own.
    await lisi.locator(".appr-actions").get_by_role("button", name="Add approver").click()
    adding = lisi.get_by_role("dialog")
    await adding.get_by_role("button", name="Add people").click()
    await pick(lisi, "王五", "wangwu")
    await expect(adding.locator(".picker-chip")).to_have_text("王五")
    await adding.get_by_label("After me").check()
    await adding.locator(".modal-actions .btn-primary").click()
    await expect(lisi.locator(".appr-flow .appr-tl-item", has_text="Added")).to_contain_text("王五")

    # Transferred to Zhang San: Li Si's buttons go, Zhang San's pending box has it.
    await lisi.locator(".appr-actions").get_by_role("button", name="Transfer").click()
    await pick(lisi, "张三", "zhangsan")
    await expect(lisi.locator(".appr-actions")).to_have_count(0)
    await expect(lisi.locator(".appr-task-transferred")).to_contain_text("李四")
    await expect(lisi.locator(".appr-history-item[data-action='transfer']")).to_contain_text("张三")
    await screenshot(lisi, "approvals-transferred-en")
    zhangsan = await open_page("zhangsan", locale="zh-CN")
    await open_approvals(zhangsan)
    await expect(zhangsan.locator(".appr-item", has_text="申请一台显示器")).to_have_count(1)

    # Alice urges (a DING to Zhang San), then withdraws it.
    alice = await open_page("alice", locale="zh-CN")
    await open_approvals(alice)
    await alice.locator(".appr-tabs .tab[data-box='mine']").click()
    await alice.locator(".appr-item", has_text="申请一台显示器").click()
    await expect(alice.locator(".appr-history")).to_contain_text("请补充型号")
    await alice.locator(".appr-actions").get_by_role("button", name="催办").click()
    await expect(alice.locator(".toast").last).to_contain_text("已 DING 提醒审批人")
    await alice.locator(".appr-actions").get_by_role("button", name="撤销").click()
    await alice.get_by_role("dialog").get_by_role("button", name="撤销").click()
    await expect(alice.locator(".appr-head .appr-status")).to_have_text("已撤销")
    # The list's filters: withdrawn ones, and none approved.
    await alice.get_by_role("button", name="筛选").click()
    await alice.locator(".appr-filters select[name=status]").select_option("withdrawn")
    await expect(alice.locator(".appr-item")).to_have_count(1)
    await alice.locator(".appr-filters select[name=status]").select_option("approved")
    await expect(alice.locator(".appr-list .list-empty")).to_be_visible()
    await screenshot(alice, "approvals-filters-zh")

    # Li Si's card is stale now: its approve button answers with the server's error.
    await lisi.locator(".rail-item[href='#/chats']").click()
    await lisi.locator(".conv-item", has_text="Work notices").click()
    card = lisi.locator(".msg-card", has_text="申请一台显示器").first
    await card.get_by_role("button", name="同意").click()
    await expect(card.locator(".card-action-error")).to_contain_text("no longer waiting for you")
    await screenshot(lisi, "approvals-stale-card-en")
    assert request["status"] == "pending"


async def test_roles_are_managed_from_the_designer(cast: Cast, open_page) -> None:
    await company(cast)
    admin = await open_page("zhangsan", locale="zh-CN")
    await open_approvals(admin)
    await admin.get_by_role("link", name="管理审批模板").click()
    await admin.get_by_role("link", name="角色管理").click()
    hr = admin.locator(".appr-role", has_text="人事")
    await expect(hr).to_contain_text("鲍勃")
    await hr.get_by_role("button", name="添加成员").click()
    await pick(admin, "艾丽丝", "alice")
    await expect(hr.locator(".appr-chip")).to_have_count(2)
    await hr.get_by_role("button", name="移除鲍勃").click()
    await expect(hr.locator(".appr-chip")).to_have_count(1)
    await admin.get_by_role("button", name="新建角色").click()
    await admin.get_by_role("dialog").locator("input").fill("行政")
    await admin.get_by_role("dialog").locator("input").press("Enter")
    await expect(admin.locator(".appr-role", has_text="行政")).to_contain_text("暂无成员")
    await screenshot(admin, "approvals-roles-zh")


async def test_a_trip_with_choices_people_money_and_the_servers_error(cast: Cast, open_page) -> None:
    await company(cast)
    alice = await open_page("alice")
    await open_approvals(alice)
    await alice.locator(".appr-tile", has_text="出差").click()
    await field(alice, "destination").locator("input").fill("杭州")
    await field(alice, "period").locator("input").nth(0).fill("2026-12-21")
    await field(alice, "period").locator("input").nth(1).fill("2026-12-22")
    await expect(field(alice, "period").locator(".appr-duration")).to_have_text("2 days")
    await field(alice, "transport").get_by_label("火车").check()
    await field(alice, "transport").get_by_label("飞机").check()
    await field(alice, "companions").get_by_role("button").click()
    await pick(alice, "鲍勃", "bob")
    await expect(field(alice, "companions").locator(".appr-chip")).to_contain_text("鲍勃")
    await field(alice, "reason").locator("textarea").fill("客户拜访")
    # A negative budget passes the browser; the server's refusal shows on that field.
    await field(alice, "budget").locator("input").fill("-5")
    await alice.get_by_role("button", name="Submit").click()
    await expect(field(alice, "budget").locator(".appr-hint")).to_be_visible()
    await expect(field(alice, "reason").locator(".appr-hint")).to_be_hidden()
    await screenshot(alice, "approvals-trip-error-en")
    await field(alice, "budget").locator("input").fill("3000")
    await alice.get_by_role("button", name="Submit").click()
    await expect(alice.locator(".appr-head .appr-status")).to_have_text("In progress")
    values = alice.locator(".appr-values")
    await expect(values.locator(".appr-value[data-key='budget']")).to_contain_text("3,000.00")
    await expect(values.locator(".appr-value[data-key='transport']")).to_contain_text("飞机")
    await expect(values.locator(".appr-value[data-key='companions']")).to_contain_text("鲍勃")
    await expect(values.locator(".appr-value[data-key='period']")).to_contain_text("2 days")
    await screenshot(alice, "approvals-trip-en")


async def test_a_long_list_pages_and_filters_by_template(cast: Cast, open_page) -> None:
    c = await company(cast)
    alice_api = c.people["alice"]
    for number in range(32):
        await alice_api.call(
            "POST",
            f"/orgs/{c.id}/approvals",
            json={
                "template_id": c.templates["general"]["id"],
                "values": {"title": f"事项 {number}", "detail": "-"},
            },
        )
    lisi = await open_page("lisi", locale="zh-CN")
    await open_approvals(lisi)
    await expect(lisi.locator(".appr-item")).to_have_count(30)
    await lisi.get_by_role("button", name="加载更多").click()
    await expect(lisi.locator(".appr-item")).to_have_count(32)
    await expect(lisi.get_by_role("button", name="加载更多")).to_be_hidden()
    await lisi.get_by_role("button", name="筛选").click()
    await lisi.locator(".appr-filters select[name=template_id]").select_option(label="请假")
    await expect(lisi.locator(".appr-list .list-empty")).to_have_text("没有待你审批的申请。")
    await lisi.locator(".appr-filters select[name=template_id]").select_option(label="通用审批")
    await expect(lisi.locator(".appr-item")).to_have_count(30)
