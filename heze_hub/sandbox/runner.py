"""``hub sandbox``: run the fakes on fixed ports and write a configuration that uses them.

Ports: portal CMS ``port`` (default 8700; it also serves the static portal's output directory,
so it is the default ``public_url``), WeChat ``port + 1``, Weibo ``port + 2``, credit
``port + 3``, 12345 hotline ``port + 4``. ``port=0`` picks free ports instead.

A faults file is TOML, one array of tables per service, with the fields of :class:`Fault`::

    [[wechat]]
    path = "/cgi-bin/freepublish/submit"
    times = 1
    body = { errcode = -1, errmsg = "system error" }

    [[portal]]
    path = "/api/articles"
    status = 503
    headers = { "Retry-After" = "1" }
    times = 2
"""

from __future__ import annotations

import logging
import os
import shlex
import signal
import sys
import threading
import tomllib
from pathlib import Path
from typing import TextIO

from . import argparse_zh
from .base import Fault
from .suite import DEFAULT_OUTPUT_DIR, SERVICE_ORDER, Sandbox

DEFAULT_PORT = 8700
DEFAULT_CONFIG = "channels.sandbox.toml"
COVER_NAME = "sandbox-cover.jpg"

LABELS = {
    "portal": ("门户网站 CMS", "portal CMS"),
    "wechat": ("微信公众号", "WeChat official account"),
    "weibo": ("政务微博", "Weibo"),
    "credit": ("信用平台", "credit platform (双公示)"),
    "hotline": ("12345热线知识库", "12345 hotline knowledge base"),
}


