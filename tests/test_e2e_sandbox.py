"""End to end through the real ``hub`` command against the sandbox fakes (DESIGN §5, §7, §9).

Every test runs ``hub …`` as a subprocess in its own directory, with the ``channels.toml`` the
sandbox writes and the secrets of ``Sandbox.env()`` in the environment; the fakes listen on
127.0.0.1 in this process, so every request the hub made can be inspected here.
"""

from __future__ import annotations

import json
import re
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import feedparser
import pytest

from heze_hub.sandbox import Fault, Sandbox
from tests.support import EXAMPLES, REPO, HubRun, write_item

PUBLIC_URL = "https://www.heze.gov.cn"
STATE = ".hub-sandbox"  # the state_dir of the sandbox configuration
ORG = "11371700MB28581235"  # the org_code of the sandbox configuration

# DESIGN §5.1: the JSON fields of POST /api/articles, exactly.
ARTICLE_FIELDS = {
    "index_no", "version", "title", "department", "doc_number", "written_on", "published_at",
    "category", "topics", "kind", "summary", "body_html", "content_sha256", "interprets",
    "attachments",
}
# DESIGN §5.5: the standard column order of the 双公示 records (second edition).
PARTY_COLUMNS = [
    "行政相对人名称", "行政相对人类别", "行政相对人代码_1", "行政相对人代码_2", "行政相对人代码_3",
    "行政相对人代码_4", "行政相对人代码_5", "行政相对人代码_6", "法定代表人", "法定代表人证件类型",
    "法定代表人证件号码", "证件类型", "证件号码",
]
PENALTY_COLUMNS = [
    *PARTY_COLUMNS,
    "行政处罚决定书文号", "违法行为类型", "违法事实", "处罚依据", "处罚类别", "处罚内容",
    "罚款金额（万元）", "没收违法所得、没收非法财物的金额（万元）", "暂扣或吊销证照名称及编号",
    "处罚决定日期", "处罚有效期", "公示截止期", "处罚机关", "处罚机关统一社会信用代码",
    "数据来源单位", "数据来源单位统一社会信用代码", "备注",
]
LICENSE_COLUMNS = [
    *PARTY_COLUMNS,
    "行政许可决定文书名称", "行政许可决定文书号", "许可类别", "许可证书名称", "许可编号",
    "许可内容", "许可决定日期", "有效期自", "有效期至", "许可机关", "许可机关统一社会信用代码",
    "当前状态", "数据来源单位", "数据来源单位统一社会信用代码", "备注",
]
FULL_ID = "371702198005123010"  # example 08
MASKED_ID = "371702********3010"


def example(prefix: str) -> Path:
    [path] = EXAMPLES.glob(f"{prefix}-*")
    return path


def all_examples() -> list[str]:
    files = sorted(str(p) for p in EXAMPLES.iterdir() if p.suffix in (".md", ".json"))
    assert len(files) == 10, files
    return files


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox() as sandbox:
        yield sandbox


def configure(run: HubRun, sb: Sandbox, extra: str = "", **env: str) -> None:
    """The sandbox's own ``channels.toml`` in ``run.cwd`` and its secrets in the environment.

    ``extra`` is appended (it lands in the last table, ``[channels.credit]``)."""
    text = sb.config_toml(public_url=PUBLIC_URL, output_dir="public")
    (run.cwd / "channels.toml").write_text(text + extra, encoding="utf-8")
    run.env.update(sb.env())
    run.env.update(env)


def requests_made(sb: Sandbox) -> dict[str, int]:
    return {name: service.count() for name, service in sb.services.items()}


