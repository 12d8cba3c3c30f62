"""``hub withdraw`` and ``hub expire`` (DESIGN §9, §12), added to ``hub`` by :func:`register`.

A department withdraws an item with a reason; an operator's cron runs ``hub expire`` daily.
Both show every withdrawal delivery as ``hub publish`` shows publications.
"""

from __future__ import annotations

import json

import click
from rich.markup import escape

from heze_hub.cli import remote
from heze_hub.cli.common import ExitStatus, err, open_hub, out, outcome_dict, outcome_line
from heze_hub.delivery import lifecycle
from heze_hub.delivery.runs import RunReport


def register(cli: click.Group) -> None:
    """Add ``withdraw`` and ``expire`` to ``cli``."""
    cli.add_command(withdraw)
    cli.add_command(expire)


@click.command()
@click.argument("index_nos", nargs=-1, required=True, metavar="INDEX_NO…")
@click.option("--reason", default=None, help="撤回原因（必填，写入回执并显示在原网址的撤回说明中）")
@click.option("--channel", "only", multiple=True, metavar="NAME", help="只从这些渠道撤回")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果")
@click.pass_context
def withdraw(
    ctx: click.Context, index_nos: tuple[str, ...], reason: str | None,
    only: tuple[str, ...], as_json: bool,
) -> None:
    """从发布过的各渠道撤回信息（需说明原因）。"""
    reason_text = lifecycle.check_reason(reason)  # before anything is opened or sent
    if remote.active(ctx):
        remote.withdraw(ctx, index_nos, reason_text, as_json)
        return
    with open_hub(ctx) as hub:
        report = lifecycle.withdraw(hub, list(index_nos), reason=reason_text, only=only)
        show_report(report, as_json, verb="撤回")
        if report.failed:
            ctx.exit(ExitStatus.FAILED)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果")
@click.pass_context
def expire(ctx: click.Context, as_json: bool) -> None:
    """撤下公示期已满的信息，并标注已失效的文件（可每天由 cron 运行）。"""
    with open_hub(ctx) as hub:
        report = lifecycle.expire(hub)
        if as_json:
            outcomes = [*(o for reg in report.items for o in reg.done), *report.outcomes]
            click.echo(json.dumps(
                [outcome_dict(o) | {"index_no": o.index_no, "version": o.version}
                 for o in outcomes]
                + [{"index_no": i.index_no, "version": i.version, "mark": "expired",
                    "valid_until": i.valid_until.isoformat() if i.valid_until else None}
                   for i in report.marked],
                ensure_ascii=False, indent=2))
            for problem in report.problems:
                err.print(f"[red]未完成[/]：{escape(problem)}")
        elif not report.ended and not report.marked:
            out.print("没有到期需要撤下或标注失效的信息。")
            return
        elif report.ended:
            show_report(report, as_json, verb="撤下")
        if not as_json:
            for item in report.marked:
                out.print(f"已标注失效：{escape(item.title)}（{item.index_no}，"
                          f"有效期至 {item.valid_until}）")
        if report.failed:
            ctx.exit(ExitStatus.FAILED)


def show_report(report: RunReport, as_json: bool, *, verb: str) -> None:
    """Every withdrawal of a run, by item version, and what a person still has to do."""
    outcomes = [*(o for reg in report.items for o in reg.done), *report.outcomes]
    if as_json:
        click.echo(json.dumps(
            [outcome_dict(o) | {"index_no": o.index_no, "version": o.version} for o in outcomes],
            ensure_ascii=False, indent=2))
    else:
        for reg in report.items:
            key = (reg.item.index_no, reg.item.version)
            if not any((o.index_no, o.version) == key for o in outcomes):
                continue
            out.print(f"[bold]{escape(reg.item.title)}[/]\n"
                      f"  索引号 {reg.item.index_no}  版本 {reg.item.version}")
            for o in outcomes:
                if (o.index_no, o.version) == key:
                    out.print("  " + outcome_line(o))
        done = sum(o.status == "withdrawn" for o in report.outcomes)
        failed = sum(o.status in ("failed", "unconfirmed") for o in report.outcomes)
        out.print(f"本次{verb} {done} 个投递"
                  + (f"，[red]{failed} 个未成功[/]（hub status 查看，hub retry 重试）"
                     if failed else ""))
    for o in outcomes:
        if o.status == "skipped":
            err.print(f"[yellow]需人工处理[/]：{escape(o.index_no)} 渠道 {escape(o.channel)}："
                      f"{escape(o.error or '')}")
    for problem in report.problems:
        err.print(f"[red]未完成[/]：{escape(problem)}")
