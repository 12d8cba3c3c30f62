"""Non-text files told by their first bytes, whatever their names."""

from __future__ import annotations

import io
import zipfile

import pytest

from heze_hub.items.file_kinds import non_text_kind


def zipped(*names: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name in names:
            z.writestr(name, "x")
    return buf.getvalue()


@pytest.mark.parametrize(("data", "what"), [
    (zipped("[Content_Types].xml", "word/document.xml"), "Word 文档（.docx）"),
    (zipped("xl/workbook.xml"), "Excel"),
    (zipped("OFD.xml", "Doc_0/Document.xml"), "OFD"),
    (zipped("readme.txt"), "ZIP"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64) + "WordDocument".encode("utf-16-le"),
     "WPS 文字"),
    (b"%PDF-1.4\n", "PDF"),
    (b"\x89PNG\r\n\x1a\n" + bytes(8), "PNG"),
    (b"\xff\xd8\xff\xe0" + bytes(8), "JPEG"),
    (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "WebP"),
    (b"{\\rtf1\\ansi", "RTF"),
])
def test_known_formats(data: bytes, what: str) -> None:
    kind = non_text_kind(data)
    assert kind is not None and what in kind[0]
    assert "docs/item-reference.md" in kind[1]


@pytest.mark.parametrize("text", ["+++\ntitle = \"通知\"\n+++\n", '{"title": "通知"}',
                                  "BMP 是一种图片格式", ""])
def test_text_is_not_mistaken(text: str) -> None:
    assert non_text_kind(text.encode("utf-8")) is None
