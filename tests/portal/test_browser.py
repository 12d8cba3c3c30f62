"""The static portal in a real browser (headless Chromium, the system's own): the pages a
citizen opens, at a desktop width and a phone's, from a web server and from file://.

Screenshots are kept in ``tests/artifacts/portal/`` (git-ignored) for a person to look at; the
assertions are what a person would check: whose site it is, nothing cut or scrolled sideways,
identifiers and dates on one line, search working.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import EXAMPLES, REPO, HubRun, init_config

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = REPO / "tests" / "artifacts" / "portal"

playwright_api = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():  # CI installs it (.ci/run); a bare machine skips, saying why
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)

NAME = "菏泽市人民政府"
SITE_CODE = "3717000001"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example items published by a hub named for its organisation."""
    folder = tmp_path_factory.mktemp("portal")
    init_config(folder, name=NAME, site_code=SITE_CODE)
    HubRun(cwd=folder)("publish", *sorted(str(p) for p in EXAMPLES.iterdir()), check=0)
    return folder / "public"


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[str]:
    handler = functools.partial(QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield b
        finally:
            b.close()


PAGES = ["index.html", "xxgk/index.html", "xxgk/371700/2018-00001.html",
         "xxgk/category/result.html", "search.html"]
WIDTHS = [1280, 390]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("path", PAGES)
def test_pages_at_desktop_and_phone_width(browser: object, served: str, path: str,
                                          width: int) -> None:
    page = browser.new_page(viewport={"width": width, "height": 900})  # type: ignore[attr-defined]
    try:
        page.goto(f"{served}/{path}")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = ARTIFACTS / f"{path.replace('/', '_')}-{width}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 1000
        # Whose site: the organisation in the header, the footer and the <title>.
        assert NAME in page.title()
        assert NAME in page.inner_text("header.site")
        footer = page.inner_text("footer.site")
        assert NAME in footer and SITE_CODE in footer
        # Nothing makes the whole page scroll sideways.
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path} at {width}px scrolls sideways by {overflow}px"
        # 索引号 and dates are never wrapped mid-value: each such cell is one line high.
        wrapped = page.evaluate("""() => [...document.querySelectorAll('.nw')].filter(el => {
            const r = document.createRange();
            r.selectNodeContents(el);
            const tops = new Set([...r.getClientRects()].map(x => Math.round(x.top)));
            return tops.size > 1;
        }).map(el => el.textContent)""")
        assert wrapped == [], wrapped
        # The feeds are linked from every page.
        feeds = page.evaluate("""() => [...document.querySelectorAll('link[rel=alternate]')]
            .map(l => l.getAttribute('type'))""")
        assert set(feeds) == {"application/rss+xml", "application/atom+xml"}
    finally:
        page.close()


def test_home_is_not_the_catalogue(browser: object, served: str) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    try:
        page.goto(f"{served}/index.html")
        home_h1 = page.inner_text("h1")
        assert NAME in home_h1
        page.click("header.site nav >> text=信息公开目录")
        assert page.url.endswith("/xxgk/index.html")
        assert page.inner_text("h1") == "信息公开目录" != home_h1
        for link in page.query_selector_all("link[rel=alternate]"):
            href = link.get_attribute("href")
            feed = page.request.get(page.url.rsplit("/", 1)[0] + "/" + href)
            assert feed.ok and f"{NAME} 政府信息公开" in feed.text(), href
    finally:
        page.close()


@pytest.mark.parametrize("how", ["server", "file"])
def test_search_works_served_and_from_file(browser: object, served: str, site: Path,
                                           how: str) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    try:
        base = served if how == "server" else site.as_uri()
        page.goto(f"{base}/search.html")
        page.fill("#q", "召回")
        page.wait_for_function("document.querySelectorAll('#results li').length > 0")
        assert "召回" in page.inner_text("#results")
        assert page.inner_text("#count").startswith("共 ")
        note_shown = page.is_visible("#file-note")
        assert note_shown == (how == "file")
    finally:
        page.close()
