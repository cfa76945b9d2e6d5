"""A new user's walk of issue 15's work apps (审批, 日志, 待办) in the browser, in Chinese and English:
what the walk found broken, pinned so it stays fixed."""

from __future__ import annotations

import pytest

from tests.browser.conftest import Cast, expect, screenshot

pytestmark = pytest.mark.browser

# What each work app's tile is called in the 工作台 sheet, and what its page shows once open.
APPS = {
    "zh-CN": {"approvals": "审批", "reports": "日志", "todos": "待办"},
    "en-US": {"approvals": "Approvals", "reports": "Reports", "todos": "To-dos"},
}
MOUNTED = {
    "approvals": ".appr-grid .appr-tile",
    "reports": ".reports-scroll",
    "todos": ".todo-list",
}


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
async def test_the_app_boots_and_each_work_app_opens_from_the_workbench(
    cast: Cast, open_page, locale: str
) -> None:
    """Merging the three apps once left views/shell.js unparseable: every log-in ended on
    «无法连接到 lakeside。». The shell mounts, and 审批, 日志 and 待办 each open from the workbench."""
    owner = await cast.person("zhangsan", "张三")
    await owner.call("POST", "/orgs", json={"name": "湖畔科技"})
    page = await open_page("zhangsan", locale=locale)
    await expect(page.locator(".boot-error")).to_have_count(0)
    for name, label in APPS[locale].items():
        await page.locator(".rail-workbench").click()
        tile = page.locator(f".workbench-tile[href='#/{name}']")
        await expect(tile).to_contain_text(label)
        await tile.click()
        await expect(page.locator(MOUNTED[name]).first).to_be_visible()
    await screenshot(page, f"walk-work-apps-todos-{locale}")


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
async def test_a_report_attachment_shows_its_file_name_and_can_be_taken_off(
    cast: Cast, open_page, locale: str, tmp_path
) -> None:
    """Writing 日报, an attached file showed as its raw storage id, under the browser's own
    «Choose Files» (English in the Chinese UI); the button is in the app's words, a file shows its
    name, and a wrongly picked file can be removed before sending."""
    owner = await cast.person("zhangsan", "张三")
    await owner.call("POST", "/orgs", json={"name": "湖畔科技"})
    page = await open_page("zhangsan", locale=locale)
    await page.locator(".rail-workbench").click()
    await page.locator(".workbench-tile[href='#/reports']").click()
    await page.locator(".reports-tab[data-tab='write']").click()
    await page.locator(".reports-template[data-template='daily']").click()
    add = "添加附件" if locale == "zh-CN" else "Add files"
    await expect(page.locator(".reports-upload .reports-add-file")).to_have_text(add)
    await expect(page.locator(".reports-upload input[type=file]")).to_be_hidden()
    first = tmp_path / "周报 附件.pdf"
    first.write_bytes(b"%PDF-1.4\n% weekly\n")
    second = tmp_path / "wrong.txt"
    second.write_bytes(b"not this one")
    await page.locator(".reports-upload input[type=file]").set_input_files([str(first), str(second)])
    files = page.locator(".reports-upload .reports-files li")
    await expect(files).to_have_count(2)
    await expect(files.nth(0)).to_contain_text("周报 附件.pdf")
    await expect(files.nth(1)).to_contain_text("wrong.txt")
    await screenshot(page, f"walk-work-apps-report-files-{locale}")
    remove = "移除" if locale == "zh-CN" else "Remove"
    await files.nth(1).get_by_role("button", name=f"{remove} wrong.txt").click()
    await expect(files).to_have_count(1)
    await expect(files.first).to_contain_text("周报 附件.pdf")


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
async def test_an_admin_exports_a_template_s_requests_to_csv_from_the_filters(
    cast: Cast, open_page, locale: str
) -> None:
    """The CSV export (for a spreadsheet, Chinese intact) had no way in from the app: an admin who
    picks a template in 筛选 gets 导出 CSV, which downloads that template's requests as filtered."""
    owner = await cast.person("zhangsan", "张三")
    org = await owner.call("POST", "/orgs", json={"name": "湖畔科技"})
    templates = await owner.call("GET", f"/orgs/{org['id']}/approval-templates")
    leave = next(t for t in templates["templates"] if t["builtin"] == "leave")
    page = await open_page("zhangsan", locale=locale)
    await page.locator(".rail-workbench").click()
    await page.locator(".workbench-tile[href='#/approvals']").click()
    await page.locator(".appr-filter-btn").click()
    export = page.locator(".appr-filters .appr-export")
    await expect(export).to_be_hidden()
    await page.locator(".appr-filters select[name='template_id']").select_option(str(leave["id"]))
    await expect(export).to_have_text("导出 CSV" if locale == "zh-CN" else "Export CSV")
    await screenshot(page, f"walk-work-apps-export-{locale}")
    async with page.expect_download() as info:
        await export.click()
    download = await info.value
    body = (await download.path()).read_bytes().decode("utf-8")
    assert body.startswith("\ufeff审批编号,")


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
async def test_the_comment_button_lines_up_with_add_attachment(cast: Cast, open_page, locale: str) -> None:
    """Under a request, 评论 sat higher than 添加附件 beside it: the empty file list above the add
    button still took its gap. The two buttons share their top edge."""
    owner = await cast.person("zhangsan", "张三")
    org = await owner.call("POST", "/orgs", json={"name": "湖畔科技"})
    templates = await owner.call("GET", f"/orgs/{org['id']}/approval-templates")
    general = next(t for t in templates["templates"] if t["builtin"] == "general")
    await owner.call(
        "POST",
        f"/orgs/{org['id']}/approvals",
        json={"template_id": general["id"], "values": {"title": "申请一台显示器", "detail": "27 寸"}},
    )
    page = await open_page("zhangsan", locale=locale)
    await page.locator(".rail-workbench").click()
    await page.locator(".workbench-tile[href='#/approvals']").click()
    await page.locator(".tab[data-box='mine']").click()
    await page.locator(".appr-item", has_text="申请一台显示器").click()
    foot = page.locator(".appr-composer-foot")
    await expect(foot).to_be_visible()
    add = await foot.locator(".appr-upload").bounding_box()
    send = await foot.locator("button[type=submit]").bounding_box()
    assert add is not None and send is not None
    assert abs(add["y"] - send["y"]) < 1
    await screenshot(page, f"walk-work-apps-composer-{locale}")
