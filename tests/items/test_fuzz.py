"""Fuzzing the item loaders: whatever a file holds, loading it succeeds or raises InputError.

Markdown with TOML front matter, JSON items and raw bytes are generated from the valid examples
of DESIGN §2, then broken in the ways people and tools break files: wrong dates, keys written
twice, deep nesting, huge numbers, escapes that are not characters, odd attachment paths, wide
tables, stray bytes. Each example goes through what ``hub publish`` does with a file before
anything is sent: load, normalize, the policy gate. Any exception other than
:class:`InputError` (RecursionError, ValueError, OverflowError, UnicodeError, OSError, …) is a
failure, and so is an InputError whose message does not name the file.

The examples here are few and bounded so that the suite stays fast; ``bench/fuzz_items.py``
runs the same strategies for longer. A few generated batches also go through the real ``hub``
CLI, which must answer exit status 2 without a traceback or an internal error.
"""

from __future__ import annotations

import copy
import json
import os
import tomllib
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heze_hub.errors import InputError
from heze_hub.items.load import load_item
from heze_hub.items.normalize import normalize, now
from heze_hub.rules.gate import gate_errors, gate_warnings
from tests.support import EXAMPLES, HubRun, init_config


# --- seeds ---------------------------------------------------------------------------------------
def _seeds() -> list[tuple[dict[str, Any], str]]:
    """The valid examples as (fields, body): mutations of a valid item reach every part of the
    loader and the normalizer (credit records, interpretations, attachments, masking), where
    random text stops at the first line."""
    seeds = []
    for path in sorted(EXAMPLES.glob("*")):
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".json":
            data = json.loads(text)
            seeds.append((data, data.pop("body", "")))
        else:
            _, front, body = text.split("+++\n", 2)
            seeds.append((tomllib.loads(front), body))
    return seeds


SEEDS = _seeds()
KEYS = [
    "title", "department", "doc_number", "written_on", "kind", "category", "topics",
    "disclosure", "posting_days", "summary", "index_no", "interprets", "decided_at", "channels",
    "attachments", "redact", "credit", "body", "titel", "标题", "a.b", "",
]

# --- values --------------------------------------------------------------------------------------
#: Characters that mean something to TOML, JSON, Markdown, HTML, file systems or Unicode.
ODD = (
    "\x00\x01\x07\x08\x0b\x0c\x1b\x7f\x85\u00a0\u2028\u2029\u200b\u200d\ufeff\ufffe\uffff"
    "\U0001f600\U00020000\u0301"
    "\"'\\`|*_-+=#[]{}()<>&;:,./!?~@$%^ \t\r\n"
    "一二三〔〕（）：，。、“”《》　０１２"
    "0123456789"
)
#: Pieces of real text the normalizer and the rules look into: numbers to mask, document
#: numbers, salutations, months and quarters, markup.
PIECES = [
    "371702198005123010", "11010519491231002X", "13812345678", "+86 138-1234-5678",
    "6222 0212 3456 7890 128", "国办发 2018 23 号", "菏政办发〔2018〕21号", "国办发[1800]23号",
    "2018年6月", "第二季度", "13月", "各县区人民政府：", "张某某代表：", "联系电话：0530-5311234",
    "http://example.cn/a?b=1&c=<x>", "javascript:alert(1)", "<img src=x onerror=alert(1)>",
    "&#x3c;script&#x3e;", "义务教育招生", "精准扶贫", "空气质量", "。", "\n\n",
]
_odd_text = st.text(alphabet=st.sampled_from(ODD) | st.characters(codec="utf-8"), max_size=30)
_text = _odd_text | st.lists(st.sampled_from(PIECES) | _odd_text, max_size=5).map("".join)
#: Edges: the ends of the calendar, the bounds of §2 (tomorrow), around 1949.
_EDGE_DATES = [date(1, 1, 1), date(9999, 12, 31), date(1948, 12, 31), date(1949, 1, 1)]
_dates = st.one_of(
    st.sampled_from(_EDGE_DATES),
    st.integers(-3, 3).map(lambda n: date.today() + timedelta(days=n)),
    st.dates(min_value=date(1940, 1, 1), max_value=date(2030, 12, 31)),
    st.dates(),
)
_datetimes = st.one_of(
    st.sampled_from([datetime(1, 1, 1), datetime(9999, 12, 31, 23, 59)]),
    st.datetimes(min_value=datetime(1940, 1, 1), max_value=datetime(2030, 12, 31)),
    st.datetimes(),
).flatmap(lambda d: st.sampled_from([d, d.replace(tzinfo=UTC),
                                     d.replace(tzinfo=timezone(timedelta(hours=-23)))]))
