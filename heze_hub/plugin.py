"""The plugin API: everything a channel plugin imports, and the only module it should import.

A channel plugin writes ``from heze_hub.plugin import Channel, hookimpl, …``. What this module
exports is the stable surface of the hub for extension authors; everything behind it (the
packages ``items``, ``delivery``, ``store``, ``receipts``, ``rules``, ``portal``, ``cli``) is free
to move between releases. The layer test in ``tests/test_layers.py`` holds every built-in plugin
to this (the portal plugin may also use :mod:`heze_hub.portal`, which renders its pages).

What a plugin gets:

- the channel contract: :class:`Channel`, its :class:`ChannelSettings` and :class:`RetryPolicy`,
  the :class:`DeliveryContext` of one attempt, the :class:`HubInfo` of the hub, the
  :class:`PublishResult` of a publication, :func:`hookimpl` to register channels;
- taking back (DESIGN §12): ``can_withdraw = True`` and :meth:`Channel.withdraw`, which gets the
  :class:`Withdrawal` (reason, and the publication's remote id, address and saved state) and
  must be idempotent ("already gone" is withdrawn); ``edits_in_place`` and
  ``ends_with_publicity`` say how corrections and ``hub expire`` treat the channel;
  :func:`post_title` is a post's title (【更正】 for a correction); :func:`standing` says
  whether an item is 已废止 or 已失效 and gives its correction note, :func:`plain_notes` the same
  as text for a feed;
- surviving a ``kill -9``: ``ctx.save_state(...)`` records progress once the remote answered,
  and ``ctx.mark_sending("…")`` records, right before it, every call that could create something
  remote (a publication, a post, a record — not a token, a read, a reused upload). A channel that
  does both and resumes from ``ctx.state`` declares ``marks_sends = True``; the core then sends
  an interrupted delivery that provably never left instead of leaving it ``unconfirmed`` for a
  person, and tells a resent one that an earlier call may have landed (``ctx.may_have_sent``);
- the item it publishes: :class:`NormalizedItem` (public fields already masked) with its
  :class:`Attachment` parts, the Chinese labels of kinds and categories, :func:`to_shanghai`;
- typed errors: :class:`TransientError` (the core retries), :class:`PermanentError`,
  :class:`BlockedError` (a local condition such as a full disk: not retried in the run, retried
  by ``hub retry``; an ``OSError`` of a full disk or a refused permission is classified so by
  the core; :func:`write_failure` classifies a failed file write), :class:`Deferred`,
  :class:`Unconfirmed`, :class:`HubError`;
- HTTP helpers around ``ctx.http`` (:class:`HttpClient`): :class:`TransportError` and the
  classification of statuses, failures and ``Retry-After``;
- files: :func:`atomic_write`, :func:`writable_dir_problem`, :func:`resolve_path`;
- hashing: :func:`canonical_json` and :func:`sha256_hex`, for payload hashes in receipts;
- Chinese text: :func:`shorten`, :func:`safe_cut`, :func:`last_boundary` and their marks, for
  platforms with length limits;
- 双公示 records for credit platforms: :data:`RECORD_TYPES`, :func:`wire_record`,
  :func:`record_decision_number`;
- :class:`PublishedSet`, the published items of the hub, for channels that rebuild a listing
  (feeds, catalogues).
"""

from __future__ import annotations

from heze_hub.config import resolve_path
from heze_hub.delivery.channel import (
    Channel,
    ChannelSettings,
    DeliveryContext,
    HubInfo,
    PublishResult,
    RetryPolicy,
    Withdrawal,
)
from heze_hub.delivery.hookspecs import hookimpl
from heze_hub.delivery.http import (
    HttpClient,
    Response,
    TransportError,
    is_bad_url,
    is_timeout,
    is_transient_status,
    never_sent,
    retry_after_seconds,
)
from heze_hub.errors import (
    BlockedError,
    Deferred,
    HubError,
    PermanentError,
    TransientError,
    Unconfirmed,
    write_failure,
)
from heze_hub.files import atomic_write, writable_dir_problem
from heze_hub.items.credit_fields import (
    RECORD_TYPES,
    column_map_problems,
    map_columns,
    record_decision_number,
    wire_record,
)
from heze_hub.items.lifecycle import Standing, plain_notes, post_title, standing
from heze_hub.items.model import CATEGORY_LABELS, KIND_LABELS, Attachment, NormalizedItem
from heze_hub.items.normalize import to_shanghai
from heze_hub.items.text import (
    ELLIPSIS,
    SENTENCE_ENDS,
    TRAILING_PUNCT,
    last_boundary,
    safe_cut,
    shorten,
)
from heze_hub.portal.published import PublishedSet
from heze_hub.receipts.canonical import canonical_json, sha256_hex

__all__ = [
    "CATEGORY_LABELS",
    "ELLIPSIS",
    "KIND_LABELS",
    "RECORD_TYPES",
    "SENTENCE_ENDS",
    "TRAILING_PUNCT",
    "Attachment",
    "BlockedError",
    "Channel",
    "ChannelSettings",
    "Deferred",
    "DeliveryContext",
    "HttpClient",
    "HubError",
    "HubInfo",
    "NormalizedItem",
    "PermanentError",
    "PublishResult",
    "PublishedSet",
    "Response",
    "RetryPolicy",
    "Standing",
    "TransientError",
    "TransportError",
    "Unconfirmed",
    "Withdrawal",
    "atomic_write",
    "canonical_json",
    "column_map_problems",
    "hookimpl",
    "is_bad_url",
    "is_timeout",
    "is_transient_status",
    "last_boundary",
    "map_columns",
    "never_sent",
    "plain_notes",
    "post_title",
    "record_decision_number",
    "resolve_path",
    "retry_after_seconds",
    "safe_cut",
    "sha256_hex",
    "shorten",
    "standing",
    "to_shanghai",
    "wire_record",
    "writable_dir_problem",
    "write_failure",
]
