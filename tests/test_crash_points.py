"""A ``kill -9`` at any step of a delivery loses nothing and sends nothing twice (DESIGN §6).

The matrix: for every built-in channel (against the sandbox's fakes where it has a remote) and
every crash point of :mod:`heze_hub.delivery.crash` — each time a publication of one item (two
penalties, in one batch, for the credit platform) reaches it — the real ``hub publish`` is
killed there (``HUB_TEST_CRASH_AT``), then ``hub retry`` runs without it. A withdrawal
(``hub withdraw``, DESIGN §12) is killed at each of its crash points the same way, and must end
``withdrawn`` with exactly one receipt and nothing left on the remote. Afterwards every
delivery is ``published`` and the remote holds each item exactly once, or — only where the kill
fell between a creating call's send mark and the record of its answer — ``unconfirmed``, with
the remote holding it at most once; the receipt log is signed up to its last receipt, exports
and verifies.

The cases run a few at a time in background threads (each in its own directory, with its own
sandbox), started by a fixture for the cases pytest selected; each test waits for its own case.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import sqlite3
import tempfile
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from heze_hub.delivery.crash import ENV, STEPS, TRACE
from heze_hub.receipts.verify import verify_bundle
from heze_hub.sandbox import Sandbox
from tests.support import EXAMPLES, HubRun

PUBLIC_URL = "https://www.heze.gov.cn"
STATE = ".hub-sandbox"  # the state_dir of the sandbox configuration
WORKERS = min(4, (os.cpu_count() or 2) + 1)  # cases mostly wait on their processes

#: How often a publication reaches each crash point, per channel: the matrix. Every channel
#: publishes one item, but the credit channel two, which it sends in one batch.
REACHED: dict[str, dict[str, int]] = {
    "portal": {"before-claim": 1, "after-claim": 1, "before-send": 1, "after-send": 1,
               "before-finish": 1, "after-finish": 1, "after-deliveries": 1},
    "wechat": {"before-claim": 1, "after-claim": 1, "before-mark": 1, "after-mark": 1,
               "before-send": 5, "after-send": 5, "before-save": 2, "after-save": 2,
               "before-finish": 1, "after-finish": 1, "after-deliveries": 1},
    "weibo": {"before-claim": 1, "after-claim": 1, "before-send": 1, "after-send": 1,
              "before-finish": 1, "after-finish": 1, "after-deliveries": 1},
    "credit": {"before-claim": 2, "after-claim": 2, "before-mark": 2, "after-mark": 2,
               "before-send": 1, "after-send": 1, "before-finish": 2, "after-finish": 2,
               "after-deliveries": 1},
    "portal_static": {"before-claim": 1, "after-claim": 1, "before-finish": 1,
                      "after-finish": 1, "after-deliveries": 1},
    "rss": {"before-claim": 1, "after-claim": 1, "before-finish": 1, "after-finish": 1,
            "after-deliveries": 1},
}
CASES = [(channel, step, nth) for channel, steps in REACHED.items()
         for step, count in steps.items() for nth in range(1, count + 1)]
#: The same for a withdrawal (``hub withdraw``) of what was published (DESIGN §12): no send marks
#: (a withdrawal creates nothing); WeChat fetches its token, then deletes.
WITHDRAW_REACHED: dict[str, dict[str, int]] = {
    "portal": {"before-claim": 1, "after-claim": 1, "before-send": 1, "after-send": 1,
               "before-finish": 1, "after-finish": 1, "after-deliveries": 1},
    "wechat": {"before-claim": 1, "after-claim": 1, "before-send": 2, "after-send": 2,
               "before-finish": 1, "after-finish": 1, "after-deliveries": 1},
    "weibo": {"before-claim": 1, "after-claim": 1, "before-send": 1, "after-send": 1,
              "before-finish": 1, "after-finish": 1, "after-deliveries": 1},
    "credit": {"before-claim": 2, "after-claim": 2, "before-send": 2, "after-send": 2,
               "before-finish": 2, "after-finish": 2, "after-deliveries": 1},
    "portal_static": {"before-claim": 1, "after-claim": 1, "before-finish": 1,
                      "after-finish": 1, "after-deliveries": 1},
    "rss": {"before-claim": 1, "after-claim": 1, "before-finish": 1, "after-finish": 1,
            "after-deliveries": 1},
}
WITHDRAW_CASES = [(channel, step, nth) for channel, steps in WITHDRAW_REACHED.items()
                  for step, count in steps.items() for nth in range(1, count + 1)]
#: The credit channel's two records go in one batch, whatever the machine's load.
CRASH_RUN_ENV = {"HUB_CHANNELS__CREDIT__BATCH_SIZE": "2", "HUB_CHANNELS__CREDIT__BATCH_WINDOW": "5"}
SUBMIT = "/cgi-bin/freepublish/submit"


def penalty_items(channel: str, where: Path) -> list[str]:
    """Example 05 (every channel takes it); for the credit channel also a second penalty."""
    first = EXAMPLES / "05-penalty-environment.json"
    if channel != "credit":
        return [str(first)]
    data = json.loads(first.read_text(encoding="utf-8"))
    data["title"] = "菏泽市环境保护局行政处罚决定书（菏环罚字〔2018〕28号）"
    data["doc_number"] = data["credit"]["行政处罚决定书文号"] = "菏环罚字〔2018〕28号"
    data["body"] = "菏泽某化工有限公司第二次违法排污，决定处以罚款。"
    second = where / "second.json"
    second.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return [str(first), str(second)]


# ---------------------------------------------------------------------------------------------
# One case
# ---------------------------------------------------------------------------------------------
@dataclass
class Kill:
    """The line a killed process wrote: which step, which delivery, what detail."""

    step: str
    key: str
    detail: str


@dataclass
class Case:
    """What one case left behind, for its test to judge."""

    kill: Kill
    first: dict[str, str]  # idempotency key → status after the first hub retry
    deliveries: dict[str, dict[str, Any]]  # idempotency key → the row at the end
    receipts: list[dict[str, Any]]
    held: Counter[str]  # index_no → how many times the remote (or the output) holds the item
    drafts: Counter[str] = field(default_factory=Counter)  # WeChat: drafts per index_no
    resent: bool = False  # WeChat: hub retry --resend was run after an unconfirmed delivery
    problems: list[str] = field(default_factory=list)


def kill_line(stderr: str) -> Kill | None:
    for line in stderr.splitlines():
        parts = line.split("\t")
        if parts[:2] == [ENV, "kill"] and len(parts) == 6:
            return Kill(parts[2], parts[4], parts[5])
    return None


def run_case(channel: str, step: str, nth: int) -> Case:
    """Publish to ``channel``, killed at ``step`` the ``nth`` time; then hub retry."""
    with tempfile.TemporaryDirectory(prefix="crash-") as tmp, Sandbox() as sb:
        cwd = Path(tmp)
        sb.wechat.polls_until_published = 0  # one status poll per publication
        (cwd / "channels.toml").write_text(
            sb.config_toml(public_url=PUBLIC_URL, output_dir="public"), encoding="utf-8")
        hub = HubRun(cwd=cwd, env=dict(sb.env()))
        killed = HubRun(cwd=cwd, env={**sb.env(), **CRASH_RUN_ENV,
                                      ENV: f"{step}:{channel}:{nth}"})
        proc = killed("publish", "--channel", channel, *penalty_items(channel, cwd))
        kill = kill_line(proc.stderr)
        assert proc.returncode == -signal.SIGKILL and kill is not None, (
            proc.returncode, proc.stdout, proc.stderr)
        hub("retry", "--json")
        store = cwd / STATE / "hub.db"
        deliveries, receipts = read_store(store)
        case = Case(kill, {k: d["status"] for k, d in deliveries.items()}, deliveries, receipts,
                    held(sb, channel, cwd, store))
        if channel == "wechat":
            case.drafts = Counter(_wechat_item(sb, media_id) for media_id in sb.wechat.drafts)
            unsure = [d for d in deliveries.values() if d["status"] == "unconfirmed"]
            # WeChat cannot tell; an operator checks the account. Here the fake tells whether
            # the submit landed, and only where it did not is the resend asked for.
            if unsure and not any(case.held[d["index_no"]] for d in unsure):
                hub("retry", "--resend", "--json", check=0)
                case.resent = True
                case.deliveries, case.receipts = read_store(store)
                case.held = held(sb, channel, cwd, store)
        case.problems += receipt_log_problems(hub, store, cwd / "bundle")
        return case


def receipt_log_problems(hub: HubRun, store: Path, bundle: Path) -> list[str]:
    """After the recovery: is every receipt under a signed checkpoint, and does the log verify?

    The bundle is exported by ``hub receipts export``; it is checked by the function ``hub
    verify`` runs (a process less per case), against the hub's published key and with every
    checkpoint the hub signed so far, before the crash too, as one an auditor kept.
    """
    problems = []
    with _connect(store) as conn:
        count = conn.execute("SELECT count(*) FROM receipts").fetchone()[0]
        notes = [n for (n,) in conn.execute("SELECT note FROM checkpoints ORDER BY id")]
    signed = int(notes[-1].splitlines()[1]) if notes else 0
    if signed != count:
        problems.append(f"hub retry 之后签名检查点只覆盖 {signed} 条回执，日志中有 {count} 条")
    hub("receipts", "export", str(bundle), check=0)
    vkey = (store.parent / "hub.pub").read_text(encoding="utf-8").strip()
    report = verify_bundle(bundle, notes, vkey=vkey)
    problems += [f"回执日志核验：{p}" for p in report.problems]
    return problems


def read_store(db: Path) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """Every delivery row and receipt, read from the hub's own SQLite file."""
    with _connect(db) as conn:
        rows = {r["idempotency_key"]: dict(r) for r in conn.execute("SELECT * FROM deliveries")}
        receipts = [json.loads(r[0])
                    for r in conn.execute("SELECT data FROM receipts ORDER BY seq")]
    return rows, receipts


