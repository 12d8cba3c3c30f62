"""Loading and validating item files (DESIGN §2), with real files in tmp_path."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import pytest

from heze_hub.errors import InputError
from heze_hub.items.item_file import ItemFile
from heze_hub.items.load import MAX_FILE_BYTES, LoadedItem, load_item
from heze_hub.items.normalize import normalize
from heze_hub.items.render import MAX_BODY_CHARS
from tests.items.item_files import BODY, FRONT, JSON_BASE, load_error, md, write_json, write_md
from tests.support import EXAMPLES, HubRun

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


# Paths


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
