"""Scripted channels for the engine's tests, and a delivery left as a killed process leaves it."""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path
from typing import Any, ClassVar

from heze_hub.delivery import outbox
from heze_hub.hub import Hub
from heze_hub.plugin import (
    Channel,
    DeliveryContext,
    NormalizedItem,
    PermanentError,
    PublishResult,
    TransientError,
)
from heze_hub.store.schema import deliveries
from tests.support import write_item


class ScriptedChannel(Channel):
    """Answers each attempt from a script: "ok", "transient", "transient:<retry_after>",
    "permanent", "crash" (an unclassified exception), "slow", or "http:<url>" (a request left
    to fail in the transport, unclassified by the channel)."""

    plugin_name = "scripted"
    title = "脚本渠道"
    script: ClassVar[list[str]] = []
    calls: ClassVar[list[tuple[str, int]]] = []
    lock = threading.Lock()

    def render(self, item: NormalizedItem) -> dict[str, Any]:
        return {"title": item.title}

    def publish(self, item: NormalizedItem, ctx: DeliveryContext) -> PublishResult:
        with self.lock:
            step = self.script.pop(0) if self.script else "ok"
            self.calls.append((ctx.idempotency_key, ctx.attempt))
        if step.startswith("slow-transient"):  # half a second, then busy for "after" seconds
            time.sleep(0.5)
            step = step.removeprefix("slow-")
        if step.startswith("transient"):
            _, _, after = step.partition(":")
            raise TransientError("远端繁忙", retry_after=float(after) if after else None)
        if step == "permanent":
            raise PermanentError("远端拒绝：标题含敏感词")
        if step == "crash":
            raise KeyError("secret-token-value")
        if step == "slow":
            time.sleep(0.5)
        if step.startswith("http:"):
            ctx.http.post(step[5:], body=b"{}", timeout=2)
        ctx.payload_sha256 = "ab" * 32
        return PublishResult(remote_id=f"id-{item.index_no}", url=f"https://x/{item.index_no}")


class SettlingChannel(ScriptedChannel):
    """A channel that can tell whether an interrupted attempt landed (like WeChat)."""

    plugin_name = "settling"
    landed: ClassVar[bool | None] = None

    def settle(self, item: NormalizedItem, ctx: DeliveryContext) -> PublishResult | None:
        if self.landed is None:
            return None
        if self.landed:
            return PublishResult(remote_id="settled", url="https://x/settled")
        raise PermanentError("远端确认发布失败")


class MarkingChannel(ScriptedChannel):
    """Marks its creating call before it, like WeChat's submit; the step "save" then records the
    remote's answer. Remembers what the context said when each attempt began."""

    plugin_name = "marking"
    marks_sends = True
    seen: ClassVar[list[tuple[dict[str, Any], bool]]] = []

    def publish(self, item: NormalizedItem, ctx: DeliveryContext) -> PublishResult:
        self.seen.append((dict(ctx.state), ctx.may_have_sent))
        ctx.mark_sending("创建文章")
        saving = bool(self.script) and self.script[0] == "save"
        if saving:
            self.script.pop(0)
        result = super().publish(item, ctx)
        if saving:
            ctx.save_state({"article": result.remote_id})
        return result


def interrupt(hub: Hub, tmp_path: Path, state: dict[str, Any] | None = None,
              status: str = "publishing") -> outbox.Registered:
    """Record an item's deliveries and leave them as a killed process would: ``publishing``
    (or ``status``), claimed by a dead process, with ``state`` saved."""
    reg = outbox.register(hub, hub.prepare([write_item(tmp_path / "a.md", "测试通知")])[0])
    dead = f"{socket.gethostname()}:999999999:1"  # this machine, a pid no process has
    hub.store.write(lambda conn: conn.execute(deliveries.update().values(
        status=status, owner=dead, state=json.dumps(state or {}, ensure_ascii=False))))
    return reg


def stored_state(hub: Hub) -> dict[str, Any]:
    """The saved state of the one delivery in the store."""
    with hub.store.read() as conn:
        (raw,) = conn.execute(deliveries.select().with_only_columns(deliveries.c.state)).one()
    return json.loads(raw)
