"""The platforms' current rules, end to end through the real ``hub`` command (issue 11, item 5).

Weibo's ``rip``, WeChat's ``publish_id`` as a string with ``msg_data_id`` kept in the receipt, and
the 双公示 second edition, each against the sandbox fakes over real HTTP, as an operator meets
them: ``hub channels``, ``hub publish``, ``hub receipts``, ``hub credit export``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from heze_hub.sandbox import Sandbox
from tests.support import HubRun, write_item

PUBLIC_URL = "https://www.heze.gov.cn"


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox() as sandbox:
        yield sandbox


def configure(run: HubRun, sb: Sandbox, text: str | None = None, **env: str) -> None:
    """The sandbox's ``channels.toml`` (or ``text`` made from it) and its secrets."""
    config = sb.config_toml(public_url=PUBLIC_URL, output_dir="public")
    (run.cwd / "channels.toml").write_text(text if text is not None else config,
                                           encoding="utf-8")
    run.env.update(sb.env())
    run.env.update(env)


# -- Weibo: rip ------------------------------------------------------------------------------------

def test_weibo_without_rip_is_incomplete_and_nothing_is_sent(hub_run: HubRun, sb: Sandbox) -> None:
    config = sb.config_toml(public_url=PUBLIC_URL, output_dir="public")
    assert 'rip = "127.0.0.1"' in config
    configure(hub_run, sb, config.replace('rip = "127.0.0.1"\n', ""))
    item = write_item(hub_run.cwd / "notice.md", "关于2018年秋季学期义务教育招生工作的通知")

    listed = {c["channel"]: c for c in hub_run.json("channels", check=1)}
    assert any("缺少 rip" in p for p in listed["weibo"]["problems"]), listed["weibo"]
    proc = hub_run("publish", str(item), check=2)
    assert "weibo" in proc.stderr and "缺少 rip" in proc.stderr
    assert "未发送任何内容" in proc.stderr
    assert sum(service.count() for service in sb.services.values()) == 0

    # An operator fills it in from the environment; the post then carries it.
    hub_run.env["HUB_CHANNELS__WEIBO__RIP"] = "203.0.113.5"
    hub_run("publish", str(item), "--channel", "weibo", check=0)
    (request,) = sb.weibo.requests
    assert request.form["rip"] == "203.0.113.5"
    assert len(sb.weibo.statuses) == 1


def test_weibo_rip_that_is_not_an_ip_address_is_a_configuration_error(hub_run: HubRun,
                                                                       sb: Sandbox) -> None:
    configure(hub_run, sb, HUB_CHANNELS__WEIBO__RIP="my-server")
    item = write_item(hub_run.cwd / "notice.md", "关于2018年秋季学期义务教育招生工作的通知")
    proc = hub_run("publish", str(item), check=2)
    assert "[channels.weibo] rip" in proc.stderr and "公网 IP 地址" in proc.stderr
    assert "my-server" in proc.stderr
    assert sum(service.count() for service in sb.services.values()) == 0


# -- WeChat: publish_id as a string, msg_data_id in the receipt -----------------------------------

def test_wechat_receipt_keeps_publish_id_and_msg_data_id(hub_run: HubRun, sb: Sandbox) -> None:
    configure(hub_run, sb)
    item = write_item(hub_run.cwd / "notice.md", "关于2018年秋季学期义务教育招生工作的通知")
    hub_run("publish", str(item), "--channel", "wechat", check=0)

    polls = [r.json for r in sb.wechat.requests if r.path == "/cgi-bin/freepublish/get"]
    assert polls and all(isinstance(p["publish_id"], str) for p in polls)
    (publish_id,) = sb.wechat.publishes
    (receipt,) = hub_run.json("receipts", "--channel", "wechat")
    assert receipt["status"] == "published"
    assert receipt["remote_data"]["publish_id"] == publish_id
    assert receipt["remote_data"]["msg_data_id"].isdigit()
    assert receipt["remote_id"] == sb.wechat.publishes[publish_id]["article_id"]
    # The receipt with its new key is still part of a bundle that verifies.
    hub_run("receipts", "export", "bundle", check=0)
    hub_run("verify", "bundle", check=0)
