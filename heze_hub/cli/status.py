"""``hub status`` and ``hub retry`` (DESIGN §9), added to ``hub`` by :func:`register`."""

from __future__ import annotations

import json
from typing import Any

import click
from rich.markup import escape
from rich.padding import Padding
from rich.text import Text

from heze_hub.cli import common, remote
from heze_hub.cli.common import (
    STATE_LABELS,
    ExitStatus,
    err,
    open_hub,
    out,
)
from heze_hub.delivery import runs as delivery
from heze_hub.delivery.withdrawal import is_withdrawal
from heze_hub.errors import InputError
from heze_hub.items.normalize import now
from heze_hub.tables import Column, print_rows, table_width

#: ``hub status``: identifiers whole, the title wraps (record layout when even that is too wide).
STATUS_COLUMNS = [
    Column("索引号"), Column("版本", justify="right"), Column("标题", "text"), Column("渠道"),
    Column("状态"), Column("尝试", justify="right"), Column("链接或编号"),
]


def register(cli: click.Group) -> None:
    """Add ``status`` and ``retry`` to ``cli``."""
    cli.add_command(status)
    cli.add_command(retry)


@click.command()
@click.argument("index_no", required=False)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def status(ctx: click.Context, index_no: str | None, as_json: bool) -> None:
    """查看投递及其状态。"""
    from heze_hub.rules.gate import credit_deadline_status

    if remote.active(ctx):
        remote.status(ctx, index_no, as_json)
        return
    with open_hub(ctx, read_only=True) as hub:
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
                    and r["status"] not in ("published", "skipped", "withdrawn")
                    and not is_withdrawal(r)):
                r["deadline"] = credit_deadline_status(item["credit"], today)
            data.append({**r, "title": item["title"]})
        if as_json:
            click.echo(json.dumps(data, ensure_ascii=False, indent=2))
            return
        rows = [
            [
                escape(r["index_no"]),
                str(r["version"]),
                escape(r["title"]),
                escape(r["channel"] + ("（撤回）" if is_withdrawal(r) else "")),
                STATE_LABELS.get(r["status"], r["status"]),
                str(r["attempts"]),
                escape(r["url"] or r.get("remote_id") or ""),
            ]
            for r in data
        ]
        if rows and table_width(STATUS_COLUMNS, rows) > out.width:
            _print_by_item(data)
        else:
            print_rows(out, STATUS_COLUMNS, rows)
        for r in data:
            if r["error"]:
                color = "red" if r["status"] == "failed" else "yellow"
                out.print(f"[{color}]{STATE_LABELS.get(r['status'], r['status'])}[/]："
                          f"{escape(r['index_no'])} {escape(r['channel'])}：{escape(r['error'])}")
        for r in data:
            if r["deadline"] and r["deadline"]["state"] != "ok":
                color = "red" if r["deadline"]["state"] == "overdue" else "yellow"
                out.print(f"[{color}]时限[/]：{r['index_no']} {r['channel']}："
                          f"{escape(r['deadline']['text'])}")
        for r in data:
            if is_withdrawal(r) and r["status"] == "skipped":
                out.print(f"[yellow]需人工处理[/]：{r['index_no']} 渠道 {escape(r['channel'])}："
                          f"{escape(r['error'] or '')}")
            elif is_withdrawal(r) and r["status"] in ("pending", "failed", "unconfirmed"):
                out.print(f"[yellow]撤回未完成[/]：{r['index_no']} 渠道 {escape(r['channel'])}，"
                          "可用 hub retry 继续")
        counts: dict[str, int] = {}
        for r in data:
            counts[r["status"]] = counts.get(r["status"], 0) + 1
        out.print("合计：" + "，".join(f"{STATE_LABELS[k]} {v}" for k, v in sorted(counts.items())))


def _print_by_item(data: list[dict[str, Any]]) -> None:
    """``hub status`` on a narrow terminal: one block per item version, one line per channel,
    identifiers and links whole (a link longer than the terminal is wrapped by it, not cut)."""
    shown: tuple[str, int] | None = None
    width = max(len(r["channel"]) for r in data)
    for r in data:
        key = (r["index_no"], r["version"])
        if key != shown:
            if shown is not None:
                out.print("")
            out.print(f"[bold]{escape(r['index_no'])}[/] 第 {r['version']} 版")
            out.print(Padding(Text(r["title"]), (0, 0, 0, 2), expand=False), soft_wrap=False)
            shown = key
        link = r["url"] or r.get("remote_id") or ""
        out.print(f"  {escape(r['channel']).ljust(width)}  "
                  f"{STATE_LABELS.get(r['status'], r['status'])}  尝试 {r['attempts']}"
                  + (f"  {escape(link)}" if link else ""), overflow="ignore", crop=False)


@click.command()
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
    if remote.active(ctx):
        remote.retry(ctx, index_nos, as_json)
        return
    with open_hub(ctx) as hub:
        report = delivery.retry(hub, index_nos, resend=resend, include_failed=include_failed)
        if as_json:
            click.echo(
                json.dumps(
                    [
                        common.outcome_dict(o) | {"index_no": o.index_no, "version": o.version}
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
                out.print(f"{o.index_no} v{o.version}  " + common.outcome_line(o))
        for name in sorted(set(report.held)):
            err.print(f"[yellow]提醒[/]：渠道 {escape(name)} 已停用，"
                      f"其 {report.held.count(name)} 个未完成的投递未处理")
        common.show_problems(report.problems)
        if report.failed:
            ctx.exit(ExitStatus.FAILED)