_ints = st.integers(-5, 4000) | st.integers(-(2**70), 2**70)

#: Any JSON value (dates as the strings JSON writes).
json_values = st.recursive(
    st.none() | st.booleans() | _ints | st.floats(allow_nan=True, allow_infinity=True) | _text
    | _dates.map(date.isoformat),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=8,
)
#: Any TOML value (no null; dates and datetimes as TOML writes them).
toml_values = st.recursive(
    st.booleans() | _ints | st.floats(allow_nan=True, allow_infinity=True) | _text | _dates
    | _datetimes,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=8,
)
#: Values of the right kind for each field, good and bad.
PLAUSIBLE: dict[str, st.SearchStrategy[Any]] = {
    "title": _text,
    "department": _text,
    "summary": _text,
    "doc_number": st.sampled_from(PIECES[5:8]) | _text,
    "interprets": st.sampled_from(["菏政办发〔2018〕21号", "371700/2018-00001"]) | _text,
    "written_on": _dates,
    "decided_at": _datetimes,
    "kind": st.sampled_from(["notice", "policy", "interpretation", "recall", "license",
                             "penalty", "proposal_reply", "statistics", "memo"]),
    "category": st.sampled_from(["decision", "result", "service", "公开"]),
    "disclosure": st.sampled_from(["proactive", "on_request", "withheld", "public"]),
    "topics": st.lists(st.sampled_from(["教育", "精准扶贫", "义务教育招生", "空气质量"]) | _text,
                       max_size=4),
    "posting_days": _ints,
    "index_no": st.sampled_from(["371700/2018-00001", "371700-2018-1"]) | _text,
    "channels": st.lists(st.sampled_from(["portal", "rss", "wechat", "weibo", "credit", "x"]),
                         max_size=3),
    "attachments": st.lists(
        st.fixed_dictionaries({
            "path": st.sampled_from(["a.pdf", "sub/b.txt", "../x.pdf", "loop.pdf", "/etc/hosts",
                                     ".", "sub", "a" * 300]) | _text,
            "title": _text,
        }),
        max_size=3,
    ),
    "redact": st.lists(_text, max_size=4),
}

#: Value texts as a person might type them after ``key =`` in TOML.
TOML_RAW = [
    "2026/11/26", "2026.11.26", "2026年11月26日", "2018-6-1", "2018-02-30", "9999-12-31",
    "0001-01-01", "1949-01-01", "2100-01-01", "2018-06-01T10:00:00", "1979-05-27T07:32:00-08:00",
    "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59", "07:32:00", "nan", "-inf", "1e400",
    "0x7fffffffffffffff", "9223372036854775808", "-9223372036854775809", "1" * 4400, "1_000",
    "true", "“中文引号”", "'literal'", "'''multi\nline'''", '"""multi\nline"""', '""""a""""',
    "[", "{", "[1, [2, [3]]]", "{a = 1, a = 2}", '[{path = "a.pdf", title = "附件"}]',
    '"\\ud800"', '"\\u0000"', '"\\U0010ffff"', '"\\U00110000"', '"a\\qb"', "未加引号的文本",
    '"' + "[" * 50 + '"', "[" * 60 + "]" * 60, "{a=" * 40 + "1" + "}" * 40, "# comment",
    "[" * 400 + "]" * 400, "[" * 3000 + "]" * 3000, "{a=" * 1000 + "1" + "}" * 1000,
]
#: Text spliced into a JSON item.
JSON_SNIPPETS = [
    '"\\ud800"', '"\\udfff\\ud800"', "NaN", "Infinity", "-Infinity", "1e400", "-1e400",
    "1" * 5000, "9223372036854775808", '"title": "重复的标题", ', "[" * 3000, "]" * 10, "{",
    '"\\u0000"', "\x00", '"a\nb"', "2026/11/26", "2026-11-26", "true", "null", ",", ":",
    '"attachments": [{"path": "a\\u0000b", "title": "附件"}], ', '"written_on": "9999-12-31", ',
    '"decided_at": 20180601, ', '"decided_at": "0001-01-01T00:00:00+08:00", ',
]


