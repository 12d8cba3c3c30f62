"""What a file that is not text is, told by its first bytes (its "magic"), whatever its name.

A clerk who hands ``hub publish`` a Word document, a PDF or a scan should be told what the file
is and what to do with it, not that it is "not UTF-8". The signatures are the formats' own
(ZIP local header, OLE2 compound file, PDF header, image headers).
"""

from __future__ import annotations

import zipfile
from io import BytesIO

_WHAT_TO_DO_DOC = (
    "信息文件须是 UTF-8 文本（Markdown 或 JSON）：把正文复制到 .md 文件的第二行 +++ 之后，"
    "原文件可作为附件（attachments）发布；格式见 docs/item-reference.md"
)
_WHAT_TO_DO_ATTACHMENT = (
    "它不能作为信息文件发布；请写一个 .md 信息文件，把它列为附件（attachments），"
    "格式见 docs/item-reference.md"
)

#: (signature at offset 0, what it is, what to do)
_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "PDF 文档", _WHAT_TO_DO_ATTACHMENT),
    (b"\x89PNG\r\n\x1a\n", "PNG 图片", _WHAT_TO_DO_ATTACHMENT),
    (b"\xff\xd8\xff", "JPEG 图片", _WHAT_TO_DO_ATTACHMENT),
    (b"GIF87a", "GIF 图片", _WHAT_TO_DO_ATTACHMENT),
    (b"GIF89a", "GIF 图片", _WHAT_TO_DO_ATTACHMENT),
    (b"BM", "BMP 图片", _WHAT_TO_DO_ATTACHMENT),
    (b"II*\x00", "TIFF 图片（扫描件）", _WHAT_TO_DO_ATTACHMENT),
    (b"MM\x00*", "TIFF 图片（扫描件）", _WHAT_TO_DO_ATTACHMENT),
    (b"Rar!\x1a\x07", "RAR 压缩包", _WHAT_TO_DO_ATTACHMENT),
    (b"7z\xbc\xaf\x27\x1c", "7z 压缩包", _WHAT_TO_DO_ATTACHMENT),
    (b"\x1f\x8b", "gzip 压缩包", _WHAT_TO_DO_ATTACHMENT),
    (b"{\\rtf", "RTF 文档（Word 或 WPS 另存的格式）", _WHAT_TO_DO_DOC),
)
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"


def non_text_kind(data: bytes) -> tuple[str, str] | None:
    """``(what it is, what to do)`` for a file that is a known non-text format, else None."""
    head = data[:16]
    if head.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "WebP 图片", _WHAT_TO_DO_ATTACHMENT
    for magic, what, todo in _SIGNATURES:
        if head.startswith(magic):
            # "BM" also starts ordinary text; a BMP has its file size right after it.
            if magic == b"BM" and not _plausible_bmp(data):
                continue
            return what, todo
    if head.startswith(_OLE2):
        return _ole2_kind(data), _WHAT_TO_DO_DOC
    if head.startswith(_ZIP):
        return _zip_kind(data)
    return None


def _plausible_bmp(data: bytes) -> bool:
    return len(data) >= 26 and int.from_bytes(data[2:6], "little") == len(data)


def _ole2_kind(data: bytes) -> str:
    """Word 97–2003, WPS 文字 and Excel/PowerPoint share the OLE2 container; its directory
    names the stream (UTF-16 names), which tells them apart."""
    if "WordDocument".encode("utf-16-le") in data:
        return "Word 97-2003 文档（.doc）或 WPS 文字文档（.wps）"
    if "Workbook".encode("utf-16-le") in data or "Book".encode("utf-16-le") in data:
        return "Excel 97-2003 表格（.xls）或 WPS 表格（.et）"
    if "PowerPoint Document".encode("utf-16-le") in data:
        return "PowerPoint 97-2003 演示文稿（.ppt）"
    return "Office 或 WPS 文档（OLE2 复合文档）"


def _zip_kind(data: bytes) -> tuple[str, str]:
    """A ZIP container: Word (.docx), Excel, PowerPoint, WPS, OFD (版式文档) or a plain zip."""
    try:
        names = zipfile.ZipFile(BytesIO(data)).namelist()
    except (zipfile.BadZipFile, ValueError, OSError):
        names = []
    if any(n.startswith("word/") for n in names):
        return "Word 文档（.docx）", _WHAT_TO_DO_DOC
    if any(n.startswith("xl/") for n in names):
        return "Excel 表格（.xlsx）", _WHAT_TO_DO_ATTACHMENT
    if any(n.startswith("ppt/") for n in names):
        return "PowerPoint 演示文稿（.pptx）", _WHAT_TO_DO_ATTACHMENT
    if any(n.upper() == "OFD.XML" for n in names):
        return "OFD 版式文档", _WHAT_TO_DO_ATTACHMENT
    if any(n == "content.xml" for n in names):
        return "OpenDocument 文档（.odt 等）", _WHAT_TO_DO_DOC
    return "ZIP 压缩包", _WHAT_TO_DO_ATTACHMENT
