"""One 公示期: the body's period compared with the one the portal shows."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from heze_hub.items.model import NormalizedItem
from heze_hub.rules.deadlines import duration_text
from heze_hub.rules.posting import body_period, computed_period, period_warning

TZ = ZoneInfo("Asia/Shanghai")


def item(body: str, days: int | None = 10, kind: str = "announcement") -> NormalizedItem:
    return NormalizedItem(
        index_no="371700/2018-00001", version=1, published_at=datetime(2018, 6, 5, tzinfo=TZ),
        content_sha256="0" * 64, source="x.md", title="关于扶贫资金的公告", department="扶贫办",
        written_on=date(2018, 6, 4), kind=kind, category="result", disclosure="proactive",
        topics=("精准扶贫",), summary="公告。", posting_days=days, body_html=f"<p>{body}</p>",
        body_text=body,
    )


def test_body_period_forms() -> None:
    assert body_period("公示期：2018年6月5日至2018年6月14日（10天）。", 2018) == (
        10, (date(2018, 6, 5), date(2018, 6, 14)))
    assert body_period("公示时间为6月5日至6月11日。", 2018) == (
        None, (date(2018, 6, 5), date(2018, 6, 11)))
    assert body_period("公示期为7天。", 2018) == (7, None)
    assert body_period("公示期为5个工作日。", 2018) == (None, None)
    assert body_period("没有公示。", 2018) == (None, None)


def test_warning_only_when_the_body_differs() -> None:
    same = item("公示期：2018年6月5日至2018年6月14日（10天）。")
    assert computed_period(same, date(2018, 6, 5)) == (date(2018, 6, 5), date(2018, 6, 14))
    assert period_warning(same, date(2018, 6, 5)) is None
    later = period_warning(same, date(2026, 11, 30))
    assert later and "2018年6月5日至2018年6月14日" in later and "2026年11月30日" in later
    days = period_warning(item("公示期为7天。"), date(2018, 6, 5))
    assert days and "7 天" in days and "posting_days = 10" in days
    assert period_warning(item("公示期为7天。", kind="notice"), date(2018, 6, 5)) is None


def test_durations_in_days_past_two_days() -> None:
    assert duration_text(30.25) == "30.2 小时"
    assert duration_text(73500.8) == "3063 天"
