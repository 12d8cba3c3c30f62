"""argparse's own words in Chinese, for ``hub sandbox``'s usage, help and errors.

argparse marks its messages with ``gettext`` but Python ships no Chinese catalogue; the sandbox
is started from ``hub`` (whose messages are Chinese everywhere), so :func:`install` points
argparse at this table. The sandbox imports nothing of the hub, hence its own small table.
"""

from __future__ import annotations

import argparse

MESSAGES: dict[str, str] = {
    "usage: ": "用法：",
    "options": "选项",
    "positional arguments": "位置参数",
    "show this help message and exit": "显示本帮助并退出",
    "%(prog)s: error: %(message)s\n": "%(prog)s：错误：%(message)s\n",
    "unrecognized arguments: %s": "无法识别的参数：%s",
    "the following arguments are required: %s": "缺少必需的参数：%s",
    "expected one argument": "需要一个值",
    "expected at least one argument": "至少需要一个值",
    "expected at most one argument": "最多一个值",
    "invalid %(type)s value: %(value)r": "%(value)r 不是有效的值（应为%(type)s）",
    "invalid choice: %(value)r (choose from %(choices)s)":
        "%(value)r 不是可选值之一（可选：%(choices)s）",
    "ambiguous option: %(option)s could match %(matches)s":
        "选项 %(option)s 不明确，可能是 %(matches)s",
    "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s：%(message)s",
    "ignored explicit argument %r": "忽略了多余的值 %r",
    "not allowed with argument %s": "不能与参数 %s 同时使用",
    "one of the arguments %s is required": "参数 %s 中必须给出一个",
    "can't open '%(filename)s': %(error)s": "无法打开 '%(filename)s'：%(error)s",
}

#: Type names argparse puts into "invalid %(type)s value" (it uses the function's name).
TYPE_NAMES = {"int": "整数", "float": "数字"}


def _gettext(message: str) -> str:
    return MESSAGES.get(message, message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    if singular == "expected %s argument":
        return "需要 %s 个值"
    return singular if n == 1 else plural


class ChineseParser(argparse.ArgumentParser):
    """An argument parser whose type errors name the type in Chinese."""

    def _get_value(self, action: argparse.Action, arg_string: str) -> object:
        try:
            return super()._get_value(action, arg_string)
        except argparse.ArgumentError as exc:
            for en, zh in TYPE_NAMES.items():
                if exc.message.endswith(f"（应为{en}）"):
                    exc.message = exc.message.replace(f"（应为{en}）", f"（应为{zh}）")
            raise


def os_problem(exc: OSError) -> str:
    """An operating-system error in Chinese (the sandbox imports nothing of the hub)."""
    import errno

    return {
        errno.ENOENT: "文件不存在", errno.EACCES: "没有权限", errno.EPERM: "没有权限",
        errno.EISDIR: "这是一个目录", errno.EADDRINUSE: "端口已被占用（换一个 --port）",
        errno.EADDRNOTAVAIL: "本机没有这个地址（检查 --host）", errno.ENOSPC: "磁盘已满",
        errno.EROFS: "文件系统只读",
    }.get(exc.errno or 0, f"系统错误 {exc.errno}")


def install() -> None:
    """Point argparse at the Chinese table (idempotent; argparse reads ``_`` at call time)."""
    argparse._ = _gettext  # type: ignore[attr-defined]
    argparse.ngettext = _ngettext  # type: ignore[attr-defined]
