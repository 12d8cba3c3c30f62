"""The service in a real browser (headless Chromium through Playwright, DESIGN §13): a department
logs in, fills the form, sees a message beside its field, fixes it, previews, submits, and finds
the item on the static portal and in 我的信息; an auditor downloads a bundle that verifies.

Screenshots of the main pages are kept in tests/artifacts/service/ (not committed).
"""

from __future__ import annotations

import os
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.service.served import DEPT, PASSWORD, Served
from tests.support import REPO, HubRun

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = REPO / "tests" / "artifacts" / "service"
# Skipped only outside CI: .ci/run installs chromium, so there a missing browser fails the run.
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"),
                                reason="Debian's chromium is not installed (.ci/run installs it)")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield b
        finally:
            b.close()


def _page(browser: object, width: int = 1200) -> object:
    context = browser.new_context(viewport={"width": width, "height": 900},  # type: ignore[attr-defined]
                                  accept_downloads=True, locale="zh-CN")
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.dialogs = dialogs
    return page


def _login(page: object, served: Served, user: str) -> None:
    page.goto(served.url + "/login")  # type: ignore[attr-defined]
    page.get_by_label("用户名").fill(user)  # type: ignore[attr-defined]
    page.get_by_label("密码").fill(PASSWORD)  # type: ignore[attr-defined]
    page.get_by_role("button", name="登录").click()  # type: ignore[attr-defined]


def _shot(page: object, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def test_department_publishes_from_the_browser(served: Served, browser: object,
                                               tmp_path: Path) -> None:
    attachment = tmp_path / "报名表.csv"
    attachment.write_text("姓名,学校\n", encoding="utf-8")
    page = _page(browser)
    _login(page, served, "dept")
    page.wait_for_url("**/submit")
    _shot(page, "01-submit-form")
    title = page.get_by_label("标题", exact=False).first
    title.fill("关于浏览器提交<script>alert(1)</script>的通知")
    page.locator("#f-written_on").fill("2018-06-01")
    page.locator("#f-category").select_option("service")
    page.locator("#f-topics").fill("教育\n招生")
    page.locator("#f-body").fill("为做好招生工作，现将有关事项通知如下。\n\n**报名时间**：六月。")
    page.get_by_role("button", name="预览").click()
    # The kind was left out: the message stands beside that field.
    error = page.locator("#err-kind")
    assert error.is_visible() and "kind" in error.inner_text()
    assert page.locator("#f-kind").get_attribute("aria-invalid") == "true"
    _shot(page, "02-validation-message")
    page.locator("#f-kind").select_option("notice")
    page.get_by_role("button", name="预览").click()
    assert page.locator("#preview-portal").is_visible()
    assert page.locator("#preview-rss").is_visible()
    assert page.locator("#err-kind").count() == 0
    _shot(page, "03-preview")
    page.locator("#f-attachment_0").set_input_files(str(attachment))
    page.locator("#f-attachment_title_0").fill("报名表")
    page.get_by_role("button", name="提交发布").click()
    index_no = page.locator(".index-no").first.inner_text()
    assert index_no.startswith("371700/2018-")
    _shot(page, "04-submitted")
    served.wait_delivered(index_no)
    # On the static portal, as a reader sees it.
    portal = served.folder / "public" / "xxgk" / f"{index_no}.html"
    page.goto(portal.as_uri())
    assert "关于浏览器提交" in page.locator("h1").first.inner_text()
    assert "报名表" in page.content()
    _shot(page, "05-portal-page")
    # In 我的信息, published on every channel, readable on a 390 px phone.
    phone = _page(browser, width=390)
    _login(phone, served, "dept")
    phone.goto(served.url + "/mine")
    item = phone.locator("section.item", has_text=index_no)
    assert item.is_visible() and item.locator("td", has_text="已发布").count() == 2
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    _shot(phone, "06-mine-390px")
    phone.goto(served.url + "/submit")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    _shot(phone, "07-submit-390px")
    assert page.dialogs == [] and phone.dialogs == []  # the script in the title stayed text


def test_auditor_downloads_a_bundle_that_verifies(served: Served, browser: object,
                                                  tmp_path: Path) -> None:
    served.api("POST", "/api/items", "dept", json={
        "title": "关于审计下载的通知", "department": DEPT, "written_on": "2018-06-01",
        "kind": "notice", "category": "service", "body": "正文。"})
    served.quiet()
    page = _page(browser)
    _login(page, served, "aud")
    page.wait_for_url("**/receipts")
    assert page.get_by_role("link", name="提交").count() == 0  # not an auditor's page
    _shot(page, "08-receipts")
    with page.expect_download() as download:
        page.get_by_role("link", name="下载审计包").click()
    zipped = tmp_path / "bundle.zip"
    download.value.save_as(zipped)
    with zipfile.ZipFile(zipped) as zf:
        zf.extractall(tmp_path / "bundle")
    HubRun(cwd=tmp_path)("verify", "bundle", check=0)
    page.locator("table a").first.click()
    assert page.locator("#proof").is_visible()
    _shot(page, "09-receipt-proof")
    page.goto(served.url + "/audit?year=2018")
    _shot(page, "10-audit")
    page.goto(served.url + "/report?year=2018")
    _shot(page, "11-annual-report")
    assert page.locator("h1").inner_text().startswith("政府信息公开工作年度报告")
