"""The item file (DESIGN §2): Markdown with TOML front matter, or JSON; loaded and validated.

Every problem becomes an :class:`InputError` whose Chinese message names the file, the field and
the rule, so a department can fix its file without reading code. Nothing else escapes
:func:`load_item`, whatever the bytes: the parsers' own failures (recursion on deep nesting,
integers past Python's conversion limit, lone surrogates, NUL bytes in paths, odd file names)
are checked for before they can happen, or turned into the same kind of message.

Bounds (beyond those of the body, in :mod:`heze_hub.items.render`):

- a file is at most :data:`MAX_FILE_BYTES` (4 MiB);
- TOML arrays and tables and JSON arrays and objects nest at most
  :data:`~heze_hub.items.nesting.MAX_NESTING` deep (an item needs 3: the file, ``attachments``,
  one attachment); deeper input is refused before a parser recurses into it;
- integers fit TOML's 64 bits (:data:`~heze_hub.items.item_file.MAX_INT`), in JSON as in TOML;
  JSON has no NaN or Infinity and a key may appear once per object (TOML has the same rule);
- ``written_on`` lies between :data:`~heze_hub.items.item_file.EARLIEST_DATE` and tomorrow in
  Asia/Shanghai (DESIGN §2: a document cannot be written in the future), and so does the day of
  ``decided_at`` (a decision cannot be taken in the future either); dates are written as dates,
  never as numbers (pydantic would read ``20180601`` as seconds since 1970);
- list fields and short texts have lengths that bound the work the normalizer does with them
  (:data:`~heze_hub.items.item_file.MAX_REDACT`, :data:`~heze_hub.items.item_file.MAX_TEXT`, …).

This module reads the file and chooses the parser; the rest lives beside it:
:mod:`~heze_hub.items.item_file` (the fields and their limits),
:mod:`~heze_hub.items.toml_syntax` and :mod:`~heze_hub.items.json_syntax` (the two syntaxes),
:mod:`~heze_hub.items.nesting` and :mod:`~heze_hub.items.locate` (the text before and around a
parser's error), :mod:`~heze_hub.items.messages` (input quoted in messages, validation errors
in Chinese).
"""

from __future__ import annotations

import stat
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from heze_hub.errors import InputError, describe_os_error
from heze_hub.items.file_kinds import non_text_kind
from heze_hub.items.item_file import ItemFile
from heze_hub.items.json_syntax import parse_json
from heze_hub.items.messages import SURROGATE, explain, first_field, show_path
from heze_hub.items.toml_syntax import parse_markdown

MAX_FILE_BYTES = 4 * 1024 * 1024  # a disclosure item is text; attachments are separate files


class LoadedItem(BaseModel):
    """An item file that passed validation, with where it came from."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    path: Path
    fields: ItemFile
    #: The file as messages name it: as the user wrote it (the path above is resolved).
    where: str = ""


def load_item(path: Path) -> LoadedItem:
    """Read and validate one item file; raise :class:`InputError` naming file and field.

    Nothing but :class:`InputError` is raised, whatever the file holds.
    """
    where = show_path(path)
    if where != str(path):
        # Bytes that are not UTF-8 in the name (os.fsdecode's surrogates) or control characters:
        # such a name cannot be shown, stored or sent; renaming the file is the fix.
        raise InputError(
            f"{where}：路径中有无法显示的字符（非 UTF-8 编码或控制字符），请改名后重试",
            file=where,
        )
    try:
        st = path.stat()
        if stat.S_ISDIR(st.st_mode):
            raise InputError(f"{where}：这是一个目录，不是信息文件", file=where)
        if not stat.S_ISREG(st.st_mode):
            # A pipe or a device could block or never end; an item is a plain file.
            raise InputError(f"{where}：不是普通文件", file=where)
        # Read at most one byte past the limit: a huge file is refused, never loaded whole.
        with path.open("rb") as fh:
            raw_bytes = fh.read(MAX_FILE_BYTES + 1)
        resolved = path.resolve()
    except FileNotFoundError:
        raise InputError(f"{where}：文件不存在", file=where) from None
    except OSError as exc:
        reason = describe_os_error(exc, with_path=False)
        raise InputError(f"{where}：无法读取（{reason}）", file=where) from None
    except (ValueError, RuntimeError):  # a NUL in the name; a symbolic link loop (3.11)
        raise InputError(f"{where}：无法读取（文件名无效或符号链接循环）", file=where) from None
    if SURROGATE.search(str(resolved)):  # the name is fine, a folder above it is not
        raise InputError(
            f"{where}：所在目录的路径中有非 UTF-8 编码的名称（{show_path(resolved.parent)}），"
            "请移到名称正常的目录后重试",
            file=where,
        )
    if len(raw_bytes) > MAX_FILE_BYTES:
        raise InputError(
            f"{where}：文件过大（{max(st.st_size, len(raw_bytes)) // 1024} KiB），信息文件不得超过 "
            f"{MAX_FILE_BYTES // 1024 // 1024} MiB；大文件请作为附件（attachments）提供",
            file=where,
        )
    kind = non_text_kind(raw_bytes)
    if kind is not None:
        what, todo = kind
        raise InputError(f"{where}：这是{what}，不是信息文件；{todo}", file=where)
    try:
        text = raw_bytes.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{where}：不是 UTF-8 编码（第 {exc.start} 字节处无法解码）；请在编辑器中以 UTF-8 "
            "编码另存后重试（Windows 记事本：另存为 → 编码选 UTF-8）",
            file=where,
        ) from None
    if not text.strip():
        raise InputError(f"{where}：文件为空", file=where)

    data = parse_json(where, text) if _is_json(path, text) else parse_markdown(where, text)
    try:
        fields = ItemFile.model_validate(data)
    except ValidationError as exc:
        raise InputError(explain(where, exc), file=where, field=first_field(exc)) from None
    return LoadedItem(path=resolved, fields=fields, where=where)


def _is_json(path: Path, text: str) -> bool:
    if path.suffix.lower() == ".json":
        return True
    if path.suffix.lower() in {".md", ".markdown", ".txt"}:
        return False
    return text.lstrip().startswith("{")
