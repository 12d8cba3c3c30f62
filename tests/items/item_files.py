"""Item files for the loader's tests: written into tmp_path from a few valid fields, and
loaded expecting an InputError that names the file and the field, in Chinese."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from heze_hub.errors import InputError
from heze_hub.items.load import load_item

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
