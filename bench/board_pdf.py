"""Time and size of bulletin-board notices (plugins/board.py): one A4 PDF per item and board.

Run: ``python bench/board_pdf.py [--notices 20] [--paragraphs 8]``. Prints the time per notice
(the first one separately: it finds the CJK face in the font collection) and the file size.
Most of the time is fpdf2 reading the CJK font (Noto Sans CJK, a 19 MB collection) and
subsetting it; the page layout itself is a few milliseconds.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from heze_hub.delivery.channel import HubInfo
from heze_hub.items.model import NormalizedItem
from heze_hub_plugins.board import BoardChannel, BoardSettings

TZ = ZoneInfo("Asia/Shanghai")


def item(paragraphs: int) -> NormalizedItem:
    body = "\n".join(
        f"{i}. 某某户，家庭人口3人，经村民代表会议评议，拟纳入农村低保，月保障金额 1200 元，"
        "联系电话 138****5678。" for i in range(1, paragraphs + 1)
    )
    return NormalizedItem(
        index_no="371700/2018-00008", version=1,
        published_at=datetime(2018, 6, 4, 10, 0, tzinfo=TZ), content_sha256="0" * 64,
        title="孙庄村2018年第二季度农村低保对象公示", department="菏泽市牡丹区滨河街道办事处",
        written_on=date(2018, 6, 1), kind="announcement", category="result",
        topics=("社会救助",), posting_days=7, summary="公示农村低保对象。",
        body_html="<p>公示</p>", body_text=body,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--notices", type=int, default=20)
    parser.add_argument("--paragraphs", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        hub = HubInfo(public_url="https://www.heze.gov.cn", state_dir=Path(tmp),
                      config_dir=Path(tmp), org_code="371700")
        channel = BoardChannel("board", BoardSettings(supervision_phone="0530-5310000"), hub)
        notice = item(args.paragraphs)
        times, sizes = [], []
        for i in range(args.notices):
            start = time.perf_counter()
            data = channel.notice_pdf(notice, f"公开栏{i}")
            times.append(time.perf_counter() - start)
            sizes.append(len(data))
    print(f"font: {channel.font_path()}")
    print(f"first notice: {times[0] * 1000:.0f} ms")
    rest = times[1:] or times
    print(f"per notice after the first ({len(rest)}): "
          f"median {statistics.median(rest) * 1000:.0f} ms,"
          f" min {min(rest) * 1000:.0f} ms, max {max(rest) * 1000:.0f} ms")
    print(f"size: median {statistics.median(sizes) / 1024:.1f} KiB "
          f"({args.paragraphs} paragraphs, font subset embedded)")


if __name__ == "__main__":
    main()