def toml_text(value: Any) -> str:
    """``value`` written as a TOML value (a dict as an inline table)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)  # inf, -inf and nan are TOML too
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str):
        # json.dumps writes a valid TOML basic string for every str without lone surrogates.
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(toml_text(v) for v in value) + "]"
    pairs = (f"{json.dumps(str(k), ensure_ascii=False)} = {toml_text(v)}" for k, v in value.items())
    return "{" + ", ".join(pairs) + "}"


# --- items ---------------------------------------------------------------------------------------
@st.composite
def markdown_bodies(draw: st.DrawFn) -> str:
    """Markdown with the shapes that cost a renderer: tables, nesting, emphasis, brackets."""
    kind = draw(st.integers(0, 4))
    if kind == 0:
        return draw(st.text(alphabet=st.sampled_from(ODD), max_size=300))
    if kind == 1:
        cols, rows = draw(st.integers(1, 130)), draw(st.integers(0, 200))
        head = "|" + "a|" * cols + "\n|" + "-|" * cols + "\n"
        row = draw(st.sampled_from(["|", "|1|", "|" + "1|" * cols]))
        return "各单位：现将有关事项通知如下。\n\n" + head + (row + "\n") * rows
    if kind == 2:
        marks = draw(st.lists(st.sampled_from(["> ", "- ", "1. ", "  ", "   "]), max_size=30))
        return "".join(marks) + "最深处的文字。\n\n后面的段落。"
    if kind == 3:
        unit = draw(st.sampled_from(["[", "*a", "_a", "`", "<", "&amp;", "- a\n", "\n", "|"]))
        return unit * draw(st.integers(0, 3000))
    return draw(st.lists(st.sampled_from(PIECES) | _text, max_size=20).map("".join))


@st.composite
def item_fields(draw: st.DrawFn, *, toml: bool) -> tuple[dict[str, Any], str]:
    """A seed item with a few fields deleted, replaced (by a plausible or any value) or added;
    its credit record's fields changed the same way; its body kept, extended or replaced."""
    fields, body = draw(st.sampled_from(SEEDS))
    fields = copy.deepcopy(fields)
    anything = toml_values if toml else json_values
    for key in draw(st.lists(st.sampled_from(KEYS), max_size=3)):
        how = draw(st.integers(0, 3))
        if how == 0:
            fields.pop(key, None)
        elif how == 1 and key in PLAUSIBLE:
            fields[key] = draw(PLAUSIBLE[key])
        else:
            fields[key] = draw(anything)
    credit = fields.get("credit")
    if isinstance(credit, dict) and credit:
        for name in draw(st.lists(st.sampled_from(sorted(credit)), max_size=3)):
            credit[name] = draw(st.sampled_from(["", "长期", "2018-02-30", "自然人"]) | anything)
    if draw(st.booleans()):
        body = draw(markdown_bodies())
    elif draw(st.booleans()):
        body += draw(_text)
    return fields, body


@st.composite
def markdown_items(draw: st.DrawFn) -> bytes:
    """A Markdown item: maybe a value typed wrong, a stray line, or a broken frame (no closing
    +++, CRLF, a BOM, stray bytes)."""
    fields, body = draw(item_fields(toml=True))
    plain = {k: v for k, v in fields.items() if not isinstance(v, dict)}
    tables = {k: v for k, v in fields.items() if isinstance(v, dict)}
    lines = [f"{json.dumps(k, ensure_ascii=False)} = {toml_text(v)}" for k, v in plain.items()]
    if lines and draw(st.booleans()):
        # A value typed wrong, most often in the fields people type by hand.
        keys = [line.split(" = ", 1)[0] for line in lines]
        hand = [i for i, k in enumerate(keys) if k.strip('"') in ("written_on", "decided_at",
                                                                  "posting_days", "topics")]
        at = draw(st.sampled_from(hand) if hand and draw(st.booleans())
                  else st.integers(0, len(lines) - 1))
        lines[at] = f"{keys[at]} = {draw(st.sampled_from(TOML_RAW))}"
    if draw(st.integers(0, 3)) == 0:
        lines.insert(draw(st.integers(0, len(lines))), draw(_text).replace("+++", ""))
    for name, table in tables.items():
        lines.append(f"[{json.dumps(name, ensure_ascii=False)}]")
        lines += [f"{json.dumps(str(k), ensure_ascii=False)} = {toml_text(v)}"
                  for k, v in table.items()]
    text = "+++\n" + "\n".join(lines) + "\n+++\n" + body
    frame = draw(st.integers(0, 6))
    if frame == 1:
        text = text.replace("\n+++\n", "\n", 1)
    elif frame == 2:
        text = text.replace("\n", "\r\n")
    elif frame == 3:
        text = "\ufeff" + text
    data = text.encode("utf-8", "surrogatepass")
    if frame == 4:
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(max_size=8)) + data[at:]
    return data