def by_channel(deliveries: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {d["channel"]: d for d in deliveries}


def public_texts(run: HubRun, sb: Sandbox) -> dict[str, str]:
    """Everything the hub made public: files under the output dir and what the fakes hold."""
    texts = {
        str(p.relative_to(run.cwd)): p.read_text(encoding="utf-8")
        for p in (run.cwd / "public").rglob("*") if p.is_file()
    }
    texts["wechat drafts"] = json.dumps(sb.wechat.drafts, ensure_ascii=False)
    texts["weibo posts"] = json.dumps(sb.weibo.statuses, ensure_ascii=False)
    texts["portal CMS"] = json.dumps([r.json for r in sb.portal.requests], ensure_ascii=False)
    return texts


# ---------------------------------------------------------------------------------------------
# 1. every example, every channel
# ---------------------------------------------------------------------------------------------
def test_every_example_to_every_channel_of_the_sandbox(hub_run: HubRun, sb: Sandbox) -> None:
    configure(hub_run, sb)
    result = hub_run.json("publish", *all_examples())
    assert len(result) == 10
    index = {Path(r["source"]).name[:2]: r["index_no"] for r in result}
    assert all(re.fullmatch(rf"{ORG}/2018-\d{{5}}", n) for n in index.values())
    channels = {"portal", "portal_static", "rss", "wechat", "weibo", "credit"}
    for r in result:
        ds = by_channel(r["deliveries"])
        # The 12345 hotline takes the policy and its interpretation (examples 02 and 03).
        hotline = {"hotline"} if Path(r["source"]).name[:2] in ("02", "03") else set()
        assert set(ds) == channels | hotline, r
        with_credit = Path(r["source"]).name[:2] in ("05", "06")
        for name, d in ds.items():
            expected = "skipped" if name == "credit" and not with_credit else "published"
            assert d["status"] == expected, (r["source"], d)

    # Portal CMS: one POST per item, bearer token, idempotency key, exactly the §5.1 fields.
    posts = [q for q in sb.portal.requests if q.path == "/api/articles"]
    assert len(posts) == sb.portal.count() == 10
    assert sorted(q.headers["Idempotency-Key"] for q in posts) == sorted(
        f"{n}:1:portal" for n in index.values())
    for q in posts:
        assert q.headers["Authorization"] == f"Bearer {sb.portal.token}"
        assert set(q.json) == ARTICLE_FIELDS
        assert q.status == 201
    cms = {q.json["index_no"]: q.json for q in posts}
    assert cms[index["02"]]["doc_number"] == "菏政发〔2018〕15号"
    assert cms[index["03"]]["interprets"] in (index["02"], "菏政发〔2018〕15号")

    # WeChat: one submit per item; the receipts hold the article URLs.
    assert sb.wechat.submits == sb.wechat.count("/cgi-bin/freepublish/submit") == 10
    assert len(sb.wechat.drafts) == 10
    article_urls = {f"https://mp.weixin.qq.com/s/{p['article_id']}"
                    for p in sb.wechat.publishes.values()}
    receipts = hub_run.json("receipts")
    assert len(receipts) == 62 and [r["seq"] for r in receipts] == list(range(62))
    wechat = [r for r in receipts if r["channel"] == "wechat"]
    assert {r["url"] for r in wechat} == article_urls
    assert {r["status"] for r in wechat} == {"published"}

    # Weibo: idstr (above 2**53) stored as a string, exactly as the fake answered it.
    weibo = [r for r in receipts if r["channel"] == "weibo"]
    assert sorted(r["remote_id"] for r in weibo) == sorted(sb.weibo.statuses)
    assert all(isinstance(r["remote_id"], str) and int(r["remote_id"]) > 2**53 for r in weibo)
    for status in sb.weibo.statuses.values():
        assert PUBLIC_URL + "/xxgk/" in status["text"]

    # Credit: the two records accepted, their record ids in the receipts.
    assert set(sb.credit.records) == {"菏环罚字〔2018〕27号", "菏建许〔2018〕112号"}
    credit = {r["index_no"]: r for r in receipts
              if r["channel"] == "credit" and r["status"] == "published"}
    filed = {n: r["record_id"] for n, r in sb.credit.records.items()}
    assert credit[index["05"]]["remote_id"] == filed["菏环罚字〔2018〕27号"]
    assert credit[index["06"]]["remote_id"] == filed["菏建许〔2018〕112号"]
    # hub status shows the credit platform's record number, not a blank (issue 15).
    status_text = hub_run("status", index["05"], check=0).stdout
    assert filed["菏环罚字〔2018〕27号"] in status_text

    # Static portal: a page per item; policy and interpretation link to each other.
    pages = hub_run.cwd / "public" / "xxgk" / ORG
    for n in index.values():
        assert (pages / f"{n.split('/')[1]}.html").is_file()
    policy = (pages / f"{index['02'].split('/')[1]}.html").read_text(encoding="utf-8")
    interpretation = (pages / f"{index['03'].split('/')[1]}.html").read_text(encoding="utf-8")
    assert f"{index['03'].split('/')[1]}.html" in policy
    assert f"{index['02'].split('/')[1]}.html" in interpretation

    # 12345 hotline: one knowledge-base entry, the policy with its interpretation merged in.
    [entry] = sb.hotline.articles.values()
    assert entry["external_id"] == index["02"] and entry["doc_number"] == "菏政发〔2018〕15号"
    assert entry["interpretation"]["index_no"] == index["03"]
    hot = {r["index_no"]: r for r in receipts if r["channel"] == "hotline"}
    assert hot[index["02"]]["remote_id"] == hot[index["03"]]["remote_id"] == entry["id"]
    assert sb.hotline.created == 1

    # Feeds: valid RSS and Atom, Chinese titles, one entry per item.
    titles = {r["title"] for r in result}
    for name in ("feed.xml", "atom.xml"):
        feed = feedparser.parse((hub_run.cwd / "public" / name).read_bytes())
        assert not feed.bozo, (name, feed.get("bozo_exception"))
        assert {e.title for e in feed.entries} == titles and len(feed.entries) == 10

    # Personal data: masked on the portal, the full number nowhere public; example 07's
    # deputy and distribution list nowhere public.
    page08 = (pages / f"{index['08'].split('/')[1]}.html").read_text(encoding="utf-8")
    assert MASKED_ID in page08
    public = public_texts(hub_run, sb)
    assert "public/feed.xml" in public and "public/atom.xml" in public
    for needle in (FULL_ID, "张某某", "抄送"):
        leaks = [name for name, text in public.items() if needle in text]
        assert not leaks, (needle, leaks)

    # The same publish again: nothing sent, and it says so.
    before = requests_made(sb)
    again = hub_run("publish", *all_examples(), check=0)
    assert requests_made(sb) == before
    assert again.stdout.count("内容未变化") == 10
    assert "本次新发布 0 个投递" in again.stdout
    assert len(hub_run.json("receipts")) == 62


# ---------------------------------------------------------------------------------------------
# 2. killed between the WeChat submit and the end of polling
# ---------------------------------------------------------------------------------------------
def test_wechat_killed_while_polling_then_retry_submits_once(hub_run: HubRun,
                                                             sb: Sandbox) -> None:
    configure(hub_run, sb, HUB_CHANNELS__WECHAT__POLL_INITIAL_WAIT="0.05",
              HUB_CHANNELS__WECHAT__POLL_MAX_WAIT="0.05")
    sb.wechat.polls_until_published = 10**6  # "publishing" for as long as this test cares
    proc = hub_run.popen("publish", "--channel", "wechat", str(example("09")))
    try:
        deadline = time.monotonic() + 20
        while sb.wechat.polls < 2 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        assert sb.wechat.submits == 1 and sb.wechat.polls >= 2
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()

    sb.wechat.polls_until_published = 0  # WeChat finishes publishing in the meantime
    [outcome] = hub_run.json("retry")
    assert outcome["channel"] == "wechat" and outcome["status"] == "published", outcome
    assert sb.wechat.submits == sb.wechat.count("/cgi-bin/freepublish/submit") == 1
    assert len(sb.wechat.drafts) == 1
    [publish] = sb.wechat.publishes.values()
    url = f"https://mp.weixin.qq.com/s/{publish['article_id']}"
    [receipt] = [r for r in hub_run.json("receipts") if r["channel"] == "wechat"]
    assert (receipt["status"], receipt["url"]) == ("published", url)
    assert hub_run.json("retry") == []  # nothing left to do
    assert sb.wechat.submits == 1


def test_wechat_submit_answer_lost_is_unconfirmed_and_never_resent_blindly(
    hub_run: HubRun, sb: Sandbox
) -> None:
    configure(hub_run, sb)
    # WeChat takes the submit, but its answer never arrives.
    sb.wechat.add_fault(Fault(path="/cgi-bin/freepublish/submit", times=1, drop=True,
                              handle=True))
    item = str(example("09"))
    [result] = hub_run.json("publish", "--channel", "wechat", item, check=1)
    [d] = result["deliveries"]
    assert d["status"] == "unconfirmed" and "hub retry --resend" in d["error"]
    assert hub_run.json("retry", check=1)[0]["status"] == "unconfirmed"  # cannot tell: left
    hub_run("retry", "--failed", check=1)  # a permanent-failure retry does not touch it either
    assert sb.wechat.submits == 1
    # An operator checked the account and found nothing published: resend on purpose.
    [outcome] = hub_run.json("retry", "--resend")
    assert outcome["status"] == "published" and sb.wechat.submits == 2
    statuses = [r["status"] for r in hub_run.json("receipts") if r["channel"] == "wechat"]
    assert statuses == ["unconfirmed", "published"]


# ---------------------------------------------------------------------------------------------
# 3. secrets never appear
# ---------------------------------------------------------------------------------------------
def test_secrets_never_appear_anywhere(hub_run: HubRun, sb: Sandbox) -> None:
    # One Weibo delivery at a time, so that both injected failures hit the same item's two
    # attempts (with several in flight they could be spread over two items, both then passing).
    configure(hub_run, sb, HUB_CHANNELS__WEIBO__CONCURRENCY="1",
              HUB_CHANNELS__WEIBO__RETRY__MAX_ATTEMPTS="2",
              HUB_CHANNELS__WEIBO__RETRY__INITIAL_WAIT="0",
              HUB_CHANNELS__WEIBO__RETRY__MAX_WAIT="0",
              HUB_CHANNELS__WECHAT__RETRY__INITIAL_WAIT="0",
              HUB_CHANNELS__WECHAT__RETRY__MAX_WAIT="0")
    secrets = list(sb.env().values())
    # Error paths: the portal CMS echoes the token in a permanent error; WeChat drops the
    # connection of a request whose URL carries an access_token; Weibo fails every attempt.
    sb.portal.add_fault(Fault(path="/api/articles", times=1, status=400,
                              body={"error": f"bad request (token {sb.portal.token})"}))
    sb.wechat.add_fault(Fault(path="/cgi-bin/draft/add", times=1, drop=True))
    sb.weibo.add_fault(Fault(path="/2/statuses/share.json", times=2, status=503,
                             headers={"Retry-After": "0"}))
    files = [str(example(n)) for n in ("05", "07", "08")]
    outputs = [hub_run("publish", *files, check=1)]
    assert [f.fired for s in (sb.portal, sb.wechat, sb.weibo) for f in s.faults] == [1, 1, 2]
    outputs.append(hub_run("status"))
    outputs.append(hub_run("channels", "--check", check=0))
    outputs.append(hub_run("retry", "--json", check=0))  # Weibo: failed for a transient reason
    outputs.append(hub_run("retry", "--failed", "--json", check=0))  # the portal's 400
    outputs.append(hub_run("receipts", "--json"))
    receipts = json.loads(outputs[-1].stdout)
    portal = [r for r in receipts if r["channel"] == "portal"]
    assert [r["status"] for r in portal if r["status"] == "failed"] == ["failed"]
    assert "bad request" in next(r["error"] for r in portal if r["status"] == "failed")
    assert {r["status"] for r in receipts if r["channel"] == "weibo"} == {"failed", "published"}
    assert {r["status"] for r in receipts if r["channel"] == "wechat"} == {"published"}
    bundle = hub_run.cwd / "bundle"
    outputs.append(hub_run("receipts", "export", str(bundle), check=0))
    # The WeChat access tokens the fake issued are secrets too.
    secrets += list(sb.wechat.tokens)
    assert sb.wechat.tokens and all(len(s) >= 8 for s in secrets)

    places: dict[str, bytes] = {}
    for i, proc in enumerate(outputs):
        places[f"{i}: {proc.args[1:3]} stdout"] = proc.stdout.encode()
        places[f"{i}: {proc.args[1:3]} stderr"] = proc.stderr.encode()
    roots = [hub_run.cwd / STATE, bundle, hub_run.cwd / "public"]
    assert (hub_run.cwd / STATE / "hub.log").is_file()
    for root in roots:
        for p in root.rglob("*"):
            if p.is_file():
                places[str(p.relative_to(hub_run.cwd))] = p.read_bytes()
    assert any(name.endswith("hub.db") for name in places)
    leaks = [(name, s[:6]) for name, data in places.items() for s in secrets
             if s.encode() in data]
    assert not leaks, leaks


# ---------------------------------------------------------------------------------------------
# 4. credit (双公示)
# ---------------------------------------------------------------------------------------------
def penalty_copy(dest: Path, **credit: Any) -> Path:
    """Example 05 as a different penalty item; ``credit`` overrides fields of its record."""
    data = json.loads(example("05").read_text(encoding="utf-8"))
    data["title"] = "菏泽市环境保护局行政处罚决定书（菏环罚字〔2018〕28号）"
    data["doc_number"] = "菏环罚字〔2018〕28号"
    data["body"] = "菏泽某化工有限公司第二次违法排污，决定处以罚款。"
    data["credit"].update(credit)
    dest.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return dest


def test_credit_accepted_and_rejected_records(hub_run: HubRun, sb: Sandbox) -> None:
    configure(hub_run, sb)
    # Same 行政处罚决定书文号 as example 05, under another item: the platform says 重复报送.
    twin = penalty_copy(hub_run.cwd / "twin.json", 违法事实="2018年7月20日复查发现设施仍未运行。")
    proc = hub_run("publish", "--json", "--channel", "credit", str(example("05")), str(twin),
                   check=1)
    result = json.loads(proc.stdout)
    statuses = sorted(r["deliveries"][0]["status"] for r in result)
    assert statuses == ["failed", "published"], result
    [record] = sb.credit.records.values()
    receipts = hub_run.json("receipts", "--channel", "credit")
    [ok] = [r for r in receipts if r["status"] == "published"]
    [bad] = [r for r in receipts if r["status"] == "failed"]
    assert ok["remote_id"] == record["record_id"]
    assert "重复报送" in bad["error"]
    assert bad["remote_id"] is None


def test_credit_record_with_a_wrong_uscc_is_refused_before_sending(hub_run: HubRun,
                                                                  sb: Sandbox) -> None:
    configure(hub_run, sb)
    bad = penalty_copy(hub_run.cwd / "bad.json", 统一社会信用代码="91371700MA3C4K2P7U")
    proc = hub_run("publish", str(example("06")), str(bad), check=2)
    assert "bad.json" in proc.stderr and "credit.统一社会信用代码" in proc.stderr
    assert "未发送任何内容" in proc.stderr
    assert sum(requests_made(sb).values()) == 0
    assert not (hub_run.cwd / "public").exists()


def test_credit_manual_upload_export_and_mark(hub_run: HubRun, sb: Sandbox) -> None:
    configure(hub_run, sb, extra='upload = "file"\n')
    result = hub_run.json("publish", "--channel", "credit", str(example("05")),
                          str(example("06")))
    index = {Path(r["source"]).name[:2]: r["index_no"] for r in result}
    assert [r["deliveries"][0]["status"] for r in result] == ["pending", "pending"]
    assert sb.credit.count() == 0

    out = hub_run.cwd / "upload"
    hub_run("credit", "export", str(out), check=0)
    for name, columns, number in (("penalty.csv", PENALTY_COLUMNS, "菏环罚字〔2018〕27号"),
                                  ("license.csv", LICENSE_COLUMNS, "菏建许〔2018〕112号")):
        raw = (out / name).read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), name
        lines = raw[3:].decode("utf-8").splitlines()
        assert lines[0].split(",") == columns
        assert len(lines) == 2 and number in lines[1]

    hub_run("credit", "mark-uploaded", index["05"], "--record-id", "CF-2018-0001", check=0)
    proc = hub_run("credit", "mark-uploaded", index["06"], "--rejected", "许可编号格式不符",
                   check=1)
    assert "拒收" in proc.stdout
    receipts = {r["index_no"]: r for r in hub_run.json("receipts", "--channel", "credit")}
    assert (receipts[index["05"]]["status"], receipts[index["05"]]["remote_id"]) == (
        "published", "CF-2018-0001")
    assert receipts[index["06"]]["status"] == "failed"
    assert "许可编号格式不符" in receipts[index["06"]]["error"]
    assert sb.credit.count() == 0
    # The uploaded record no longer waits for upload.
    hub_run("credit", "export", str(hub_run.cwd / "again"), check=0)
    assert not (hub_run.cwd / "again" / "penalty.csv").exists()


