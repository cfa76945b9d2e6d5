"""To-dos (待办) in the browser: a DING becomes a to-do for its receivers, who mark it done while its
creator watches; a message becomes a to-do from its actions menu; the section on a phone."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.browser.conftest import Cast, Page, expect, screenshot
from tests.browser.test_chat import open_conversation
from tests.browser.test_ding_web import PHONE, company
from tests.browser.test_group_tools_web import message_menu

pytestmark = pytest.mark.browser


async def still(page: Page) -> None:
    """Before a screenshot of a dialog: its opening animation has finished."""
    await page.wait_for_function("() => document.getAnimations().every((a) => a.playState !== 'running')")


async def open_todos(page: Page) -> None:
    """待办 is a work app: a tile of the 工作台 (workbench) sheet, on a wide screen as on a phone."""
    await page.locator(".rail-workbench").click()
    await page.locator(".workbench-tile[href='#/todos']").click()


def tomorrow_at_ten() -> str:
    """Tomorrow 10:00 for a datetime-local input."""
    day = datetime.now() + timedelta(days=1)
    return day.replace(hour=10, minute=0, second=0, microsecond=0).strftime("%Y-%m-%dT%H:%M")


async def test_a_ding_becomes_a_to_do_done_by_each_receiver(cast: Cast, open_page) -> None:
    zhang = await cast.person("zhangsan", "张三")
    li = await cast.person("lisi", "李四")
    wang = await cast.person("wangwu", "王五")
    org = await company(cast, zhang, li, wang)
    ding = await zhang.call(
        "POST",
        f"/orgs/{org['id']}/dings",
        json={"recipient_ids": [li.id, wang.id], "body": "下午三点前提交报销单"},
    )
    a = await open_page("zhangsan")
    b = await open_page("lisi", locale="zh-CN")
    c = await open_page("wangwu")

    # The sender turns the DING into a to-do: its text and its receivers fill the form.
    await a.goto(a.url.split("#")[0] + f"#/ding/{ding['id']}?tab=sent")
    await a.get_by_role("button", name="Make a to-do").click()
    dialog = a.get_by_role("dialog", name="Make a to-do")
    await expect(dialog.get_by_label("Title")).to_have_value("下午三点前提交报销单")
    await expect(dialog.locator(".picker-chip")).to_have_count(2)
    await dialog.get_by_label("Due").fill(tomorrow_at_ten())
    await dialog.get_by_label("Reminder").select_option(label="1 hour before")
    await dialog.get_by_label("Priority").select_option(label="High")
    await still(a)
    await screenshot(a, "todo-from-ding-form")
    await dialog.get_by_role("button", name="Create").click()
    await expect(a.locator(".todo-title")).to_have_text("下午三点前提交报销单")
    await expect(a.locator(".todo-status")).to_have_text("0/2 done")
    await expect(a.locator(".todo-source")).to_contain_text("From a DING")
    await expect(a.locator(".todo-people .ding-person")).to_have_count(2)
    # The creator edits it: the details are Markdown, rendered by the server.
    await a.locator(".todo-actions").get_by_role("button", name="Edit").click()
    editor = a.get_by_role("dialog", name="Edit to-do")
    await expect(editor.get_by_label("Reminder")).to_have_value("60")
    await editor.get_by_label("Details (Markdown)").fill("**发票**贴好再交")
    await editor.get_by_role("button", name="Save").click()
    await expect(a.locator(".todo-description strong")).to_have_text("发票")

    # Li (in Chinese) sees the badge, the to-do in 我的待办, and ticks it off there.
    await expect(b.locator(".rail-workbench .badge")).to_have_text("1")
    await open_todos(b)
    row = b.locator(".todo-row", has_text="下午三点前提交报销单")
    await expect(row.locator(".todo-priority")).to_have_text("重要")
    await expect(row).to_contain_text("来自 张三")
    await screenshot(b, "todo-list-zh")
    await row.get_by_role("button", name="完成").click()
    await expect(b.locator(".toast", has_text="已完成")).to_be_visible()
    await expect(b.locator(".rail-workbench .badge")).to_be_hidden()
    await expect(b.locator(".todo-row")).to_have_count(0)
    await b.locator(".todo-filters").get_by_role("link", name="已完成").click()
    await expect(b.locator(".todo-row", has_text="下午三点前提交报销单")).to_have_count(1)

    # The creator's page follows live.
    await expect(a.locator(".todo-status")).to_have_text("1/2 done")
    await expect(a.locator(".todo-person-state.done")).to_have_count(1)

    # Wang opens it from his list and marks it done on its page: it is done for everyone.
    await open_todos(c)
    await c.locator(".todo-item", has_text="下午三点前提交报销单").click()
    await c.locator(".todo-actions").get_by_role("button", name="Done").click()
    await expect(c.locator(".todo-title")).to_have_class("todo-title done")
    await expect(a.locator(".todo-status")).to_contain_text("Done")
    await expect(a.locator(".todo-person-state.done")).to_have_count(2)
    await a.locator(".todo-tabs").get_by_role("tab", name="Created by me").click()
    await a.locator(".todo-filters").get_by_role("link", name="Done").click()
    await expect(a.locator(".todo-item", has_text="下午三点前提交报销单")).to_have_count(1)
    await screenshot(a, "todo-done-creator")
    filter_ = a.locator(".todo-filters").get_by_label("Priority")
    await filter_.select_option(label="Urgent")
    await expect(a.locator(".todo-row")).to_have_count(0)
    await filter_.select_option(label="High")
    await expect(a.locator(".todo-row")).to_have_count(1)


async def test_a_message_becomes_a_to_do_and_the_phone_lists_it(cast: Cast, open_page) -> None:
    zhang = await cast.person("zhangsan", "张三")
    li = await cast.person("lisi", "李四")
    wang = await cast.person("wangwu", "王五")
    await company(cast, zhang, li, wang)
    group = await cast.group(li, "项目群", zhang, wang)
    await cast.say(li, group, "请张三明天把合同发给客户\n附件在群文件里")
    a = await open_page("zhangsan", locale="zh-CN")
    await open_conversation(a, "项目群")
    await message_menu(a, "请张三明天把合同发给客户", "设为待办")
    dialog = a.get_by_role("dialog", name="设为待办")
    await expect(dialog.get_by_label("标题")).to_have_value("请张三明天把合同发给客户")
    await expect(dialog.get_by_label("详情（支持 Markdown）")).to_have_value(
        "请张三明天把合同发给客户\n附件在群文件里"
    )
    # The candidates are the group's people; the creator is chosen, Wang is added.
    await expect(dialog.locator(".picker-row")).to_have_count(3)
    await dialog.locator(".picker-row", has_text="王五").locator("input").check()
    await expect(dialog.locator(".picker-chip")).to_have_count(2)
    await still(a)
    await screenshot(a, "todo-from-message-form-zh")
    await dialog.get_by_role("button", name="创建").click()
    await expect(a.locator(".todo-title")).to_have_text("请张三明天把合同发给客户")
    await expect(a.locator(".todo-source")).to_have_text("来自消息：打开会话")
    await expect(a.locator(".todo-description")).to_contain_text("附件在群文件里")
    await screenshot(a, "todo-page-zh")

    # Wang, on a phone, finds it through the workbench tile with its badge.
    phone = await open_page("wangwu", locale="zh-CN", viewport=PHONE)
    await expect(phone.locator(".rail-workbench .badge")).to_have_text("1")
    await phone.locator(".rail-workbench").click()
    tile = phone.locator(".workbench-tile[href='#/todos']")
    await expect(tile.locator(".workbench-badge")).to_have_text("1")
    await tile.click()
    await expect(phone.locator(".todo-row")).to_have_count(1)
    await screenshot(phone, "todo-list-phone-zh")
    await phone.locator(".todo-item").click()
    await expect(phone.locator(".todo-title")).to_be_visible()
    await screenshot(phone, "todo-page-phone-zh")
    # A quick add puts a to-do of his own on the list.
    await phone.locator(".back-btn").click()
    await phone.get_by_placeholder("给自己添加待办，回车保存").fill("准备周会材料")
    await phone.get_by_placeholder("给自己添加待办，回车保存").press("Enter")
    await expect(phone.locator(".todo-row")).to_have_count(2)
    await phone.locator(".todo-new").click()
    form = phone.get_by_role("dialog", name="新建待办")
    await expect(form.locator(".picker-chip")).to_have_text("王五×")
    await still(phone)
    await screenshot(phone, "todo-form-phone-zh")
    await form.get_by_role("button", name="取消").click()
