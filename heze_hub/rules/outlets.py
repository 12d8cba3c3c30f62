"""The rules of the seed's other outlets (DESIGN §4, §5.6): bulletin boards and decision drafts.

- ``board-posting``: every board a notice went to is confirmed posted (``hub board confirm``)
  within 3 working days of the notice's publication on the board channel, and is up for at least
  ``posting_days``. The notice prints its period as publication day to publication day +
  ``posting_days``, both days counted: posted on the day after publication it is still up for
  ``posting_days`` days; posted later, for fewer — the "period shorter than posting_days" the
  audit reports. Not confirmed while the 3 working days still run is ``unknown``, not broken.
- ``comment-period``: a draft's comment period, from its first publication to
  ``comment_until``, is at least 30 days (the gate refuses shorter ones; this re-checks what was
  published, e.g. before the gate existed).
- ``major-draft``: a decision with ``major = true`` names its draft (``draft_of``), the draft was
  published before it, and the decision came after the comment period ended.
- ``comment-summary``: a draft is followed by a published ``comment_summary`` naming it; missing
  30 days after ``comment_until`` is broken, before that unknown.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Connection, inspect, select

from heze_hub.items.model import NormalizedItem
from heze_hub.rules.facts import BROKEN, MET, UNKNOWN, Facts, Finding, ItemFacts, day_of, finding
from heze_hub.rules.workdays import add_working_days
from heze_hub.store.schema import board_postings, deliveries

#: Working days after publication within which a board notice must be posted and confirmed.
BOARD_CONFIRM_DAYS = 3
#: Minimum comment period of a draft, in days.
COMMENT_DAYS = 30
#: Days after ``comment_until`` by which the comment summary must be out.
SUMMARY_DAYS = 30


@dataclass(frozen=True)
class Posting:
    """One confirmed posting of a notice on a board."""

    index_no: str
    version: int
    channel: str
    board: str
    posted_on: date
    confirmed_at: datetime
    photo_sha256: str | None


def load_board_facts(
    conn: Connection, cutoff: str
) -> tuple[list[Posting], dict[tuple[str, str], list[str]]]:
    """Confirmed postings (up to ``cutoff``) and the boards each item's notice went to."""
    postings: list[Posting] = []
    if inspect(conn).has_table("board_postings"):  # an older database may not have it yet
        q = select(board_postings).where(board_postings.c.confirmed_at <= cutoff)
        for r in conn.execute(q):
            postings.append(Posting(
                r.index_no, r.version, r.channel, r.board, date.fromisoformat(r.posted_on),
                datetime.fromisoformat(r.confirmed_at), r.photo_sha256,
            ))
    boards: dict[tuple[str, str], list[str]] = {}
    q2 = (select(deliveries.c.index_no, deliveries.c.channel, deliveries.c.state)
          .where(deliveries.c.status == "published", deliveries.c.state.contains('"boards"'))
          .order_by(deliveries.c.version))
    for index_no, channel, state in conn.execute(q2):
        listed = json.loads(state or "{}").get("boards")
        if isinstance(listed, list):
            seen = boards.setdefault((index_no, channel), [])
            seen.extend(b for b in listed if b not in seen)
    return postings, boards


def check_board_posting(facts: Facts) -> Iterator[Finding]:
    """Each board confirmed within 3 working days and up for the whole posting period."""
    today = day_of(facts.now)
    for f in facts.scoped():
        for channel in sorted(c for c in f.first_published if facts.plugin(c) == "board"):
            start = day_of(f.first_published[channel])
            due = add_working_days(start, BOARD_CONFIRM_DAYS)
            days = f.item.posting_days or 0
            end = start + timedelta(days=days)
            for board in facts.boards.get((f.item.index_no, channel), []):
                mine = [p for p in facts.postings if p.index_no == f.item.index_no
                        and p.channel == channel and p.board == board]
                if not mine:
                    status = BROKEN if today > due else UNKNOWN
                    yield finding("board-posting", status,
                                  f"公开栏“{board}”未登记张贴（应于 {due} 前张贴，"
                                  "并用 hub board confirm 登记）", f, channel=channel,
                                  due=due.isoformat())
                    continue
                first = min(mine, key=lambda p: (p.posted_on, p.confirmed_at))
                problems = []
                if first.posted_on > due:
                    problems.append(f"张贴于 {first.posted_on}，晚于 {due}")
                up = (end - first.posted_on).days + 1  # both days count, as on the notice
                if up < days:
                    problems.append(f"实际张贴 {max(up, 0)} 天，少于公示期 {days} 天")
                photo = "，有照片" if first.photo_sha256 else "，无照片"
                text = f"公开栏“{board}”{first.posted_on} 张贴，公示至 {end}{photo}"
                yield finding("board-posting", BROKEN if problems else MET,
                              text + ("：" + "；".join(problems) if problems else ""), f,
                              channel=channel, due=due.isoformat(),
                              actual=first.posted_on.isoformat())


def _drafts(facts: Facts) -> Iterator[ItemFacts]:
    return (f for f in facts.scoped() if f.item.kind == "draft")


