"""Loading and validating item files (DESIGN §2), with real files in tmp_path."""

from __future__ import annotations

import json
import os
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from heze_hub.errors import InputError
from heze_hub.items.load import MAX_FILE_BYTES, ItemFile, LoadedItem, load_item
from heze_hub.items.normalize import normalize
from heze_hub.items.render import MAX_BODY_CHARS
from tests.support import EXAMPLES, HubRun

FRONT = {
    "title": '"关于开展2018年度安全生产大检查的通知"',
    "department": '"菏泽市安全生产监督管理局"',
    "written_on": "2018-06-01",
    "kind": '"notice"',
    "category": '"execution"',
}
JSON_BASE = {
    "title": "关于开展2018年度安全生产大检查的通知",
    "department": "菏泽市安全生产监督管理局",
    "written_on": "2018-06-01",
    "kind": "notice",
    "category": "execution",
    "body": "各县区安监局：现将有关事项通知如下。",
}
BODY = "各县区安监局：\n\n现将有关事项通知如下。\n"


def md(front: dict[str, str], body: str = BODY) -> str:
    """A Markdown item file with the given TOML values (already TOML-encoded)."""
    lines = [f"{k} = {v}" for k, v in front.items()]
    return "+++\n" + "\n".join(lines) + "\n+++\n" + body


def write_md(
    tmp_path: Path, front: dict[str, str], body: str = BODY, name: str = "item.md"
) -> Path:
    path = tmp_path / name
    path.write_text(md(front, body), encoding="utf-8")
    return path


