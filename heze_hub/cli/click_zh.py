"""Click's own words in Chinese: its errors, help headings and usage lines.

Click marks every message it shows with ``gettext`` but ships no catalogue; the ``hub`` command
speaks Chinese to its users everywhere, so :func:`install` points Click's modules at the table
below. Each entry is Click's message id exactly (placeholders included), checked by
``tests/cli/test_click_zh.py`` against the installed Click so that a changed id is noticed.
"""

from __future__ import annotations

import click

#: Click's message ids (English) → the Chinese the user sees. Placeholders stay as they are.
MESSAGES: dict[str, str] = {
    "%(prog)s, version %(version)s": "%(prog)s 版本 %(version)s",
    "Aborted!": "已取消。",
    "Argument {name!r} takes {nargs} values.": "参数 {name!r} 需要 {nargs} 个值。",
    "Choose from:\n\t{choices}": "可选：\n\t{choices}",
    "Commands": "命令",
    "Could not open file {filename!r}: {message}": "无法打开文件 {filename!r}：{message}",
    "Error: {message}": "错误：{message}",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的值无效：{message}",
    "Invalid value: {message}": "值无效：{message}",
    "Missing argument": "缺少参数",
    "Missing command.": "缺少命令。",
    "Missing option": "缺少选项",
    "Missing parameter": "缺少参数",
    "Missing parameter: {param_name}": "缺少参数：{param_name}",
    "Missing {param_type}": "缺少{param_type}",
    "No such command {name!r}.": "没有名为 {name!r} 的命令。",
    "No such option {name!r}.": "没有名为 {name!r} 的选项。",
    "Option {name!r} does not take a value.": "选项 {name!r} 不带值。",
    "Options": "选项",
    "Positional arguments": "位置参数",
    "Show the version and exit.": "显示版本号并退出。",
    "Show this message and exit.": "显示本帮助并退出。",
    "Try '{command} {option}' for help.": "用 '{command} {option}' 查看帮助。",
    "Usage:": "用法：",
    "Value must be an iterable.": "值必须是一个列表。",
    "default: {default}": "默认：{default}",
    "deprecated": "已弃用",
    "directory": "目录",
    "env var: {var}": "环境变量：{var}",
    "file": "文件",
    "path": "路径",
    "unknown error": "未知错误",
    "{name} {filename!r} does not exist.": "{name} {filename!r} 不存在。",
    "{name} {filename!r} is a directory.": "{name} {filename!r} 是一个目录。",
    "{name} {filename!r} is a file.": "{name} {filename!r} 是一个文件。",
    "{name} {filename!r} is not executable.": "{name} {filename!r} 不可执行。",
    "{name} {filename!r} is not readable.": "{name} {filename!r} 不可读。",
    "{name} {filename!r} is not writable.": "{name} {filename!r} 不可写。",
    "{value!r} is not a valid UUID.": "{value!r} 不是有效的 UUID。",
    "{value!r} is not a valid {number_type}.": "{value!r} 不是有效的{number_type}。",
    "{value} is not in the range {range}.": "{value} 不在范围 {range} 内。",
    "{value!r} is not a valid boolean. Recognized values: {states}":
        "{value!r} 不是有效的是/否值；可用：{states}",
}

#: Click's plural message ids: (singular, plural) → one Chinese form (Chinese has no plural).
PLURALS: dict[tuple[str, str], str] = {
    ("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})"):
        "多余的参数（{args}）",
    ("Takes {nargs} values but 1 was given.", "Takes {nargs} values but {len} were given."):
        "需要 {nargs} 个值，实际给了 {len} 个。",
    ("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)"):
        "（是否想用 {possibilities}？）",
    ("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments."):
        "选项 {name!r} 需要一个值。",
    ("{value!r} is not {choice}.", "{value!r} is not one of {choices}."):
        "{value!r} 不是可选值之一（可选：{choices}）。",
    ("{value!r} does not match the format {format}.",
     "{value!r} does not match the formats {formats}."):
        "{value!r} 不是有效的日期（应写作 年-月-日，例如 2026-11-26）。",
    ("{len_type} values are required, but {len_value} was given.",
     "{len_type} values are required, but {len_value} were given."):
        "需要 {len_type} 个值，实际给了 {len_value} 个。",
}

#: Click's words in usage lines that are not marked for translation.
OPTIONS_METAVAR = "[选项]"
SUBCOMMAND_METAVAR = "命令 [参数]..."


def gettext(message: str) -> str:
    """Click's message in Chinese, or the message itself when the table lacks it."""
    return MESSAGES.get(message, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Click's plural message in Chinese (one form), or Click's own choice when unknown."""
    zh = PLURALS.get((singular, plural))
    if zh is None:
        return singular if n == 1 else plural
    return zh.replace("{possibilities}", "{possibility}") if n == 1 else zh


def install() -> None:
    """Point Click's modules at the Chinese table (idempotent; Click reads ``_`` at call time)."""
    import click.core
    import click.decorators
    import click.exceptions
    import click.formatting
    import click.parser
    import click.termui
    import click.types

    for module in (click.core, click.decorators, click.exceptions, click.formatting,
                   click.parser, click.termui, click.types):
        if hasattr(module, "_"):
            module._ = gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext  # type: ignore[attr-defined]
    # "'x' is not a valid integer." names the type by these attributes, not through gettext.
    click.types.IntParamType.name = "整数"
    click.types.FloatParamType.name = "数字"


def translate_usage(command: click.Command) -> None:
    """Chinese placeholders in the usage lines of ``command`` and every subcommand."""
    command.options_metavar = OPTIONS_METAVAR
    for param in command.params:
        # --json is on most commands; say what it does where the command did not.
        if isinstance(param, click.Option) and param.name == "as_json" and not param.help:
            param.help = "以 JSON 输出（供程序读取）"
    if isinstance(command, click.Group):
        command.subcommand_metavar = SUBCOMMAND_METAVAR
        for sub in command.commands.values():
            translate_usage(sub)