@contextlib.contextmanager
def _connect(db: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        yield conn
    finally:
        conn.close()


def held(sb: Sandbox, channel: str, cwd: Path, db: Path) -> Counter[str]:
    """How many times the remote (or the output folder) holds each item, by index number."""
    if channel == "portal":
        return Counter(a["index_no"] for a in sb.portal.articles.values())
    if channel == "wechat":
        return Counter(_wechat_item(sb, p["media_id"]) for p in sb.wechat.publishes.values())
    if channel == "weibo":
        return Counter(m.group(1) for s in sb.weibo.statuses.values()
                       if (m := re.search(r"/xxgk/(\S+)\.html", s["text"])))
    if channel == "credit":
        with _connect(db) as conn:
            by_number = {json.loads(data)["doc_number"]: index_no
                         for index_no, data in conn.execute("SELECT index_no, data FROM versions")}
        return Counter(by_number[r["record"]["行政处罚决定书文号"]]
                       for r in sb.credit.records.values())
    if channel == "portal_static":
        pages = {p.stem for p in (cwd / "public" / "xxgk").rglob("*.html")}
        index = json.loads((cwd / "public" / "search-index.json").read_text(encoding="utf-8"))
        # An item counts where its page exists and the search index lists it.
        return Counter(e["index_no"] for e in index["items"]
                       if e["index_no"].rsplit("/", 1)[-1] in pages)
    feed = (cwd / "public" / "feed.xml").read_text(encoding="utf-8")
    return Counter(re.findall(r"urn:heze-hub:item:([^<\"]+)", feed))


def _wechat_item(sb: Sandbox, media_id: str) -> str:
    url = sb.wechat.drafts[media_id]["articles"][0]["content_source_url"]
    return url.removeprefix(f"{PUBLIC_URL}/xxgk/").removesuffix(".html")


# ---------------------------------------------------------------------------------------------
# Judging a case
# ---------------------------------------------------------------------------------------------
def in_send_window(kill: Kill) -> bool:
    """Whether the kill fell between a send mark and the record of the marked call's answer:
    the only place a delivery may end ``unconfirmed``. (The mark necessarily comes first, so
    the window starts just before the call leaves.)"""
    return (kill.step == "after-mark"
            or (kill.step in ("before-send", "after-send") and kill.detail.endswith(SUBMIT))
            or (kill.step == "before-save" and "publish_id" in kill.detail.split(",")))


def landed_before_the_kill(kill: Kill) -> bool:
    return (kill.detail.endswith(SUBMIT) and kill.step == "after-send") or (
        kill.step == "before-save" and "publish_id" in kill.detail.split(","))


def judge(channel: str, case: Case) -> list[str]:
    """Everything wrong with what a case left behind; empty when nothing is."""
    problems = list(case.problems)
    kill = case.kill
    window = channel == "wechat" and in_send_window(kill)
    for key, row in case.deliveries.items():
        index_no, status, first = row["index_no"], row["status"], case.first[key]
        times = case.held[index_no]
        if window and key == kill.key:
            if first != "unconfirmed":
                problems.append(f"{key}：中断于已标记的发送之后，应为 unconfirmed，实为 {first}")
            expected = 1 if landed_before_the_kill(kill) or case.resent else 0
            if times != expected:
                problems.append(f"{key}：远端应有 {expected} 份，实有 {times} 份")
        elif first != "published" or status != "published":
            problems.append(f"{key}：应为 published，实为 {first}（重试后）、{status}（最终）")
        elif times != 1:
            problems.append(f"{key}：远端应恰有 1 份，实有 {times} 份")
        statuses = [r["status"] for r in case.receipts if r["idempotency_key"] == key]
        if not statuses or statuses[-1] != status or statuses.count("published") > 1:
            problems.append(f"{key}：回执 {statuses} 与状态 {status} 不符")
    if channel == "wechat":
        # The one crash that costs a spare (unpublished) draft: after draft/add answered and
        # before its media_id was saved; the resumed delivery drafts again.
        spare = (kill.step == "after-send" and kill.detail.endswith("/draft/add")) or (
            kill.step == "before-save" and "publish_id" not in kill.detail.split(","))
        for index_no, drafts in case.drafts.items():
            killed = kill.key.startswith(f"{index_no}:")
            if drafts != (2 if spare and killed else 1):
                problems.append(f"{index_no}：草稿 {drafts} 份")
    return problems


# ---------------------------------------------------------------------------------------------
# The tests
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def matrix(request: pytest.FixtureRequest) -> Iterator[dict[tuple[str, str, int], Future[Case]]]:
    """The selected cases, started at once a few at a time; each test waits for its own."""
    selected = [
        (i.callspec.params["channel"], i.callspec.params["step"], i.callspec.params["nth"])
        for i in request.session.items
        if i.name.startswith("test_a_crash_") and hasattr(i, "callspec")
    ]
    with ThreadPoolExecutor(WORKERS, thread_name_prefix="crash-case") as pool:
        futures = {case: pool.submit(run_case, *case) for case in selected}
        yield futures
        for f in futures.values():
            f.cancel()


@pytest.mark.parametrize("channel", list(REACHED))
def test_the_matrix_lists_every_crash_point_a_publication_reaches(channel: str,
                                                                  tmp_path: Path) -> None:
    with Sandbox() as sb:
        sb.wechat.polls_until_published = 0
        (tmp_path / "channels.toml").write_text(
            sb.config_toml(public_url=PUBLIC_URL, output_dir="public"), encoding="utf-8")
        run = HubRun(cwd=tmp_path, env={**sb.env(), **CRASH_RUN_ENV, ENV: TRACE})
        proc = run("publish", "--channel", channel, *penalty_items(channel, tmp_path), check=0)
    reached = Counter(line.split("\t")[2] for line in proc.stderr.splitlines()
                      if line.startswith(f"{ENV}\ttrace\t"))
    assert dict(reached) == REACHED[channel]
    assert set(REACHED["wechat"]) == set(STEPS)  # the fullest channel meets every step


@pytest.mark.parametrize(("channel", "step", "nth"), CASES,
                         ids=[f"{c}-{s}-{n}" for c, s, n in CASES])
def test_a_crash_loses_nothing_and_sends_nothing_twice(
    channel: str, step: str, nth: int, matrix: dict[tuple[str, str, int], Future[Case]]
) -> None:
    case = matrix[(channel, step, nth)].result()
    assert case.kill.step == step
    assert judge(channel, case) == []


# ---------------------------------------------------------------------------------------------
# Withdrawals (DESIGN §12): the same crash points, the same exactly-once outcome
# ---------------------------------------------------------------------------------------------
def run_withdraw_case(channel: str, step: str, nth: int) -> Case:
    """Publish to ``channel``; ``hub withdraw`` killed at ``step`` the ``nth`` time; hub retry."""
    with tempfile.TemporaryDirectory(prefix="crash-withdraw-") as tmp, Sandbox() as sb:
        cwd = Path(tmp)
        sb.wechat.polls_until_published = 0
        (cwd / "channels.toml").write_text(
            sb.config_toml(public_url=PUBLIC_URL, output_dir="public"), encoding="utf-8")
        hub = HubRun(cwd=cwd, env={**sb.env(), **CRASH_RUN_ENV})
        published = hub.json("publish", "--channel", channel, *penalty_items(channel, cwd))
        killed = HubRun(cwd=cwd, env={**sb.env(), **CRASH_RUN_ENV,
                                      ENV: f"{step}:{channel}:{nth}"})
        proc = killed("withdraw", "--reason", "复议撤销", *(r["index_no"] for r in published))
        kill = kill_line(proc.stderr)
        assert proc.returncode == -signal.SIGKILL and kill is not None, (
            proc.returncode, proc.stdout, proc.stderr)
        hub("retry", "--json")
        store = cwd / STATE / "hub.db"
        deliveries, receipts = read_store(store)
        gone = {k: d for k, d in deliveries.items() if k.endswith(":withdraw")}
        case = Case(kill, {k: d["status"] for k, d in gone.items()}, gone, receipts,
                    still_held(sb, channel, cwd, store))
        case.problems += receipt_log_problems(hub, store, cwd / "bundle")
        return case


def still_held(sb: Sandbox, channel: str, cwd: Path, db: Path) -> Counter[str]:
    """What the remote (or the output) still shows, by index number; WeChat's deleted
    publications do not count."""
    if channel == "wechat":
        return Counter(_wechat_item(sb, p["media_id"]) for p in sb.wechat.publishes.values()
                       if not p.get("deleted"))
    return held(sb, channel, cwd, db)


def judge_withdrawal(case: Case) -> list[str]:
    problems = list(case.problems)
    if not case.deliveries:
        problems.append("没有撤回投递")
    for key, row in case.deliveries.items():
        if case.first[key] != "withdrawn":
            problems.append(f"{key}：重试后应为 withdrawn，实为 {case.first[key]}")
        statuses = [r["status"] for r in case.receipts if r["idempotency_key"] == key]
        if statuses != ["withdrawn"]:
            problems.append(f"{key}：回执应恰为一条 withdrawn，实为 {statuses}")
        if case.held[row["index_no"]]:
            problems.append(f"{key}：撤回后远端仍有 {case.held[row['index_no']]} 份")
    return problems


@pytest.fixture(scope="module")
def withdraw_matrix(
    request: pytest.FixtureRequest,
) -> Iterator[dict[tuple[str, str, int], Future[Case]]]:
    """The selected withdrawal cases, started at once a few at a time."""
    selected = [
        (i.callspec.params["channel"], i.callspec.params["step"], i.callspec.params["nth"])
        for i in request.session.items
        if i.name.startswith("test_a_crash_mid_withdrawal") and hasattr(i, "callspec")
    ]
    with ThreadPoolExecutor(WORKERS, thread_name_prefix="crash-withdraw") as pool:
        futures = {case: pool.submit(run_withdraw_case, *case) for case in selected}
        yield futures
        for f in futures.values():
            f.cancel()


@pytest.mark.parametrize("channel", list(WITHDRAW_REACHED))
def test_the_matrix_lists_every_crash_point_a_withdrawal_reaches(channel: str,
                                                                 tmp_path: Path) -> None:
    with Sandbox() as sb:
        sb.wechat.polls_until_published = 0
        (tmp_path / "channels.toml").write_text(
            sb.config_toml(public_url=PUBLIC_URL, output_dir="public"), encoding="utf-8")
        hub = HubRun(cwd=tmp_path, env={**sb.env(), **CRASH_RUN_ENV})
        published = hub.json("publish", "--channel", channel, *penalty_items(channel, tmp_path))
        run = HubRun(cwd=tmp_path, env={**sb.env(), **CRASH_RUN_ENV, ENV: TRACE})
        proc = run("withdraw", "--reason", "复议撤销", *(r["index_no"] for r in published),
                   check=0)
    reached = Counter(line.split("\t")[2] for line in proc.stderr.splitlines()
                      if line.startswith(f"{ENV}\ttrace\t"))
    assert dict(reached) == WITHDRAW_REACHED[channel]


@pytest.mark.parametrize(("channel", "step", "nth"), WITHDRAW_CASES,
                         ids=[f"{c}-{s}-{n}" for c, s, n in WITHDRAW_CASES])
def test_a_crash_mid_withdrawal_loses_nothing_and_withdraws_once(
    channel: str, step: str, nth: int,
    withdraw_matrix: dict[tuple[str, str, int], Future[Case]],
) -> None:
    case = withdraw_matrix[(channel, step, nth)].result()
    assert case.kill.step == step
    assert judge_withdrawal(case) == []
