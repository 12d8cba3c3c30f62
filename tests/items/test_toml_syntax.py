"""Markdown item files (heze_hub.items.toml_syntax): the front matter, and TOML errors in
Chinese with the line in the whole file, the field and the fix; with real files in tmp_path."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from heze_hub.errors import InputError
from heze_hub.items.load import load_item
from tests.items.item_files import BODY, FRONT, assert_chinese, load_error, md, write_md


# --- front matter -------------------------------------------------------------------------------
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


def test_body_in_markdown_front_matter_refused(tmp_path: Path) -> None:
    err = load_error(write_md(tmp_path, {**FRONT, "body": '"正文写在这里"'}), "body")
    assert "+++" in str(err)


# TOML syntax: Chinese, the line in the whole file, the field, the fix.
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


# Numbers
@pytest.mark.parametrize("value", ["9" * 5000, "9223372036854775808"])
def test_toml_integer_past_64_bits(tmp_path: Path, value: str) -> None:
    err = load_error(write_md(tmp_path, {**FRONT, "posting_days": value}))
    assert "整数" in str(err)
