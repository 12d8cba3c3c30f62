"""Deliveries in the background (DESIGN §13): a request registers its items in the outbox and
returns 202; one worker thread carries the deliveries out.

One worker, not one per request: a run ends by rebuilding the portal and the feeds and signing a
checkpoint, so the worker takes every submission waiting when it wakes and delivers them as one
run — under load, a hundred submissions cost one rebuild, not a hundred. Runs never overlap, so
two rebuilds of the same folder never race.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from heze_hub.delivery import lifecycle, runs
from heze_hub.delivery.outbox import Registered
from heze_hub.hub import Hub

log = logging.getLogger(__name__)

#: A run starts once no submission arrived for GATHER_QUIET seconds, or GATHER_MAX after the
#: first one: a lone submission waits a tenth of a second, a stream is delivered in batches.
GATHER_QUIET = 0.1
GATHER_MAX = 2.0


@dataclass(frozen=True)
class _Job:
    kind: str  # publish | retry | withdraw
    items: tuple[Registered, ...] = ()
    index_nos: tuple[str, ...] = ()
    reason: str = ""


class DeliveryWorker:
    """The service's one delivery thread."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self._jobs: queue.Queue[_Job | None] = queue.Queue()
        self._idle = threading.Event()
        self._idle.set()
        self._pending = 0
        self._lock = threading.Lock()
        #: Held while a run goes on: whoever else signs the log (a bundle download) waits for it.
        self.run_lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name="hub-deliveries", daemon=True)

    def start(self, *, resume: bool = True) -> None:
        """Start the thread; ``resume`` first finishes what a stopped service left in the outbox."""
        self._thread.start()
        if resume:
            self.retry(())

    def publish(self, items: list[Registered]) -> None:
        """Deliver registered items soon."""
        if any(r.to_run for r in items):
            self._put(_Job("publish", items=tuple(items)))

    def retry(self, index_nos: tuple[str, ...]) -> None:
        """Resume unfinished deliveries (of these items; all if empty), as ``hub retry``."""
        self._put(_Job("retry", index_nos=index_nos))

    def withdraw(self, index_nos: tuple[str, ...], reason: str) -> None:
        """Withdraw these items from every channel that carried them (DESIGN §12), in turn
        with the other runs (a withdrawal rebuilds the portal and feeds too)."""
        self._put(_Job("withdraw", index_nos=index_nos, reason=reason))

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until no job is queued or running (tests, benchmarks, shutdown)."""
        return self._idle.wait(timeout)

    def stop(self) -> None:
        """Finish the queued jobs and stop."""
        self._jobs.put(None)
        if self._thread.is_alive():
            self._thread.join()

    def _put(self, job: _Job) -> None:
        with self._lock:
            self._pending += 1
            self._idle.clear()
        self._jobs.put(job)

    def _done(self, n: int) -> None:
        with self._lock:
            self._pending -= n
            if self._pending == 0:
                self._idle.set()

    def _loop(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            if job.kind == "retry":
                self._run(partial(runs.retry, self.hub, job.index_nos))
                self._done(1)
                continue
            if job.kind == "withdraw":
                self._run(partial(lifecycle.withdraw, self.hub, list(job.index_nos),
                                  reason=job.reason))
                self._done(1)
                continue
            # Take every publication waiting now, and those that keep arriving for a moment:
            # one run, one rebuild, one checkpoint for all of them. Under load this leaves the
            # processor to the requests instead of rebuilding the portal after each one.
            batch: list[_Job] = [job]
            later: list[_Job | None] = []
            deadline = time.monotonic() + GATHER_MAX
            while True:
                wait = min(GATHER_QUIET, deadline - time.monotonic())
                try:
                    nxt = self._jobs.get(timeout=wait) if wait > 0 else self._jobs.get_nowait()
                except queue.Empty:
                    break
                if nxt is not None and nxt.kind == "publish":
                    batch.append(nxt)
                else:
                    later.append(nxt)
                    break
            report = runs.RunReport(items=[r for j in batch for r in j.items])
            self._run(partial(_deliver, self.hub, report))
            self._done(len(batch))
            for other in later:
                self._jobs.put(other)  # a retry or the stop signal keeps its turn after this run

    def _run(self, work: Callable[[], runs.RunReport]) -> None:
        try:
            with self.run_lock:
                result = work()
        except Exception as exc:  # the outbox keeps everything; hub retry or a restart resumes
            log.error("background delivery run failed: %s", self.hub.scrub(repr(exc)))
            return
        for problem in result.problems:
            log.error("background run: %s", problem)


def _deliver(hub: Hub, report: runs.RunReport) -> runs.RunReport:
    runs.deliver(hub, report)
    return report
