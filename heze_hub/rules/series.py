"""The periodic series of DESIGN §4 (monthly and quarterly bulletins) and how an item's county,
month and quarter are read from it.

Decisions where the policy is silent: only city-level items count for the monthly series (a
county's air-quality bulletin does not fill the city's month); county drinking-water items fill
their own county's quarterly series, one series per county found (the hub has no list of
counties, so a county that never published is not seen). The period comes from the title
(``2018年6月``, ``2018年1—6月`` → June, ``2018年第二季度``), else from ``written_on``. A period is
due at the end of the month after it (June's bulletin by 31 July); an unfilled period not yet due
is ``unknown``. A series with no item at all in the year is one ``unknown`` finding "未发现该系列",
not twelve violations: the hub cannot tell an office that skipped the series from one that
publishes it elsewhere.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from heze_hub.items.model import NormalizedItem
from heze_hub.rules.facts import BROKEN, MET, UNKNOWN, Facts, Finding, ItemFacts, day_of

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
    if day_of(now) > due:
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
