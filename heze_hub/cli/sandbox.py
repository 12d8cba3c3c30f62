"""``hub sandbox``: the local stand-ins of the real platforms, added to ``hub`` by :func:`register`.

The command takes its options unparsed and hands them to :mod:`heze_hub.sandbox.runner`.
"""

from __future__ import annotations

import click


def register(cli: click.Group) -> None:
    """Add ``sandbox`` to ``cli``."""
    cli.add_command(sandbox)


# Options, --help included, go to the sandbox's own parser (its usage and errors are Chinese too).
@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True,
                                 "help_option_names": []})
@click.pass_context
def sandbox(ctx: click.Context) -> None:
    """启动门户 CMS、微信、微博、信用平台、12345热线的本地模拟服务（可注入故障），写出沙盒配置。

    选项：--port 8700 --faults FILE.toml --config channels.sandbox.toml --public-url URL
    --output-dir DIR --quiet
    """
    from heze_hub.sandbox.runner import main as sandbox_main

    ctx.exit(sandbox_main(list(ctx.args)))
