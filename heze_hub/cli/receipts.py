"""``hub receipts`` (list, ``export``, ``proof``, ``check``) and ``hub verify`` (DESIGN §9).

Added to ``hub`` by :func:`register`: listing the receipts, exporting the audit bundle, proving
and checking one receipt, and verifying a bundle offline.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from rich.markup import escape

from heze_hub.cli import remote
from heze_hub.cli.common import (
    STATE_LABELS,
    ExitStatus,
    StateChoice,
    open_hub,
    out,
    state_is_writable,
)
from heze_hub.errors import InputError, describe_os_error
from heze_hub.store.receipts import RECEIPT_STATUSES, ReceiptFilter, list_receipts
from heze_hub.tables import Column, print_rows

#: ``hub receipts``: identifiers and times whole, the note wraps (records when too wide).
RECEIPT_COLUMNS = [
    Column("序号", justify="right"), Column("索引号"), Column("版本", justify="right"),
    Column("渠道"), Column("状态"), Column("完成时间"), Column("链接或远端编号"),
    Column("说明", "text"),
]


def register(cli: click.Group) -> None:
    """Add the ``receipts`` group and ``verify`` to ``cli``."""
    cli.add_command(receipts)
    cli.add_command(verify)


@click.group(invoke_without_command=True)
@click.option("--index-no", metavar="索引号", help="只列出这条信息的回执")
@click.option("--channel", metavar="NAME", help="只列出这个渠道的回执")
@click.option("--status", type=StateChoice(RECEIPT_STATUSES),
              help="只列出这个状态的回执：" + "、".join(
                  f"{c}（{STATE_LABELS.get(c, c)}）" for c in RECEIPT_STATUSES))
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), metavar="日期",
              help="只列出这天及以后完成的回执，例如 2026-11-26")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 数组输出")
@click.pass_context
def receipts(
    ctx: click.Context,
    index_no: str | None,
    channel: str | None,
    status: str | None,
    since: Any,
    as_json: bool,
) -> None:
    """列出发布回执。"""
    if ctx.invoked_subcommand is not None:
        return
    if remote.active(ctx):
        remote.receipts(ctx, {"index_no": index_no, "channel": channel, "status": status,
                              "since": since.date().isoformat() if since else None}, as_json)
        return
    flt = ReceiptFilter(index_no, channel, status, since.date() if since else None)
    with open_hub(ctx, read_only=True) as hub:
        rows = list_receipts(hub.store, flt)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    print_rows(out, RECEIPT_COLUMNS, [
        [
            str(r["seq"]),
            escape(r["index_no"]),
            str(r["version"]),
            escape(r["channel"]),
            STATE_LABELS.get(r["status"], r["status"]),
            r["finished_at"][:19].replace("T", " "),
            escape(r["url"] or r["remote_id"] or ""),
            escape(r["error"] or r.get("note") or ""),
        ]
        for r in rows
    ])
    out.print(f"共 {len(rows)} 条回执")


@receipts.command("export")
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
@click.pass_context
def receipts_export(ctx: click.Context, directory: Path) -> None:
    """导出审计包：receipts.jsonl、签名检查点 checkpoint、公钥 hub.pub。"""
    from itertools import islice

    from heze_hub.receipts.bundle import export_bundle

    if remote.active(ctx):
        remote.export(ctx, directory)
        return
    # An auditor's read-only copy of the state exports what its latest checkpoint covers; the
    # hub itself signs the log as it is now first.
    with open_hub(ctx, read_only=not state_is_writable(ctx)) as hub:
        size, note = hub.store.latest_signed() if hub.read_only else hub.write_checkpoint()
        cp = export_bundle(directory, islice(hub.store.receipt_lines(), size), note,
                           hub.verifier_key())
        unsigned = hub.store.receipt_count() - cp.size
    out.print(f"已导出 {cp.size} 条回执到 {escape(str(directory))}（根哈希 {cp.root.hex()}）")
    if unsigned > 0:
        out.print(f"[yellow]提醒[/]：另有 {unsigned} 条回执尚无签名检查点（状态目录只读），未导出")


@receipts.command("proof")
@click.argument("directory", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.argument("seq", type=int)
@click.pass_context
def receipts_proof(ctx: click.Context, directory: Path, seq: int) -> None:
    """从审计包生成一张回执的包含证明（JSON），部门可据此单独核对自己的回执。"""
    from heze_hub.receipts.proofs import inclusion_proof_for

    click.echo(json.dumps(inclusion_proof_for(directory, seq), ensure_ascii=False, indent=2))


@receipts.command("check")
@click.argument("receipt", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.argument("proof", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.argument("checkpoint", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--key", "vkey", required=True, metavar="VKEY|FILE", help="公开发布的验证公钥")
@click.pass_context
def receipts_check(ctx: click.Context, receipt: Path, proof: Path, checkpoint: Path,
                   vkey: str) -> None:
    """核对单张回执（规范 JSON 字节）确已记入签名检查点所承诺的日志。"""
    from heze_hub.receipts.proofs import verify_receipt_proof

    if Path(vkey).is_file():
        vkey = Path(vkey).read_text(encoding="utf-8").strip()
    report = verify_receipt_proof(receipt.read_bytes(), proof.read_text(encoding="utf-8"),
                                  checkpoint.read_text(encoding="utf-8"), vkey)
    if report.ok:
        out.print(f"[green]核对通过[/]：回执在大小为 {report.checkpoint_size} 的签名日志中")
    else:
        for p in report.problems:
            out.print(f"[red]核对未通过[/]：{escape(p)}")
        ctx.exit(ExitStatus.FAILED)


@click.command()
@click.argument("directory", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--known", multiple=True, type=click.Path(path_type=Path, exists=True,
                                                         dir_okay=False),
              help="审计人员此前保存的检查点文件（可多次给出）")
@click.option("--key", "vkey", metavar="VKEY|FILE",
              help="公开发布的验证公钥（hub.pub 的内容或其文件路径）；不给出时使用包内 hub.pub")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def verify(ctx: click.Context, directory: Path, known: tuple[Path, ...], vkey: str | None,
           as_json: bool) -> None:
    """离线核验审计包：签名、树大小、根哈希、顺序，以及与已知检查点的一致性。"""
    from heze_hub.receipts.signing import NoteError, parse_vkey
    from heze_hub.receipts.verify import verify_bundle

    if vkey and _is_file(vkey):
        vkey = _option_text(Path(vkey), "--key").strip()
    if vkey:
        try:
            parse_vkey(vkey)
        except NoteError as exc:
            raise InputError(f"--key：{exc}") from None
    report = verify_bundle(directory, [_option_text(k, "--known") for k in known], vkey=vkey)
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        if report.ok:
            out.print(f"[green]核验通过[/]：{report.size} 条回执，根哈希 {report.root_hex}")
        else:
            out.print(f"[red]核验未通过[/]：发现 {len(report.problems)} 处问题")
            for p in report.problems:
                out.print(f"  - {escape(p)}")
        for n in report.notes:
            out.print(f"  [dim]说明：{escape(n)}[/]")
    if not report.ok:
        ctx.exit(ExitStatus.FAILED)


def _is_file(value: str) -> bool:
    try:
        return Path(value).is_file()
    except (OSError, ValueError):  # a NUL or an over-long name: not a file, a key string
        return False


def _option_text(path: Path, option: str) -> str:
    """A small text file an option names (a checkpoint, a key), as UTF-8, or a clear error."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(
            f"{option} {path}：不是 UTF-8 文本文件（检查点和公钥都是 hub 写出的 UTF-8 文本）"
        ) from None
    except OSError as exc:
        raise InputError(f"{option} {path}：无法读取（{describe_os_error(exc)}）") from None
