"""``hub credit``: 双公示 records for a provincial platform that only takes file uploads.

``hub credit export DIR`` writes the records waiting for upload as CSV in the standard column
order of the second edition, headed by the channel's column map where a provincial template
names columns differently; ``hub credit mark-uploaded`` records what the platform answered, as
receipts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from sqlalchemy import select

from heze_hub.cli.common import ExitStatus, open_hub, out
from heze_hub.errors import InputError
from heze_hub.items.credit_export import write_csv
from heze_hub.items.credit_fields import (
    map_columns,
    record_decision_number,
    record_type,
    wire_record,
)
from heze_hub.receipts.canonical import canonical_json, sha256_hex

# A record the platform refused (failed) is not exported again: only a corrected item, which is
# a new version with a new delivery, goes back to the platform.
WAITING = ("pending", "unconfirmed")


@click.group()
def credit() -> None:
    """双公示记录的人工上传：导出 CSV、登记上传结果。"""


def register(cli: click.Group) -> None:
    """Add the ``credit`` group to ``cli``."""
    cli.add_command(credit)


def _file_channels(hub: Any, only: str | None) -> list[str]:
    names = [
        name for name, ch in hub.channels.items()
        if ch.plugin_name == "credit" and getattr(ch.settings, "upload", "api") == "file"
        and (only is None or name == only)
    ]
    if not names:
        raise InputError(
            "没有以文件方式上传的信用平台渠道；"
            "请在 channels.toml 的信用渠道中设置 upload = \"file\""
            + (f"（渠道 {only}）" if only else "")
        )
    return names


def _column_map(hub: Any, channel: str) -> dict[str, str]:
    return dict(getattr(hub.channels[channel].settings, "columns", None) or {})


def _one_column_map(hub: Any, channels: list[str]) -> dict[str, str]:
    """The column map the exported files are headed by; the channels must agree on it."""
    maps = {name: _column_map(hub, name) for name in channels}
    first = maps[channels[0]]
    if any(m != first for m in maps.values()):
        raise InputError(
            f"信用渠道 {'、'.join(channels)} 的列名映射（columns）不同，无法导出到同一组文件；"
            "请用 --channel 逐个渠道导出到不同目录"
        )
    return first


def _waiting(
    hub: Any, channels: list[str], index_nos: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    from heze_hub.store.schema import deliveries

    q = select(deliveries).where(
        deliveries.c.channel.in_(channels), deliveries.c.status.in_(WAITING)
    ).order_by(deliveries.c.id)
    if index_nos:
        q = q.where(deliveries.c.index_no.in_(index_nos))
    with hub.store.read() as conn:
        return [dict(r._mapping) for r in conn.execute(q)]


@credit.command("export")
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
@click.option("--channel", help="信用渠道名（默认：所有以文件方式上传的信用渠道）")
@click.pass_context
def export(ctx: click.Context, directory: Path, channel: str | None) -> None:
    """导出待上传的双公示记录（UTF-8 带 BOM 的 CSV，标准列顺序）。"""

    with open_hub(ctx) as hub:
        channels = _file_channels(hub, channel)
        column_map = _one_column_map(hub, channels)
        rows = _waiting(hub, channels)
        by_type: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            item = hub.store.load_version(row["index_no"], row["version"])
            if item.credit is not None:
                by_type.setdefault(record_type(item.credit), []).append(item.credit)
        directory.mkdir(parents=True, exist_ok=True)
        for rtype, records in sorted(by_type.items()):
            path = directory / f"{rtype}.csv"
            count = write_csv(records, rtype, path, column_map)
            label = "行政许可" if rtype == "license" else "行政处罚"
            out.print(f"{label}：{count} 条 → {path}")
        if not by_type:
            out.print("没有待上传的双公示记录。")
        else:
            out.print("文件含自然人完整证件号码，仅限上传使用，用后请删除。"
                      "上传后用 hub credit mark-uploaded 登记结果。")


@credit.command("mark-uploaded")
@click.argument("index_nos", nargs=-1, required=True)
@click.option("--channel", help="信用渠道名（默认：所有以文件方式上传的信用渠道）")
@click.option("--record-id", help="省级平台返回的记录编号（只登记一条时使用）")
@click.option("--rejected", metavar="REASON", help="平台拒收时填写原因，登记为失败")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def mark_uploaded(ctx: click.Context, index_nos: tuple[str, ...], channel: str | None,
                  record_id: str | None, rejected: str | None, as_json: bool) -> None:
    """登记人工上传的结果，每条记录生成一张回执。"""
    from heze_hub.delivery.runs import finish_manually

    if record_id and len(index_nos) != 1:
        raise InputError("--record-id 只能与一个索引号一起使用")
    with open_hub(ctx) as hub:
        rows = _waiting(hub, _file_channels(hub, channel), index_nos)
        missing = sorted(set(index_nos) - {r["index_no"] for r in rows})
        if missing:
            raise InputError(f"索引号 {'、'.join(missing)} 没有待上传的双公示记录")
        done = []
        for row in rows:
            item = hub.store.load_version(row["index_no"], row["version"])
            assert item.credit is not None
            status = "failed" if rejected else "published"
            finish_manually(
                hub, row, item, status=status, remote_id=record_id, error=rejected,
                note=f"人工上传（决定文书号 {record_decision_number(item.credit)}）",
                payload_sha256=sha256_hex(canonical_json(map_columns(
                    wire_record(item.credit), _column_map(hub, row["channel"])))),
            )
            done.append({"index_no": row["index_no"], "version": row["version"],
                         "channel": row["channel"], "status": status})
        hub.write_checkpoint()
        if as_json:
            click.echo(json.dumps(done, ensure_ascii=False, indent=2))
        else:
            for d in done:
                out.print(f"{d['index_no']} v{d['version']} {d['channel']}："
                          + ("已登记为拒收" if rejected else "已登记为已上传"))
    if rejected:
        ctx.exit(ExitStatus.FAILED)
