"""The publish-time gate: errors that refuse a file, deadline warnings before sending.

Dates use the real 2018 calendar: 春节 15–21 February with make-up Sundays/Saturdays 11 and 24
February, 国庆 1–7 October with make-up days 29 and 30 September.
"""

from __future__ import annotations

from datetime import date, datetime

from heze_hub.rules.gate import gate_errors, gate_warnings
from tests.rules.yeardata import TZ, at, make_item, penalty


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
