"""``hub --server URL …`` (DESIGN §13): ``publish``, ``status``, ``retry``, ``withdraw``,
``receipts`` and ``receipts export`` talking to a ``hub serve`` instead of a local state directory.

The token comes from ``HUB_TOKEN`` (the environment only, never an option: it would show in the
process list and the shell history). Answers map to exit statuses as the local commands do:
4xx → 2 (nothing was done), 5xx or no answer → 1.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import click
import urllib3
from rich.markup import escape

from heze_hub.cli.common import STATE_LABELS, ExitStatus, err, out
from heze_hub.errors import ConfigError, HubError, InputError
from heze_hub.items.load import load_item


def active(ctx: click.Context) -> bool:
    """Whether ``--server`` was given."""
    return bool(ctx.find_root().obj.get("server"))


class _Answer:
    def __init__(self, status: int, data: bytes) -> None:
        self.status = status
        self.data = data

    def json(self) -> Any:
        return json.loads(self.data.decode("utf-8"))


def _request(ctx: click.Context, method: str, path: str, **kw: Any) -> _Answer:
    base = str(ctx.find_root().obj["server"]).rstrip("/")
    token = os.environ.get("HUB_TOKEN", "").strip()
    if not token:
        raise ConfigError(
            "--server：请在环境变量 HUB_TOKEN 中提供 API 令牌（hub users token 签发）")
    if not base.startswith(("http://", "https://")):
        raise ConfigError(f"--server {base}：应为 http:// 或 https:// 开头的服务地址")
    headers = {"Authorization": f"Bearer {token}", **kw.pop("headers", {})}
    try:
        r = urllib3.request(method, base + path, headers=headers, timeout=120, retries=False,
                            **kw)
    except urllib3.exceptions.HTTPError as exc:
        raise HubError(f"无法连接服务 {base}：{type(exc).__name__}") from None
    answer = _Answer(r.status, r.data)
    if r.status >= 400 and r.status != 422:
        try:
            message = "；".join(e["message"] for e in answer.json()["errors"])
        except (ValueError, KeyError, TypeError):
            message = r.data.decode("utf-8", "replace")[:300]
        if r.status >= 500:
            raise HubError(f"服务出错（HTTP {r.status}）：{message}")
        raise InputError(f"服务拒绝（HTTP {r.status}）：{message}")
    return answer


def publish(ctx: click.Context, files: tuple[Path, ...], as_json: bool) -> None:
    """Upload item files and the attachments they name; show the 202 or the 422."""
    fields: list[tuple[str, tuple[str, bytes, str]]] = []
    for path in files:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"{path}：无法读取（{exc.strerror}）", file=str(path)) from None
        fields.append(("item", (path.name, data, "application/octet-stream")))
        try:
            refs = load_item(path).fields.attachments
        except InputError:
            continue  # the service answers with the same message, in the 422 below
        for ref in refs:
            p = path.parent / ref.path
            if p.is_file():
                fields.append(("attachment", (ref.path, p.read_bytes(),
                                              "application/octet-stream")))
    body, ctype = urllib3.encode_multipart_formdata(fields)
    answer = _request(ctx, "POST", "/api/items", body=body, headers={"Content-Type": ctype})
    data = answer.json()
    if answer.status == 422:
        for e in data["errors"]:
            err.print(f"[red]错误[/]：{escape(e['message'])}")
        err.print("未发送任何内容。")
        ctx.exit(ExitStatus.BAD_INPUT)
    if as_json:
        click.echo(json.dumps(data["items"], ensure_ascii=False, indent=2))
        return
    for item in data["items"]:
        note = "  [dim]（内容未变化，未重复发布）[/]" if item.get("unchanged") else ""
        out.print(f"索引号 {item['index_no']}  版本 {item['version']}{note}")
        for d in item["deliveries"]:
            out.print(f"  {STATE_LABELS.get(d['status'], d['status'])} {escape(d['channel'])}")
    out.print("服务已受理，投递在后台进行；hub --server … status 索引号 查看结果")


def status(ctx: click.Context, index_no: str | None, as_json: bool) -> None:
    """One item's deliveries from the service."""
    if not index_no:
        raise InputError("--server：请给出索引号（hub --server URL status 索引号）")
    data = _request(ctx, "GET", "/api/items/" + quote(index_no, safe="/")).json()
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    out.print(f"[bold]{escape(data['title'])}[/]  "
              f"索引号 {data['index_no']}  版本 {data['version']}")
    for d in data["deliveries"]:
        extra = d["url"] or d["error"] or ""
        out.print(f"  {STATE_LABELS.get(d['status'], d['status'])} {escape(d['channel'])}"
                  f"  {escape(extra)}")


def retry(ctx: click.Context, index_nos: tuple[str, ...], as_json: bool) -> None:
    """Ask the service to resume the deliveries of these items."""
    if not index_nos:
        raise InputError("--server：请给出要重试的索引号")
    done = []
    for ix in index_nos:
        done.append(_request(ctx, "POST", "/api/items/" + quote(ix, safe="/") + "/retry").json())
    if as_json:
        click.echo(json.dumps(done, ensure_ascii=False, indent=2))
    else:
        for d in done:
            out.print(f"{d['index_no']}：已交给服务重试，稍后用 status 查看")


def withdraw(ctx: click.Context, index_nos: tuple[str, ...], reason: str,
             as_json: bool) -> None:
    """Ask the service to withdraw these items (the reason goes into every receipt)."""
    done = []
    for ix in index_nos:
        answer = _request(ctx, "POST", "/api/items/" + quote(ix, safe="/") + "/withdraw",
                          body=json.dumps({"reason": reason}).encode("utf-8"),
                          headers={"Content-Type": "application/json"})
        if answer.status == 422:
            raise InputError("；".join(e["message"] for e in answer.json()["errors"]))
        done.append(answer.json())
    if as_json:
        click.echo(json.dumps(done, ensure_ascii=False, indent=2))
    else:
        for d in done:
            out.print(f"{d['index_no']}：已交给服务撤回，稍后用 status 查看")


def receipts(ctx: click.Context, filters: dict[str, str | None], as_json: bool) -> None:
    """Receipts from the service."""
    query = urlencode({k: v for k, v in filters.items() if v})
    rows = _request(ctx, "GET", "/api/receipts" + (f"?{query}" if query else "")).json()
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        out.print(f"{r['seq']}  {r['index_no']} v{r['version']}  {escape(r['channel'])}  "
                  f"{STATE_LABELS.get(r['status'], r['status'])}  {r['finished_at'][:19]}  "
                  f"{escape(r['url'] or r['remote_id'] or '')}")
    out.print(f"共 {len(rows)} 条回执")


def export(ctx: click.Context, directory: Path) -> None:
    """Download the bundle and unpack it into ``directory``."""
    data = _request(ctx, "GET", "/api/bundle").data
    directory.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for name in ("receipts.jsonl", "checkpoint", "hub.pub"):
            (directory / name).write_bytes(zf.read(name))
    lines = (directory / "receipts.jsonl").read_bytes().count(b"\n")
    out.print(f"已从服务导出 {lines} 条回执到 {escape(str(directory))}（用 hub verify 核验）")
