"""Nesting checked before a parser recurses (heze_hub.items.nesting), with real files in
tmp_path."""

from __future__ import annotations

import json
from pathlib import Path

from heze_hub.items.load import load_item
from tests.items.item_files import FRONT, JSON_BASE, load_error, write_json, write_md


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
