"""The rules of DESIGN §4, one function each, for the audit and for the gate of ``hub publish``.

Read :data:`RULES` at the bottom like the table in DESIGN §4. Every check works on *facts*, not on
intentions: the normalized item (its latest version) and when it actually reached each channel —
the ``finished_at`` of the first ``published`` receipt per channel, whatever version that receipt
was for, so that correcting an item later neither repairs nor spoils a deadline — plus the state
of the latest delivery per channel. :mod:`heze_hub.rules.audit` gathers the facts from the store.

A check yields findings: ``met`` (符合), ``broken`` (不符合) or ``unknown`` (无法核查: the hub
cannot tell, or the deadline has not come yet). ``unknown`` never makes ``hub audit`` fail; it is
how the audit avoids inventing violations.

Decisions where the policy is silent (each is repeated where it is applied):

- A deadline is met when the publication's *date* (Beijing time) is on or before the deadline
  date; working days come from :mod:`heze_hub.rules.workdays`. Beyond the holiday calendar a
  deadline is a Monday–Friday estimate, and the finding says so (``estimated``).
- School enrollment: "7月底前" includes 31 July. Items about enrollment *results* (title with
  结果) are published after enrollment and are exempt.
- Poverty-fund notices: topic 精准扶贫 and an announcement (体裁 公告/公示, or 公示/公告 in the
  title); a missing ``posting_days`` is broken — the gate refuses such a file.
- Series: only city-level items count for the monthly series (a county's air-quality bulletin
  does not fill the city's month); county drinking-water items fill their own county's quarterly
  series, one series per county found (the hub has no list of counties, so a county that never
  published is not seen). The period comes from the title (``2018年6月``, ``2018年1—6月`` → June,
  ``2018年第二季度``), else from ``written_on``. A period is due at the end of the month after it
  (June's bulletin by 31 July); an unfilled period not yet due is ``unknown``. A series with no
  item at all in the year is one ``unknown`` finding "未发现该系列", not twelve violations: the
  hub cannot tell an office that skipped the series from one that publishes it elsewhere.
- Interpretations: "published with it" means within 3 working days of the policy, either way
  (the usual 政策解读 tolerance); "links both ways" means both are published on the same portal
  channel — the portal renders the links itself when both exist there.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from heze_hub.items.credit_record import record_decision_date
from heze_hub.items.masking import redact_proposal_reply
from heze_hub.items.model import NormalizedItem
from heze_hub.rules.workdays import (
    CREDIT_DEADLINE_DAYS,
    PROACTIVE_DEADLINE_DAYS,
    add_working_days,
    calendar_covers,
    covers_span,
    credit_deadline,
    proactive_deadline,
    working_days_between,
)

TZ = ZoneInfo("Asia/Shanghai")
MET, BROKEN, UNKNOWN = "met", "broken", "unknown"
STATUS_LABELS = {MET: "符合", BROKEN: "不符合", UNKNOWN: "无法核查"}

#: Working days an interpretation may come before or after its policy.
INTERPRETATION_TOLERANCE_DAYS = 3
#: Minimum posting period of a poverty-fund announcement (seed, 精准脱贫).
POVERTY_POSTING_DAYS = 10
#: A 双公示 deadline this close (working days) draws a warning at publication.
NEAR_DAYS = 2
RECALL_HOURS = 24


# ---------------------------------------------------------------------------------------------
# Facts and findings
# ---------------------------------------------------------------------------------------------


@dataclass
class ItemFacts:
    """One item as published: its latest version and when it reached each channel."""

    item: NormalizedItem
    #: Every stored version, by number (proposal replies are re-checked in each published one).
    versions: dict[int, NormalizedItem] = field(default_factory=dict)
    #: Channel → first ``published`` receipt's ``finished_at`` (any version), Beijing time.
    first_published: dict[str, datetime] = field(default_factory=dict)
    #: Versions with at least one ``published`` receipt.
    published_versions: set[int] = field(default_factory=set)
    #: Channel → (version, status, error) of the latest version's delivery on that channel.
    deliveries: dict[str, tuple[int, str, str | None]] = field(default_factory=dict)

    def first_any(self) -> tuple[str, datetime] | None:
        """The first publication on any channel: (channel, when)."""
        if not self.first_published:
            return None
        channel = min(self.first_published, key=lambda c: (self.first_published[c], c))
        return channel, self.first_published[channel]


@dataclass
class Facts:
    """Everything the checks look at, for one audited year."""

    year: int
    now: datetime
    items: list[ItemFacts]
    #: Channel name → plugin name (which channels are portals, which the credit platform).
    plugins: Mapping[str, str] = field(default_factory=dict)

    def plugin(self, channel: str) -> str:
        return self.plugins.get(channel, channel)

    def channels_of(self, f: ItemFacts, plugin: str) -> list[str]:
        """Channels of ``plugin`` the item was routed to or published on."""
        names = set(f.deliveries) | set(f.first_published)
        return sorted(n for n in names if self.plugin(n) == plugin)

    def in_scope(self, f: ItemFacts) -> bool:
        """Whether an item belongs to the audited year: written, decided or first published in it.
        """
        item = f.item
        years = {item.written_on.year}
        first = f.first_any()
        if first:
            years.add(first[1].year)
        if item.decided_at:
            years.add(item.decided_at.astimezone(TZ).year)
        if item.credit:
            years.add(record_decision_date(item.credit).year)
        return self.year in years

    def scoped(self) -> Iterator[ItemFacts]:
        return (f for f in self.items if self.in_scope(f))


@dataclass(frozen=True)
class Finding:
    """One rule checked for one item (and channel, or period of a series)."""

    rule: str
    status: str
    detail: str
    index_no: str | None = None
    title: str | None = None
    department: str | None = None
    channel: str | None = None
    due: str | None = None  # the deadline or period end, ISO
    actual: str | None = None  # when it happened, ISO
    period: str | None = None  # series period: 2018-06, 2018Q2
    estimated: bool = False  # deadline computed beyond the holiday calendar


def _finding(
    rule: str, status: str, detail: str, f: ItemFacts | None = None, **kw: object
) -> Finding:
    if f is not None:
        kw = {"index_no": f.item.index_no, "title": f.item.title,
              "department": f.item.department, **kw}
    return Finding(rule, status, detail, **kw)  # type: ignore[arg-type]


def _d(when: datetime) -> date:
    return when.astimezone(TZ).date()


def _late(due: date, actual: date) -> str:
    days = working_days_between(due, actual)
    return f"逾期 {days} 个工作日" if days > 0 else f"逾期 {(actual - due).days} 天"


def _estimate_note(start: date, due: date) -> str:
    return "" if covers_span(start, due) else "（节假日历未覆盖该年度，期限按周一至周五估算）"


def _deadline(
    rule: str, f: ItemFacts, *, channel: str | None, start: date, start_label: str, due: date,
    limit: str, published: datetime | None, now: datetime,
) -> Finding:
    """A date deadline checked against a publication (or its absence as of ``now``)."""
    note = _estimate_note(start, due)
    head = f"{start_label} {start}，{limit}，最迟 {due}"
    kw = {"channel": channel, "due": due.isoformat(), "estimated": bool(note)}
    if published is not None:
        day = _d(published)
        kw["actual"] = published.isoformat()
        if day <= due:
            return _finding(rule, MET, f"{head}，{day} 已发布{note}", f, **kw)
        return _finding(rule, BROKEN, f"{head}，{day} 才发布，{_late(due, day)}{note}", f, **kw)
    if _d(now) > due:
        text = f"{head}，截至 {_d(now)} 仍未发布，{_late(due, _d(now))}{note}"
        return _finding(rule, BROKEN, text, f, **kw)
    return _finding(rule, UNKNOWN, f"{head}，尚未发布，尚未到期{note}", f, **kw)


# ---------------------------------------------------------------------------------------------
# Deadlines
# ---------------------------------------------------------------------------------------------


def check_proactive_deadline(facts: Facts) -> Iterator[Finding]:
    """Every proactive item: first publication on any channel within 20 working days."""
    for f in facts.scoped():
        item = f.item
        if item.disclosure != "proactive":
            continue
        first = f.first_any()
        yield _deadline(
            "proactive-deadline", f, channel=first[0] if first else None,
            start=item.written_on, start_label="成文日期",
            due=proactive_deadline(item.written_on),
            limit=f"{PROACTIVE_DEADLINE_DAYS}个工作日内主动公开",
            published=first[1] if first else None, now=facts.now,
        )


def check_credit_deadline(facts: Facts) -> Iterator[Finding]:
    """双公示: on the credit platform within 7 working days of the decision date."""
    for f in facts.scoped():
        item = f.item
        if item.credit is None:
            if item.kind in ("license", "penalty"):
                yield _finding(
                    "credit-deadline", UNKNOWN,
                    "体裁为行政许可/行政处罚，但未附双公示记录（credit），未报送信用平台；"
                    "请核实是否应当双公示", f,
                )
            continue
        decided = record_decision_date(item.credit)
        due = credit_deadline(decided)
        channels = facts.channels_of(f, "credit")
        if not channels:
            status = BROKEN if _d(facts.now) > due else UNKNOWN
            yield _finding(
                "credit-deadline", status,
                f"决定日期 {decided}，最迟 {due} 应在信用平台公示，但没有信用平台渠道的投递",
                f, due=due.isoformat(),
            )
            continue
        for channel in channels:
            yield _deadline(
                "credit-deadline", f, channel=channel, start=decided, start_label="决定日期",
                due=due, limit=f"{CREDIT_DEADLINE_DAYS}个工作日内在信用平台公示",
                published=f.first_published.get(channel), now=facts.now,
            )


def check_recall(facts: Facts) -> Iterator[Finding]:
    """Recall decisions: on the portal within 24 hours of ``decided_at``."""
    for f in facts.scoped():
        item = f.item
        if item.kind != "recall":
            continue
        if item.decided_at is None:
            yield _finding("recall-24h", UNKNOWN,
                           "无法核查：召回决定未填写决定时间（decided_at）", f)
            continue
        decided = item.decided_at.astimezone(TZ)
        due = decided + timedelta(hours=RECALL_HOURS)
        channels = facts.channels_of(f, "portal")
        if not channels:
            status = BROKEN if facts.now > due else UNKNOWN
            yield _finding("recall-24h", status,
                           f"决定于 {decided:%Y-%m-%d %H:%M}，应于24小时内在政府网站公开，"
                           "但没有发往政府网站的投递", f, due=due.isoformat())
            continue
        for channel in channels:
            yield _recall_on(f, channel, decided, due, facts.now)


def _recall_on(f: ItemFacts, channel: str, decided: datetime, due: datetime,
               now: datetime) -> Finding:
    head = f"决定于 {decided:%Y-%m-%d %H:%M}，应于 {due:%Y-%m-%d %H:%M} 前在政府网站公开"
    kw = {"channel": channel, "due": due.isoformat()}
    when = f.first_published.get(channel)
    if when is not None:
        hours = (when - decided).total_seconds() / 3600
        kw["actual"] = when.isoformat()
        text = f"{head}，{when.astimezone(TZ):%Y-%m-%d %H:%M} 发布（决定后 {hours:.1f} 小时）"
        return _finding("recall-24h", MET if when <= due else BROKEN, text, f, **kw)
    if now > due:
        return _finding("recall-24h", BROKEN, f"{head}，截至审计时仍未发布", f, **kw)
    return _finding("recall-24h", UNKNOWN, f"{head}，尚未发布，尚未到期", f, **kw)


def check_school_enrollment(facts: Facts) -> Iterator[Finding]:
    """义务教育招生: published by the end of July of the year it is written (results exempt)."""
    for f in facts.scoped():
        item = f.item
        if not _is_enrollment(item):
            continue
        first = f.first_any()
        due = date(item.written_on.year, 7, 31)
        yield _deadline(
            "school-enrollment", f, channel=first[0] if first else None,
            start=item.written_on, start_label="成文日期", due=due,
            limit="义务教育招生范围、条件、程序须在7月底前公开",
            published=first[1] if first else None, now=facts.now,
        )


def _is_enrollment(item: NormalizedItem) -> bool:
    return "义务教育招生" in item.topics and "结果" not in item.title


# ---------------------------------------------------------------------------------------------
# Content rules
# ---------------------------------------------------------------------------------------------


def check_poverty_posting(facts: Facts) -> Iterator[Finding]:
    """Poverty-fund announcements: posted for at least 10 days."""
    for f in facts.scoped():
        if not is_poverty_notice(f.item):
            continue
        problem = poverty_problem(f.item)
        if problem:
            yield _finding("poverty-posting", BROKEN, problem, f)
        else:
            yield _finding("poverty-posting", MET, f"公示期 {f.item.posting_days} 天", f)


def is_poverty_notice(item: NormalizedItem) -> bool:
    """An announcement on 精准扶贫: 体裁 公告/公示, or 公示/公告 in the title."""
    return "精准扶贫" in item.topics and (
        item.kind == "announcement" or "公示" in item.title or "公告" in item.title
    )


def poverty_problem(item: NormalizedItem) -> str | None:
    if item.posting_days is None:
        return f"扶贫资金项目公告公示未填写公示期（posting_days），应不少于{POVERTY_POSTING_DAYS}天"
    if item.posting_days < POVERTY_POSTING_DAYS:
        return f"公示期 {item.posting_days} 天，少于规定的{POVERTY_POSTING_DAYS}天"
    return None


def check_proposal_reply(facts: Facts) -> Iterator[Finding]:
    """建议提案复文: no deputy's name in a salutation, no contact line, no 抄送 line — in every
    version that was actually published."""
    for f in facts.scoped():
        if f.item.kind != "proposal_reply":
            continue
        published = sorted(f.published_versions) or [f.item.version]
        bad = False
        for v in published:
            problems = proposal_problems(f.versions.get(v, f.item).body_text)
            if problems:
                bad = True
                yield _finding("proposal-reply", BROKEN,
                               f"第 {v} 版正文仍含：{'；'.join(problems)}", f)
        if not bad:
            yield _finding("proposal-reply", MET, "正文已去除代表委员姓名、联系方式和抄送范围", f)


def proposal_problems(body_text: str) -> list[str]:
    """What a published reply still shows, by kind of line (never the personal data itself)."""
    found: list[str] = []
    for line in body_text.splitlines():
        if not line.strip() or redact_proposal_reply(line).strip() == line.strip():
            continue
        stripped = line.strip().lstrip("*_-+> ")
        if re.match(r"抄\s*[送报]", stripped):
            label = "抄送范围"
        elif re.search(r"(代表|委员|同志)\s*[*_]*\s*[：:]\s*[*_]*$", stripped):
            label = "代表委员姓名（称呼行）"
        else:
            label = "联系方式（" + re.split(r"[：:]", stripped, maxsplit=1)[0] + "）"
        if label not in found:
            found.append(label)
    return found


def check_not_proactive(facts: Facts) -> Iterator[Finding]:
    """依申请公开 / 不予公开 information is never published."""
    seen = False
    for f in facts.scoped():
        if f.item.disclosure == "proactive":
            continue
        seen = True
        label = {"on_request": "依申请公开", "withheld": "不予公开"}.get(f.item.disclosure, "")
        if f.first_published:
            channels = "、".join(sorted(f.first_published))
            yield _finding("not-proactive", BROKEN, f"公开属性为“{label}”，却已发布到 {channels}",
                           f)
        else:
            yield _finding("not-proactive", MET, f"公开属性为“{label}”，未发布", f)
    if not seen:
        yield Finding("not-proactive", MET, "平台中没有依申请公开或不予公开的信息")


# ---------------------------------------------------------------------------------------------
# Interpretations
# ---------------------------------------------------------------------------------------------


def policy_of(f: ItemFacts, facts: Facts) -> ItemFacts | None:
    """The item an interpretation explains: by index number first, else by document number."""
    ref = f.item.interprets
    if not ref:
        return None
    found = [g for g in facts.items if g is not f and ref in (g.item.index_no, g.item.doc_number)]
    found.sort(key=lambda g: (g.item.index_no != ref, g.item.kind != "policy", g.item.index_no))
    return found[0] if found else None


def _interpretations(facts: Facts) -> Iterator[ItemFacts]:
    return (f for f in facts.scoped() if f.item.kind == "interpretation")


def check_interpretation_target(facts: Facts) -> Iterator[Finding]:
    """An interpretation names the policy it explains, and that policy is in the hub."""
    for f in _interpretations(facts):
        if not f.item.interprets:
            yield _finding("interpretation-target", BROKEN, "未写明所解读的政策文件", f)
            continue
        policy = policy_of(f, facts)
        if policy is None:
            yield _finding("interpretation-target", BROKEN,
                           f"所解读的政策 {f.item.interprets} 未在本平台发布", f)
        else:
            yield _finding("interpretation-target", MET,
                           f"解读 {policy.item.index_no}《{policy.item.title}》", f)


def check_interpretation_sync(facts: Facts) -> Iterator[Finding]:
    """Interpretation and policy published together: within 3 working days of each other."""
    tol = INTERPRETATION_TOLERANCE_DAYS
    for f in _interpretations(facts):
        policy = policy_of(f, facts)
        if policy is None:
            continue  # reported by interpretation-target
        mine, theirs = f.first_any(), policy.first_any()
        if mine is None:
            yield _finding("interpretation-sync", UNKNOWN, "解读尚未发布", f)
            continue
        me = _d(mine[1])
        if theirs is None:
            status = BROKEN if _d(facts.now) > add_working_days(me, tol) else UNKNOWN
            yield _finding("interpretation-sync", status,
                           f"解读 {me} 已发布，所解读的政策 {policy.item.index_no} 尚未发布", f,
                           actual=mine[1].isoformat())
            continue
        pol = _d(theirs[1])
        together = me <= add_working_days(pol, tol) and pol <= add_working_days(me, tol)
        text = f"政策 {pol} 发布，解读 {me} 发布"
        if not together:
            text += f"，相隔超过{tol}个工作日（应同步发布）"
        yield _finding("interpretation-sync", MET if together else BROKEN, text, f,
                       due=add_working_days(pol, tol).isoformat(), actual=mine[1].isoformat())


def check_interpretation_links(facts: Facts) -> Iterator[Finding]:
    """Portal pages link both ways: policy and interpretation published on the same portal."""
    for f in _interpretations(facts):
        policy = policy_of(f, facts)
        if policy is None:
            continue
        portals = sorted(
            {c for c in f.first_published if facts.plugin(c) == "portal"}
            | {c for c in policy.first_published if facts.plugin(c) == "portal"}
        )
        if not portals:
            yield _finding("interpretation-links", BROKEN,
                           f"解读与政策 {policy.item.index_no} 均未在政府网站发布，无法互相链接", f)
        for channel in portals:
            missing = [name for name, g in (("解读", f), ("政策", policy))
                       if channel not in g.first_published]
            if missing:
                yield _finding("interpretation-links", BROKEN,
                               f"{'、'.join(missing)}未在该网站发布，页面无法互相链接", f,
                               channel=channel)
            else:
                yield _finding("interpretation-links", MET,
                               f"与政策 {policy.item.index_no} 在该网站互相链接", f,
                               channel=channel)


# ---------------------------------------------------------------------------------------------
# Series
# ---------------------------------------------------------------------------------------------

_EXCLUDED_KINDS = ("policy", "interpretation", "proposal_reply", "license", "penalty", "recall")
_CN_NUM = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
           "十": 10, "十一": 11, "十二": 12}
_NUM = r"\d{1,2}|十[一二]?|[一二三四五六七八九]"
_MONTH_RE = re.compile(
    rf"(?:(\d{{4}})\s*年\s*)?(?:(?:{_NUM})\s*月?\s*[-－—–~～至到]\s*)?({_NUM})\s*月"
)
_QUARTER_RE = re.compile(r"(?:(\d{4})\s*年\s*)?第?\s*([1-4一二三四])\s*季度")
# A county or district name right after the start, 省, 市 or 局: 曹县, 菏泽市牡丹区, …局定陶区分局.
_COUNTY_RE = re.compile(r"(?:^|省|市|局)((?:(?![省市局各全])[\u4e00-\u9fff]){1,3}?[县区])")
_NOT_COUNTIES = frozenset({"城区", "市区", "辖区", "县区", "地区", "社区", "园区", "景区",
                           "全区", "全县", "各县", "各区", "保护区", "水源区"})


def county_of(item: NormalizedItem) -> str | None:
    """The county or district an item is about (by department, else title); None = city level."""
    for text in (item.department, item.title):
        for m in _COUNTY_RE.finditer(text):
            if m.group(1) not in _NOT_COUNTIES:
                return m.group(1)
    return None


def _num(text: str) -> int:
    return int(text) if text.isdigit() else _CN_NUM[text]


def month_of(item: NormalizedItem) -> tuple[int, int]:
    """(year, month) an item reports on: from the title (``2018年6月``, ``1—6月`` → June), a year
    missing there taken from ``written_on`` (December's bulletin written in January is last
    year's), else ``written_on``'s own month."""
    for m in _MONTH_RE.finditer(item.title):
        month = _num(m.group(2))
        if not 1 <= month <= 12:
            continue
        if m.group(1):
            return int(m.group(1)), month
        w = item.written_on
        return (w.year - 1 if month > w.month else w.year), month
    return item.written_on.year, item.written_on.month


def quarter_of(item: NormalizedItem) -> tuple[int, int]:
    """(year, quarter) an item reports on: ``2018年第二季度`` in the title, else its month's."""
    m = _QUARTER_RE.search(item.title)
    if m:
        q = _num(m.group(2))
        w = item.written_on
        year = int(m.group(1)) if m.group(1) else (w.year - 1 if q > (w.month + 2) // 3 else w.year)
        return year, q
    year, month = month_of(item)
    return year, (month + 2) // 3


def _text(item: NormalizedItem) -> str:
    return item.title + " " + " ".join(item.topics)


def _series_item(item: NormalizedItem) -> bool:
    return item.kind not in _EXCLUDED_KINDS and item.disclosure == "proactive"


def is_air_quality(item: NormalizedItem) -> bool:
    return "空气质量" in item.topics or "环境空气质量" in item.title


def is_drinking_water(item: NormalizedItem) -> bool:
    return bool(re.search(r"饮用水水?源", _text(item)))


def is_fiscal(item: NormalizedItem) -> bool:
    return "财政收支" in _text(item)


def is_soe_indicators(item: NormalizedItem) -> bool:
    owner = "国资国企" in item.topics or bool(re.search(r"市属企业|国有企业|国企", item.title))
    return owner and bool(re.search(r"经济效益|经济运行|经济指标|主要指标", item.title))


def is_housing_fund(item: NormalizedItem) -> bool:
    return "住房公积金" in _text(item) and "年度报告" not in item.title


@dataclass(frozen=True)
class Series:
    """A periodic series of DESIGN §4: what belongs to it and how often it must appear."""

    name: str
    per: str  # "month" or "quarter"
    match: Callable[[NormalizedItem], bool]
    level: str  # "city": city-level items only; "county": one series per county


MONTHLY_SERIES = (
    Series("环境空气质量", "month", is_air_quality, "city"),
    Series("集中式饮用水水源水质", "month", is_drinking_water, "city"),
    Series("财政收支", "month", is_fiscal, "city"),
    Series("市属企业主要经济效益指标", "month", is_soe_indicators, "city"),
)
QUARTERLY_SERIES = (
    Series("县区集中式饮用水水源水质", "quarter", is_drinking_water, "county"),
    Series("住房公积金管理运行", "quarter", is_housing_fund, "city"),
)


def _period_end(year: int, per: str, n: int) -> date:
    last_month = n if per == "month" else n * 3
    return date(year + last_month // 12, last_month % 12 + 1, 1) - timedelta(days=1)


def _due(year: int, per: str, n: int) -> date:
    """A period is due at the end of the month after it."""
    end = _period_end(year, per, n)
    nxt = end + timedelta(days=1)
    return date(nxt.year + nxt.month // 12, nxt.month % 12 + 1, 1) - timedelta(days=1)


def _series_groups(series: Series, facts: Facts) -> dict[str | None, dict[int, list[ItemFacts]]]:
    """County (None for the city) → period number → the audited year's items of the series."""
    groups: dict[str | None, dict[int, list[ItemFacts]]] = {}
    for f in facts.items:
        item = f.item
        if not (_series_item(item) and series.match(item)):
            continue
        county = county_of(item)
        if (series.level == "city") != (county is None):
            continue
        year, n = month_of(item) if series.per == "month" else quarter_of(item)
        if year == facts.year:
            groups.setdefault(county, {}).setdefault(n, []).append(f)
    return groups


def _series_findings(series: Series, facts: Facts, rule: str) -> Iterator[Finding]:
    groups = _series_groups(series, facts)
    if not groups:
        yield Finding(rule, UNKNOWN,
                      f"未发现该系列：{facts.year}年没有任何“{series.name}”信息经本平台发布；"
                      "如通过其他途径公开，请另行核查", title=series.name)
        return
    monthly = series.per == "month"
    for county in sorted(groups, key=lambda c: c or ""):
        name = series.name.replace("县区", county) if county else series.name
        for n in range(1, 13 if monthly else 5):
            heading = f"{facts.year}年{n}月" if monthly else f"{facts.year}年第{n}季度"
            due = _due(facts.year, series.per, n)
            kw = {"title": f"{name}（{heading}）", "due": due.isoformat(),
                  "period": f"{facts.year}-{n:02d}" if monthly else f"{facts.year}Q{n}"}
            yield _period_finding(rule, groups[county].get(n, []), heading, due, facts.now, kw)


def _period_finding(rule: str, found: list[ItemFacts], heading: str, due: date,
                    now: datetime, kw: dict[str, str]) -> Finding:
    """One period of a series: met by its first published item, else missing (or not yet due)."""
    firsts = [(first, g) for g in found if (first := g.first_any())]
    if firsts:
        (channel, when), g = min(firsts, key=lambda x: x[0][1])
        more = f"（共 {len(firsts)} 条）" if len(firsts) > 1 else ""
        return Finding(rule, MET, f"{heading}已发布：{g.item.title}{more}",
                       index_no=g.item.index_no, department=g.item.department, channel=channel,
                       actual=when.isoformat(), **kw)  # type: ignore[arg-type]
    stuck = found[0].item.index_no if found else None
    pending = f"（本平台有该期信息 {stuck}，但尚未成功发布）" if stuck else ""
    if _d(now) > due:
        return Finding(rule, BROKEN, f"缺少{heading}的信息，最迟 {due} 应发布{pending}",
                       index_no=stuck, **kw)  # type: ignore[arg-type]
    return Finding(rule, UNKNOWN, f"{heading}的信息尚未发布，尚未到期{pending}",
                   **kw)  # type: ignore[arg-type]


def check_monthly_series(facts: Facts) -> Iterator[Finding]:
    """Air quality, city drinking-water sources, fiscal revenue and expenditure, SOE indicators:
    one item per calendar month."""
    for series in MONTHLY_SERIES:
        yield from _series_findings(series, facts, "monthly-series")


def check_quarterly_series(facts: Facts) -> Iterator[Finding]:
    """County drinking-water sources (per county) and the housing provident fund: one item per
    quarter."""
    for series in QUARTERLY_SERIES:
        yield from _series_findings(series, facts, "quarterly-series")


# ---------------------------------------------------------------------------------------------
# Deliveries
# ---------------------------------------------------------------------------------------------


def check_deliveries(facts: Facts) -> Iterator[Finding]:
    """Every channel an item was routed to carries its latest version: nothing still failed,
    unconfirmed or unfinished."""
    for f in facts.scoped():
        for channel, (version, status, error) in sorted(f.deliveries.items()):
            if status == "skipped":
                continue
            where = f"第 {version} 版"
            if status == "published":
                yield _finding("delivery", MET, f"{where}已发布", f, channel=channel)
            elif status in ("failed", "unconfirmed"):
                label = "发布失败" if status == "failed" else "待确认（可能未送达）"
                reason = f"：{error}" if error else ""
                yield _finding("delivery", BROKEN,
                               f"{where}{label}{reason}；用 hub retry 处理", f, channel=channel)
            else:
                yield _finding("delivery", UNKNOWN,
                               f"{where}投递尚未完成（{status}）；用 hub retry 继续", f,
                               channel=channel)


# ---------------------------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One row of DESIGN §4."""

    id: str
    name: str
    applies_to: str
    requirement: str
    source: str
    check: Callable[[Facts], Iterable[Finding]]


RULES: list[Rule] = [
    Rule("proactive-deadline", "主动公开时限", "全部主动公开信息",
         "成文之日起20个工作日内公开", "政府信息公开条例第二十六条", check_proactive_deadline),
    Rule("credit-deadline", "双公示时限", "行政许可、行政处罚记录",
         "作出决定之日起7个工作日内在信用平台公示", "发改电〔2015〕557号", check_credit_deadline),
    Rule("recall-24h", "召回决定", "召回决定（recall）",
         "决定作出后24小时内在政府网站公开", "推进方案·食品药品安全", check_recall),
    Rule("poverty-posting", "扶贫资金公告公示期", "精准扶贫公告公示",
         "公示期不少于10天", "推进方案·精准脱贫", check_poverty_posting),
    Rule("school-enrollment", "义务教育招生", "义务教育招生信息",
         "每年7月底前公开", "推进方案·教育", check_school_enrollment),
    Rule("monthly-series", "按月公开", "空气质量、饮用水水源、财政收支、市属企业经济效益",
         "每个自然月一条", "推进方案", check_monthly_series),
    Rule("quarterly-series", "按季度公开", "县区饮用水水源、住房公积金",
         "每季度一条", "推进方案", check_quarterly_series),
    Rule("interpretation-target", "解读对象", "政策解读",
         "写明所解读的政策，且该政策已在本平台发布", "推进方案·政策解读",
         check_interpretation_target),
    Rule("interpretation-sync", "解读同步发布", "政策解读",
         "与政策相隔不超过3个工作日", "推进方案·政策解读", check_interpretation_sync),
    Rule("interpretation-links", "解读双向链接", "政策解读",
         "政策与解读在政府网站同一站点发布、互相链接", "推进方案·政策解读",
         check_interpretation_links),
    Rule("proposal-reply", "建议提案复文", "建议提案办理复文",
         "全文公开，去除代表委员姓名、联系方式和抄送范围", "推进方案", check_proposal_reply),
    Rule("not-proactive", "不主动公开的信息", "依申请公开、不予公开",
         "不得发布", "政府信息公开条例", check_not_proactive),
    Rule("delivery", "投递状态", "每条信息的每个渠道",
         "投递成功，无失败或待确认", "DESIGN §6", check_deliveries),
]
RULES_BY_ID = {r.id: r for r in RULES}


def check_all(facts: Facts) -> list[Finding]:
    """Every rule's findings, in table order."""
    return [finding for rule in RULES for finding in rule.check(facts)]


# ---------------------------------------------------------------------------------------------
# The gate of ``hub publish``: warnings before sending, errors that refuse the file
# ---------------------------------------------------------------------------------------------


def gate_errors(item: NormalizedItem) -> list[str]:
    """Rules a file is refused for before anything is sent (Chinese, one line each, each naming
    the field)."""
    errors = []
    if item.disclosure != "proactive":
        errors.append("字段 disclosure：公开属性不是主动公开，不能发布（政府信息公开条例）")
    if is_poverty_notice(item):
        problem = poverty_problem(item)
        if problem:
            errors.append(f"字段 posting_days：{problem}（推进方案·精准脱贫）")
    return errors


def gate_warnings(item: NormalizedItem, now: datetime) -> list[str]:
    """Deadlines already missed or about to be (Chinese); printed before sending, not errors."""
    today = _d(now)
    warnings: list[str] = []

    def by_date(what: str, start: date, due: date, near: int) -> None:
        note = _estimate_note(start, due)
        if today > due:
            warnings.append(f"{what}已于 {due} 到期，现已{_late(due, today)}{note}")
        elif working_days_between(today, due) <= near:
            warnings.append(f"{what}将于 {due} 到期，请尽快发布{note}")

    if item.disclosure == "proactive":
        by_date(f"主动公开时限（成文日期 {item.written_on} 起{PROACTIVE_DEADLINE_DAYS}个工作日）",
                item.written_on, proactive_deadline(item.written_on), NEAR_DAYS)
    if item.credit is not None:
        decided = record_decision_date(item.credit)
        by_date(f"双公示时限（决定日期 {decided} 起{CREDIT_DEADLINE_DAYS}个工作日）",
                decided, credit_deadline(decided), NEAR_DAYS)
    if item.kind == "recall":
        if item.decided_at is None:
            warnings.append("召回决定未填写决定时间（decided_at），无法核查24小时公开时限")
        else:
            hours = (now - item.decided_at).total_seconds() / 3600
            if hours > RECALL_HOURS:
                warnings.append(f"召回决定作出已 {hours:.1f} 小时，超过24小时公开时限")
            elif hours > RECALL_HOURS - 4:
                warnings.append(f"召回决定作出已 {hours:.1f} 小时，距24小时公开时限不足4小时")
    if _is_enrollment(item):
        due = date(item.written_on.year, 7, 31)
        if today > due:
            warnings.append(f"义务教育招生信息应在 {due} 前公开，现已逾期")
    return warnings


def credit_deadline_status(record: Mapping[str, Any], today: date) -> dict[str, Any]:
    """The 双公示 deadline of a record not yet on the credit platform (DESIGN §4)."""
    due = credit_deadline(record_decision_date(record))
    estimate = "" if calendar_covers(due.year) else "（节假日安排未知，按周一至周五估算）"
    if today > due:
        state, text = "overdue", f"双公示应于 {due} 前报送信用平台，已逾期{estimate}"
    else:
        left = working_days_between(today, due)
        state = "near" if left <= 2 else "ok"
        text = f"双公示应于 {due} 前报送信用平台，还剩 {left} 个工作日{estimate}"
    return {"due": due.isoformat(), "state": state, "text": text}
