"""``hub audit`` and ``hub report annual`` (DESIGN §9), added to ``hub`` by :func:`register`."""

from __future__ import annotations

import json
from datetime import datetime

import click

from heze_hub.cli.common import ExitStatus, open_hub, out

#: A year as a clerk writes it: four digits (``--year 18`` is a typo, not the year 18).
YEAR = click.IntRange(1949, 2100)


def register(cli: click.Group) -> None:
    """Add ``audit`` and the ``report`` group to ``cli``."""
    cli.add_command(audit)
    cli.add_command(report)


@click.command()
@click.option("--year", type=YEAR, metavar="YYYY", help="核查的年度，四位数字（默认今年）")
@click.option("--all", "show_met", is_flag=True, help="也列出符合的项目")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 数组输出全部核查结果")
@click.pass_context
def audit(ctx: click.Context, year: int | None, show_met: bool, as_json: bool) -> None:
    """按政务公开规则逐条核查：时限、系列、解读、复文、投递状态。

    有不符合项时退出状态为 1。
    """
    from heze_hub.rules import audit as auditing
    from heze_hub.rules.facts import TZ

    now = datetime.now(TZ)
    with open_hub(ctx, read_only=True) as hub:
        plugins = {name: ch.plugin_name for name, ch in hub.channels.items()}
        result = auditing.run_audit(hub.store, year or now.year, now, plugins)
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        auditing.render(result, out, show_met=show_met)
    if result.broken:
        ctx.exit(ExitStatus.FAILED)


@click.group()
def report() -> None:
    """由发布记录生成报表。"""


@report.command()
@click.option("--year", type=YEAR, required=True, metavar="YYYY", help="报告年度，四位数字")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 数组输出（每个单元格一个对象）")
@click.pass_context
def annual(ctx: click.Context, year: int, as_json: bool) -> None:
    """政府信息公开工作年度报告：主动公开政府信息情况（国办公开办函〔2021〕30号 第二部分）。"""
    from heze_hub.rules import annual_report

    with open_hub(ctx, read_only=True) as hub:
        result = annual_report.annual_report(hub.store, year)
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        annual_report.render(result, out)
