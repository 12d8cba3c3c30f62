"""``hub users`` (DESIGN §13): accounts of the service, added to ``hub`` by :func:`register`.

``add`` and ``token`` print the new API token alone on the last line of stdout, so a script can
take it with ``tail -n 1``; it is shown once and stored only hashed.
"""

from __future__ import annotations

import sys

import click

from heze_hub.cli.common import open_hub, out
from heze_hub.errors import InputError
from heze_hub.service import accounts
from heze_hub.service.accounts import ROLE_LABELS, ROLES


def register(cli: click.Group) -> None:
    """Add the ``users`` group to ``cli``."""
    cli.add_command(users)


@click.group()
def users() -> None:
    """管理服务的用户：部门、运维、审计。"""


@users.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(ROLES), help="角色")
@click.option("--department", "departments", multiple=True, metavar="发布机构",
              help="部门用户所属的发布机构（可多次给出）")
@click.option("--password-stdin", is_flag=True, help="从标准输入读取网页登录密码")
@click.pass_context
def users_add(ctx: click.Context, name: str, role: str, departments: tuple[str, ...],
              password_stdin: bool) -> None:
    """新增用户；最后一行输出其第一个 API 令牌（只显示这一次）。"""
    password = _read_password() if password_stdin else None
    with open_hub(ctx) as hub:
        token = accounts.add_user(hub.store, name, role, list(departments), password)
    click.echo(f"已新增用户 {name}（{ROLE_LABELS[role]}）。API 令牌只显示这一次，请妥善保存：")
    click.echo(token)


@users.command("token")
@click.argument("name")
@click.pass_context
def users_token(ctx: click.Context, name: str) -> None:
    """为用户签发新的 API 令牌；最后一行输出令牌（只显示这一次）。"""
    with open_hub(ctx) as hub:
        token = accounts.issue_token(hub.store, name)
    click.echo(f"已为用户 {name} 签发新令牌（只显示这一次）：")
    click.echo(token)


@users.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def users_list(ctx: click.Context, as_json: bool) -> None:
    """列出用户。"""
    import json

    from rich.table import Table

    with open_hub(ctx, read_only=True) as hub:
        rows = accounts.list_accounts(hub.store)
    if as_json:
        click.echo(json.dumps([{"name": a.name, "role": a.role,
                                "departments": list(a.departments), "disabled": a.disabled}
                               for a in rows], ensure_ascii=False, indent=2))
        return
    table = Table("用户", "角色", "发布机构", "状态")
    for a in rows:
        table.add_row(a.name, ROLE_LABELS[a.role], "、".join(a.departments) or "—",
                      "已停用" if a.disabled else "正常")
    out.print(table)


@users.command("disable")
@click.argument("name")
@click.pass_context
def users_disable(ctx: click.Context, name: str) -> None:
    """停用用户：其令牌和登录立即失效，历史记录保留。"""
    with open_hub(ctx) as hub:
        accounts.disable_user(hub.store, name)
    click.echo(f"已停用用户 {name}")


def _read_password() -> str:
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise InputError("--password-stdin：标准输入中没有密码")
    return line
