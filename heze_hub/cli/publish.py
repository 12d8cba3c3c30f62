"""``hub publish`` and ``hub channels`` (DESIGN §9), added to ``hub`` by :func:`register`.

Publishing checks the channels it will use, warns of deadlines, shows progress and the outcome of
every delivery; ``channels`` lists the installed plugins and the configured channels.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from heze_hub.cli import remote
from heze_hub.cli.common import (
    ExitStatus,
    cli_user,
    err,
    open_hub,
    out,
    outcome_dict,
    outcome_line,
    show_problems,
)
from heze_hub.delivery import runs as delivery
from heze_hub.delivery.outbox import Outcome
from heze_hub.errors import ConfigError
from heze_hub.hub import Hub
from heze_hub.items.normalize import now


def register(cli: click.Group) -> None:
    """Add ``publish`` and ``channels`` to ``cli``."""
    cli.add_command(publish)
    cli.add_command(channels)


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--channel", "only", multiple=True, metavar="NAME", help="只发布到这些渠道")
@click.option("--dry-run", is_flag=True, help="只校验并显示各渠道将收到的内容，不发送")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果")
@click.pass_context
def publish(
    ctx: click.Context, files: tuple[Path, ...], only: tuple[str, ...], dry_run: bool, as_json: bool
) -> None:
    """校验、规范化并发布信息文件。"""
    if remote.active(ctx) and not dry_run:
        remote.publish(ctx, files, as_json)
        return
    with open_hub(ctx) as hub:
        unknown = [c for c in only if c not in hub.channels]
        if unknown:
            raise ConfigError(
                f"--channel：渠道 {'、'.join(unknown)} 未配置；已配置：{'、'.join(hub.channels)}"
            )
        prepared = hub.prepare(files, only)
        if dry_run:
            _dry_run(hub, prepared, only, as_json)
            return
        enabled = [
            n for n, c in hub.channels.items() if c.settings.enabled and (not only or n in only)
        ]
        hub.preflight(enabled)
        _warn_deadlines(hub, prepared)
        with _progress(len(prepared), as_json) as tick:
            report = delivery.publish(hub, prepared, only=only, on_done=tick,
                                      submitter=delivery.Submitter(cli_user(), "cli"))
        _show_run(report, as_json)
        show_problems(report.problems)
        if report.failed:
            ctx.exit(ExitStatus.FAILED)


def _warn_deadlines(hub: Hub, prepared: list[Any]) -> None:
    """Deadlines already missed or close, for items the hub has not published before."""
    from heze_hub.rules.gate import gate_warnings

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
                    "deliveries": [outcome_dict(o) for o in outcomes.get(key, [])],
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
            out.print("  " + outcome_line(o))
    failed = sum(o.status in ("failed", "unconfirmed") for o in report.outcomes)
    done = sum(o.status == "published" for o in report.outcomes)
    out.print(
        f"共 {len(report.items)} 条信息，本次新发布 {done} 个投递"
        + (f"，[red]{failed} 个未成功[/]（hub status 查看，hub retry 重试）" if failed else "")
    )


@click.command()
@click.option("--check", is_flag=True, help="询问各渠道的健康状况（不发布任何内容）")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def channels(ctx: click.Context, check: bool, as_json: bool) -> None:
    """列出已安装的插件和已配置的渠道。"""
    from heze_hub.delivery.http import HttpClient

    with open_hub(ctx, read_only=True) as hub:
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
