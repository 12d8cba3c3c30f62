"""What every request handler of the service shares: the hub, the delivery worker, the login
throttle, and the answers every route gives alike (refusals, the access log)."""

from __future__ import annotations

import io
import tempfile
import threading
import time
import zipfile
from collections import deque
from dataclasses import dataclass, field
from itertools import islice

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from heze_hub.hub import Hub
from heze_hub.receipts.bundle import export_bundle
from heze_hub.service import access
from heze_hub.service.accounts import Account, account_for_token
from heze_hub.service.worker import DeliveryWorker

#: Failed logins allowed per name and per client address within the window, then 429.
MAX_FAILURES = 5
FAILURE_WINDOW = 15 * 60.0


@dataclass
class Throttle:
    """Login throttling: repeated failures for one name or from one address lock it out for a
    while. In memory: one service process is one throttle (a restart forgets, which is fine
    for slowing guessing down, not for a ban list)."""

    failures: dict[str, deque[float]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def blocked(self, *keys: str) -> bool:
        """Whether any of ``keys`` has too many recent failures."""
        cutoff = time.monotonic() - FAILURE_WINDOW
        with self.lock:
            for key in keys:
                q = self.failures.get(key)
                while q and q[0] < cutoff:
                    q.popleft()
                if q and len(q) >= MAX_FAILURES:
                    return True
        return False

    def failed(self, *keys: str) -> None:
        """Count one failure for each key."""
        with self.lock:
            for key in keys:
                self.failures.setdefault(key, deque()).append(time.monotonic())

    def succeeded(self, name: str) -> None:
        """A good login clears the name's failures."""
        with self.lock:
            self.failures.pop(f"user:{name}", None)


@dataclass
class Service:
    """The service's run-time state, one per process (``app.state.service``)."""

    hub: Hub
    worker: DeliveryWorker
    throttle: Throttle = field(default_factory=Throttle)

    def log(self, account: Account | str | None, action: str, target: str | None,
            allowed: bool, detail: str | None = None) -> None:
        """One decision in the access log."""
        access.record(self.hub.store, account, action, target, allowed, detail)

    def bundle_zip(self) -> bytes:
        """The audit bundle (DESIGN §7) as a zip: receipts.jsonl, checkpoint, hub.pub."""
        # Sign what the log holds now, between runs (a run signs its own receipts when it
        # ends; two signers at once could both add a checkpoint).
        with self.worker.run_lock:
            size, note = self.hub.write_checkpoint()
            with tempfile.TemporaryDirectory() as tmp:
                export_bundle(tmp, islice(self.hub.store.receipt_lines(), size), note,
                              self.hub.verifier_key())
                buf = io.BytesIO()
                with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
                    for name in ("receipts.jsonl", "checkpoint", "hub.pub"):
                        zf.write(f"{tmp}/{name}", name)
        return buf.getvalue()


def service_of(request: Request) -> Service:
    """The service a request runs in."""
    return request.app.state.service  # type: ignore[no-any-return]


async def token_account(request: Request) -> Account | None:
    """The account of an API request's ``Authorization: Bearer`` token, or None."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return await run_in_threadpool(account_for_token, service_of(request).hub.store, token.strip())
