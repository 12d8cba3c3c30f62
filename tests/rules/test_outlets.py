"""The rules of bulletin boards and decision drafts (DESIGN §4, §5.6), one by one on hand-made
facts; the generated year in ``yeardata`` covers them through the store as well."""

from __future__ import annotations

from datetime import date, datetime

from heze_hub.rules.facts import Facts, ItemFacts
from heze_hub.rules.outlets import (
    Posting,
    check_board_posting,
    check_comment_period,
    check_comment_summary,
    check_major_draft,
)
from tests.rules.yeardata import NOW, TZ, at, facts_item, statuses


def board_facts(item: ItemFacts, boards: list[str], posted: dict[str, str],
                now: datetime = NOW) -> Facts:
    postings = [Posting(item.item.index_no, 1, "board", b, date.fromisoformat(d), at(d), None)
                for b, d in posted.items()]
    return Facts(year=2018, now=now, items=[item], postings=postings,
                 boards={(item.item.index_no, "board"): boards})


def notice(days: int = 7) -> ItemFacts:
    return facts_item("低保对象公示", "2018-06-04", kind="announcement", posting_days=days,
                      published={"portal": "2018-06-04", "board": "2018-06-04"})


def test_board_posted_in_time_and_long_enough() -> None:
    facts = board_facts(notice(), ["孙庄村"], {"孙庄村": "2018-06-05"})
    [f] = check_board_posting(facts)
    assert f.status == "met" and f.due == "2018-06-07"


def test_board_posted_late_is_short_and_late() -> None:
    facts = board_facts(notice(), ["孙庄村"], {"孙庄村": "2018-06-08"})
    [f] = check_board_posting(facts)
    assert f.status == "broken" and "晚于 2018-06-07" in f.detail and "少于公示期 7 天" in f.detail


def test_board_posted_two_days_after_is_one_day_short() -> None:
    [f] = check_board_posting(board_facts(notice(), ["孙庄村"], {"孙庄村": "2018-06-06"}))
    assert f.status == "broken" and "实际张贴 6 天" in f.detail


def test_board_not_confirmed_is_unknown_until_due_then_broken() -> None:
    early = datetime(2018, 6, 6, 12, tzinfo=TZ)
    [f] = check_board_posting(board_facts(notice(), ["孙庄村"], {}, now=early))
    assert f.status == "unknown"
    [g] = check_board_posting(board_facts(notice(), ["孙庄村"], {}))
    assert g.status == "broken" and "hub board confirm" in g.detail


def test_every_board_is_checked() -> None:
    facts = board_facts(notice(), ["孙庄村", "李庄村"], {"孙庄村": "2018-06-04"})
    assert sorted(f.status for f in check_board_posting(facts)) == ["broken", "met"]


def draft(until: str, published: str = "2018-04-02") -> ItemFacts:
    return facts_item("停车管理办法（征求意见稿）", published, kind="draft",
                      comment_until=date.fromisoformat(until), comment_address="a@heze.gov.cn",
                      published={"portal": published})


def test_comment_period_counts_from_the_first_publication() -> None:
    assert statuses(check_comment_period, draft("2018-05-02")) == ["met"]  # 30 days
    assert statuses(check_comment_period, draft("2018-05-01")) == ["broken"]


def test_major_decision_needs_a_draft_published_before_and_closed() -> None:
    d = draft("2018-05-02")
    ok = facts_item("停车管理办法", "2018-06-01", kind="other", major=True,
                    draft_of=d.item.index_no, published={"portal": "2018-06-01"})
    early = facts_item("停车管理办法", "2018-04-20", kind="other", major=True,
                       draft_of=d.item.index_no, published={"portal": "2018-04-20"})
    none = facts_item("供水价格调整决定", "2018-06-01", kind="other", major=True,
                      published={"portal": "2018-06-01"})
    minor = facts_item("一般通知", "2018-06-01", published={"portal": "2018-06-01"})
    assert statuses(check_major_draft, d, ok) == ["met"]
    assert statuses(check_major_draft, d, early) == ["broken"]
    assert statuses(check_major_draft, none, minor) == ["broken"]


def test_comment_summary_within_30_days_of_the_period() -> None:
    d = draft("2018-05-02")
    summary = facts_item("意见采纳情况", "2018-05-20", kind="comment_summary",
                         draft_of=d.item.index_no, published={"portal": "2018-05-20"})
    late = facts_item("意见采纳情况", "2018-07-20", kind="comment_summary",
                      draft_of=d.item.index_no, published={"portal": "2018-07-20"})
    assert statuses(check_comment_summary, d, summary) == ["met"]
    assert statuses(check_comment_summary, d, late) == ["broken"]
    assert statuses(check_comment_summary, d) == ["broken"]  # NOW is 2019
    not_yet = datetime(2018, 5, 20, tzinfo=TZ)
    assert statuses(check_comment_summary, d, now=not_yet) == ["unknown"]


def test_audit_of_a_database_from_before_boards(tmp_path) -> None:
    """A database written before ``board_postings`` existed is audited as it is (read-only)."""
    from sqlalchemy import create_engine, text

    from heze_hub.rules.audit import run_audit
    from heze_hub.store.db import Store
    from tests.rules.yeardata import YearBuilder

    path = tmp_path / "hub.db"
    store = Store(f"sqlite:///{path}")
    YearBuilder(store).item("关于做好防汛工作的通知", "2018-05-02")
    store.close()
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE board_postings"))
    engine.dispose()
    old = Store(f"sqlite:///{path}", read_only=True)
    try:
        report = run_audit(old, 2018, NOW)
    finally:
        old.close()
    assert report.counts()["board-posting"] == {"met": 0, "broken": 0, "unknown": 0}
    assert report.counts()["proactive-deadline"]["met"] == 1
