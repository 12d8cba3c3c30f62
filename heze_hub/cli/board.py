"""``hub board confirm``: record that a bulletin-board notice was actually posted (DESIGN §5.6).

The board channel's receipt says the notice was *printed* (the PDF written); a person posts it
and confirms here, with the date and, ideally, a photo. The confirmation is a receipt of its own
(status ``posted``, the photo's SHA-256 in it) in the signed log, and a row in
``board_postings`` that ``hub audit`` checks against the 3-working-day rule and the period.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import click
from sqlalchemy import insert

from heze_hub.cli.common import open_hub, out
from heze_hub.errors import InputError
from heze_hub.files import file_sha256
from heze_hub.items.normalize import now, to_shanghai
from heze_hub.store import lookups
from heze_hub.store.schema import board_postings
from heze_hub.store.writes import append_receipt


@click.group()
def board() -> None:
    """公开栏：登记告示的实际张贴情况。"""


def register(cli: click.Group) -> None:
    """Add the ``board`` group to ``cli``."""
    cli.add_command(board)


def _published_on_boards(hub: Any, index_no: str, only: str | None) -> tuple[str, dict[str, Any]]:
    """The board channel and delivery that published the item's latest notice."""
    names = [n for n, ch in hub.channels.items()
             if ch.plugin_name == "board" and (only is None or n == only)]
    if not names:
        raise InputError("--channel：没有公开栏渠道（plugin = \"board\"）" if only is None
                         else f"--channel：{only} 不是已配置的公开栏渠道")
    found = [(name, d) for name in names
             for d in lookups.channel_deliveries(hub.store, name, index_no)
             if d["status"] == "published"]
    if not found:
        raise InputError(f"INDEX_NO：索引号 {index_no} 的信息尚未在公开栏渠道"
                         f"（{'、'.join(names)}）生成告示，无法登记张贴")
    return max(found, key=lambda nd: nd[1]["version"])


def _boards(hub: Any, channel: str, index_no: str, version: int) -> list[str]:
    """The boards that version's notices were written for."""
    from sqlalchemy import select

    from heze_hub.store.schema import deliveries

    with hub.store.read() as conn:
        state = conn.execute(select(deliveries.c.state).where(
            deliveries.c.index_no == index_no, deliveries.c.version == version,
            deliveries.c.channel == channel)).scalar()
    listed = json.loads(state or "{}").get("boards")
    if isinstance(listed, list):
        return [str(b) for b in listed]
    item = hub.store.load_version(index_no, version)
    return hub.channels[channel].boards_of(item)


@board.command("confirm")
@click.argument("index_no")
@click.option("--board", "board_name", required=True, help="公开栏名称，与告示上的张贴地点一致")
@click.option("--posted-on", required=True, metavar="YYYY-MM-DD", help="实际张贴日期")
@click.option("--photo", type=click.Path(path_type=Path), help="张贴照片（记录其 SHA-256）")
@click.option("--channel", help="公开栏渠道名（默认：所有公开栏渠道）")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def confirm(ctx: click.Context, index_no: str, board_name: str, posted_on: str,
            photo: Path | None, channel: str | None, as_json: bool) -> None:
    """登记一份公开栏告示已张贴：日期、照片哈希，生成一张回执。"""
    try:
        day = date.fromisoformat(posted_on.strip())
    except ValueError:
        raise InputError(f"--posted-on：日期应写作 2018-06-05 的形式：“{posted_on}”") from None
    today = now().date()
    if day > today:
        raise InputError(f"--posted-on：张贴日期 {day} 晚于今天（{today}）")
    photo_sha = None
    if photo is not None:
        try:
            photo_sha = file_sha256(photo)
        except OSError:
            raise InputError(f"--photo：照片 {photo} 无法读取（不存在或没有权限）") from None
    with open_hub(ctx) as hub:
        name, delivery = _published_on_boards(hub, index_no, channel)
        version = int(delivery["version"])
        boards = _boards(hub, name, index_no, version)
        if board_name not in boards:
            raise InputError(f"--board：“{board_name}”不是该信息告示的公开栏；"
                             f"该信息的公开栏：{'、'.join(boards) or '（无）'}")
        item = hub.store.load_version(index_no, version)
        published = to_shanghai(item.published_at).date()
        if day < published:
            raise InputError(f"--posted-on：张贴日期 {day} 早于该信息的发布日期 {published}")
        stamp = now().isoformat()
        receipt = {
            "index_no": index_no, "version": version, "channel": name, "status": "posted",
            "content_sha256": item.content_sha256, "payload_sha256": photo_sha,
            "remote_id": board_name, "url": None, "attempts": 1,
            "started_at": stamp, "finished_at": stamp, "error": None,
            "idempotency_key": f"{index_no}:{version}:{name}:posted:{board_name}",
            "note": f"公开栏张贴确认：{board_name}，张贴日期 {day}"
                    + ("，附照片" if photo_sha else "，无照片"),
            "board": board_name, "posted_on": day.isoformat(), "photo_sha256": photo_sha,
        }

        def write(conn: Any) -> dict[str, Any]:
            done = append_receipt(conn, receipt)
            conn.execute(insert(board_postings).values(
                index_no=index_no, version=version, channel=name, board=board_name,
                posted_on=day.isoformat(), photo_sha256=photo_sha, confirmed_at=stamp,
                receipt_seq=done["seq"]))
            return done

        done = hub.store.write(write)
        hub.write_checkpoint()
    if as_json:
        click.echo(json.dumps([done], ensure_ascii=False, indent=2))
    else:
        out.print(f"已登记：{index_no} 第 {version} 版告示于 {day} 张贴在“{board_name}”"
                  f"（回执 seq {done['seq']}" + ("，照片 SHA-256 " + photo_sha if photo_sha else "")
                  + "）")
