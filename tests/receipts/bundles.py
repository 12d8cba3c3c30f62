"""An auditor's bundle for the receipts tests: fifty realistic receipts, their signed
checkpoints, and ways to tamper with the receipts of an exported bundle."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from heze_hub.receipts.canonical import canonical_json, sha256_hex
from heze_hub.receipts.merkle import root
from heze_hub.receipts.signing import SigningKey, sign_checkpoint

ORIGIN = "heze-hub/HZZF"
N = 50

ITEMS = [
    ("HZZF/2024-00031", "关于2024年度市级财政专项扶贫资金项目计划安排情况的公告"),
    ("HZZF/2024-00032", "菏泽市乡村振兴促进条例实施办法"),
    ("HZZF/2024-00033", "《菏泽市乡村振兴促进条例实施办法》政策解读"),
    ("HZZF/2024-00034", "关于召回问题批次食品的决定"),
    ("HZZF/2024-00035", "行政处罚决定书（菏环罚字〔2024〕15号）"),
    ("HZZF/2024-00036", "建设工程规划许可证核发"),
    ("HZZF/2024-00037", "对市政协十届二次会议第0123号提案的答复"),
    ("HZZF/2024-00038", "2024年3月城乡最低生活保障对象名单公示"),
    ("HZZF/2024-00039", "2024年4月全市环境空气质量状况"),
    ("HZZF/2024-00040", "2024年城区义务教育学校招生入学工作意见"),
]
CHANNELS = ["portal", "rss", "wechat", "weibo", "credit"]


def make_receipt(seq: int) -> dict:
    """A receipt with the DESIGN §7 fields, varied the way real runs vary."""
    index_no, title = ITEMS[seq // 5]
    channel = CHANNELS[seq % 5]
    content = sha256_hex(title.encode())
    status = "published"
    error = None
    if channel == "credit" and seq // 5 not in (4, 5):
        status, error = "skipped", "信用平台只接收行政许可和行政处罚"
    elif seq == 13:
        status, error = "failed", "微博接口返回 20012：内容过长"
    elif seq == 22:
        status, error = "unconfirmed", "微信发布接口超时，无法确认是否已发布"
    published = status == "published"
    minute = 10 + seq
    return {
        "seq": seq,
        "index_no": index_no,
        "version": 2 if seq // 5 == 1 else 1,
        "channel": channel,
        "status": status,
        "content_sha256": content,
        "payload_sha256": (
            None if status == "skipped" else sha256_hex(f"{content}/{channel}".encode())
        ),
        "remote_id": f"{channel}-{seq:06d}" if published else None,
        "url": f"https://www.heze.gov.cn/xxgk/{index_no}.html" if published else None,
        "attempts": 3 if status == "failed" else 1,
        "started_at": f"2024-05-06T09:{minute:02d}:00+08:00",
        "finished_at": f"2024-05-06T09:{minute:02d}:02+08:00",
        "error": error,
    }


LINES = [canonical_json(make_receipt(i)) for i in range(N)]


def checkpoint(key: SigningKey, lines: list[bytes]) -> str:
    return sign_checkpoint(key, len(lines), root(lines))


def rewrite(d: Path, change: Callable[[list[bytes]], list[bytes]]) -> None:
    path = d / "receipts.jsonl"
    lines = path.read_bytes().split(b"\n")[:-1]
    path.write_bytes(b"".join(line + b"\n" for line in change(lines)))


def text(report) -> str:
    return "\n".join(report.problems)


def alter_byte(lines):
    # A hex digit of payload_sha256 of seq 30: still canonical JSON, still seq 30.
    line = lines[30]
    pos = line.index(b'"payload_sha256":"') + len(b'"payload_sha256":"')
    lines[30] = line[:pos] + (b"0" if line[pos:pos + 1] != b"0" else b"1") + line[pos + 1:]
    return lines