# ---------------------------------------------------------------------------------------------
# 5. receipts, verification, audit, annual report
# ---------------------------------------------------------------------------------------------
def tampered(src: Path, dest: Path, change) -> Path:
    dest.mkdir()
    for name in ("checkpoint", "hub.pub"):
        (dest / name).write_bytes((src / name).read_bytes())
    lines = (src / "receipts.jsonl").read_bytes().splitlines(keepends=True)
    (dest / "receipts.jsonl").write_bytes(b"".join(change(lines)))
    return dest


def alter_byte(lines: list[bytes]) -> list[bytes]:
    line = lines[3]
    at = line.index(b'"attempts":') + len(b'"attempts":')
    digit = line[at:at + 1]
    lines[3] = line[:at] + (b"7" if digit != b"7" else b"8") + line[at + 1:]
    return lines


def delete_line(lines: list[bytes]) -> list[bytes]:
    return lines[:5] + lines[6:]


def swap_lines(lines: list[bytes]) -> list[bytes]:
    lines[2], lines[7] = lines[7], lines[2]
    return lines


def test_receipts_bundle_verify_tamper_known_checkpoint_audit_and_report(
    hub_run: HubRun, sb: Sandbox
) -> None:
    configure(hub_run, sb)
    published = {r["index_no"] for r in hub_run.json("publish", *all_examples())}
    old = hub_run.cwd / "old"
    hub_run("receipts", "export", str(old), check=0)
    jsonl = (old / "receipts.jsonl").read_bytes().splitlines()
    assert len(jsonl) == 62  # 10 items × 6 channels, and the policy and its interpretation
    assert [json.loads(line)["seq"] for line in jsonl] == list(range(62))  # on the hotline
    cases = {
        "altered": tampered(old, hub_run.cwd / "altered", alter_byte),
        "deleted": tampered(old, hub_run.cwd / "deleted", delete_line),
        "swapped": tampered(old, hub_run.cwd / "swapped", swap_lines),
    }
    saved = hub_run.cwd / "checkpoint.old"
    saved.write_bytes((old / "checkpoint").read_bytes())

    def verify(directory: Path, *known: Path, check: int) -> str:
        args = [a for k in known for a in ("--known", str(k))]
        proc = hub_run("verify", str(directory), *args, check=check)
        return proc.stdout + proc.stderr

    with ThreadPoolExecutor(4) as pool:  # read-only commands; each hub start costs ~1 s
        fine = pool.submit(verify, old, check=0)
        broken = {name: pool.submit(verify, d, check=1) for name, d in cases.items()}
        assert "核验通过" in fine.result()
        reports = {name: f.result() for name, f in broken.items()}
    for name, text in reports.items():
        assert "核验未通过" in text, (name, text)
    # The output names the problem.
    assert "根哈希与签名检查点不符" in reports["altered"], reports["altered"]
    assert "少了 1 条" in reports["deleted"] and "缺少 seq 5" in reports["deleted"], reports
    assert "顺序被调换" in reports["swapped"] and "第 3 行" in reports["swapped"], reports

    # Publish more, export again: the old checkpoint is a prefix of the new log.
    more = write_item(hub_run.cwd / "more.md", "菏泽市2018年7月环境空气质量状况",
                      department="菏泽市环境保护局", written_on="2018-08-06", kind="statistics",
                      category="result", topics=["环境保护", "空气质量"],
                      body="2018年7月，全市环境空气质量优良天数为20天。")
    hub_run("publish", str(more), check=0)
    new = hub_run.cwd / "new"
    hub_run("receipts", "export", str(new), check=0)
    assert len((new / "receipts.jsonl").read_bytes().splitlines()) == 68
    assert (new / "receipts.jsonl").read_bytes().startswith((old / "receipts.jsonl").read_bytes())
    with ThreadPoolExecutor(4) as pool:
        forward = pool.submit(verify, new, saved, check=0)
        # A rollback: today's bundle is older than a checkpoint the auditor kept.
        rollback = pool.submit(verify, old, new / "checkpoint", check=1)
        audit = pool.submit(hub_run, "audit", "--year", "2018", "--json", check=1)
        annual = pool.submit(hub_run, "report", "annual", "--year", "2018", "--json", check=0)
        assert "核验通过" in forward.result()
        assert "核验未通过" in rollback.result()
        findings = json.loads(audit.result().stdout)
        table = json.loads(annual.result().stdout)
    late = [f for f in findings if f["rule"] == "proactive-deadline" and f["status"] == "broken"]
    assert {f["index_no"] for f in late} >= published
    assert isinstance(table, list) and table and all(c["year"] == 2018 for c in table)


