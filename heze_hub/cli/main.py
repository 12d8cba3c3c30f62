"""The ``hub`` command line (DESIGN §9): Chinese for people, ``--json`` for machines.

This module holds the root group, its global options and the console entry point; each command
group lives in its own module and is added here by that module's ``register``.
"""

from __future__ import annotations

import logging
import sys

import click
from rich.markup import escape

from heze_hub.cli import audit as cli_audit
from heze_hub.cli import board as cli_board
from heze_hub.cli import click_zh
from heze_hub.cli import credit as cli_credit
from heze_hub.cli import init as cli_init
from heze_hub.cli import lifecycle as cli_lifecycle
from heze_hub.cli import publish as cli_publish
from heze_hub.cli import receipts as cli_receipts
from heze_hub.cli import sandbox as cli_sandbox
from heze_hub.cli import serve as cli_serve
from heze_hub.cli import status as cli_status
from heze_hub.cli import users as cli_users
from heze_hub.cli.common import ExitStatus, err
from heze_hub.errors import ConfigError, HubError, InputError

log = logging.getLogger(__name__)

# Click's own errors, help headings and usage lines in Chinese, before any command is built.
click_zh.install()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config", "config", metavar="PATH",
    help="配置文件（默认：$HUB_CONFIG，或当前目录及其上级目录中最近的 channels.toml）",
)
@click.option(
    "--server", metavar="URL",
    help="改为访问 hub serve 服务（publish、status、retry、receipts；令牌取自 $HUB_TOKEN）",
)
@click.version_option(package_name="heze_hub", prog_name="hub")
@click.pass_context
def cli(ctx: click.Context, config: str | None, server: str | None) -> None:
    """heze_hub 政务公开发布平台：一次提交，全渠道发布，回执可核验。"""
    ctx.ensure_object(dict)
    ctx.obj["config"] = config
    ctx.obj["server"] = server


cli_publish.register(cli)
cli_status.register(cli)
cli_receipts.register(cli)
cli_sandbox.register(cli)
cli_audit.register(cli)
cli_credit.register(cli)
cli_board.register(cli)
cli_serve.register(cli)
cli_users.register(cli)
cli_lifecycle.register(cli)
cli_init.register(cli)
click_zh.translate_usage(cli)


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
    except click.exceptions.NoArgsIsHelpError as exc:
        # `hub` alone: the help is the answer, not an error.
        click.echo(exc.format_message())
        sys.exit(ExitStatus.SUCCESS)
    except click.UsageError as exc:
        # Click ends a few sentences with its own full stop ("缺少选项 '--year'.").
        message = exc.format_message().removesuffix(".")
        err.print(f"[red]错误[/]：{escape(message)}")
        if exc.ctx is not None:
            err.print(f"用 {exc.ctx.command_path} --help 查看用法。")
        sys.exit(ExitStatus.BAD_INPUT)
    except click.ClickException as exc:
        err.print(f"[red]错误[/]：{escape(exc.format_message())}")
        sys.exit(ExitStatus.BAD_INPUT)
    except (InputError, ConfigError) as exc:
        err.print(f"[red]错误[/]：{escape(str(exc))}")
        if {"publish", "retry", "withdraw", "expire"} & set(sys.argv[1:]):
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