def load_faults(path: str | os.PathLike[str]) -> dict[str, list[Fault]]:
    """Read a faults file (see the module docstring); raise ``ValueError`` naming the problem."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"{path}：无法读取（{argparse_zh.os_problem(exc)}）") from exc
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}：不是 UTF-8 编码") from exc
    except tomllib.TOMLDecodeError as exc:
        where = str(exc).rpartition("(at ")[2].rstrip(")")
        at = where.replace("line ", "第 ").replace(", column ", " 行第 ") + " 列"
        at = at if at.startswith("第") else "文件末尾"
        raise ValueError(f"{path}：不是有效的 TOML 文件（{at}）") from exc
    faults: dict[str, list[Fault]] = {}
    for name, specs in data.items():
        if name not in SERVICE_ORDER:
            raise ValueError(f"{path}：未知的服务 [[{name}]]；可用："
                             + "、".join(SERVICE_ORDER))
        if not isinstance(specs, list):
            raise ValueError(f"{path}：{name} 应写作表数组 [[{name}]]")
        try:
            faults[name] = [Fault.from_dict(spec) for spec in specs]
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{path}：[[{name}]]：{exc}") from exc
    return faults


def tiny_jpeg() -> bytes:
    """An 8×8 grey baseline JPEG (159 bytes): a cover image for the WeChat channel."""

    def segment(marker: int, payload: bytes) -> bytes:
        return bytes((0xFF, marker)) + (len(payload) + 2).to_bytes(2, "big") + payload

    one_code = b"\x01" + b"\x00" * 15 + b"\x00"  # one Huffman code of length 1, for symbol 0
    return (
        b"\xff\xd8"
        + segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
        + segment(0xDB, b"\x00" + b"\x01" * 64)  # quantization table: all ones
        + segment(0xC0, b"\x08\x00\x08\x00\x08\x01\x01\x11\x00")  # 8×8, one component
        + segment(0xC4, b"\x00" + one_code)  # DC table: only "difference 0"
        + segment(0xC4, b"\x10" + one_code)  # AC table: only end-of-block
        + segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
        + b"\x3f"  # DC 0, EOB, padding bits
        + b"\xff\xd9"
    )


def serve(host: str = "127.0.0.1", port: int = DEFAULT_PORT,
          faults_file: str | os.PathLike[str] | None = None,
          config_path: str | os.PathLike[str] = DEFAULT_CONFIG,
          public_url: str | None = None, output_dir: str = DEFAULT_OUTPUT_DIR, *,
          out: TextIO | None = None, stop: threading.Event | None = None,
          log_requests: bool = True) -> None:
    """Start the sandbox, write ``config_path`` and a cover image beside it, print how to use
    it, and block until Ctrl-C (or until ``stop`` is set)."""
    out = out or sys.stdout
    faults = load_faults(faults_file) if faults_file else None
    config = Path(config_path)
    base_dir = config.parent.resolve()
    # A folder the user names is taken from the current folder, as every path on a command
    # line is; the default one lies beside the configuration it belongs to.
    if output_dir != DEFAULT_OUTPUT_DIR:
        output_dir = str(Path(output_dir).absolute())
    static_dir = base_dir / output_dir
    handler: logging.Handler | None = None
    if log_requests:
        handler = logging.StreamHandler(out)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(message)s", "%H:%M:%S"))
        logger = logging.getLogger("heze_hub.sandbox")
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    try:
        with Sandbox(host=host, port=port, faults=faults, public_url=public_url,
                     static_dir=static_dir) as sb:
            cover = base_dir / COVER_NAME
            cover.write_bytes(tiny_jpeg())
            config.write_text(sb.config_toml(public_url, output_dir, cover=cover),
                              encoding="utf-8")
            _print_banner(sb, config, public_url, static_dir, out)
            _block(stop)
            print("\n沙盒已停止。", file=out)
    finally:
        if handler is not None:
            logging.getLogger("heze_hub.sandbox").removeHandler(handler)


def _block(stop: threading.Event | None) -> None:
    stop = stop or threading.Event()
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass


def _print_banner(sb: Sandbox, config: Path, public_url: str | None, static_dir: Path,
                  out: TextIO) -> None:
    say = lambda line="": print(line, file=out)  # noqa: E731
    say("heze_hub 沙盒已启动：")
    for name in SERVICE_ORDER:
        zh, _en = LABELS[name]
        say(f"  {sb.url(name):<26} {zh}")
    portal = sb.url("portal") + "/"
    say(f"  {portal:<26} 门户网站静态页面 ← {static_dir}")
    if public_url:
        say(f"  public_url = {public_url}（微博接受指向它的链接）")
    say()
    say(f"配置文件已写入：{config}")
    say("密钥不在文件中；请在运行 hub 的终端中执行：")
    say(f"  export HUB_CONFIG={shlex.quote(str(config))}")
    for key, value in sb.env().items():
        say(f"  export {key}={shlex.quote(value)}")
    say()
    say("然后发布：hub publish 信息文件.md")
    say("注入故障，例如：")
    say(f"  curl -X POST {sb.url('wechat')}/_sandbox/faults -d "
        + shlex.quote('[{"path": "/cgi-bin/freepublish/submit", "times": 1, '
                      '"body": {"errcode": -1, "errmsg": "system error"}}]'))
    say(f"查看收到的请求：curl {sb.url('portal')}/_sandbox/requests")
    say("按 Ctrl-C 停止。")
    say()
    out.flush()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """``python -m heze_hub.sandbox [--port 8700] [--faults FILE.toml] [--config PATH]``."""
    argparse_zh.install()
    parser = argparse_zh.ChineseParser(
        prog="hub sandbox",
        description="启动门户 CMS、微信、微博、信用平台、12345 热线的本地模拟服务（可注入故障），"
                    "写出沙盒配置。",
    )
    parser.add_argument("--host", default="127.0.0.1", metavar="地址", help="监听地址")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, metavar="端口",
                        help="门户 CMS 的端口；微信、微博、信用平台、12345 热线"
                             "依次用后面四个（默认 8700）")
    parser.add_argument("--faults", metavar="FILE.toml", help="启动时注入的故障")
    parser.add_argument("--config", default=DEFAULT_CONFIG, metavar="PATH",
                        help="要写出的沙盒配置文件（默认 channels.sandbox.toml）")
    parser.add_argument("--public-url", metavar="网址",
                        help="沙盒配置中的 public_url（默认：门户模拟服务）")
    parser.add_argument("--output-dir", default=DEFAULT_OUTPUT_DIR, metavar="DIR",
                        help="静态门户的输出目录（相对于当前目录；默认在沙盒配置文件旁）")
    parser.add_argument("--quiet", action="store_true", help="不逐条记录收到的请求")
    args = parser.parse_args(argv)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops it as cleanly as Ctrl-C
    try:
        serve(args.host, args.port, args.faults, args.config, args.public_url, args.output_dir,
              log_requests=not args.quiet)
    except ValueError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"错误：无法启动沙盒：{argparse_zh.os_problem(exc)}", file=sys.stderr)
        return 2
    return 0