@st.composite
def json_items(draw: st.DrawFn) -> bytes:
    """A JSON item, maybe with text spliced in: escapes that are not characters, NaN, huge
    numbers, a key written twice, deep brackets."""
    fields, body = draw(item_fields(toml=False))
    fields["body"] = body
    text = json.dumps(fields, ensure_ascii=draw(st.booleans()), allow_nan=True, default=str)
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.sampled_from([1, len(text) // 2, len(text) - 1]) | st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(JSON_SNIPPETS)) + text[at:]
    return text.encode("utf-8", "surrogatepass")


raw_files = st.binary(max_size=300)


# --- the property --------------------------------------------------------------------------------
def check_file(path: Path, data: bytes) -> str:
    """Write ``data`` to ``path`` and take it through load, normalize and the policy gate.

    Returns ``"ok"`` or ``"refused"``; anything else is an AssertionError or the unexpected
    exception itself.
    """
    folder = path.parent
    if not (folder / "a.pdf").exists():  # what the generated attachments may name
        (folder / "a.pdf").write_bytes(b"%PDF-1.4\n")
        (folder / "sub").mkdir()
        (folder / "sub" / "b.txt").write_text("附件", encoding="utf-8")
        os.symlink("loop.pdf", folder / "loop.pdf")
    path.write_bytes(data)
    try:
        prepared = normalize(load_item(path))
        item = prepared.build("-", 0, now())
        gate_errors(item)
        gate_warnings(item, now())
    except InputError as exc:
        message = str(exc)
        assert message.strip(), "an InputError without a message"
        assert path.name in message, f"the message does not name the file: {message}"
        return "refused"
    return "ok"


FAST = settings(
    max_examples=80, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@FAST
@given(data=markdown_items())
def test_markdown_items_load_or_are_refused(tmp_path_factory: Any, data: bytes) -> None:
    check_file(tmp_path_factory.mktemp("md") / "item.md", data)


@FAST
@given(data=json_items())
def test_json_items_load_or_are_refused(tmp_path_factory: Any, data: bytes) -> None:
    check_file(tmp_path_factory.mktemp("json") / "item.json", data)


@FAST
@given(data=raw_files, suffix=st.sampled_from([".md", ".json", ""]))
def test_any_bytes_load_or_are_refused(tmp_path_factory: Any, data: bytes, suffix: str) -> None:
    check_file(tmp_path_factory.mktemp("raw") / f"item{suffix}", data)


def test_the_generators_reach_valid_items(tmp_path: Path) -> None:
    # A fuzzer that only produces garbage never gets past the first parser; these must load.
    for n, (fields, body) in enumerate(SEEDS):
        text = json.dumps({**fields, "body": body}, ensure_ascii=False, default=str)
        assert check_file(tmp_path / f"seed{n}.json", text.encode()) == "ok"


# --- through the CLI -----------------------------------------------------------------------------
@settings(max_examples=3, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(md=st.lists(markdown_items(), min_size=2, max_size=4),
       js=st.lists(json_items(), min_size=2, max_size=4))
def test_cli_refuses_generated_batches_with_exit_2(
    tmp_path_factory: Any, md: list[bytes], js: list[bytes]
) -> None:
    folder = tmp_path_factory.mktemp("cli")
    init_config(folder)  # a hub's folder: the loaders, not the missing configuration, refuse
    files = []
    for n, data in enumerate(md):
        # An unknown field on the first line: refused whatever the rest holds.
        _, _, rest = data.partition(b"\n")
        (folder / f"m{n}.md").write_bytes(b"+++\nunknown_field = 1\n" + rest)
        files.append(f"m{n}.md")
    for n, data in enumerate(js):
        (folder / f"j{n}.json").write_bytes(data + b"\n[")  # never valid JSON
        files.append(f"j{n}.json")
    run = HubRun(cwd=folder)
    outputs = []
    for args in (["--dry-run"], []):
        proc = run("publish", *args, *files)  # HubRun asserts there is no Traceback
        assert proc.returncode == 2, (proc.returncode, proc.stderr)
        assert "内部错误" not in proc.stderr
        assert "未发送任何内容" in proc.stderr
        for name in files:
            assert name in proc.stderr, (name, proc.stderr)
        outputs.append(proc.stderr)
    assert outputs[0] == outputs[1]  # --dry-run validates exactly as the real run
