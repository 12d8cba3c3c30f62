"""What every ``hub`` command shares: the two consoles, opening the hub for one command, exit
statuses (DESIGN §9), the Chinese names of delivery states and how one delivery outcome is shown.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from enum import IntEnum
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape

from heze_hub.config import load_config
from heze_hub.delivery.outbox import Outcome
from heze_hub.delivery.registry import PluginWarning
from heze_hub.files import writable_dir_problem
from heze_hub.hub import Hub

out = Console(highlight=False, soft_wrap=True)
if not out.is_terminal and not os.environ.get("COLUMNS", "").isdigit():
    # In a pipe or a log file nothing limits the width (unless COLUMNS says so): tables keep
    # their table layout there.
    out.width = 200
err = Console(stderr=True, highlight=False, soft_wrap=True)


class ExitStatus(IntEnum):
    """Process exit status of every ``hub`` command."""

    SUCCESS = 0
    #: Some delivery failed or a check found problems; everything is recorded.
    FAILED = 1
    #: Bad input or configuration; nothing was sent.
    BAD_INPUT = 2


STATE_LABELS = {
    "pending": "待发布",
    "publishing": "发布中",
    "published": "已发布",
    "failed": "失败",
    "unconfirmed": "待确认",
    "skipped": "不适用",
    "withdrawn": "已撤回",
    "posted": "已张贴",  # a bulletin-board notice confirmed posted (hub board confirm)
}


class StateChoice(click.ParamType):
    """A delivery state written as its code (``published``) or as the label tables show
    (``已发布``); a wrong value is told with both."""

    name = "状态"

    def __init__(self, codes: tuple[str, ...] | list[str]) -> None:
        self.codes = tuple(codes)

    def choices_text(self) -> str:
        """Every state this option takes, code and label: ``published（已发布）、…``."""
        return "、".join(f"{c}（{STATE_LABELS.get(c, c)}）" for c in self.codes)

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "状态"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> str:
        text = str(value).strip()
        for code in self.codes:
            if text in (code, STATE_LABELS.get(code)):
                return code
        self.fail(f"“{text}”不是可选的状态；可选（代码或中文均可）：{self.choices_text()}",
                  param, ctx)


@contextmanager
def open_hub(ctx: click.Context, *, read_only: bool = False) -> Iterator[Hub]:
    """Load configuration, plugins and store for one command; ``read_only`` for commands that
    only read (they work on a read-only copy of the state and never create state)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PluginWarning)
        hub = Hub(load_config(ctx.obj["config"]), read_only=read_only)
    for w in caught:
        err.print(f"[yellow]警告[/]：{escape(str(w.message))}")
    try:
        yield hub
    finally:
        hub.close()


def shown_path(path: str | os.PathLike[str]) -> str:
    """A file as messages name it: relative to the current folder when it lies below it (as the
    user typed it, most of the time), else absolute — the same form in every message."""
    p = Path(path)
    try:
        return str(p.absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(p.absolute())


def outcome_dict(o: Outcome) -> dict[str, Any]:
    """One delivery outcome as ``--json`` shows it (``publish`` and ``retry``)."""
    return {
        "channel": o.channel,
        "status": o.status,
        "attempts": o.attempts,
        "url": o.url,
        "remote_id": o.remote_id,
        "error": o.error,
        "note": o.note,
    }


def outcome_line(o: Outcome) -> str:
    """One delivery outcome as a line of console markup (``publish`` and ``retry``)."""
    color = {"published": "green", "withdrawn": "green", "failed": "red",
             "unconfirmed": "yellow"}.get(o.status, "dim")
    text = f"[{color}]{STATE_LABELS.get(o.status, o.status)}[/] {escape(o.channel)}"
    if o.url:
        text += f"  {escape(o.url)}"
    elif o.remote_id:
        text += f"  编号 {escape(o.remote_id)}"
    if o.error:
        text += f"  [{color}]{escape(o.error)}[/]"
    if o.note:
        text += f"  [dim]{escape(o.note)}[/]"
    return text


def state_is_writable(ctx: click.Context) -> bool:
    """Whether this hub's state directory and SQLite database can be written (not an auditor's
    read-only copy)."""
    config = load_config(ctx.obj["config"])
    if writable_dir_problem(config.state_dir) is not None:
        return False
    url = config.database_url
    db = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None
    return db is None or not db.exists() or os.access(db, os.W_OK)


def show_problems(problems: list[str]) -> None:
    """What a run could not finish after sending, one line each (exit status 1 follows)."""
    for problem in problems:
        err.print(f"[red]未完成[/]：{escape(problem)}")


def cli_user() -> str:
    """Who runs ``hub publish`` on this machine, as item versions record it: ``cli:`` and the
    OS user (DESIGN §13: every item version records who submitted it)."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no name for this uid (a bare container)
        return f"cli:uid {os.getuid()}"
