"""The fields of an item file and their rules (heze_hub.items.item_file), through real files
in tmp_path."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from heze_hub.items.load import load_item
from tests.items.item_files import FRONT, JSON_BASE, load_error, write_json, write_md


# --- fields -------------------------------------------------------------------------------------
def test_unknown_field_refused(tmp_path: Path) -> None:
    err = load_error(write_md(tmp_path, {**FRONT, "titel": '"拼错了"'}), "titel")
    assert "未知字段" in str(err)


def test_unknown_field_in_json_refused(tmp_path: Path) -> None:
    load_error(write_json(tmp_path, {**JSON_BASE, "publish_date": "2018-06-02"}), "publish_date")


@pytest.mark.parametrize("missing", ["title", "department", "written_on", "kind", "category"])
def test_missing_required_field(tmp_path: Path, missing: str) -> None:
    front = {k: v for k, v in FRONT.items() if k != missing}
    err = load_error(write_md(tmp_path, front), missing)
    assert "缺少必填字段" in str(err)


def test_topics_as_a_string_refused(tmp_path: Path) -> None:
    err = load_error(write_md(tmp_path, {**FRONT, "topics": '"安全生产"'}), "topics")
    assert "列表" in str(err)


def test_posting_days_as_a_list_refused(tmp_path: Path) -> None:
    err = load_error(write_md(tmp_path, {**FRONT, "posting_days": "[10]"}), "posting_days")
    assert "整数" in str(err)


def test_posting_days_as_a_fraction_refused_in_chinese(tmp_path: Path) -> None:
    load_error(write_json(tmp_path, {**JSON_BASE, "posting_days": 10.5}), "posting_days")


@pytest.mark.parametrize("days", ["0", "-3", "3651"])
def test_posting_days_out_of_range(tmp_path: Path, days: str) -> None:
    load_error(write_md(tmp_path, {**FRONT, "posting_days": days}), "posting_days")


def test_kind_not_in_the_list(tmp_path: Path) -> None:
    err = load_error(write_md(tmp_path, {**FRONT, "kind": '"memo"'}), "kind")
    assert "notice" in str(err) and "interpretation" in str(err)


def test_blank_topic_refused(tmp_path: Path) -> None:
    load_error(write_md(tmp_path, {**FRONT, "topics": '["安全生产", " "]'}), "topics")


def test_empty_channels_list_refused(tmp_path: Path) -> None:
    load_error(write_md(tmp_path, {**FRONT, "channels": "[]"}), "channels")


def test_bad_index_no_refused(tmp_path: Path) -> None:
    err = load_error(write_md(tmp_path, {**FRONT, "index_no": '"371700-2018-1"'}), "index_no")
    assert "索引号" in str(err)


def test_attachment_without_title_refused(tmp_path: Path) -> None:
    front = {**FRONT, "attachments": '[{path = "a.pdf"}]'}
    err = load_error(write_md(tmp_path, front), "attachments")
    assert "title" in str(err)


def test_all_problems_listed_at_once(tmp_path: Path) -> None:
    front = {**FRONT, "topics": '"安全生产"', "posting_days": '"十天"'}
    err = load_error(write_md(tmp_path, front), "topics")
    assert "posting_days" in str(err)


# --- dates --------------------------------------------------------------------------------------
def test_impossible_date_in_json(tmp_path: Path) -> None:
    err = load_error(write_json(tmp_path, {**JSON_BASE, "written_on": "2018-02-30"}), "written_on")
    assert "日期" in str(err)


def test_datetime_for_written_on_in_toml(tmp_path: Path) -> None:
    err = load_error(write_md(tmp_path, {**FRONT, "written_on": "2018-06-01T10:00:00"}),
                     "written_on")
    assert "只写日期" in str(err)


@pytest.mark.parametrize("value", ["2018-06-01T10:00:00", "2018-06-01T00:00:00+08:00"])
def test_datetime_for_written_on_in_json(tmp_path: Path, value: str) -> None:
    # JSON has no date type: a datetime string must be refused as TOML's datetime is, not
    # silently truncated (midnight) or explained in pydantic's English (other times).
    load_error(write_json(tmp_path, {**JSON_BASE, "written_on": value}), "written_on")


def test_bad_decided_at(tmp_path: Path) -> None:
    load_error(write_json(tmp_path, {**JSON_BASE, "decided_at": "昨天下午"}), "decided_at")


def _day(offset: int) -> str:
    return (datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=offset)).isoformat()


def test_written_on_tomorrow_is_the_latest_allowed(tmp_path: Path) -> None:
    # DESIGN §2: "A written_on later than tomorrow is an error".
    assert load_item(write_md(tmp_path, {**FRONT, "written_on": _day(1)})).fields.written_on
    err = load_error(write_md(tmp_path, {**FRONT, "written_on": _day(2)}), "written_on")
    assert "晚于明天" in str(err) and _day(2) in str(err)


@pytest.mark.parametrize("value", ["9999-12-31", "2099-03-02"])
def test_written_on_in_the_future_refused(tmp_path: Path, value: str) -> None:
    err = load_error(write_md(tmp_path, {**FRONT, "written_on": value}), "written_on")
    assert "晚于明天" in str(err) and value in str(err)
    load_error(write_json(tmp_path, {**JSON_BASE, "written_on": value}), "written_on")


@pytest.mark.parametrize("value", ["0001-01-01", "1948-12-31"])
def test_written_on_before_1949_refused(tmp_path: Path, value: str) -> None:
    err = load_error(write_md(tmp_path, {**FRONT, "written_on": value}), "written_on")
    assert "1949-01-01" in str(err)


@pytest.mark.parametrize("value", [
    "9999-12-31T23:00:00-08:00", "0001-01-01T00:00:00+08:00", "0001-01-01T00:00:00",
    "9999-12-31T23:59:59",
])
def test_decided_at_at_the_ends_of_the_calendar_refused(tmp_path: Path, value: str) -> None:
    # Converting these to Asia/Shanghai overflowed (OverflowError, exit 1 "内部错误").
    err = load_error(write_md(tmp_path, {**FRONT, "decided_at": value}), "decided_at")
    assert "请检查年份" in str(err)


def test_decided_at_tomorrow_allowed_later_refused(tmp_path: Path) -> None:
    load_item(write_md(tmp_path, {**FRONT, "decided_at": _day(1) + "T09:00:00+08:00"}))
    load_error(write_md(tmp_path, {**FRONT, "decided_at": _day(3) + "T09:00:00+08:00"}),
               "decided_at")


@pytest.mark.parametrize(("field", "value"), [
    ("written_on", 20180601), ("written_on", 0), ("written_on", "20180601"),
    ("decided_at", 20180601), ("decided_at", "1528000000"), ("decided_at", 1.5e9),
])
def test_dates_written_as_numbers_refused(tmp_path: Path, field: str, value: object) -> None:
    # pydantic reads a number (or a string of digits) as seconds since 1970: 20180601 would
    # have become 1970-08-23 without a word.
    load_error(write_json(tmp_path, {**JSON_BASE, field: value}), field)


def test_written_on_with_slashes_in_json_names_the_fix(tmp_path: Path) -> None:
    err = load_error(write_json(tmp_path, {**JSON_BASE, "written_on": "2026/11/26"}), "written_on")
    assert "2026-11-26" in str(err)


# --- disclosure ---------------------------------------------------------------------------------
@pytest.mark.parametrize("disclosure", ["on_request", "withheld"])
def test_non_proactive_items_load(tmp_path: Path, disclosure: str) -> None:
    # Loading accepts them; normalization refuses them (tests/test_normalize.py).
    fields = load_item(write_md(tmp_path, {**FRONT, "disclosure": f'"{disclosure}"'})).fields
    assert fields.disclosure == disclosure


def test_unknown_disclosure_refused(tmp_path: Path) -> None:
    load_error(write_md(tmp_path, {**FRONT, "disclosure": '"public"'}), "disclosure")


# Paths
@pytest.mark.parametrize("escape", ["\\u0000", "\\u001b", "\\n"])
def test_control_character_in_an_attachment_path(tmp_path: Path, escape: str) -> None:
    front = {**FRONT, "attachments": f'[{{path = "a{escape}b.pdf", title = "附件"}}]'}
    err = load_error(write_md(tmp_path, front), "attachments")
    assert "控制字符" in str(err)
    path = tmp_path / "nul.json"
    att = f'[{{"path": "a{escape}b.pdf", "title": "附件"}}]'
    path.write_text(json.dumps(JSON_BASE, ensure_ascii=False)[:-1] + f', "attachments": {att}}}',
                    encoding="utf-8")
    load_error(path, "attachments")


def test_attachment_path_with_a_name_too_long_for_the_file_system(tmp_path: Path) -> None:
    front = {**FRONT, "attachments": f'[{{path = "{"附" * 90}.pdf", title = "附件"}}]'}
    err = load_error(write_md(tmp_path, front), "attachments")
    assert "过长" in str(err)


# Bounds on what the normalizer works on
def test_body_past_the_bounds_is_refused_by_the_loader(tmp_path: Path) -> None:
    body = "|" + "a|" * 20_000 + "\n|" + "-|" * 20_000 + "\n"
    err = load_error(write_md(tmp_path, FRONT, body=body), "body")
    assert "列" in str(err) and "附件" in str(err)
    err = load_error(write_md(tmp_path, FRONT, body="> " * 30 + "深处"), "body")
    assert "嵌套" in str(err)


def test_summary_that_is_a_whole_body(tmp_path: Path) -> None:
    err = load_error(write_json(tmp_path, {**JSON_BASE, "summary": "安全" * 3000}), "summary")
    assert "最多 100 字" in str(err)


def test_redact_list_bounds(tmp_path: Path) -> None:
    load_error(write_json(tmp_path, {**JSON_BASE, "redact": [f"张{i}" for i in range(201)]}),
               "redact")
    load_error(write_json(tmp_path, {**JSON_BASE, "redact": ["张" * 101]}), "redact")


def test_long_topic_refused(tmp_path: Path) -> None:
    load_error(write_json(tmp_path, {**JSON_BASE, "topics": ["教育" * 101]}), "topics")


def test_no_pydantic_english_for_any_type(tmp_path: Path) -> None:
    data = {**JSON_BASE, "posting_days": "9" * 5000, "topics": [1.5], "credit": [1],
            "channels": {"a": 1}, "decided_at": "昨天", "attachments": [[]]}
    load_error(write_json(tmp_path, data))  # asserts the message is Chinese
