"""``hub init``: write a commented ``channels.toml`` for a new hub, added by :func:`register`.

Every other command looks for the nearest ``channels.toml`` and refuses to guess one (a hub
started on built-in defaults in the wrong folder is a second hub with its own key); this is the
one command that creates it.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from heze_hub.cli.common import out
from heze_hub.config import DEFAULT_CONFIG_NAME
from heze_hub.errors import ConfigError, describe_os_error
from heze_hub.files import atomic_write


def register(cli: click.Group) -> None:
    """Add ``init`` to ``cli``."""
    cli.add_command(init)


def config_text(name: str = "", org_code: str = "371700", site_code: str = "",
                public_url: str = "http://localhost:8000") -> str:
    """The commented ``channels.toml`` that ``hub init`` writes (tests write the same one)."""
    q = lambda s: json.dumps(s, ensure_ascii=False)  # noqa: E731 - a TOML basic string
    return f"""\
# heze_hub 配置文件 channels.toml — written by `hub init`.
# Every `hub` command run in this folder or a folder below it uses this file (as git finds .git).
# Item files: see docs/item-reference.md of heze_hub. Secrets never go here: set them in the
# environment, e.g. HUB_CHANNELS__WECHAT__SECRET. Any key can be overridden with HUB_<TABLE>__<KEY>.

[hub]
name = {q(name)}                  # 机构名称: shown in the portal's header, footer and <title>
site_code = {q(site_code)}             # 政府网站标识码 (10 characters), shown in the footer
org_code = {q(org_code)}              # 索引号 prefix: {org_code}/2026-00001
public_url = {q(public_url)}   # the portal's public address; every link is built from it
state_dir = ".hub"                # store, signing key, log (relative to this file); back it up
# plugins_dir = "plugins"         # operator plugins, one file each

# 政府门户网站 — static pages in ./public: open public/index.html, or serve the folder.
[channels.portal]
mode = "static"
output_dir = "public"

# RSS 2.0 and Atom feeds of the latest items, next to the portal pages.
[channels.rss]
output_dir = "public"

# 微信公众号 — set enabled = true and HUB_CHANNELS__WECHAT__SECRET to use it.
# [channels.wechat]
# enabled = false
# appid = "wx0000000000000000"
# author = "菏泽市人民政府"

# 政务微博 — HUB_CHANNELS__WEIBO__ACCESS_TOKEN; rip = the public IP of this machine.
# [channels.weibo]
# enabled = false
# rip = "203.0.113.7"

# 信用平台（双公示）— licences and penalties only; HUB_CHANNELS__CREDIT__API_KEY.
# [channels.credit]
# enabled = false
# kinds = ["license", "penalty"]
# api_base = "https://credit.example.gov.cn"
"""


@click.command()
@click.argument("directory", required=False, default=".",
                type=click.Path(path_type=Path, file_okay=False))
@click.option("--name", default="", metavar="机构名称", help="机构名称，如 菏泽市人民政府")
@click.option("--org-code", default="371700", metavar="代码", help="索引号前缀（机构代码）")
@click.option("--site-code", default="", metavar="标识码", help="政府网站标识码")
@click.option("--public-url", default="http://localhost:8000", metavar="网址",
              help="门户网站的公开网址")
def init(directory: Path, name: str, org_code: str, site_code: str, public_url: str) -> None:
    """在 DIRECTORY（默认当前目录）生成带说明的配置文件 channels.toml。"""
    path = (directory / DEFAULT_CONFIG_NAME).absolute()
    if path.exists():
        raise ConfigError(f"{path} 已存在，未改动；如需重新生成，请先移走该文件")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        atomic_write(path, config_text(name, org_code, site_code, public_url).encode("utf-8"))
    except OSError as exc:
        raise ConfigError(f"无法写入 {path}：{describe_os_error(exc)}") from None
    out.print(f"已生成 {path}")
    out.print("下一步：在其中填写机构名称（name），然后运行 hub publish 信息文件.md")


#: Default values a test or a caller may want without running the command.
DEFAULT_CONFIG_TEXT = config_text()
