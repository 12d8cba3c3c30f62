"""Bulletin boards (村、社区、乡镇公开栏): a printable A4 notice per item and board (DESIGN §5.6).

The seed asks that 扶贫 and 低保 notices be posted on village and township boards for at least
their posting period. For each board the channel writes one PDF into ``output_dir``: title, the
publishing body, the body text, the posting period in Chinese dates (start = the publication
date, end = start + ``posting_days``), the supervision phone, and a QR code of the item's portal
page. Everything printed comes from the normalized item, so personal data is masked exactly as on
the portal. The receipt is ``published`` when the files are written; ``hub board confirm``
records that a notice was actually posted.

PDF library: fpdf2, with the CJK font embedded as a subset (a few KB per notice). fpdf2 embeds
OpenType CFF outlines — Debian's Noto CJK (``fonts-noto-cjk``) is CFF in a ``.ttc`` collection,
which reportlab cannot embed — and writes byte-identical files for the same input when the
creation date is fixed, so the receipt's payload hash can be recomputed. The QR code (segno) is
drawn as vector squares: sharp at any printer resolution, no image library involved.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from pydantic import Field

from heze_hub.plugin import (
    Channel,
    ChannelSettings,
    DeliveryContext,
    NormalizedItem,
    PermanentError,
    PublishResult,
    atomic_write,
    hookimpl,
    resolve_path,
    to_shanghai,
    writable_dir_problem,
    write_failure,
)

#: Topics whose notices the seed sends to boards even without a ``boards`` list on the item.
BOARD_TOPICS = frozenset({"社会救助", "精准扶贫"})
#: Where Debian and most Linux systems keep a Simplified Chinese font (fonts-noto-cjk first).
FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


class BoardSettings(ChannelSettings):
    """``[channels.board]``."""

    output_dir: str = "boards"
    #: Boards every routed item is posted on when the item names none itself.
    boards: list[str] = Field(default_factory=list)
    #: 监督电话 printed on every notice, e.g. ``0530-12345``.
    supervision_phone: str = ""
    #: A CJK font file (TTF, OTF or a TTC collection); default: the first of FONT_CANDIDATES.
    font: str | None = None
    #: Face in a TTC collection; default: the Simplified Chinese face (名称以 SC 结尾).
    font_index: int | None = Field(None, ge=0)


class BoardChannel(Channel):
    """Writes a printable notice per board; a person posts it and confirms with a photo."""

    plugin_name = "board"
    title = "公开栏"
    settings_model = BoardSettings
    # The effect is a local file rewritten whole: writing it again is harmless.
    resend_safe = True

    settings: BoardSettings

    # -- what it accepts -----------------------------------------------------------------------
    def accepts(self, item: NormalizedItem) -> str | None:
        if item.channels is not None and self.name in item.channels:
            return None
        if item.boards or item.posting_days or BOARD_TOPICS & set(item.topics):
            return None
        return "无公示期、非社会救助或精准扶贫信息，不张贴公开栏"

    def item_problems(self, item: NormalizedItem) -> list[str]:
        problems = []
        if not item.posting_days:
            problems.append("字段 posting_days（公示期）：张贴公开栏的信息必须写明公示天数")
        if not self.boards_of(item):
            problems.append("字段 boards（公开栏）：未写明张贴的公开栏，渠道设置中也没有默认公开栏")
        return problems

    def boards_of(self, item: NormalizedItem) -> list[str]:
        """The boards ``item`` is posted on: its own list, else the channel's."""
        return list(item.boards) or list(self.settings.boards)

    # -- render ---------------------------------------------------------------------------------
    def render(self, item: NormalizedItem) -> dict[str, Any]:
        """What each notice prints (the PDF files are written by :meth:`publish`)."""
        start, end = posting_period(item)
        return {
            "boards": self.boards_of(item),
            "files": [str(self._path(item, board)) for board in self.boards_of(item)],
            "title": item.title,
            "department": item.department,
            "doc_number": item.doc_number,
            "body_text": item.body_text,
            "posting_period": period_text(start, end, item.posting_days or 0),
            "supervision_phone": self.settings.supervision_phone,
            "qr_url": self.hub.item_url(item.index_no),
        }

    # -- publish --------------------------------------------------------------------------------
    def publish(self, item: NormalizedItem, ctx: DeliveryContext) -> PublishResult:
        if not item.posting_days:
            raise PermanentError("字段 posting_days（公示期）：张贴公开栏的信息必须写明公示天数")
        boards = self.boards_of(item)
        if not boards:
            raise PermanentError("字段 boards（公开栏）：未写明张贴的公开栏，"
                                 "渠道设置中也没有默认公开栏")
        digest = hashlib.sha256()
        written = []
        for board in boards:
            data = self.notice_pdf(item, board)
            path = self._path(item, board)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                atomic_write(path, data)
            except OSError as exc:
                raise write_failure(f"公开栏告示 {path} 写入失败", exc) from None
            digest.update(hashlib.sha256(data).digest())
            written.append(board)
        # The files are byte-identical when rebuilt, so an auditor can recompute this hash.
        ctx.payload_sha256 = digest.hexdigest()
        # Which boards this version went to, for `hub board confirm` and the audit.
        ctx.save_state({"boards": written})
        folder = self._path(item, boards[0]).parent
        return PublishResult(remote_id=str(folder),
                             note=f"已生成 {len(written)} 份公开栏告示：{'、'.join(written)}")

    def _path(self, item: NormalizedItem, board: str) -> Path:
        base = resolve_path(self.settings.output_dir, self.hub.config_dir)
        return base / item.index_no.replace("/", "_") / f"{_UNSAFE.sub('_', board)}.pdf"

    def notice_pdf(self, item: NormalizedItem, board: str) -> bytes:
        """The A4 notice of ``item`` for ``board``, as PDF bytes."""
        from heze_hub_plugins.board_pdf import notice_pdf

        start, end = posting_period(item)
        return notice_pdf(
            font=self._font(), title=item.title, department=item.department,
            doc_number=item.doc_number, index_no=item.index_no, body=item.body_text,
            period=period_text(start, end, item.posting_days or 0), board=board,
            phone=self.settings.supervision_phone, url=self.hub.item_url(item.index_no),
            published=to_shanghai(item.published_at),
        )

    def _font(self) -> tuple[Path, int]:
        path = self.font_path()
        if path is None:
            raise PermanentError("未找到中文字体：请安装 fonts-noto-cjk，或在渠道设置中填写 font")
        from heze_hub_plugins.board_pdf import face_index

        index = self.settings.font_index
        return path, face_index(path) if index is None else index

    # -- health ---------------------------------------------------------------------------------
    def font_path(self) -> Path | None:
        """The configured font, or the first installed candidate."""
        if self.settings.font:
            path = resolve_path(self.settings.font, self.hub.config_dir)
            return path if path.is_file() else None
        return next((Path(p) for p in FONT_CANDIDATES if Path(p).is_file()), None)

    def configuration_problems(self) -> list[str]:
        problems = super().configuration_problems()
        if not self.settings.supervision_phone.strip():
            problems.append("缺少监督电话 supervision_phone（印在每份公开栏告示上）")
        if self.font_path() is None:
            where = self.settings.font or "、".join(FONT_CANDIDATES[:1])
            problems.append(f"未找到中文字体 {where}：请安装 fonts-noto-cjk，或设置 font")
        return problems

    def check(self, http: Any) -> list[str]:
        problems = self.configuration_problems()
        base = resolve_path(self.settings.output_dir, self.hub.config_dir)
        problem = writable_dir_problem(base)
        if problem:
            problems.append(f"输出目录 output_dir 不可写：{problem}")
        return problems


def posting_period(item: NormalizedItem) -> tuple[date, date]:
    """公示期 on a board: from the publication date to that date + ``posting_days``.

    DESIGN §5.6 fixes the end as start + posting_days (the portal counts start + days − 1):
    a notice is posted some time during its first day, so the board keeps the full number of
    days after it.
    """
    start = to_shanghai(item.published_at).date()
    return start, start + timedelta(days=item.posting_days or 0)


def chinese_date(day: date) -> str:
    """``2018年6月4日``: the form printed on official notices."""
    return f"{day.year}年{day.month}月{day.day}日"


def period_text(start: date, end: date, days: int) -> str:
    return f"{chinese_date(start)}至{chinese_date(end)}（{days}天）"


@hookimpl
def register_channels(register):
    register(BoardChannel)
