"""The ``hub`` command line (DESIGN §9): Chinese for people, ``--json`` for machines."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from heze_hub.cli import audit as cli_audit
from heze_hub.cli import credit as cli_credit
from heze_hub.cli.common import err, open_hub, out
from heze_hub.cli.status import STATE_LABELS, ExitStatus
from heze_hub.delivery import engine as delivery
from heze_hub.delivery.outbox import Outcome
from heze_hub.errors import ConfigError, HubError, InputError
from heze_hub.hub import Hub
from heze_hub.items.normalize import now
from heze_hub.store.receipts import FINISHED, ReceiptFilter, list_receipts

log = logging.getLogger(__name__)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config", "config", metavar="PATH", help="配置文件（默认 ./channels.toml 或 $HUB_CONFIG）"
)
@click.version_option(package_name="heze_hub")
@click.pass_context
def cli(ctx: click.Context, config: str | None) -> None:
    """heze_hub 政务公开发布平台：一次提交，全渠道发布，回执可核验。"""
    ctx.ensure_object(dict)
    ctx.obj["config"] = config


# ---------------------------------------------------------------------------------------------
# publish
# ---------------------------------------------------------------------------------------------


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--channel", "only", multiple=True, metavar="NAME", help="只发布到这些渠道")
@click.option("--dry-run", is_flag=True, help="只校验并显示各渠道将收到的内容，不发送")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果")
@click.pass_context
def publish(
    ctx: click.Context, files: tuple[Path, ...], only: tuple[str, ...], dry_run: bool, as_json: bool
) -> None:
    """校验、规范化并发布信息文件。"""
    with open_hub(ctx) as hub:
        unknown = [c for c in only if c not in hub.channels]
        if unknown:
            raise ConfigError(
                f"--channel：渠道 {'、'.join(unknown)} 未配置；已配置：{'、'.join(hub.channels)}"
            )
        prepared = hub.prepare(files)
        if dry_run:
            _dry_run(hub, prepared, only, as_json)
            return
        enabled = [
            n for n, c in hub.channels.items() if c.settings.enabled and (not only or n in only)
        ]
        hub.check_channels(enabled)
        _warn_deadlines(hub, prepared)
        with _progress(len(prepared), as_json) as tick:
            report = delivery.publish(hub, prepared, only=only, on_done=tick)
        _show_run(report, as_json)
        if report.failed:
            ctx.exit(ExitStatus.FAILED)


def _warn_deadlines(hub: Hub, prepared: list[Any]) -> None:
    """Deadlines already missed or close, for items the hub has not published before."""
    from heze_hub.rules.policy import gate_warnings

    stamp = now()
    known = hub.store.known_identities([p.identity for p in prepared])
    shown = 0
    for p in prepared:
        if p.identity in known or p.explicit_index_no:
            continue
        for w in gate_warnings(p.build("-", 0, stamp), stamp):
            shown += 1
            if shown <= _MAX_WARNINGS:
                err.print(f"[yellow]提醒[/]：{escape(str(p.source))}：{escape(w)}")
    if shown > _MAX_WARNINGS:
        rest = shown - _MAX_WARNINGS
        err.print(f"[yellow]提醒[/]：另有 {rest} 条时限提醒未列出（hub audit 可查看全部）")


_MAX_WARNINGS = 20


def _dry_run(hub: Hub, prepared: list[Any], only: tuple[str, ...], as_json: bool) -> None:
    from heze_hub.delivery.routing import route

    result = []
    for p in prepared:
        item = p.build("（待分配）", 0, now())
        entry: dict[str, Any] = {
            "source": str(p.source),
            "content_sha256": p.content_sha256,
            "title": item.title,
            "channels": {},
        }
        for name in route(hub.channels, item, only):
            channel = hub.channels[name]
            skip = channel.accepts(item)
            entry["channels"][name] = {"skipped": skip} if skip else channel.render(item)
        result.append(entry)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2, default=str))
        return
    for entry in result:
        out.print(f"[bold]{escape(entry['title'])}[/]（{escape(entry['source'])}）")
        for name, payload in entry["channels"].items():
            out.print(f"  [cyan]{name}[/] 将收到：")
            out.print(json.dumps(payload, ensure_ascii=False, indent=2, default=str))
    out.print("（试运行：未发送任何内容，未分配索引号）")


@contextmanager
def _progress(total_items: int, quiet: bool) -> Iterator[Callable[[Outcome], None]]:
    if quiet or not err.is_terminal or total_items < 2:
        yield lambda _o: None
        return
    with Progress(
        TextColumn("发布中"), BarColumn(), MofNCompleteColumn(), console=err, transient=True
    ) as progress:
        task = progress.add_task("deliveries", total=None)
        yield lambda _o: progress.advance(task)


def _show_run(report: delivery.RunReport, as_json: bool) -> None:
    outcomes: dict[tuple[str, int], list[Outcome]] = {}
    for reg in report.items:
        outcomes[(reg.item.index_no, reg.item.version)] = list(reg.done)
    for o in report.outcomes:
        outcomes.setdefault((o.index_no, o.version), []).append(o)
    if as_json:
        data = []
        for reg in report.items:
            key = (reg.item.index_no, reg.item.version)
            data.append(
                {
                    "index_no": reg.item.index_no,
                    "version": reg.item.version,
                    "title": reg.item.title,
                    "source": reg.item.source,
                    "new_version": reg.new_version,
                    "deliveries": [_outcome_dict(o) for o in outcomes.get(key, [])],
                }
            )
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    for reg in report.items:
        key = (reg.item.index_no, reg.item.version)
        item_outcomes = outcomes.get(key, [])
        ran = [o for o in report.outcomes if (o.index_no, o.version) == key]
        head = (
            f"[bold]{escape(reg.item.title)}[/]\n"
            f"  索引号 {reg.item.index_no}  版本 {reg.item.version}"
        )
        if not reg.new_version and not ran:
            head += "  [dim]（内容未变化，未重复发布）[/]"
        elif reg.new_version and reg.item.version > 1:
            head += "  [yellow]（新版本）[/]"
        out.print(head)
        for o in item_outcomes:
            out.print("  " + _outcome_line(o))
    failed = sum(o.status in ("failed", "unconfirmed") for o in report.outcomes)
    done = sum(o.status == "published" for o in report.outcomes)
    out.print(
        f"共 {len(report.items)} 条信息，本次新发布 {done} 个投递"
        + (f"，[red]{failed} 个未成功[/]（hub status 查看，hub retry 重试）" if failed else "")
    )


def _outcome_dict(o: Outcome) -> dict[str, Any]:
    return {
        "channel": o.channel,
        "status": o.status,
        "attempts": o.attempts,
        "url": o.url,
        "remote_id": o.remote_id,
        "error": o.error,
        "note": o.note,
    }


def _outcome_line(o: Outcome) -> str:
    color = {"published": "green", "failed": "red", "unconfirmed": "yellow"}.get(o.status, "dim")
    text = f"[{color}]{STATE_LABELS.get(o.status, o.status)}[/] {escape(o.channel)}"
    if o.url:
        text += f"  {escape(o.url)}"
    elif o.remote_id:
        text += f"  编号 {escape(o.remote_id)}"
    if o.error:
        text += f"  [{color}]{escape(o.error)}[/]"
    if o.note:
        text += f"  [dim]{escape(o.note)}[/]"
    return text


# ---------------------------------------------------------------------------------------------
# channels, status, retry
# ---------------------------------------------------------------------------------------------


@cli.command()
@click.option("--check", is_flag=True, help="询问各渠道的健康状况（不发布任何内容）")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def channels(ctx: click.Context, check: bool, as_json: bool) -> None:
    """列出已安装的插件和已配置的渠道。"""
    from heze_hub.delivery.http import HttpClient

    with open_hub(ctx) as hub:
        rows = []
        http = HttpClient()
        for name, ch in hub.channels.items():
            problems = ch.configuration_problems() if ch.settings.enabled else []
            if check and ch.settings.enabled:
                try:
                    problems = ch.check(http)
                except Exception as exc:
                    problems = [hub.scrub(f"检查失败：{type(exc).__name__}")]
            rows.append(
                {
                    "channel": name,
                    "plugin": ch.plugin_name,
                    "title": ch.title,
                    "enabled": ch.settings.enabled,
                    "problems": [hub.scrub(p) for p in problems],
                }
            )
        plugins = [
            {"plugin": k, "title": v.title, "module": hub.plugins.sources[k]}
            for k, v in sorted(hub.plugins.channel_types.items())
        ]
        if as_json:
            # One object per configured channel, then one per installed plugin no channel uses
            # (channel null): an array of objects, like every --json output (DESIGN §9).
            used = {r["plugin"] for r in rows}
            unused = [{"channel": None, "plugin": p["plugin"], "title": p["title"],
                       "enabled": False, "problems": []}
                      for p in plugins if p["plugin"] not in used]
            click.echo(json.dumps(rows + unused, ensure_ascii=False, indent=2))
        else:
            table = Table("插件", "名称", "来源", title="已安装的渠道插件")
            for p in plugins:
                table.add_row(p["plugin"], p["title"], p["module"])
            out.print(table)
            table = Table("渠道", "插件", "启用", "状态", title="已配置的渠道")
            for r in rows:
                state = (
                    "；".join(r["problems"])
                    if r["problems"]
                    else (("正常" if check else "配置完整") if r["enabled"] else "—")
                )
                table.add_row(r["channel"], r["plugin"], "是" if r["enabled"] else "否", state)
            out.print(table)
        if any(r["problems"] for r in rows):
            ctx.exit(ExitStatus.FAILED)


@cli.command()
@click.argument("index_no", required=False)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def status(ctx: click.Context, index_no: str | None, as_json: bool) -> None:
    """查看投递及其状态。"""
    from heze_hub.rules.policy import credit_deadline_status

    with open_hub(ctx) as hub:
        rows = hub.store.deliveries_with_items(index_no)
        if index_no and not rows:
            raise InputError(f"索引号 {index_no} 没有投递记录")
        data = []
        today = now().date()
        for r in rows:
            item = json.loads(r.pop("data"))
            r.pop("owner", None)
            r.pop("state", None)
            r["deadline"] = None
            channel = hub.channels.get(r["channel"])
            if (item.get("credit") and channel is not None and channel.plugin_name == "credit"
                    and r["status"] not in ("published", "skipped")):
                r["deadline"] = credit_deadline_status(item["credit"], today)
            data.append({**r, "title": item["title"]})
        if as_json:
            click.echo(json.dumps(data, ensure_ascii=False, indent=2))
            return
        table = Table("索引号", "版本", "标题", "渠道", "状态", "尝试", "结果")
        for r in data:
            table.add_row(
                r["index_no"],
                str(r["version"]),
                r["title"][:30],
                r["channel"],
                STATE_LABELS.get(r["status"], r["status"]),
                str(r["attempts"]),
                r["url"] or r["error"] or "",
            )
        out.print(table)
        for r in data:
            if r["deadline"] and r["deadline"]["state"] != "ok":
                color = "red" if r["deadline"]["state"] == "overdue" else "yellow"
                out.print(f"[{color}]时限[/]：{r['index_no']} {r['channel']}："
                          f"{escape(r['deadline']['text'])}")
        counts: dict[str, int] = {}
        for r in data:
            counts[r["status"]] = counts.get(r["status"], 0) + 1
        out.print("合计：" + "，".join(f"{STATE_LABELS[k]} {v}" for k, v in sorted(counts.items())))


@cli.command()
@click.argument("index_nos", nargs=-1)
@click.option("--resend", is_flag=True, help="对无法确认的投递也重新发送（请先人工核实）")
@click.option("--failed", "include_failed", is_flag=True, help="也重试因永久错误失败的投递")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def retry(
    ctx: click.Context,
    index_nos: tuple[str, ...],
    resend: bool,
    include_failed: bool,
    as_json: bool,
) -> None:
    """继续中断、待发和可重试的投递。"""
    with open_hub(ctx) as hub:
        report = delivery.retry(hub, index_nos, resend=resend, include_failed=include_failed)
        if as_json:
            click.echo(
                json.dumps(
                    [
                        _outcome_dict(o) | {"index_no": o.index_no, "version": o.version}
                        for o in report.outcomes
                    ],
                    ensure_ascii=False,
                    indent=2,
                )
            )
        elif not report.outcomes:
            out.print("没有需要继续的投递。")
        else:
            for o in report.outcomes:
                out.print(f"{o.index_no} v{o.version}  " + _outcome_line(o))
        for name in sorted(set(report.held)):
            err.print(f"[yellow]提醒[/]：渠道 {escape(name)} 已停用，"
                      f"其 {report.held.count(name)} 个未完成的投递未处理")
        if report.failed:
            ctx.exit(ExitStatus.FAILED)


# ---------------------------------------------------------------------------------------------
# receipts
# ---------------------------------------------------------------------------------------------


@cli.group(invoke_without_command=True)
@click.option("--index-no")
@click.option("--channel")
@click.option("--status", type=click.Choice(FINISHED))
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), help="YYYY-MM-DD")
@click.option("--json", "as_json", is_flag=True)
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
    flt = ReceiptFilter(index_no, channel, status, since.date() if since else None)
    with open_hub(ctx) as hub:
        rows = list_receipts(hub.store, flt)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table("序号", "索引号", "版本", "渠道", "状态", "完成时间", "远端编号/链接", "说明")
    for r in rows:
        table.add_row(
            str(r["seq"]),
            r["index_no"],
            str(r["version"]),
            r["channel"],
            STATE_LABELS.get(r["status"], r["status"]),
            r["finished_at"][:19],
            r["url"] or r["remote_id"] or "",
            r["error"] or r.get("note") or "",
        )
    out.print(table)
    out.print(f"共 {len(rows)} 条回执")


@receipts.command("export")
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
@click.pass_context
def receipts_export(ctx: click.Context, directory: Path) -> None:
    """导出审计包：receipts.jsonl、签名检查点 checkpoint、公钥 hub.pub。"""
    from itertools import islice

    from heze_hub.receipts.bundle import export_bundle

    with open_hub(ctx) as hub:
        size, note = hub.write_checkpoint()
        cp = export_bundle(directory, islice(hub.store.receipt_lines(), size), note,
                           hub.signing_key().vkey())
    out.print(f"已导出 {cp.size} 条回执到 {escape(str(directory))}（根哈希 {cp.root.hex()}）")


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


@cli.command()
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

    if vkey and Path(vkey).is_file():
        vkey = Path(vkey).read_text(encoding="utf-8").strip()
    if vkey:
        try:
            parse_vkey(vkey)
        except NoteError as exc:
            raise InputError(f"--key：{exc}") from None
    report = verify_bundle(directory, [k.read_text(encoding="utf-8") for k in known], vkey=vkey)
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


@cli.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.pass_context
def sandbox(ctx: click.Context) -> None:
    """启动门户 CMS、微信、微博、信用平台的本地模拟服务（可注入故障），写出沙盒配置。

    选项：--port 8700 --faults FILE.toml --config channels.sandbox.toml --public-url URL
    --output-dir DIR --quiet
    """
    from heze_hub.sandbox.runner import main as sandbox_main

    ctx.exit(sandbox_main(list(ctx.args)))


cli_audit.register(cli)
cli_credit.register(cli)


def main() -> None:
    """Console entry point: no traceback ever reaches a user."""
    try:
        # Without standalone mode click returns ctx.exit()'s code instead of exiting.
        code = cli.main(standalone_mode=False, prog_name="hub")
        sys.exit(code if isinstance(code, int) else ExitStatus.SUCCESS)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.Abort:
        err.print("已取消。")
        sys.exit(ExitStatus.FAILED)
    except click.ClickException as exc:
        err.print(f"[red]错误[/]：{escape(exc.format_message())}")
        sys.exit(ExitStatus.BAD_INPUT)
    except (InputError, ConfigError) as exc:
        err.print(f"[red]错误[/]：{escape(str(exc))}")
        if {"publish", "retry"} & set(sys.argv[1:]):
            err.print("未发送任何内容。")
        sys.exit(ExitStatus.BAD_INPUT)
    except HubError as exc:
        err.print(f"[red]错误[/]：{escape(str(exc))}")
        sys.exit(ExitStatus.FAILED)
    except KeyboardInterrupt:
        err.print("已中断；未完成的投递可用 hub retry 继续。")
        sys.exit(130)
    except Exception as exc:
        log.exception("unexpected error")
        err.print(f"[red]内部错误[/]：{type(exc).__name__}。详情已写入状态目录下的 hub.log。")
        sys.exit(ExitStatus.FAILED)


if __name__ == "__main__":
    main()
