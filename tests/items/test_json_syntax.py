"""JSON item files (heze_hub.items.json_syntax): syntax errors in Chinese, and what the
JSON parser lets through but an item cannot hold; with real files in tmp_path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.items.item_files import JSON_BASE, load_error, write_json


def test_json_syntax_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"title": "测试",\n "kind": }', encoding="utf-8")
    err = load_error(path)
    assert "JSON" in str(err) and "第 2 行" in str(err)


def test_json_top_level_list_refused(tmp_path: Path) -> None:
    err = load_error(write_json(tmp_path, [JSON_BASE]))
    assert "对象" in str(err)


def test_json_syntax_error_names_the_field_and_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "item.json"
    path.write_text('{"title": "测试",\n "written_on": 2026/11/26,\n "kind": "notice"}',
                    encoding="utf-8")
    err = load_error(path, "written_on")
    assert "第 2 行" in str(err) and '"2026-11-26"' in str(err)


# Numbers
@pytest.mark.parametrize("digits", [20, 5000])
def test_json_integer_of_many_digits(tmp_path: Path, digits: int) -> None:
    path = tmp_path / "big.json"
    data = json.dumps(JSON_BASE, ensure_ascii=False)
    path.write_text(data[:-1] + ', "posting_days": ' + "9" * digits + "}", encoding="utf-8")
    err = load_error(path, "posting_days")
    assert f"{digits} 位" in str(err)


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


# Keys written twice
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
