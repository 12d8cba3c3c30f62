"""``hub publish`` and ``hub channels`` (DESIGN §9), added to ``hub`` by :func:`register`.

Publishing checks the channels it will use, warns of deadlines, shows progress and the outcome of
every delivery; ``channels`` lists the installed plugins and the configured channels.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

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
    shown_path,
)
from heze_hub.delivery import runs as delivery
from heze_hub.delivery.outbox import Outcome
from heze_hub.errors import ConfigError
from heze_hub.hub import Hub
from heze_hub.items.normalize import now
from heze_hub.tables import Column, print_rows


def register(cli: click.Group) -> None:
    """Add ``publish`` and ``channels`` to ``cli``."""
    cli.add_command(publish)
    cli.add_command(channels)


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--channel", "only", multiple=True, metavar="NAME", help="只发布到这些渠道")
@click.option("--dry-run", is_flag=True,
              help="只校验，并说明每个渠道将做什么（新信息、新版本或内容未变化），不发送")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果")
@click.pass_context
def publish(
    ctx: click.Context, files: tuple[Path, ...], only: tuple[str, ...], dry_run: bool, as_json: bool
) -> None:
    """校验、规范化并发布信息文件。"""
    if remote.active(ctx) and not dry_run:
        remote.publish(ctx, files, as_json)
        return
    # A dry run reads the state and creates none (it may run where no hub has published yet).
    with open_hub(ctx, read_only=dry_run) as hub:
        unknown = [c for c in only if c not in hub.channels]
        if unknown:
            raise ConfigError(
                f"--channel：渠道 {'、'.join(unknown)} 未配置；已配置：{'、'.join(hub.channels)}"
            )
        prepared = hub.prepare(files, only)
        if not as_json:
            _show_notes(prepared)
        if dry_run:
            if not as_json:
                _warn_deadlines(hub, prepared)
            _dry_run(hub, prepared, only, as_json)
            return
        enabled = [
            n for n, c in hub.channels.items() if c.settings.enabled and (not only or n in only)
        ]
        hub.preflight(enabled)
        _warn_deadlines(hub, prepared)
        with _progress(hub, len(prepared), as_json) as bar:
            report = delivery.publish(hub, prepared, only=only, on_done=bar.done,
                                      on_start=bar.start,
                                      submitter=delivery.Submitter(cli_user(), "cli"))
        _show_run(report, as_json)
        show_problems(report.problems)
        if report.failed:
            ctx.exit(ExitStatus.FAILED)


def _show_notes(prepared: list[Any]) -> None:
    """What normalization changed in each file (a rewritten 文号), so that the clerk sees it."""
    for p in prepared:
        for note in p.notes:
            err.print(f"[cyan]提示[/]：{escape(shown_path(p.source))}：{escape(note)}")


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
                err.print(f"[yellow]提醒[/]：{escape(shown_path(p.source))}：{escape(w)}")
    if shown > _MAX_WARNINGS:
        rest = shown - _MAX_WARNINGS
        err.print(f"[yellow]提醒[/]：另有 {rest} 条时限提醒未列出（hub audit 可查看全部）")


_MAX_WARNINGS = 20


def _dry_run(hub: Hub, prepared: list[Any], only: tuple[str, ...], as_json: bool) -> None:
    """What the run would do per file and channel, read from the store like the run itself."""
    from heze_hub.delivery.preview import preview

    previews = preview(hub, prepared, only)
    if as_json:
        click.echo(json.dumps([
            {
                "source": p.source, "action": p.action, "index_no": p.item.index_no,
                "version": p.item.version, "title": p.item.title,
                "content_sha256": p.item.content_sha256,
                "channels": {c.channel: {"sends": c.sends, "reason": c.reason,
                                         "payload": c.payload} for c in p.channels},
            }
            for p in previews
        ], ensure_ascii=False, indent=2, default=str))
        return
    for p in previews:
        what = {
            "new": f"新信息，将分配索引号 {p.item.index_no}",
            "version": f"将发布索引号 {p.item.index_no} 的第 {p.item.version} 版（内容已修改）",
            "unchanged":
                f"内容未变化（索引号 {p.item.index_no} 第 {p.item.version} 版），不重复发布",
        }[p.action]
        out.print(f"[bold]{escape(p.item.title)}[/]\n  {escape(shown_path(p.source))}\n"
                  f"  {escape(what)}")
        for c in p.channels:
            if c.sends:
                hint = _payload_hint(c.payload)
                out.print(f"  [green]将发送[/] {escape(c.channel)}{escape(hint)}")
            else:
                out.print(f"  [dim]不发送[/] {escape(c.channel)}：{escape(c.reason or '')}")
        if not p.channels:
            out.print("  [yellow]没有渠道接收这条信息[/]"
                      "（检查 channels.toml 的路由或信息文件的 channels 字段）")
    sends = sum(c.sends for p in previews for c in p.channels)
    out.print(f"（试运行：未发送任何内容；实际运行将有 {sends} 个投递。"
              "加 --json 可查看各渠道将收到的完整内容）")


def _payload_hint(payload: Any) -> str:
    """A short line of what a channel would receive: its link or title, not the whole payload."""
    if not isinstance(payload, dict):
        return ""
    for key in ("url", "content_source_url", "page", "path"):
        value = payload.get(key)
        if isinstance(value, str) and value:
            return f"：{value}"
    title = payload.get("title") or payload.get("status")
    return f"：{title}" if isinstance(title, str) else ""


class _Progress:
    """The progress bar of a run: the known number of deliveries, and which channels the run is
    still waiting for (a slow one, such as WeChat polling its publish status, shows there)."""

    def __init__(self, progress: Progress | None, waiting_for: dict[str, str]) -> None:
        self.progress = progress
        self.task: TaskID | None = None
        self.left: dict[str, int] = {}
        self.waiting_for = waiting_for

    def start(self, per_channel: dict[str, int]) -> None:
        """Show the bar once the run knows its total (never "0/?")."""
        self.left = dict(per_channel)
        if self.progress is not None:
            self.task = self.progress.add_task("发布中", total=sum(per_channel.values()),
                                               waiting=self._waiting())

    def done(self, o: Outcome) -> None:
        if self.progress is None or self.task is None:
            return
        if self.left.get(o.channel):
            self.left[o.channel] -= 1
        self.progress.update(self.task, advance=1, waiting=self._waiting())

    def _waiting(self) -> str:
        busy = [f"{name} {n}" + (f"（{self.waiting_for[name]}）" if self.waiting_for.get(name)
                                 else "")
                for name, n in self.left.items() if n]
        return ("等待：" + "、".join(busy)) if busy else ""


@contextmanager
def _progress(hub: Hub, total_items: int, quiet: bool) -> Iterator[_Progress]:
    waiting_for = {name: ch.waiting_for for name, ch in hub.channels.items() if ch.waiting_for}
    if quiet or not err.is_terminal or total_items < 2:
        yield _Progress(None, waiting_for)
        return
    with Progress(
        TextColumn("发布中"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        TextColumn("[dim]{task.fields[waiting]}"), console=err, transient=True,
    ) as progress:
        yield _Progress(progress, waiting_for)


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
                    # Older posts a 【更正】 post replaced, withdrawn in this run (DESIGN §12).
                    "replaced": [outcome_dict(o) | {"version": o.version}
                                 for o in _replaced(report, reg.item.index_no)],
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
        for o in _replaced(report, reg.item.index_no):
            out.print(f"  更正后撤下第 {o.version} 版的旧帖：" + outcome_line(o))
    failed = sum(o.status in ("failed", "unconfirmed") for o in report.outcomes)
    done = sum(o.status == "published" for o in report.outcomes)
    out.print(
        f"共 {len(report.items)} 条信息，本次新发布 {done} 个投递"
        + (f"，[red]{failed} 个未成功[/]（hub status 查看，hub retry 重试）" if failed else "")
    )


def _replaced(report: delivery.RunReport, index_no: str) -> list[Outcome]:
    keys = {(r.item.index_no, r.item.version) for r in report.followed
            if r.item.index_no == index_no}
    done = [o for r in report.followed if r.item.index_no == index_no for o in r.done]
    return done + [o for o in report.outcomes if (o.index_no, o.version) in keys]


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
            print_rows(out, [Column("插件"), Column("名称", "text"), Column("来源")],
                       [[escape(p["plugin"]), escape(p["title"]), escape(p["module"])]
                        for p in plugins], title="已安装的渠道插件")
            channel_rows = []
            for r in rows:
                state = (
                    "；".join(r["problems"])
                    if r["problems"]
                    else (("正常" if check else "配置完整") if r["enabled"] else "—")
                )
                channel_rows.append([escape(r["channel"]), escape(r["plugin"]),
                                     "是" if r["enabled"] else "否", escape(state)])
            print_rows(out, [Column("渠道"), Column("插件"), Column("启用"),
                             Column("状态", "text")], channel_rows, title="已配置的渠道")
        if any(r["problems"] for r in rows):
            ctx.exit(ExitStatus.FAILED)
