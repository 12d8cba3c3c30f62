"""The platforms' current rules, end to end through the real ``hub`` command (issue 11, item 5).

Weibo's ``rip``, WeChat's ``publish_id`` as a string with ``msg_data_id`` kept in the receipt, and
the 双公示 second edition, each against the sandbox fakes over real HTTP, as an operator meets
them: ``hub channels``, ``hub publish``, ``hub receipts``, ``hub credit export``.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from heze_hub.sandbox import Sandbox
from tests.support import EXAMPLES, HubRun, write_item

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


# -- 双公示, second edition ---------------------------------------------------------------------

REP_ID = "371702197503120010"  # the legal representative's ID number (check character computed)
SECOND_EDITION = (*[f"行政相对人代码_{i}" for i in range(1, 7)], "法定代表人证件类型",
                  "法定代表人证件号码")


def penalty(dest: Path, n: int, **credit: Any) -> Path:
    """Example 05 as penalty number ``n``; ``credit`` overrides its record (None removes)."""
    data = json.loads((EXAMPLES / "05-penalty-environment.json").read_text(encoding="utf-8"))
    number = f"菏环罚字〔2018〕{n}号"
    data["title"] = f"菏泽市环境保护局行政处罚决定书（{number}）"
    data["doc_number"] = data["credit"]["行政处罚决定书文号"] = number
    data["credit"].update(credit)
    data["credit"] = {k: v for k, v in data["credit"].items() if v is not None}
    dest.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return dest


def second_edition(dest: Path, n: int) -> Path:
    return penalty(dest, n, 统一社会信用代码=None, 行政相对人代码_1="91371700MA3C4K2P7T",
                   行政相对人代码_3="MA3C4K2P-7", 法定代表人证件类型="居民身份证",
                   法定代表人证件号码=REP_ID)


def test_second_edition_and_old_name_records_reach_the_platform(hub_run: HubRun,
                                                                sb: Sandbox) -> None:
    configure(hub_run, sb)
    new = second_edition(hub_run.cwd / "new.json", 31)
    old = penalty(hub_run.cwd / "old.json", 32)  # example 05 writes 统一社会信用代码
    hub_run("publish", str(new), str(old), check=0)

    filed = {n: r["record"] for n, r in sb.credit.records.items()}
    new_sent, old_sent = filed["菏环罚字〔2018〕31号"], filed["菏环罚字〔2018〕32号"]
    for sent in (new_sent, old_sent):
        assert all(column in sent for column in SECOND_EDITION)
        assert "统一社会信用代码" not in sent
        assert sent["行政相对人代码_1"] == "91371700MA3C4K2P7T"
    assert (new_sent["行政相对人代码_3"], new_sent["法定代表人证件类型"]) == ("MA3C4K2P7", "身份证")
    assert new_sent["法定代表人证件号码"] == REP_ID  # the platform's record carries it by law
    assert old_sent["法定代表人证件号码"] == ""
    # Every public rendering masks the representative's number.
    public = [p.read_text(encoding="utf-8") for p in (hub_run.cwd / "public").rglob("*")
              if p.is_file()]
    public += [json.dumps(sb.wechat.drafts, ensure_ascii=False),
               json.dumps(sb.weibo.statuses, ensure_ascii=False),
               json.dumps([r.json for r in sb.portal.requests], ensure_ascii=False)]
    assert not any(REP_ID in text for text in public)
    assert any("371702********0010" in text for text in public)


@pytest.mark.parametrize(("change", "field", "rule"), [
    ({"行政相对人代码_1": "91371700MA3C4K2P7T"}, "credit.统一社会信用代码",
     "是行政相对人代码_1的旧名（第一版标准），二者只能填写一个"),
    # The example's code before issue 11: GB 32100 right, the embedded GB 11714 check wrong.
    ({"统一社会信用代码": "91371700MA3C4K2P18"}, "credit.统一社会信用代码",
     "第17位（内含组织机构代码的校验码，GB 11714）错误"),
    ({"统一社会信用代码": None}, "credit.行政相对人代码_1",
     "行政相对人为法人及非法人组织时必填"),
    ({"行政相对人代码_3": "MA3C4K2P8"}, "credit.行政相对人代码_3", "校验码错误：应为 7"),
    ({"法定代表人证件类型": "身份证"}, "credit.法定代表人证件号码", "应同时填写"),
])
def test_bad_second_edition_record_is_refused_before_anything_is_sent(
    hub_run: HubRun, sb: Sandbox, change: dict[str, Any], field: str, rule: str
) -> None:
    configure(hub_run, sb)
    bad = penalty(hub_run.cwd / "bad.json", 33, **change)
    proc = hub_run("publish", str(EXAMPLES / "06-license-construction.md"), str(bad), check=2)
    assert "bad.json" in proc.stderr and f"{field}：" in proc.stderr and rule in proc.stderr
    assert "Traceback" not in proc.stderr
    assert sum(service.count() for service in sb.services.values()) == 0


def test_credit_export_honours_the_channels_column_map(hub_run: HubRun, sb: Sandbox) -> None:
    columns = '[channels.credit.columns]\n"行政相对人代码_1" = "统一社会信用代码"\n' \
              '"法定代表人证件号码" = "法人证件号码"\n'
    config = sb.config_toml(public_url=PUBLIC_URL, output_dir="public")
    configure(hub_run, sb, config + 'upload = "file"\n' + columns)
    hub_run("publish", "--channel", "credit", str(second_edition(hub_run.cwd / "n.json", 34)),
            check=0)
    hub_run("credit", "export", "upload", check=0)
    with (hub_run.cwd / "upload" / "penalty.csv").open(encoding="utf-8-sig", newline="") as f:
        header, row = list(csv.reader(f))
    assert header[2] == "统一社会信用代码" and "法人证件号码" in header
    assert "行政相对人代码_1" not in header and "法定代表人证件号码" not in header
    assert header[3:8] == [f"行政相对人代码_{i}" for i in range(2, 7)]
    assert row[2] == "91371700MA3C4K2P7T" and row[header.index("法人证件号码")] == REP_ID
    assert sb.credit.count() == 0


def test_a_column_map_that_cannot_work_is_a_configuration_error(hub_run: HubRun,
                                                                sb: Sandbox) -> None:
    config = sb.config_toml(public_url=PUBLIC_URL, output_dir="public")
    configure(hub_run, sb, config + '[channels.credit.columns]\n"统一社会信用码" = "代码"\n')
    proc = hub_run("publish", str(penalty(hub_run.cwd / "p.json", 35)), check=2)
    assert "[channels.credit] columns" in proc.stderr
    assert "“统一社会信用码”不是双公示标准字段名" in proc.stderr
    assert sum(service.count() for service in sb.services.values()) == 0
