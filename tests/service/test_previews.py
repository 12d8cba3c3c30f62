"""What the 提交 page shows of each channel (DESIGN §13): WeChat's title and digest against their
limits, Weibo's text with its count, the portal page, the feed's entry as JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from heze_hub.config import load_config
from heze_hub.hub import Hub
from heze_hub.service.accounts import Account
from heze_hub.service.previews import channel_previews, weibo_count
from heze_hub.service.submit import Upload, stage
from tests.service.served import DEPT, item_json

CONFIG = """
[hub]
state_dir = ".hub"
org_code = "371700"
public_url = "http://portal.example"

[channels.portal]
output_dir = "public"

[channels.rss]
output_dir = "public"

[channels.wechat]
appid = "wx0000000000000000"
api_base = "http://127.0.0.1:9"

[channels.weibo]
api_base = "http://127.0.0.1:9"
rip = "10.0.0.1"
"""


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Hub]:
    (tmp_path / "channels.toml").write_text(CONFIG, encoding="utf-8")
    monkeypatch.setenv("HUB_CHANNELS__WECHAT__SECRET", "preview-secret")
    monkeypatch.setenv("HUB_CHANNELS__WEIBO__ACCESS_TOKEN", "preview-token")
    h = Hub(load_config(str(tmp_path / "channels.toml")))
    try:
        yield h
    finally:
        h.close()


def test_weibo_counts_ascii_as_half() -> None:
    assert weibo_count("通知") == 2
    assert weibo_count("ab") == 1
    assert weibo_count("abc") == 2
    assert weibo_count("http://portal.example/x") == 12


def test_every_channel_is_shown_as_it_will_publish(hub: Hub) -> None:
    title = "关于做好2018年全市普通高中招生工作有关事项及报名时间安排的补充通知（第二次修订）"
    body = "为做好招生工作，现将有关事项通知如下。" * 12
    account = Account("dept", "department", (DEPT,))
    staged = stage(hub, [Upload("item.json", json.dumps(item_json(title, body=body),
                                                         ensure_ascii=False).encode(), True)],
                   account)
    try:
        shown = channel_previews(hub, staged.prepared[0])
    finally:
        staged.discard()
    assert set(shown) == {"portal", "rss", "wechat", "weibo"}
    wechat = shown["wechat"]
    assert wechat["kind"] == "wechat"
    assert wechat["title_len"] <= wechat["title_max"] == 32 < len(title)  # cut to the limit
    assert 0 < wechat["digest_len"] <= wechat["digest_max"] == 128
    weibo = shown["weibo"]
    assert weibo["kind"] == "weibo" and weibo["count"] == weibo_count(weibo["text"]) <= 140
    assert "http://portal.example/" in weibo["text"]
    assert shown["portal"]["kind"] == "portal" and title in shown["portal"]["html"]
    assert shown["rss"]["kind"] == "json" and json.loads(shown["rss"]["text"])
    assert "preview-secret" not in json.dumps(shown, ensure_ascii=False)
    assert not staged.folder.exists()  # a preview keeps nothing
