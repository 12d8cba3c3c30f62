"""``hub publish --dry-run`` tells what the run would do, read from the store like the run: an
unchanged item is sent nowhere, a changed one is version N of its 索引号, a new one gets the
next 索引号; each channel renders with that 索引号, so links are those of the real pages."""

from __future__ import annotations

import re

from tests.support import HubRun, write_item


def test_dry_run_matches_the_run(hub_run: HubRun) -> None:
    a = write_item(hub_run.cwd / "a.md", "关于测试甲的通知")
    fresh = hub_run.json("publish", "--dry-run", "a.md")
    assert sorted(p.name for p in hub_run.cwd.iterdir()) == ["a.md", "channels.toml"]
    [entry] = fresh
    assert entry["action"] == "new" and entry["version"] == 1
    assert all(c["sends"] for c in entry["channels"].values())
    portal = entry["channels"]["portal"]["payload"]

    [done] = hub_run.json("publish", "a.md")
    assert done["index_no"] == entry["index_no"]
    [real] = [d for d in done["deliveries"] if d["channel"] == "portal"]
    assert portal["url"] == real["url"]
    page = (hub_run.cwd / "public" / "xxgk" / f"{done['index_no']}.html").read_text("utf-8")
    # The asset paths of the preview are those of the real page.
    assets = re.compile(r'(?:href|src)="([^"]*assets/[^"]*)"')
    assert assets.findall(portal["html"]) == assets.findall(page) != []

    [same] = hub_run.json("publish", "--dry-run", "a.md")
    assert same["action"] == "unchanged" and same["index_no"] == done["index_no"]
    assert not any(c["sends"] for c in same["channels"].values())
    text = hub_run("publish", "--dry-run", "a.md", check=0).stdout
    assert "内容未变化" in text and "第 0 版" not in text and "待分配" not in text

    write_item(a, "关于测试甲的通知", body="改过的正文。")
    write_item(hub_run.cwd / "b.md", "关于测试乙的通知")
    changed, new = hub_run.json("publish", "--dry-run", "a.md", "b.md")
    assert (changed["action"], changed["index_no"], changed["version"]) == (
        "version", done["index_no"], 2)
    assert new["action"] == "new" and new["index_no"] != done["index_no"]
    text = hub_run("publish", "--dry-run", "a.md", "b.md", check=0).stdout
    assert f"将发布索引号 {done['index_no']} 的第 2 版" in text
    assert f"新信息，将分配索引号 {new['index_no']}" in text
    assert "{" not in text  # readable, not raw JSON
    after = hub_run.json("publish", "a.md", "b.md")
    assert [(d["index_no"], d["version"]) for d in after] == [
        (done["index_no"], 2), (new["index_no"], 1)]
