"""A submission to the service, from an upload to the outbox (DESIGN §13): the same validation,
normalization and gate as ``hub publish``, then the department rule, then registration.

Uploaded files are kept under ``state_dir/uploads/…`` (one folder per request): attachments are
read again when a delivery runs or is retried, exactly as ``hub publish`` reads them beside the
item file. Messages name the file as the client sent it, never the server's folder.
"""

from __future__ import annotations

import re
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from heze_hub.delivery import runs
from heze_hub.delivery.outbox import Registered
from heze_hub.delivery.routing import route
from heze_hub.errors import BatchInputError, InputError, describe_os_error
from heze_hub.hub import Hub
from heze_hub.items.normalize import PreparedItem, now
from heze_hub.service.accounts import Account
from heze_hub.store.schema import items, versions

#: Bounds of one request: files (items and attachments) and bytes in all.
MAX_FILES = 50
MAX_UPLOAD_BYTES = 64 * 1024 * 1024
_BAD_NAME = re.compile(r"[\x00-\x1f\x7f\\]")


@dataclass
class Upload:
    """One file of a submission: an item file or an attachment beside it."""

    name: str
    data: bytes
    is_item: bool


class Invalid(Exception):
    """422: the CLI's messages, each with the file and field it concerns."""

    def __init__(self, errors: list[dict[str, str | None]]) -> None:
        super().__init__("; ".join(str(e["message"]) for e in errors))
        self.errors = errors


class Refused(Exception):
    """403: the account may not act for this item's department."""


@dataclass
class Staged:
    """Uploaded files written to their folder and validated, not yet registered."""

    folder: Path
    prepared: list[PreparedItem] = field(default_factory=list)

    def discard(self) -> None:
        """Remove the folder (refused, invalid, or only a preview)."""
        shutil.rmtree(self.folder, ignore_errors=True)


def invalid(message: str, file: str | None = None, field_name: str | None = None) -> Invalid:
    """A 422 with one message."""
    return Invalid([{"file": file, "field": field_name, "message": message}])


def stage(hub: Hub, uploads: list[Upload], account: Account) -> Staged:
    """Write the files, validate the items as ``hub publish`` does, and check the department
    rule. Raises :class:`Invalid` or :class:`Refused`; then nothing is kept."""
    if not any(u.is_item for u in uploads):
        raise invalid("请求中没有信息文件")
    if len(uploads) > MAX_FILES:
        raise invalid(f"一次最多提交 {MAX_FILES} 个文件（信息文件和附件合计）")
    names: set[str] = set()
    for u in uploads:
        parts = u.name.split("/")
        if (not u.name or _BAD_NAME.search(u.name) or u.name.startswith("/")
                or any(p in {"", ".", ".."} for p in parts)):
            raise invalid(f"文件名 {u.name!r} 无效（只能是相对路径，不含 .. 和控制字符）", u.name)
        if u.name in names:
            raise invalid(f"文件名 {u.name} 重复", u.name)
        names.add(u.name)
    day = now().strftime("%Y%m%d")
    folder = hub.state_dir / "uploads" / day / secrets.token_hex(8)
    folder.mkdir(parents=True)
    staged = Staged(folder)
    try:
        for u in uploads:
            try:
                (folder / u.name).parent.mkdir(parents=True, exist_ok=True)
                (folder / u.name).write_bytes(u.data)
            except OSError as exc:  # a name part over 255 bytes, a full disk
                raise invalid(f"{u.name}：无法保存（{describe_os_error(exc, with_path=False)}）",
                              u.name) from None
        try:
            staged.prepared = hub.prepare([folder / u.name for u in uploads if u.is_item])
        except BatchInputError as exc:
            raise Invalid([_detail(folder, f, k, m) for f, k, m in exc.details]) from None
        except InputError as exc:
            raise Invalid([_detail(folder, exc.file, exc.field, str(exc))]) from None
        check_departments(hub, staged.prepared, account, folder)
    except BaseException:
        staged.discard()
        raise
    return staged


def check_departments(hub: Hub, prepared: list[PreparedItem], account: Account,
                      folder: Path) -> None:
    """A department submits only for its own 发布机构, and only new versions of its own items."""
    for p in prepared:
        dept = p.content["department"]
        if not account.may_act_for(dept):
            raise Refused(f"{_display(folder, str(p.source))}：发布机构“{dept}”不属于用户 "
                          f"{account.name}，不能以其名义发布")
        if p.explicit_index_no:
            owner = item_department(hub, p.explicit_index_no)
            if owner is not None and not account.may_act_for(owner):
                raise Refused(f"索引号 {p.explicit_index_no} 属于“{owner}”，用户 "
                              f"{account.name} 不能发布它的新版本")


def register(hub: Hub, staged: Staged, account: Account, via: str) -> list[Registered]:
    """Record the validated items in the outbox, attributed to ``account``."""
    try:
        regs = runs.register(hub, staged.prepared, submitter=runs.Submitter(account.name, via))
    except InputError as exc:  # an index_no that does not exist
        staged.discard()
        raise Invalid([_detail(staged.folder, exc.file, exc.field, str(exc))]) from None
    if not any(r.new_version for r in regs):
        staged.discard()  # nothing new: no delivery will read these files
    return regs


def answer(regs: list[Registered]) -> dict[str, Any]:
    """The 202 body of DESIGN §13."""
    out = []
    for r in regs:
        states = {o.channel: o.status for o in r.done}
        states.update({row["channel"]: row["status"] for row in r.to_run})
        entry: dict[str, Any] = {
            "index_no": r.item.index_no,
            "version": r.item.version,
            "deliveries": [{"channel": c, "status": s} for c, s in states.items()],
        }
        if not r.new_version:
            entry["unchanged"] = True
        out.append(entry)
    return {"items": out}


def preview(hub: Hub, p: PreparedItem) -> dict[str, Any]:
    """What each channel the item is routed to would publish (``hub publish --dry-run``)."""
    item = p.build("（待分配）", 0, now())
    result: dict[str, Any] = {}
    for name in route(hub.channels, item, ()):
        channel = hub.channels[name]
        skip = channel.accepts(item)
        try:
            result[name] = {"plugin": channel.plugin_name, "title": channel.title,
                            "skipped": skip} if skip else {
                "plugin": channel.plugin_name, "title": channel.title,
                "payload": channel.render(item)}
        except Exception as exc:  # a channel that cannot render says why, in the preview
            result[name] = {"plugin": channel.plugin_name, "title": channel.title,
                            "error": hub.scrub(str(exc))}
    return result


def item_department(hub: Hub, index_no: str) -> str | None:
    """The 发布机构 of a known item's latest version, or None."""
    q = select(versions.c.data).join(
        items, (items.c.index_no == versions.c.index_no)
        & (items.c.latest_version == versions.c.version)
    ).where(items.c.index_no == index_no)
    with hub.store.read() as conn:
        row = conn.execute(q).first()
    if row is None:
        return None
    import json

    return str(json.loads(row[0])["department"])


def _display(folder: Path, text: str) -> str:
    return text.replace(f"{folder}/", "").replace(str(folder), "")


def _detail(folder: Path, file: str | None, field_name: str | None,
            message: str) -> dict[str, str | None]:
    return {"file": _display(folder, file) if file else None, "field": field_name,
            "message": _display(folder, message)}
