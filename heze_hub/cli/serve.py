"""``hub serve`` (DESIGN §13), added to ``hub`` by :func:`register`."""

from __future__ import annotations

import click

from heze_hub.cli.common import open_hub


def register(cli: click.Group) -> None:
    """Add ``serve`` to ``cli``."""
    cli.add_command(serve)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址")
@click.option("--port", default=8080, show_default=True, type=int, help="监听端口")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int) -> None:
    """以网络服务方式运行（网页与 HTTP API，DESIGN §13）。"""
    from heze_hub.service.app import serve as run

    with open_hub(ctx) as hub:
        enabled = [n for n, c in hub.channels.items() if c.settings.enabled]
        hub.preflight(enabled)  # a service that could not deliver refuses to start (exit 2)
        click.echo(f"heze_hub 服务已启动：http://{host}:{port}/ （Ctrl+C 停止）", err=True)
        run(hub, host, port)
