"""The rules of DESIGN §4 one by one, on hand-made facts (no store), and the publish-time gate.

Dates use the real 2018 calendar: 春节 15–21 February with make-up Sundays/Saturdays 11 and 24
February, 国庆 1–7 October with make-up days 29 and 30 September.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from heze_hub.rules.policy import (
    BROKEN,
    MET,
    RULES,
    UNKNOWN,
    Facts,
    ItemFacts,
    check_all,
    check_credit_deadline,
    check_deliveries,
    check_interpretation_links,
    check_interpretation_sync,
    check_interpretation_target,
    check_monthly_series,
    check_not_proactive,
    check_proactive_deadline,
    check_proposal_reply,
    check_quarterly_series,
    check_recall,
    check_school_enrollment,
    county_of,
    gate_errors,
    gate_warnings,
    month_of,
    proposal_problems,
    quarter_of,
)
from tests.rules.yeardata import TZ, at, license_, make_item, penalty

NOW = datetime(2019, 3, 1, 12, 0, tzinfo=TZ)
_serial = iter(range(1, 100_000))


def facts_item(title: str = "通知", written_on: str = "2018-06-01", *,
               published: dict[str, str] | None = None,
               deliveries: dict[str, str] | None = None, **fields: Any) -> ItemFacts:
    """An item with first publications per channel; deliveries default to 'published' there."""
    written = date.fromisoformat(written_on)
    item = make_item(f"371700/{written.year}-{next(_serial):05d}", 1, title, written, **fields)
    published = published or {}
    states = {c: "published" for c in published} | (deliveries or {})
    return ItemFacts(
        item=item, versions={1: item},
        first_published={c: at(t) for c, t in published.items()},
        published_versions={1} if published else set(),
        deliveries={c: (1, s, None) for c, s in states.items()},
    )


def run(check: Any, *items: ItemFacts, year: int = 2018, now: datetime = NOW,
        plugins: dict[str, str] | None = None) -> list[tuple[str, str | None]]:
    facts = Facts(year=year, now=now, items=list(items), plugins=plugins or {})
    return [(f.status, f.channel) for f in check(facts)]


def statuses(check: Any, *items: ItemFacts, **kw: Any) -> list[str]:
    return [s for s, _ in run(check, *items, **kw)]


# -- the table ---------------------------------------------------------------------------------


def test_rules_table_is_complete_and_documented() -> None:
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    for r in RULES:
        assert r.name and r.applies_to and r.requirement and r.source
        assert r.check.__doc__


def test_empty_store_breaks_nothing() -> None:
    findings = check_all(Facts(year=2018, now=NOW, items=[]))
    assert not [f for f in findings if f.status == BROKEN]


# -- proactive deadline ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "first", "status"),
    [
        ("2018-01-26", "2018-02-28T23:59", MET),  # 20 working days across 春节
        ("2018-01-26", "2018-03-01T00:01", BROKEN),
        ("2018-09-28", "2018-10-31", MET),  # across 国庆, make-up 29/30 Sep count
        ("2018-09-28", "2018-11-01", BROKEN),
    ],
)
def test_proactive_deadline(written: str, first: str, status: str) -> None:
    f = facts_item(written_on=written, published={"wechat": first, "portal": "2018-12-31"})
    assert run(check_proactive_deadline, f) == [(status, "wechat")]


def test_proactive_deadline_unpublished() -> None:
    never = facts_item(written_on="2018-06-01", deliveries={"portal": "failed"})
    assert statuses(check_proactive_deadline, never) == [BROKEN]
    # Not yet due as of "now": unknown, not a violation.
    early = datetime(2018, 6, 10, tzinfo=TZ)
    assert statuses(check_proactive_deadline, never, now=early) == [UNKNOWN]


def test_deadline_beyond_holiday_calendar_is_marked_estimate() -> None:
    f = facts_item(written_on="2099-03-02", published={"portal": "2099-03-03"})
    (finding,) = check_proactive_deadline(Facts(year=2099, now=NOW, items=[f]))
    assert finding.status == MET and finding.estimated and "估算" in finding.detail


def test_items_of_other_years_are_out_of_scope() -> None:
    old = facts_item(written_on="2017-05-02", published={"portal": "2017-06-30"})
    assert run(check_proactive_deadline, old) == []
    # Written in 2017, first published in 2018: in scope, and late.
    late = facts_item(written_on="2017-12-01", published={"portal": "2018-02-01"})
    assert statuses(check_proactive_deadline, late) == [BROKEN]


# -- 双公示 ------------------------------------------------------------------------------------


def test_credit_deadline_across_holidays() -> None:
    # Decided Friday 2018-09-28: 29, 30 Sep are make-up days, 1–7 Oct 国庆 → due Fri 2018-10-12.
    on_time = facts_item(kind="penalty", credit=penalty("菏环罚字〔2018〕1号", "2018-09-28"),
                         published={"credit": "2018-10-12T18:00"})
    late = facts_item(kind="penalty", credit=penalty("菏环罚字〔2018〕2号", "2018-09-28"),
                      published={"credit": "2018-10-13T09:00"})
    # Decided Friday 2018-02-09: due Saturday 2018-02-24, a make-up working day after 春节.
    spring = facts_item(kind="license", credit=license_("菏建许〔2018〕1号", "2018-02-09"),
                        published={"credit": "2018-02-24"})
    assert run(check_credit_deadline, on_time, late, spring) == [
        (MET, "credit"), (BROKEN, "credit"), (MET, "credit"),
    ]


def test_credit_deadline_uses_plugin_not_channel_name() -> None:
    f = facts_item(kind="penalty", credit=penalty("菏环罚字〔2018〕3号", "2018-09-28"),
                   published={"xinyong": "2018-10-08"})
    assert run(check_credit_deadline, f, plugins={"xinyong": "credit"}) == [(MET, "xinyong")]
    # Without the mapping the hub sees no credit channel at all: broken.
    assert run(check_credit_deadline, f) == [(BROKEN, None)]


def test_license_without_record_is_unknown_not_broken() -> None:
    f = facts_item(kind="license", published={"portal": "2018-06-01"})
    assert statuses(check_credit_deadline, f) == [UNKNOWN]


# -- recall ------------------------------------------------------------------------------------


def test_recall_within_24_hours_on_every_portal() -> None:
    decided = at("2018-07-12T16:30")
    f = facts_item(kind="recall", decided_at=decided,
                   published={"portal": "2018-07-13T16:30", "site": "2018-07-13T16:31",
                              "wechat": "2018-07-12T17:00"})
    assert run(check_recall, f, plugins={"site": "portal"}) == [
        (MET, "portal"), (BROKEN, "site"),
    ]


def test_recall_without_decision_time_cannot_be_checked() -> None:
    f = facts_item(kind="recall", published={"portal": "2018-07-13"})
    ((status, _),) = run(check_recall, f)
    assert status == UNKNOWN


def test_recall_not_yet_due() -> None:
    f = facts_item(kind="recall", decided_at=at("2018-07-12T16:30"),
                   deliveries={"portal": "pending"})
    assert statuses(check_recall, f, now=at("2018-07-13T09:00")) == [UNKNOWN]
    assert statuses(check_recall, f, now=at("2018-07-13T17:00")) == [BROKEN]


# -- school enrollment ------------------------------------------------------------------------


def test_school_enrollment_by_end_of_july() -> None:
    topics = ("教育", "义务教育招生")
    ok = facts_item("招生办法", "2018-07-10", topics=topics, published={"portal": "2018-07-31"})
    late = facts_item("招生方案", "2018-07-10", topics=topics, published={"portal": "2018-08-01"})
    result = facts_item("招生结果公告", "2018-09-01", topics=topics,
                        published={"portal": "2018-09-02"})
    assert statuses(check_school_enrollment, ok, late, result) == [MET, BROKEN]


# -- series ------------------------------------------------------------------------------------


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


# -- interpretations ---------------------------------------------------------------------------


def _policy() -> ItemFacts:
    return facts_item("规划", "2018-09-28", kind="policy", doc_number="菏政发〔2018〕15号",
                      published={"portal": "2018-09-28"})


@pytest.mark.parametrize(
    ("published", "status"),
    [
        # Policy first published Fri 2018-09-28; 3 working days later is 2018-10-08
        # (29 and 30 September are make-up working days, 1–7 October 国庆).
        ("2018-10-08", MET),
        ("2018-10-09", BROKEN),
        # Published before the policy: 3 working days after Wed 26 Sep is Sat 29 Sep.
        ("2018-09-26", MET),
        # 3 working days after Thu 20 Sep is Wed 26 Sep (Mon 24 Sep is 中秋).
        ("2018-09-20", BROKEN),
    ],
)
def test_interpretation_published_with_policy(published: str, status: str) -> None:
    policy = _policy()
    interp = facts_item("解读", "2018-09-28", kind="interpretation",
                        interprets="菏政发〔2018〕15号", published={"portal": published})
    assert statuses(check_interpretation_sync, policy, interp) == [status]


def test_interpretation_target_by_index_no_or_doc_number() -> None:
    policy = _policy()
    by_index = facts_item("解读一", kind="interpretation", interprets=policy.item.index_no,
                          published={"portal": "2018-09-28"})
    by_doc = facts_item("解读二", kind="interpretation", interprets="菏政发〔2018〕15号",
                        published={"portal": "2018-09-28"})
    missing = facts_item("解读三", kind="interpretation", interprets="鲁政发〔2018〕1号",
                         published={"portal": "2018-09-28"})
    assert statuses(check_interpretation_target, policy, by_index, by_doc, missing) == [
        MET, MET, BROKEN,
    ]


def test_interpretation_links_need_both_on_the_same_portal() -> None:
    policy = _policy()
    both = facts_item("解读", kind="interpretation", interprets=policy.item.index_no,
                      published={"portal": "2018-09-28", "wechat": "2018-09-28"})
    elsewhere = facts_item("解读", kind="interpretation", interprets=policy.item.index_no,
                           published={"site2": "2018-09-28"})
    assert run(check_interpretation_links, policy, both, plugins={"site2": "portal"}) == [
        (MET, "portal"),
    ]
    assert run(check_interpretation_links, policy, elsewhere, plugins={"site2": "portal"}) == [
        (BROKEN, "portal"), (BROKEN, "site2"),
    ]


# -- proposal replies, not-proactive, deliveries -----------------------------------------------


def test_proposal_problems_name_the_kind_of_line_only() -> None:
    text = "张某某代表：\n答复如下。\n联系人：王某\n抄送：市政府办公室"
    problems = proposal_problems(text)
    assert problems == ["代表委员姓名（称呼行）", "联系方式（联系人）", "抄送范围"]
    assert "王某" not in "".join(problems)
    assert proposal_problems("代表：\n答复如下，请拨打电话12345咨询。\n菏泽市水利局") == []


def test_proposal_reply_rechecks_every_published_version() -> None:
    f = facts_item("答复", kind="proposal_reply", body_text="代表：\n答复如下。",
                   published={"portal": "2018-06-20"})
    leaked = make_item(f.item.index_no, 1, "答复", date(2018, 6, 20), kind="proposal_reply",
                       body_text="代表：\n答复如下。\n抄送：市人大")
    fixed = f.item.model_copy(update={"version": 2})
    f.versions, f.item, f.published_versions = {1: leaked, 2: fixed}, fixed, {1, 2}
    findings = list(check_proposal_reply(Facts(2018, NOW, [f])))
    assert [(x.status, x.detail.split("版")[0]) for x in findings] == [(BROKEN, "第 1 ")]


def test_not_proactive_items() -> None:
    withheld = facts_item(disclosure="withheld", published={"portal": "2018-06-01"})
    on_request = facts_item(disclosure="on_request")
    assert statuses(check_not_proactive, withheld, on_request) == [BROKEN, MET]
    assert statuses(check_not_proactive) == [MET]


def test_delivery_states() -> None:
    f = facts_item(published={"portal": "2018-06-01"},
                   deliveries={"wechat": "failed", "weibo": "unconfirmed",
                               "rss": "pending", "credit": "skipped"})
    assert sorted(run(check_deliveries, f), key=lambda x: x[1] or "") == [
        (MET, "portal"), (UNKNOWN, "rss"), (BROKEN, "wechat"), (BROKEN, "weibo"),
    ]


# -- the gate ----------------------------------------------------------------------------------


def test_gate_errors_poverty_fund_posting_period() -> None:
    base = {"kind": "announcement", "topics": ("精准扶贫",)}
    ok = make_item("x", 1, "扶贫资金公告", date(2018, 6, 1), posting_days=10, **base)
    short = make_item("x", 1, "扶贫资金公告", date(2018, 6, 1), posting_days=5, **base)
    missing = make_item("x", 1, "扶贫资金公告", date(2018, 6, 1), **base)
    dibao = make_item("x", 1, "低保对象公示", date(2018, 6, 1), kind="announcement",
                      topics=("社会救助",))
    assert gate_errors(ok) == [] and gate_errors(dibao) == []
    assert "少于" in gate_errors(short)[0]
    assert "未填写公示期" in gate_errors(missing)[0]


def test_gate_warnings() -> None:
    item = make_item("x", 1, "通知", date(2018, 1, 26))
    assert gate_warnings(item, at("2018-02-12")) == []
    (near,) = gate_warnings(item, at("2018-02-26"))  # deadline 2018-02-28, 2 working days
    assert "将于 2018-02-28 到期" in near
    (missed,) = gate_warnings(item, at("2018-03-02"))
    assert "已于 2018-02-28 到期" in missed and "逾期 2 个工作日" in missed

    pen = make_item("x", 1, "处罚", date(2018, 9, 28), kind="penalty",
                    credit=penalty("菏环罚字〔2018〕1号", "2018-09-28"))
    warnings = gate_warnings(pen, at("2018-10-11"))
    assert len(warnings) == 1 and "双公示" in warnings[0] and "2018-10-12" in warnings[0]

    recall = make_item("x", 1, "召回", date(2018, 7, 12), kind="recall",
                       decided_at=at("2018-07-12T16:30"))
    assert gate_warnings(recall, at("2018-07-13T10:00")) == []
    assert "超过24小时" in gate_warnings(recall, at("2018-07-13T17:00"))[0]
    undated = make_item("x", 1, "召回", date(2018, 7, 12), kind="recall")
    assert "decided_at" in gate_warnings(undated, at("2018-07-12T17:00"))[0]


def test_gate_warnings_say_when_a_deadline_is_an_estimate() -> None:
    item = make_item("x", 1, "通知", date(2099, 1, 5))
    (warning,) = gate_warnings(item, datetime(2099, 3, 1, tzinfo=TZ))
    assert "估算" in warning
