"""Crash points for tests: kill the process at a named step of a delivery (``HUB_TEST_CRASH_AT``).

A test that wants to know what a ``kill -9`` at some moment leaves behind runs ``hub`` with::

    HUB_TEST_CRASH_AT=<step>[:<channel>][:<nth>]

and the process sends itself ``SIGKILL`` the ``nth`` time (default 1) it reaches ``step`` in a
delivery of ``channel`` (default: any channel), exactly as an operator's ``kill -9`` or a power
cut would: no ``finally``, no flush, no rollback but the database's own. Just before, it writes
one tab-separated line to stderr: the variable's name, ``kill``, the step, the channel, the
delivery's idempotency key and a detail (a request's path, the keys saved). The variable is read
once, here, when the module is imported; unset, every crash point is a no-op costing one
comparison.

The steps, in the order a delivery meets them, are :data:`STEPS`. HTTP steps are hooked where the
run's HTTP client sends (:class:`~heze_hub.delivery.http.HttpClient`), so every request of every
channel counts; the channel of a request is the delivery its thread is working on (see
:func:`delivering`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

__all__ = ["ENV", "STEPS", "TRACE", "CrashAt", "delivering", "parse", "reached"]

ENV = "HUB_TEST_CRASH_AT"
#: Not a crash: report every crash point reached on stderr (see :class:`CrashAt`).
TRACE = "trace"

#: Every crash point, in the order a delivery reaches them, with the state it leaves behind.
STEPS: dict[str, str] = {
    "before-claim": (
        "the delivery is in the outbox, its worker has not claimed it (a resend-safe channel's was "
        "claimed when the batch was registered); nothing sent"
    ),
    "after-claim": "claimed (publishing, this process its owner); nothing sent yet",
    "before-mark": "a channel is about to record that a creating call goes out (mark_sending)",
    "after-mark": "that mark is durable; the creating call has not been sent",
    "before-send": "a request of the channel is about to leave through the run's HTTP client",
    "after-send": "the remote's answer to it has been read; nothing of it recorded",
    "before-save": "a channel is about to record its progress (save_state)",
    "after-save": "that progress is durable",
    "before-finish": "the outcome is known, but neither the delivery nor its receipt recorded",
    "after-finish": "delivery finished and receipt committed; the run has not reported it",
    "after-deliveries": (
        "every delivery of the run recorded; the checkpoint not yet signed and the channels' "
        "end-of-run work (feeds, catalogue) not yet done"
    ),
}


@dataclass(frozen=True)
class CrashAt:
    """Where to crash: a step of :data:`STEPS`, optionally one channel's, at its ``nth`` time.

    The step ``trace`` kills nothing: every crash point reached is reported on stderr instead,
    so that a test can list the moments a run goes through.
    """

    step: str
    channel: str | None = None
    nth: int = 1


def parse(spec: str) -> CrashAt:
    """Parse ``<step>[:<channel>][:<nth>]``; raise ``ValueError`` on an unknown step or bad part."""
    step, *rest = spec.strip().split(":")
    if step not in STEPS and step != TRACE:
        raise ValueError(f"{ENV}：未知的崩溃点 {step!r}；可用：{'、'.join(STEPS)}、{TRACE}")
    channel: str | None = None
    nth = 1
    if rest and not rest[-1].isdigit() and len(rest) == 1:
        channel = rest[0]
    elif rest:
        *names, count = rest
        if len(names) > 1 or not count.isdigit() or int(count) < 1:
            raise ValueError(f"{ENV}：格式应为 <step>[:<channel>][:<nth>]，而不是 {spec!r}")
        channel, nth = (names[0] if names else None), int(count)
    return CrashAt(step, channel or None, nth)


def _from_environment() -> CrashAt | None:
    # The one place the variable is read. A malformed value fails loudly at import: a test
    # whose crash never happens would otherwise pass without testing anything.
    spec = os.environ.get(ENV)
    return parse(spec) if spec else None


_armed: CrashAt | None = _from_environment()
_count = 0
_lock = threading.Lock()
_local = threading.local()


@contextmanager
def delivering(channel: str, key: str) -> Iterator[None]:
    """Attribute the crash points this thread reaches to the delivery ``key`` of ``channel``."""
    previous = getattr(_local, "delivery", None)
    _local.delivery = (channel, key)
    try:
        yield
    finally:
        _local.delivery = previous


def reached(step: str, channel: str | None = None, *, key: str | None = None,
            detail: str = "") -> None:
    """A crash point: kill this process here if ``HUB_TEST_CRASH_AT`` names this moment.

    ``channel`` and ``key`` default to the delivery the current thread is working on;
    ``detail`` (a request's path, the keys saved) is only reported, on stderr.
    """
    global _count
    target = _armed
    if target is None or target.step not in (step, TRACE):
        return
    if channel is None:
        channel, key = getattr(_local, "delivery", None) or (None, None)
    if target.channel not in (None, channel):
        return
    with _lock:
        if target.step == TRACE:
            _report("trace", step, channel, key, detail)
            return
        _count += 1
        if _count != target.nth:
            return
        _report("kill", step, channel, key, detail)
        os.kill(os.getpid(), signal.SIGKILL)


def _report(action: str, step: str, channel: str | None, key: str | None, detail: str) -> None:
    # Unbuffered, tab-separated, so that a test can tell this kill from any other death and
    # know which delivery was in flight. Never a URL's query: it may carry a token.
    line = "\t".join([ENV, action, step, channel or "-", key or "-", detail or "-"])
    with contextlib.suppress(OSError):
        os.write(2, (line + "\n").encode("utf-8"))