def write_json(tmp_path: Path, data: object, name: str = "item.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


# English prose as pydantic or tomllib would write it ("Input should be a valid integer", "Invalid
# date or datetime (at line 3 …"); the file path and field names never contain such a run.
_ENGLISH_PROSE = re.compile(r"[A-Za-z]{2,} [A-Za-z]{2,} [A-Za-z]{2,}")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def assert_chinese(message: str, path: Path) -> None:
    rest = message.replace(str(path), "")
    assert _CJK.search(rest), message
    assert not _ENGLISH_PROSE.search(rest), f"English in the message: {message}"


def load_error(path: Path, field: str | None = None) -> InputError:
    """Load ``path``, expect an InputError naming the file (and ``field``), in Chinese."""
    with pytest.raises(InputError) as info:
        load_item(path)
    err = info.value
    message = str(err)
    assert str(path) in message
    assert err.file == str(path)
    if field is not None:
        assert field in message
        assert err.field is not None and err.field.split(".")[0] == field
    assert_chinese(message, path)
    return err


# --- the examples ------------------------------------------------------------------------------
EXAMPLE_FILES = sorted(EXAMPLES.glob("*")) if EXAMPLES.is_dir() else []


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_every_example_loads(path: Path) -> None:
    loaded = load_item(path)
    assert isinstance(loaded, LoadedItem)
    assert loaded.path == path.resolve()
    assert loaded.fields.title and loaded.fields.department
    assert loaded.fields.body.strip()


def test_example_fields_come_through() -> None:
    poverty = load_item(EXAMPLES / "01-poverty-fund-announcement.md").fields
    assert poverty.written_on == date(2018, 6, 4)
    assert poverty.topics == ["精准扶贫", "财政预决算"]
    assert poverty.posting_days == 10
    assert poverty.disclosure == "proactive"  # the default
    assert poverty.body.startswith("根据《山东省财政专项扶贫资金管理办法》")
    assert "+++" not in poverty.body

    penalty = load_item(EXAMPLES / "05-penalty-environment.json").fields
    assert penalty.kind == "penalty"
    assert penalty.credit is not None and penalty.credit["type"] == "penalty"
    assert penalty.body.startswith("菏泽某化工有限公司")

    recall = load_item(EXAMPLES / "04-food-recall.md").fields
    assert recall.decided_at is not None and recall.decided_at.utcoffset() is not None


# --- fields -------------------------------------------------------------------------------------
def test_minimal_markdown_item(tmp_path: Path) -> None:
    fields = load_item(write_md(tmp_path, FRONT)).fields
    assert isinstance(fields, ItemFile)
    assert fields.written_on == date(2018, 6, 1)
    assert fields.body.strip() == BODY.strip()
    assert fields.topics == [] and fields.channels is None and fields.attachments == []


def test_minimal_json_item(tmp_path: Path) -> None:
    fields = load_item(write_json(tmp_path, JSON_BASE)).fields
    assert fields.written_on == date(2018, 6, 1)
    assert fields.body == JSON_BASE["body"]


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


def test_impossible_date_in_toml_is_a_toml_error(tmp_path: Path) -> None:
    path = write_md(tmp_path, {**FRONT, "written_on": "2018-02-30"})
    with pytest.raises(InputError) as info:
        load_item(path)
    message = str(info.value)
    assert str(path) in message and "TOML" in message


def test_toml_error_names_the_line_of_the_file(tmp_path: Path) -> None:
    # written_on is on line 4 of the file (line 1 is the opening +++); a department that opens
    # the file at the reported line must land on the bad value, and read why in Chinese.
    path = write_md(tmp_path, {**FRONT, "written_on": "2018-02-30"})
    assert path.read_text(encoding="utf-8").splitlines()[3].startswith("written_on")
    with pytest.raises(InputError) as info:
        load_item(path)
    message = str(info.value)
    assert re.search(r"第 ?4 ?行", message), message
    assert_chinese(message, path)


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


# --- disclosure ---------------------------------------------------------------------------------
@pytest.mark.parametrize("disclosure", ["on_request", "withheld"])
def test_non_proactive_items_load(tmp_path: Path, disclosure: str) -> None:
    # Loading accepts them; normalization refuses them (tests/test_normalize.py).
    fields = load_item(write_md(tmp_path, {**FRONT, "disclosure": f'"{disclosure}"'})).fields
    assert fields.disclosure == disclosure


def test_unknown_disclosure_refused(tmp_path: Path) -> None:
    load_error(write_md(tmp_path, {**FRONT, "disclosure": '"public"'}), "disclosure")


# --- bytes and structure ------------------------------------------------------------------------
def test_gbk_file_refused(tmp_path: Path) -> None:
    path = tmp_path / "gbk.md"
    path.write_bytes(md(FRONT).encode("gbk"))
    err = load_error(path)
    assert "UTF-8" in str(err)


def test_empty_file_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.md"
    path.write_bytes(b"")
    assert "为空" in str(load_error(path))


def test_whitespace_only_file_refused(tmp_path: Path) -> None:
    path = tmp_path / "blank.md"
    path.write_text(" \n\t\n\u3000\n", encoding="utf-8")
    assert "为空" in str(load_error(path))


def test_file_over_four_mib_refused(tmp_path: Path) -> None:
    path = tmp_path / "huge.md"
    text = md(FRONT)
    path.write_text(text + "啊" * ((MAX_FILE_BYTES - len(text.encode())) // 3 + 1), "utf-8")
    assert path.stat().st_size > MAX_FILE_BYTES
    err = load_error(path)
    assert "过大" in str(err) and "附件" in str(err)


def test_file_of_exactly_four_mib_passes_the_size_check(tmp_path: Path) -> None:
    # Read whole and parsed; what refuses it is the body's own bound (render.MAX_BODY_CHARS).
    path = tmp_path / "big.md"
    data = md(FRONT).encode()
    path.write_bytes(data + b"x" * (MAX_FILE_BYTES - len(data)))
    assert path.stat().st_size == MAX_FILE_BYTES
    err = load_error(path, "body")
    assert "过大" not in str(err) and f"最多 {MAX_BODY_CHARS} 字" in str(err)


def test_missing_front_matter(tmp_path: Path) -> None:
    path = tmp_path / "plain.md"
    path.write_text("# 关于开展安全生产大检查的通知\n\n正文。\n", encoding="utf-8")
    err = load_error(path)
    assert "+++" in str(err)


def test_unterminated_front_matter(tmp_path: Path) -> None:
    path = tmp_path / "open.md"
    path.write_text(md(FRONT).replace("+++\n" + BODY, BODY), encoding="utf-8")
    assert path.read_text(encoding="utf-8").count("+++") == 1
    err = load_error(path)
    assert "结束行" in str(err)


def test_json_syntax_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"title": "测试",\n "kind": }', encoding="utf-8")
    err = load_error(path)
    assert "JSON" in str(err) and "第 2 行" in str(err)


def test_json_top_level_list_refused(tmp_path: Path) -> None:
    err = load_error(write_json(tmp_path, [JSON_BASE]))
    assert "对象" in str(err)


def test_bom_tolerated_in_markdown(tmp_path: Path) -> None:
    path = tmp_path / "bom.md"
    path.write_bytes(b"\xef\xbb\xbf" + md(FRONT).encode("utf-8"))
    fields = load_item(path).fields
    assert fields.title == "关于开展2018年度安全生产大检查的通知"


def test_bom_tolerated_in_json(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(JSON_BASE, ensure_ascii=False).encode("utf-8"))
    assert load_item(path).fields.kind == "notice"


def test_crlf_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "crlf.md"
    path.write_bytes(md(FRONT).replace("\n", "\r\n").encode("utf-8"))
    fields = load_item(path).fields
    assert fields.title == "关于开展2018年度安全生产大检查的通知"
    assert "现将有关事项通知如下" in fields.body


def test_body_in_markdown_front_matter_refused(tmp_path: Path) -> None:
    err = load_error(write_md(tmp_path, {**FRONT, "body": '"正文写在这里"'}), "body")
    assert "+++" in str(err)


def test_directory_given(tmp_path: Path) -> None:
    folder = tmp_path / "items.md"
    folder.mkdir()
    err = load_error(folder)
    assert "目录" in str(err)


def test_missing_file(tmp_path: Path) -> None:
    err = load_error(tmp_path / "nowhere.md")
    assert "不存在" in str(err)


def test_json_content_in_a_file_without_suffix(tmp_path: Path) -> None:
    path = write_json(tmp_path, JSON_BASE, name="item")
    assert load_item(path).fields.body == JSON_BASE["body"]


# --- issue 10: bad input is an InputError, never anything else ------------------------------------
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


# TOML and JSON syntax: Chinese, the line in the whole file, the field, the fix.
def test_unquoted_date_with_slashes_in_toml(tmp_path: Path) -> None:
    path = write_md(tmp_path, {**FRONT, "written_on": "2026/11/26"})
    err = load_error(path, "written_on")
    message = str(err)
    assert "第 4 行" in message and "TOML" in message
    assert "日期写作 2026-11-26" in message


@pytest.mark.parametrize(("value", "fix"), [
    ("2026.11.26", "2026-11-26"), ("2026年11月26日", "2026-11-26"), ("2018-6-1", "2018-06-01"),
])
def test_other_date_spellings_in_toml_get_the_fix(tmp_path: Path, value: str, fix: str) -> None:
    err = load_error(write_md(tmp_path, {**FRONT, "written_on": value}), "written_on")
    assert f"日期写作 {fix}" in str(err)


def test_unquoted_text_in_toml(tmp_path: Path) -> None:
    err = load_error(write_md(tmp_path, {**FRONT, "department": "菏泽市安全生产监督管理局"}),
                     "department")
    assert "第 3 行" in str(err) and "双引号" in str(err)


def test_chinese_quotes_in_toml(tmp_path: Path) -> None:
    err = load_error(write_md(tmp_path, {**FRONT, "kind": "“notice”"}), "kind")
    assert "中文引号" in str(err)


def test_toml_error_inside_a_list_names_the_list(tmp_path: Path) -> None:
    path = tmp_path / "item.md"
    path.write_text(md(FRONT).replace("+++\n", '+++\ntopics = [\n  "教育",\n  教育\n]\n', 1),
                    encoding="utf-8")
    err = load_error(path, "topics")
    assert "第 4 行" in str(err) and "双引号" in str(err)


def test_toml_error_on_a_stray_line_names_no_field(tmp_path: Path) -> None:
    path = tmp_path / "item.md"
    path.write_text(md(FRONT).replace("+++\n", "+++\n这一行不是字段\n", 1), encoding="utf-8")
    err = load_error(path)
    assert err.field is None and "第 2 行" in str(err) and "字段名 = 值" in str(err)


def test_toml_key_written_twice(tmp_path: Path) -> None:
    path = tmp_path / "item.md"
    path.write_text(md(FRONT).replace("+++\n", '+++\ntitle = "另一个标题"\n', 1),
                    encoding="utf-8")
    err = load_error(path, "title")
    assert "字段重复" in str(err)


def test_json_syntax_error_names_the_field_and_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "item.json"
    path.write_text('{"title": "测试",\n "written_on": 2026/11/26,\n "kind": "notice"}',
                    encoding="utf-8")
    err = load_error(path, "written_on")
    assert "第 2 行" in str(err) and '"2026-11-26"' in str(err)


# Nesting: the parsers recurse once per level.
def test_toml_arrays_nested_hundreds_deep(tmp_path: Path) -> None:
    for depth in (300, 3000):
        path = write_md(tmp_path, {**FRONT, "topics": "[" * depth + "]" * depth})
        err = load_error(path, "topics")
        assert "嵌套" in str(err) and "第 7 行" in str(err)


def test_toml_inline_tables_nested_deep(tmp_path: Path) -> None:
    path = write_md(tmp_path, {**FRONT, "credit": "{a = " * 2000 + "1" + "}" * 2000})
    assert "嵌套" in str(load_error(path))


def test_json_nested_two_thousand_deep(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    data = json.dumps(JSON_BASE, ensure_ascii=False)
    path.write_text(data[:-1] + ', "topics": ' + "[" * 2000 + "]" * 2000 + "}", encoding="utf-8")
    assert "嵌套" in str(load_error(path))


def test_brackets_inside_strings_are_not_nesting(tmp_path: Path) -> None:
    brackets = "[{" * 100
    fields = load_item(write_md(tmp_path, {**FRONT, "summary": json.dumps(brackets)})).fields
    assert fields.summary == brackets
    assert load_item(write_json(tmp_path, {**JSON_BASE, "summary": brackets})).fields.summary
    path = write_md(tmp_path, {**FRONT, "summary": "'''" + brackets + "\n" + brackets + "'''"})
    assert load_item(path).fields.summary


# Numbers
@pytest.mark.parametrize("digits", [20, 5000])
def test_json_integer_of_many_digits(tmp_path: Path, digits: int) -> None:
    path = tmp_path / "big.json"
    data = json.dumps(JSON_BASE, ensure_ascii=False)
    path.write_text(data[:-1] + ', "posting_days": ' + "9" * digits + "}", encoding="utf-8")
    err = load_error(path, "posting_days")
    assert f"{digits} 位" in str(err)


@pytest.mark.parametrize("value", ["9" * 5000, "9223372036854775808"])
def test_toml_integer_past_64_bits(tmp_path: Path, value: str) -> None:
    err = load_error(write_md(tmp_path, {**FRONT, "posting_days": value}))
    assert "整数" in str(err)


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_json_numbers_that_are_not_numbers(tmp_path: Path, literal: str) -> None:
    path = tmp_path / "nan.json"
    data = json.dumps(JSON_BASE, ensure_ascii=False)
    path.write_text(data[:-1] + f', "posting_days": {literal}}}', encoding="utf-8")
    load_error(path, "posting_days")


# Text that is not text
@pytest.mark.parametrize("field", ["title", "summary", "body", "department"])
def test_json_lone_surrogate_escape(tmp_path: Path, field: str) -> None:
    path = tmp_path / "surrogate.json"
    data = {**JSON_BASE, field: "安全生产@@大检查的安排"}
    path.write_text(json.dumps(data, ensure_ascii=False).replace("@@", "\\ud800"),
                    encoding="utf-8")
    err = load_error(path, field)
    assert "\\ud800" in str(err)


def test_json_lone_surrogate_in_a_key_or_a_list(tmp_path: Path) -> None:
    path = tmp_path / "surrogate.json"
    path.write_text(json.dumps(JSON_BASE)[:-1] + ', "topics": ["教育", "\\udc00"]}')
    load_error(path, "topics")
    path.write_text(json.dumps(JSON_BASE)[:-1] + ', "ti\\udc00tle": "x"}')
    err = load_error(path)
    str(err).encode("utf-8")  # the message itself can be printed


def test_json_key_written_twice(tmp_path: Path) -> None:
    path = tmp_path / "twice.json"
    path.write_text(json.dumps(JSON_BASE, ensure_ascii=False)[:-1] + ', "title": "另一个标题"}',
                    encoding="utf-8")
    err = load_error(path, "title")
    assert "写了两次" in str(err)


def test_json_key_written_twice_in_a_nested_object(tmp_path: Path) -> None:
    path = tmp_path / "twice.json"
    att = '[{"path": "a.pdf", "title": "附件一", "title": "附件二"}]'
    path.write_text(json.dumps(JSON_BASE, ensure_ascii=False)[:-1] + f', "attachments": {att}}}',
                    encoding="utf-8")
    err = load_error(path, "attachments")
    assert "attachments.0.title" in str(err) and "写了两次" in str(err)


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


def test_attachment_behind_a_symlink_loop(tmp_path: Path) -> None:
    (tmp_path / "loop.pdf").symlink_to("loop.pdf")
    front = {**FRONT, "attachments": '[{path = "loop.pdf", title = "附件"}]'}
    loaded = load_item(write_md(tmp_path, front))
    with pytest.raises(InputError) as info:  # RuntimeError from Path.resolve() on 3.11
        normalize(loaded)
    assert info.value.field == "attachments" and "无法读取" in str(info.value)


def test_attachment_linked_to_a_name_that_is_not_utf8(tmp_path: Path) -> None:
    (tmp_path / os.fsdecode(b"\xb9\xab.pdf")).write_bytes(b"%PDF")
    (tmp_path / "a.pdf").symlink_to(os.fsdecode(b"\xb9\xab.pdf"))
    front = {**FRONT, "attachments": '[{path = "a.pdf", title = "附件"}]'}
    loaded = load_item(write_md(tmp_path, front))
    with pytest.raises(InputError) as info:  # the name would not encode in the hash or the store
        normalize(loaded)
    assert info.value.field == "attachments" and "UTF-8" in str(info.value)


def test_file_name_that_is_not_utf8(tmp_path: Path) -> None:
    name = os.fsdecode(b"\xb9\xab\xb8\xe6.md")  # GBK for 公告.md, as an unzip may leave it
    path = tmp_path / name
    path.write_text(md(FRONT), encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_item(path)
    message = str(info.value)
    message.encode("utf-8")  # printable: the undecodable bytes are shown as escapes
    assert "\\xb9\\xab\\xb8\\xe6.md" in message and "改名" in message


def test_folder_name_that_is_not_utf8(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / os.fsdecode(b"\xb9\xab")
    folder.mkdir()
    (folder / "item.md").write_text(md(FRONT), encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_item(folder / "item.md")
    assert "\\xb9\\xab/item.md" in str(info.value)
    monkeypatch.chdir(folder)  # "hub publish item.md" run inside that folder
    with pytest.raises(InputError) as info:
        load_item(Path("item.md"))
    assert "\\xb9\\xab" in str(info.value) and "目录" in str(info.value)
    str(info.value).encode("utf-8")


def test_file_name_with_a_control_character(tmp_path: Path) -> None:
    path = tmp_path / "a\x1b[31m.md"
    path.write_text(md(FRONT), encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_item(path)
    assert "\x1b" not in str(info.value) and "改名" in str(info.value)


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


# --- the same cases through the real CLI: exit 2, a message, nothing sent -------------------------
def _json_text(extra: str) -> str:
    return json.dumps(JSON_BASE, ensure_ascii=False)[:-1] + ", " + extra + "}"


def _md_text(**front: str) -> str:
    return md({**FRONT, **front})


#: (file name, content, field named in the message, words of the rule)
CLI_CASES = [
    ("future.md", _md_text(written_on="9999-12-31"), "written_on", "晚于明天"),
    ("years-ahead.json", _json_text('"written_on": "2030-01-01"').replace(
        '"written_on": "2018-06-01", ', ""), "written_on", "晚于明天"),
    ("decided.md", _md_text(decided_at="9999-12-31T23:00:00-08:00"), "decided_at", "请检查年份"),
    ("deep.md", _md_text(topics="[" * 300 + "]" * 300), "topics", "嵌套"),
    ("deep.json", _json_text('"topics": ' + "[" * 2000 + "]" * 2000), "topics", "嵌套"),
    ("digits.json", _json_text('"posting_days": ' + "7" * 5000), "posting_days", "5000 位"),
    ("surrogate.json", _json_text('"summary": "概述\\ud800内容"'), "summary", "\\ud800"),
    ("nul.json", _json_text('"attachments": [{"path": "a\\u0000.pdf", "title": "附件"}]'),
     "attachments", "控制字符"),
    ("twice.json", _json_text('"title": "另一个标题"'), "title", "写了两次"),
    ("slashes.md", _md_text(written_on="2026/11/26"), "written_on", "2026-11-26"),
    ("wide.md", md(FRONT, "|" + "a|" * 20_000 + "\n|" + "-|" * 20_000 + "\n"), "body", "100 列"),
]


@pytest.mark.parametrize(("name", "text", "field", "rule"), CLI_CASES,
                         ids=[c[0] for c in CLI_CASES])
def test_cli_bad_input_is_exit_2_with_a_message(
    hub_run: HubRun, name: str, text: str, field: str | None, rule: str
) -> None:
    (hub_run.cwd / name).write_text(text, encoding="utf-8")
    proc = hub_run("publish", name, check=2)  # HubRun asserts there is no traceback
    assert "内部错误" not in proc.stderr
    assert name in proc.stderr and rule in proc.stderr, proc.stderr
    if field:
        assert f"字段 {field}" in proc.stderr, proc.stderr
    assert "未发送任何内容" in proc.stderr
    assert not (hub_run.cwd / "public").exists()


def test_cli_symlink_loop_attachment_is_exit_2(hub_run: HubRun) -> None:
    (hub_run.cwd / "loop.pdf").symlink_to("loop.pdf")
    (hub_run.cwd / "loop.md").write_text(
        _md_text(attachments='[{path = "loop.pdf", title = "附件"}]'), encoding="utf-8")
    proc = hub_run("publish", "loop.md", check=2)
    assert "内部错误" not in proc.stderr and "attachments" in proc.stderr


def test_cli_dry_run_validates_exactly_as_the_real_run(hub_run: HubRun) -> None:
    names = []
    for name, text, _, _ in CLI_CASES:
        (hub_run.cwd / name).write_text(text, encoding="utf-8")
        names.append(name)
    dry = hub_run("publish", "--dry-run", *names, check=2)
    real = hub_run("publish", *names, check=2)
    assert dry.stderr == real.stderr
    for name in names:  # a batch is validated whole: every file's problem is listed
        assert name in real.stderr
