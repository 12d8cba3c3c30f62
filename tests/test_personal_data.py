"""No personal data reaches the public, whatever the field and however it was typed (DESIGN §3).

A property test: hypothesis places a valid ID number and a mobile number in any public field of
an item, each in any form a keyboard or an editor produces (full-width digits, character
references, split by spaces, dashes or markup), publishes the item with the real ``hub`` command
through every built-in channel against the sandbox, and then reads every byte the hub let out —
the static pages and feeds, every request any fake received (the credit platform's record
aside: it carries the full number by law), the receipts, the ``--json`` output, the log. After
NFKC folding, HTML unescaping and dropping everything that is not a digit or X, neither number
may appear anywhere.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from heze_hub.items.identifiers import id_check_char
from heze_hub.sandbox import Sandbox
from tests.support import HubRun

PUBLIC_URL = "https://www.heze.gov.cn"
FIELDS = ("title", "summary", "body", "department", "topics", "attachment_title",
          "attachment_name")
FORMS = ("plain", "fullwidth", "charref", "hexref", "spaces", "dashes", "emphasis", "tags",
         "zerowidth", "ideographic_space", "wrapped", "dots", "math_bold", "arabic_indic")
#: What stands around the number: after a comma, right after a web address, or beside another
#: number written the same way.
CONTEXTS = ("after_comma", "after_url", "beside_a_number")
#: Forms a file name cannot hold (markup, references, line breaks): such a number is typed there.
NOT_IN_FILE_NAMES = ("charref", "hexref", "emphasis", "tags", "wrapped")


def written(number: str, form: str) -> str:
    """``number`` as a keyboard or an editor might have written it."""
    groups = [number[:6], number[6:14], number[14:]] if len(number) == 18 else [
        number[:3], number[3:7], number[7:]]
    match form:
        case "plain":
            return number
        case "fullwidth":
            return number.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789X"})
        case "charref":
            return "".join(f"&#{ord(c)};" for c in number)
        case "hexref":
            return "".join(f"&#x{ord(c):x};" for c in number)
        case "spaces":
            return " ".join(groups)
        case "dashes":
            return "-".join(groups)
        case "emphasis":
            return f"{groups[0]}**{groups[1]}**{groups[2]}"
        case "tags":
            return f"{groups[0]}<b>{groups[1]}</b>{groups[2]}"
        case "zerowidth":
            return "\u200b".join(number)
        case "wrapped":
            return "\n".join(groups)
        case "dots":
            return ".".join(groups)
        case "math_bold":
            return "".join(chr(0x1D7CE + int(c)) if c.isdigit() else c for c in number)
        case "arabic_indic":
            return "".join(chr(0x0660 + int(c)) if c.isdigit() else c for c in number)
        case _:
            return "\u3000".join(groups)


def placed_in(context: str, text: str, form: str) -> str:
    """``text`` (a written number) with what stands around it."""
    match context:
        case "after_url":
            return f"网址www.heze.gov.cn联系{text}"
        case "beside_a_number":
            return f"{text} {written('13912345678', form)}"
        case _:
            return f"，{text}"


@st.composite
def id_numbers(draw: st.DrawFn) -> str:
    """A valid resident ID number: Heze region code, a real birth date, the right check char."""
    year = draw(st.integers(1940, 2005))
    month = draw(st.integers(1, 12))
    day = draw(st.integers(1, 28))
    serial = draw(st.integers(0, 999))
    first17 = f"371702{year:04d}{month:02d}{day:02d}{serial:03d}"
    return first17 + id_check_char(first17)


mobiles = st.builds(lambda second, rest: f"1{second}{rest:09d}",
                    st.sampled_from("3456789"), st.integers(0, 999_999_999))


def seen_digits(data: bytes) -> str:
    """What a reader could read as digits: NFKC, HTML unescaped, everything else dropped."""
    text = unicodedata.normalize("NFKC", html.unescape(data.decode("utf-8", "replace")))
    # Twice: an escaped reference (&amp;#49;) is one more unescape away from a digit.
    text = unicodedata.normalize("NFKC", html.unescape(text))
    return re.sub(r"[^0-9X]", "", text.upper())


def item_file(folder: Path, placed: dict[str, str]) -> Path:
    """A Markdown item with the given fields (by name in FIELDS) carrying the placed text."""
    attachment_name = f"附件{placed.get('attachment_name', '')}.pdf"
    (folder / attachment_name).write_bytes(b"%PDF-1.4\n%test\n")
    front = {
        "title": f"关于社区服务事项的通知{placed.get('title', '')}",
        "department": f"菏泽市民政局{placed.get('department', '')}",
        "written_on": "2018-06-01",
        "kind": "notice",
        "category": "service",
        "topics": ["社会救助", *([placed["topics"]] if "topics" in placed else [])],
        "summary": f"社区服务事项安排。{placed.get('summary', '')}",
        "attachments": [{"title": f"名单{placed.get('attachment_title', '')}",
                         "path": attachment_name}],
    }
    lines = ["+++"]
    for key, value in front.items():
        if key == "written_on":
            lines.append(f"{key} = {value}")
        elif key == "attachments":
            lines.append(f"{key} = [{{ title = {json.dumps(value[0]['title'], ensure_ascii=False)}"
                         f", path = {json.dumps(value[0]['path'], ensure_ascii=False)} }}]")
        else:
            lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")
    body = f"现将有关事项通知如下。\n\n联系人：王某，{placed.get('body', '')}\n"
    lines += ["+++", body]
    path = folder / "item.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def everything_let_out(run: HubRun, sb: Sandbox, outputs: list[str]) -> Iterator[tuple[str, bytes]]:
    """Every byte stream the hub produced for the public or an auditor, named."""
    for path in sorted((run.cwd / "public").rglob("*")):
        if path.is_file():
            yield str(path.relative_to(run.cwd)), path.read_bytes()
    for name, service in sb.services.items():
        if name == "credit":
            continue  # the 双公示 record: full number by law, and not public
        for request in service.requests:
            yield f"{name} {request.path}", request.body
    receipts = run("receipts", "--json", check=0)
    yield "hub receipts --json", receipts.stdout.encode()
    run("receipts", "export", "bundle", check=0)
    for path in sorted((run.cwd / "bundle").iterdir()):
        yield f"bundle/{path.name}", path.read_bytes()
    log = run.cwd / ".hub-sandbox" / "hub.log"
    if log.exists():
        yield "hub.log", log.read_bytes()
    for i, text in enumerate(outputs):
        yield f"output {i}", text.encode()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as sb:
        yield sb


@settings(max_examples=24, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    id_number=id_numbers(),
    mobile=mobiles,
    id_field=st.sampled_from(FIELDS),
    mobile_field=st.sampled_from(FIELDS),
    id_form=st.sampled_from(FORMS),
    mobile_form=st.sampled_from(FORMS),
    context=st.sampled_from(CONTEXTS),
)
def test_no_number_in_any_field_or_form_reaches_the_public(
    sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory, id_number: str, mobile: str,
    id_field: str, mobile_field: str, id_form: str, mobile_form: str, context: str,
) -> None:
    sandbox.reset()
    run = HubRun(cwd=tmp_path_factory.mktemp("pii"))
    (run.cwd / "channels.toml").write_text(
        sandbox.config_toml(public_url=PUBLIC_URL, output_dir="public"), encoding="utf-8")
    run.env.update(sandbox.env())
    placed: dict[str, str] = {}
    for field, number, form in ((id_field, id_number, id_form),
                                (mobile_field, mobile, mobile_form)):
        if field == "attachment_name" and form in NOT_IN_FILE_NAMES:
            form = "spaces"
        text = placed_in(context, written(number, form), form)
        placed[field] = f"{placed[field]}；{text}" if field in placed else text

    # Within the item file's length limits (a long character-reference spelling may not be).
    assume(len(placed.get("department", "")) <= 90 and len(placed.get("summary", "")) <= 85
           and len(placed.get("title", "")) <= 180)
    published = run("publish", str(item_file(run.cwd, placed)), "--json")
    # Masking found the numbers wherever they were: the item is published (were one missed,
    # the last check would stop the batch with exit 2 — a masking gap, and a failure here).
    assert published.returncode == 0, published.stderr
    outputs = [published.stdout, published.stderr]
    streams = dict(everything_let_out(run, sandbox, outputs))
    assert any(name.startswith("public/") for name in streams)
    for name, data in streams.items():
        digits = seen_digits(data)
        assert id_number not in digits, (name, id_field, id_form)
        assert mobile not in digits, (name, mobile_field, mobile_form)