def check_comment_period(facts: Facts) -> Iterator[Finding]:
    """A draft's comment period, from its first publication, is at least 30 days."""
    for f in _drafts(facts):
        first = f.first_any()
        if first is None or f.item.comment_until is None:
            yield finding("comment-period", UNKNOWN, "征求意见稿尚未发布", f)
            continue
        start = day_of(first[1])
        days = (f.item.comment_until - start).days
        text = f"征求意见期 {start} 至 {f.item.comment_until}，共 {days} 天"
        if days < COMMENT_DAYS:
            text += f"，少于{COMMENT_DAYS}天"
        yield finding("comment-period", MET if days >= COMMENT_DAYS else BROKEN, text, f,
                      due=f.item.comment_until.isoformat(), actual=first[1].isoformat())


def _by_index(facts: Facts) -> dict[str, ItemFacts]:
    return {g.item.index_no: g for g in facts.items}


def check_major_draft(facts: Facts) -> Iterator[Finding]:
    """A major decision names a draft published before it, and comes after its comment period."""
    known = _by_index(facts)
    for f in facts.scoped():
        if not f.item.major or f.item.kind in ("draft", "comment_summary"):
            continue
        if not f.item.draft_of:
            yield finding("major-draft", BROKEN,
                          "重大行政决策未公布征求意见稿（未填写 draft_of）", f)
            continue
        draft = known.get(f.item.draft_of)
        if draft is None or draft.item.kind != "draft":
            yield finding("major-draft", BROKEN,
                          f"所称征求意见稿 {f.item.draft_of} 未在本平台发布", f)
            continue
        mine, theirs = f.first_any(), draft.first_any()
        if mine is None:
            yield finding("major-draft", UNKNOWN, "决策尚未发布", f)
            continue
        if theirs is None or theirs[1] > mine[1]:
            yield finding("major-draft", BROKEN,
                          f"征求意见稿 {draft.item.index_no} 未在决策之前发布", f,
                          actual=mine[1].isoformat())
            continue
        until = draft.item.comment_until
        if until is not None and day_of(mine[1]) <= until:
            yield finding("major-draft", BROKEN,
                          f"征求意见期至 {until} 尚未结束，决策已于 {day_of(mine[1])} 发布", f,
                          due=until.isoformat(), actual=mine[1].isoformat())
            continue
        yield finding("major-draft", MET,
                      f"征求意见稿 {draft.item.index_no} 于 {day_of(theirs[1])} 发布，"
                      f"征求意见至 {until}", f, actual=mine[1].isoformat())


def check_comment_summary(facts: Facts) -> Iterator[Finding]:
    """A draft is followed by a published comment summary within 30 days of its period."""
    today = day_of(facts.now)
    summaries: dict[str, list[ItemFacts]] = {}
    for g in facts.items:
        if g.item.kind == "comment_summary" and g.item.draft_of and g.first_any():
            summaries.setdefault(g.item.draft_of, []).append(g)
    for f in _drafts(facts):
        if f.item.comment_until is None or f.first_any() is None:
            continue
        due = f.item.comment_until + timedelta(days=SUMMARY_DAYS)
        found = summaries.get(f.item.index_no)
        if found:
            first = min(found, key=lambda g: g.first_any()[1])  # type: ignore[index]
            when = first.first_any()[1]  # type: ignore[index]
            late = day_of(when) > due
            text = f"意见采纳情况 {first.item.index_no} 于 {day_of(when)} 发布"
            yield finding("comment-summary", BROKEN if late else MET,
                          text + (f"，晚于 {due}" if late else ""), f,
                          due=due.isoformat(), actual=when.isoformat())
        else:
            yield finding("comment-summary", BROKEN if today > due else UNKNOWN,
                          f"尚未公布意见收集和采纳情况（应于 {due} 前公布）", f,
                          due=due.isoformat())


# ---------------------------------------------------------------------------------------------
# The annual report
# ---------------------------------------------------------------------------------------------
#: Where the annual report puts what its template has no row for.
OUTSIDE_TEMPLATE = "附：模板第二部分以外（供“一、总体情况”引用）"


def annual_outlet_counts(
    conn: Connection, year: int, published: list[NormalizedItem]
) -> list[tuple[str, str, int | None, str]]:
    """Rows for drafts, comment summaries and board postings: (row, column, value, basis).

    The template's section 二 has no row for any of them, so the report lists them after the
    table; ``None`` marks what the records cannot tell.
    """
    drafts = sum(i.kind == "draft" and i.written_on.year == year for i in published)
    summaries = sum(i.kind == "comment_summary" and i.written_on.year == year for i in published)
    postings = None
    if inspect(conn).has_table("board_postings"):
        postings = sum(
            1 for (day,) in conn.execute(select(board_postings.c.posted_on))
            if day.startswith(f"{year}-")
        )
    return [
        ("重大行政决策征求意见稿", "本年公开件数", drafts,
         f"{year}年成文、经本平台发布的征求意见稿（draft）"),
        ("重大行政决策征求意见稿", "收到意见条数", None,
         "发布记录不含收到的意见条数（见各意见采纳情况正文）"),
        ("意见收集和采纳情况", "本年公开件数", summaries,
         f"{year}年成文、经本平台发布的意见采纳情况（comment_summary）"),
        ("公开栏告示", "本年登记张贴次数", postings if postings is not None else 0,
         f"用 hub board confirm 登记、张贴日期在{year}年的公开栏张贴"),
    ]