# ---------------------------------------------------------------------------------------------
# 6. packaging (slow: builds a wheel, ~10–30 s)
# ---------------------------------------------------------------------------------------------
def test_wheel_carries_plugins_templates_and_entry_points(tmp_path: Path) -> None:
    import importlib.util
    import shutil
    import subprocess
    import sys
    import zipfile

    root = REPO
    # A copy of the working tree, so the build leaves no build/ or egg-info in the repository.
    src = tmp_path / "src"
    shutil.copytree(root, src, ignore=shutil.ignore_patterns(
        ".git", ".venv*", ".hub*", "public*", "build", "dist", "*.egg-info", "__pycache__",
        ".pytest_cache", ".ruff_cache", ".benchmarks"))
    site = tmp_path / "site"
    if importlib.util.find_spec("setuptools") and importlib.util.find_spec("wheel"):
        cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
               "--no-build-isolation", "--target", str(site), str(src)]
        subprocess.run(cmd, check=True, capture_output=True, timeout=300)
    else:  # no build backend in this environment: let pip fetch one (build isolation)
        wheels = tmp_path / "wheels"
        cmd = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(wheels),
               str(src)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        [wheel] = wheels.glob("heze_hub-*.whl")
        with zipfile.ZipFile(wheel) as z:
            z.extractall(site)
    for name in ("portal", "rss", "wechat", "weibo", "credit", "hotline", "board", "board_pdf"):
        assert (site / "heze_hub_plugins" / f"{name}.py").is_file(), name
    templates = {p.name for p in (site / "heze_hub" / "portal" / "templates").iterdir()}
    assert templates == {p.name for p in (root / "heze_hub" / "portal" / "templates").iterdir()
                         if p.is_file()}
    [entry_points] = site.glob("heze_hub-*.dist-info/entry_points.txt")
    text = entry_points.read_text(encoding="utf-8")
    group = re.search(r"^\[heze_hub\]\n(.*?)(?:^\[|\Z)", text, re.S | re.M)
    assert group, text
    declared = dict(
        (k.strip(), v.strip()) for k, v in
        (line.split("=", 1) for line in group.group(1).splitlines() if "=" in line)
    )
    assert declared == {n: f"heze_hub_plugins.{n}"
                        for n in ("portal", "rss", "wechat", "weibo", "credit", "hotline",
                                  "board")}
