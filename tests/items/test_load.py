"""Loading and validating item files (DESIGN §2), with real files in tmp_path."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from heze_hub.errors import InputError
from heze_hub.items.load import MAX_FILE_BYTES, ItemFile, LoadedItem, load_item
from tests.support import EXAMPLES

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


def test_file_of_exactly_four_mib_loads(tmp_path: Path) -> None:
    path = tmp_path / "big.md"
    data = md(FRONT).encode()
    path.write_bytes(data + b"x" * (MAX_FILE_BYTES - len(data)))
    assert path.stat().st_size == MAX_FILE_BYTES
    assert len(load_item(path).fields.body) > 4_000_000


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
