"""The monthly and quarterly series of DESIGN §4, and reading county, month and quarter from an
item, on hand-made facts (no store)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from heze_hub.rules.facts import BROKEN, MET, UNKNOWN, Facts, ItemFacts
from heze_hub.rules.series import (
    check_monthly_series,
    check_quarterly_series,
    county_of,
    month_of,
    quarter_of,
)
from tests.rules.yeardata import NOW, at, facts_item, make_item


@pytest.mark.parametrize(
    ("title", "written", "month"),
    [
        ("菏泽市2018年6月环境空气质量状况", "2018-07-06", (2018, 6)),
        ("2018年1—6月全市财政收支情况", "2018-07-10", (2018, 6)),
        ("2018年1-12月份全市财政收支情况", "2019-01-20", (2018, 12)),
        ("2018年十月环境空气质量", "2018-11-05", (2018, 10)),
        ("12月份全市财政收支情况", "2019-01-20", (2018, 12)),  # year from written_on
        ("集中式饮用水水源水质监测信息", "2018-03-20", (2018, 3)),  # no month: written_on
    ],
)
def test_month_of(title: str, written: str, month: tuple[int, int]) -> None:
    assert month_of(make_item("x", 1, title, date.fromisoformat(written))) == month


@pytest.mark.parametrize(
    ("title", "written", "quarter"),
    [
        ("2018年第二季度住房公积金运行情况", "2018-07-15", (2018, 2)),
        ("2018年4季度住房公积金运行情况", "2019-01-15", (2018, 4)),
        ("第四季度住房公积金运行情况", "2019-01-15", (2018, 4)),
        ("2018年1—9月住房公积金运行情况", "2018-10-15", (2018, 3)),
    ],
)
def test_quarter_of(title: str, written: str, quarter: tuple[int, int]) -> None:
    assert quarter_of(make_item("x", 1, title, date.fromisoformat(written))) == quarter


@pytest.mark.parametrize(
    ("department", "title", "county"),
    [
        ("菏泽市牡丹区环境保护局", "水质", "牡丹区"),
        ("曹县环境保护局", "水质", "曹县"),
        ("郓城县人民政府", "水质", "郓城县"),
        ("菏泽市生态环境局定陶区分局", "水质", "定陶区"),
        ("菏泽市环境保护局", "巨野县2018年第一季度饮用水水源", "巨野县"),
        ("菏泽市环境保护局", "菏泽市城区饮用水水源", None),
        ("菏泽市环境保护局", "全市各县区饮用水水源", None),
        ("菏泽市住房公积金管理中心", "菏泽市住房公积金运行情况", None),
    ],
)
def test_county_of(department: str, title: str, county: str | None) -> None:
    item = make_item("x", 1, title, date(2018, 1, 1), department=department)
    assert county_of(item) == county


def _air(month: int, **kw: Any) -> ItemFacts:
    written = f"2018-{month + 1:02d}-05" if month < 12 else "2019-01-05"
    kw.setdefault("published", {"portal": written})
    return facts_item(f"菏泽市2018年{month}月环境空气质量状况", written,
                      topics=("空气质量",), **kw)


def test_monthly_series_finds_each_missing_month_only() -> None:
    items = [_air(m) for m in range(1, 13) if m not in (2, 9)]
    findings = [f for f in check_monthly_series(Facts(2018, NOW, items))
                if f.title and f.title.startswith("环境空气质量")]
    assert [f.period for f in findings if f.status == BROKEN] == ["2018-02", "2018-09"]
    assert sum(f.status == MET for f in findings) == 10


def test_monthly_series_unpublished_item_and_months_not_yet_due() -> None:
    items = [_air(1), _air(2, published={}, deliveries={"portal": "failed"})]
    findings = [f for f in check_monthly_series(Facts(2018, at("2018-04-15"), items))
                if f.title and f.title.startswith("环境空气质量")]
    by_period = {f.period: f for f in findings}
    assert by_period["2018-01"].status == MET
    assert by_period["2018-02"].status == BROKEN  # due 31 March; stored but never published
    assert "尚未成功发布" in by_period["2018-02"].detail
    assert by_period["2018-03"].status == UNKNOWN  # due 30 April
    assert all(by_period[f"2018-{m:02d}"].status == UNKNOWN for m in range(4, 13))


def test_series_absent_all_year_is_one_unknown_finding() -> None:
    findings = list(check_monthly_series(Facts(2018, NOW, [])))
    assert len(findings) == 4 and {f.status for f in findings} == {UNKNOWN}
    assert all("未发现该系列" in f.detail for f in findings)


def test_county_bulletin_does_not_fill_city_month_and_policies_are_not_series() -> None:
    county = facts_item("牡丹区2018年3月环境空气质量状况", "2018-04-05",
                        department="菏泽市牡丹区环境保护局", topics=("空气质量",),
                        published={"portal": "2018-04-05"})
    policy = facts_item("菏泽市2018年3月环境空气质量改善方案", "2018-04-05", kind="policy",
                        topics=("空气质量",), published={"portal": "2018-04-05"})
    findings = list(check_monthly_series(Facts(2018, NOW, [county, policy])))
    air = [f for f in findings if f.title and f.title.startswith("环境空气质量")]
    assert len(air) == 1 and air[0].status == UNKNOWN  # 未发现该系列


def test_quarterly_series_per_county() -> None:
    def water(county: str, q: int) -> ItemFacts:
        day = f"2018-{q * 3:02d}-25"
        return facts_item(f"{county}2018年第{q}季度集中式饮用水水源水质", day,
                          department=f"{county}环境保护局", published={"portal": day})

    items = [water("曹县", q) for q in (1, 2, 3, 4)] + [water("单县", q) for q in (1, 3)]
    findings = [f for f in check_quarterly_series(Facts(2018, NOW, items))
                if f.title and "饮用水" in f.title]
    broken = sorted((f.title, f.period) for f in findings if f.status == BROKEN)
    assert broken == [("单县集中式饮用水水源水质（2018年第2季度）", "2018Q2"),
                      ("单县集中式饮用水水源水质（2018年第4季度）", "2018Q4")]
