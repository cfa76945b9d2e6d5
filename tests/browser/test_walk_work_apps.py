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
