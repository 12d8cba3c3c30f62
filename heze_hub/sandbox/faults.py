"""Faults: injected misbehaviour of a fake service (delays, dropped connections, error answers)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass
class Fault:
    """One injected misbehaviour of a service.

    A request *matches* when its path (and method, if given) match. The first ``after`` matching
    requests pass untouched; then the fault *fires* on the next ``times`` matching requests
    (``None`` = forever). Every firing fault adds its ``delay``; the first firing fault that
    answers (``drop``, ``status`` or ``body``) decides the answer:

    - ``drop``: close the connection without answering;
    - ``status`` and/or ``body``: answer with them (status defaults to 200, body to the
      service's usual error shape for that status) plus ``headers``.

    A fault with only ``delay`` (and ``headers``) delays, then answers normally (with the headers
    added). With ``handle=True`` the service first handles the request normally — its state
    changes, e.g. an article is created — and only then the answer is replaced or dropped: the
    "the remote did it but the answer was lost" case that idempotency exists for.
    """

    path: str | None = None
    times: int | None = None
    after: int = 0
    delay: float = 0.0
    drop: bool = False
    status: int | None = None
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    method: str | None = None
    handle: bool = False
    # Counters kept by the service: requests that matched, and requests the fault fired on.
    matched: int = field(default=0, init=False, compare=False)
    fired: int = field(default=0, init=False, compare=False)

    FIELDS: ClassVar[tuple[str, ...]] = (
        "path", "times", "after", "delay", "drop", "status", "body", "headers", "method", "handle",
    )

    def __post_init__(self) -> None:
        if self.path is not None and not (isinstance(self.path, str) and self.path.startswith("/")):
            raise ValueError(f"fault path must start with '/': {self.path!r}")
        if self.times is not None and (not isinstance(self.times, int) or self.times < 0):
            raise ValueError(f"fault times must be a non-negative integer or None: {self.times!r}")
        if not isinstance(self.after, int) or self.after < 0:
            raise ValueError(f"fault after must be a non-negative integer: {self.after!r}")
        if not isinstance(self.delay, int | float) or self.delay < 0:
            raise ValueError(f"fault delay must be a non-negative number: {self.delay!r}")
        status_ok = isinstance(self.status, int) and 100 <= self.status <= 599
        if self.status is not None and not status_ok:
            raise ValueError(f"fault status must be an HTTP status code: {self.status!r}")
        if not isinstance(self.headers, Mapping):
            raise ValueError("fault headers must be a table of strings")
        self.headers = {str(k): str(v) for k, v in self.headers.items()}
        if self.method is not None:
            self.method = self.method.upper()
        if self.body is not None:
            json.dumps(self.body)  # must be JSON-ready; raises TypeError otherwise

    @property
    def answers(self) -> bool:
        """True if the fault replaces (or drops) the answer, not only delays it."""
        return self.drop or self.status is not None or self.body is not None

    def matches(self, method: str, path: str) -> bool:
        return (self.path is None or self.path == path) and (
            self.method is None or self.method == method
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Fault:
        """Build a fault from a JSON/TOML table with the field names above."""
        if not isinstance(data, Mapping):
            raise ValueError(f"a fault must be a table/object, not {type(data).__name__}")
        unknown = sorted(set(data) - set(cls.FIELDS))
        if unknown:
            raise ValueError(f"unknown fault field(s): {', '.join(unknown)}")
        return cls(**dict(data))

    def to_dict(self, *, counters: bool = False) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in self.FIELDS}
        if counters:
            data.update(matched=self.matched, fired=self.fired)
        return data
