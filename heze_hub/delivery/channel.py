"""What a channel plugin is: a class with a settings model that renders, publishes and checks.

A channel module reads top to bottom as its protocol. The core owns routing, the outbox, retries,
receipts and timing; a channel only turns one :class:`NormalizedItem` into one remote effect and
says, with a typed exception, whether a failure is worth retrying.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from heze_hub.delivery.http import HttpClient
from heze_hub.errors import PermanentError
from heze_hub.items.model import NormalizedItem
from heze_hub.portal.listing import Listing, search_parts


class RetryPolicy(BaseModel):
    """Retry bounds of one channel (``[channels.NAME.retry]``)."""

    model_config = ConfigDict(extra="forbid")

    max_attempts: int = Field(5, ge=1, le=100)
    max_seconds: float = Field(120.0, gt=0)
    initial_wait: float = Field(0.5, ge=0)
    max_wait: float = Field(30.0, ge=0)


class ChannelSettings(BaseModel):
    """Settings every channel has; a plugin subclasses this and adds its own fields.

    Routing keys select the items the channel receives; an empty list means "any". Secrets are
    ``SecretStr`` fields and come from the environment only
    (``HUB_CHANNELS__<NAME>__<FIELD>``).
    """

    model_config = ConfigDict(extra="forbid")

    plugin: str | None = None
    enabled: bool = True
    kinds: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)
    topics: list[str] = Field(default_factory=list)
    departments: list[str] = Field(default_factory=list)
    retry: RetryPolicy = Field(default_factory=RetryPolicy)
    concurrency: int = Field(8, ge=1, le=256)
    timeout: float = Field(10.0, gt=0)

    def secret_fields(self) -> list[str]:
        """Names of this model's ``SecretStr`` fields."""
        return [
            name for name, f in type(self).model_fields.items()
            if f.annotation in (SecretStr, SecretStr | None)
        ]


@dataclass(frozen=True)
class HubInfo:
    """What a channel may know of the hub around it."""

    public_url: str
    state_dir: Path
    config_dir: Path
    org_code: str
    # published_items(channel_name): the latest version of every item published on that channel,
    # newest first, read back from the store; feeds and catalogues are rebuilt from it.
    published_items: Callable[[str], list[NormalizedItem]] = field(default=lambda _name: [])
    # Latest signed checkpoint note, for channels that publish it (feed, portal); "" if none yet.
    latest_checkpoint: Callable[[], str] = field(default=lambda: "")
    # latest_item(index_no): the latest version the hub knows of an item (any state), or None;
    # latest_of_kind(kind): every item of a kind, latest versions. For channels that combine
    # items, e.g. the 12345 hotline merging a policy with its interpretation.
    latest_item: Callable[[str], NormalizedItem | None] = field(default=lambda _i: None)
    latest_of_kind: Callable[[str], list[NormalizedItem]] = field(default=lambda _k: [])
    # channel_deliveries(channel, index_no): that item's deliveries on the channel, newest
    # version first, as {"version", "status", "remote_id", "url"}.
    channel_deliveries: Callable[[str, str], list[dict[str, Any]]] = field(
        default=lambda _c, _i: []
    )
    # The faster forms of published_items a store offers (None: derived from published_items):
    # published_listings(channel, with_search) streams the listings of heze_hub.portal.listing;
    # latest_published(channel, n) gives the first n of published_items(channel);
    # load_version(index_no, version) reads one stored version.
    published_listings: Callable[[str, bool], Iterable[Listing]] | None = None
    latest_published: Callable[[str, int], list[NormalizedItem]] | None = None
    load_version: Callable[[str, int], NormalizedItem | None] | None = None

    #: The organisation's name and 政府网站标识码 (``[hub] name``, ``site_code``), for pages.
    org_name: str = ""
    site_code: str = ""

    def listings(self, channel: str, with_search: bool = False) -> Iterable[Listing]:
        """What listings need of each item published on ``channel``, streamed if the store can."""
        if self.published_listings is not None:
            return self.published_listings(channel, with_search)
        return (_listing(i, with_search) for i in self.published_items(channel))

    def latest(self, channel: str, n: int) -> list[NormalizedItem]:
        """The ``n`` newest items published on ``channel``, newest first."""
        if self.latest_published is not None:
            return self.latest_published(channel, n)
        return list(self.published_items(channel))[:n]

    def stored_version(self, channel: str, index_no: str, version: int) -> NormalizedItem | None:
        """One published version of an item, or ``None`` if the store does not have it."""
        if self.load_version is not None:
            return self.load_version(index_no, version)
        return next((i for i in self.published_items(channel)
                     if i.index_no == index_no and i.version == version), None)

    def item_url(self, index_no: str) -> str:
        """Public portal URL of an item; every link to an item is built from ``public_url``."""
        return f"{self.public_url.rstrip('/')}/xxgk/{index_no}.html"


def _listing(item: NormalizedItem, with_search: bool) -> Listing:
    listing = Listing.of(item)
    if with_search:
        listing.search = search_parts(item)
    return listing


@dataclass
class PublishResult:
    """What a successful publication left behind on the remote side."""

    remote_id: str | None = None
    url: str | None = None
    # True when the remote already had this publication (e.g. Weibo's duplicate-content codes).
    already_published: bool = False
    note: str | None = None
    # Further identifiers the remote gave, kept in the receipt as ``remote_data`` (e.g. WeChat's
    # publish_id and msg_data_id); ``None`` leaves the key out of the receipt.
    remote_data: dict[str, str] | None = None


@dataclass(frozen=True)
class Withdrawal:
    """What a withdrawal delivery takes back (DESIGN §12), handed to :meth:`Channel.withdraw`.

    ``remote_id``, ``url`` and ``state`` are what the publication of this version left behind
    (its receipt's remote id and address, and the progress the channel saved while publishing).
    """

    reason: str
    #: Why: ``withdraw`` (``hub withdraw``), ``expire`` (end of the 公示 period) or
    #: ``correction`` (an old post replaced by a 【更正】 post).
    cause: str
    requested_at: datetime
    remote_id: str | None = None
    url: str | None = None
    state: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class DeliveryContext:
    """Per-delivery context handed to :meth:`Channel.publish` and :meth:`Channel.settle`.

    Two calls make a delivery survive a ``kill -9`` at any moment (DESIGN §6):

    - :meth:`mark_sending`, right before every call that could create something on the remote —
      a publication, a post, a record; not a token fetch, a read, or an upload the channel
      re-uses. It is durable when it returns.
    - ``save_state(update)``, once the remote has answered such a call, with what the channel
      needs to resume without repeating it (WeChat's ``publish_id``). It also records that the
      marked call's outcome is known.

    A delivery interrupted with no mark outstanding provably never reached the remote since its
    last saved step, so on a channel that declares :attr:`Channel.marks_sends` the core runs
    :meth:`Channel.publish` again, which resumes from ``state``. With a mark outstanding it asks
    :meth:`Channel.settle`, and records ``unconfirmed`` if the channel cannot tell.
    """

    idempotency_key: str
    attempt: int
    # Progress this delivery saved earlier (e.g. WeChat's publish_id); empty on a first attempt.
    state: Mapping[str, Any]
    # Durably records progress before the next remote call, so a crash never repeats a step.
    save_state: Callable[[dict[str, Any]], None]
    # The run's HTTP client, shared by every thread (see heze_hub.delivery.http.HttpClient).
    http: HttpClient
    # Set by the channel: SHA-256 of the bytes actually sent, for the receipt's payload_sha256.
    payload_sha256: str | None = None
    #: A creating call of this delivery was marked and its outcome not recorded since, in this
    #: run or before an interruption: the remote may have it (a resend may meet "duplicate").
    may_have_sent: bool = False
    # Set by the core: makes a mark durable. The default (a context built by hand, in a test)
    # records nothing.
    record_mark: Callable[[str], None] = field(default=lambda _what: None, repr=False)

    def mark_sending(self, what: str) -> None:
        """Record durably that a call which may create ``what`` on the remote goes out next.

        ``what`` is a short Chinese label of the call (e.g. "提交发布"); it appears in the message
        of a delivery left ``unconfirmed`` by a crash after the mark.
        """
        self.record_mark(what)
        self.may_have_sent = True


class Channel(abc.ABC):
    """Base class of every channel. Subclass it, set the class attributes, and register it.

    The core instantiates one object per configured channel (``[channels.NAME]``) and calls
    :meth:`publish` from worker threads; keep per-delivery data in the context, not on ``self``,
    or guard it with a lock.
    """

    #: Plugin name, the key operators write as ``plugin = "…"``.
    plugin_name: ClassVar[str] = ""
    #: Chinese display name for users, e.g. "政府门户网站".
    title: ClassVar[str] = ""
    settings_model: ClassVar[type[ChannelSettings]] = ChannelSettings
    #: The remote refuses duplicates itself (idempotency key, duplicate-content code) or the
    #: effect is local and rewriting it is harmless, so an interrupted attempt may be resent.
    resend_safe: ClassVar[bool] = False
    #: The channel calls :meth:`DeliveryContext.mark_sending` before every call that could create
    #: something on the remote, and ``publish()`` resumes from ``ctx.state`` without repeating a
    #: saved step. The core then knows an interrupted delivery with no mark never left, and sends
    #: it instead of recording ``unconfirmed``. A channel that cannot promise this keeps False.
    marks_sends: ClassVar[bool] = False
    #: ``SecretStr`` settings the channel works without; every other secret field is required.
    optional_secrets: ClassVar[frozenset[str]] = frozenset()
    #: What the channel sends is public. Before a batch is sent, the core checks each public
    #: channel's :meth:`render` for ID and mobile numbers that escaped masking (DESIGN §3); only a
    #: channel whose payload must carry them by law (the credit platform's record) sets False.
    public: ClassVar[bool] = True
    #: The channel implements :meth:`withdraw`. A channel that cannot take back what it published
    #: keeps False: its withdrawals are recorded ``skipped`` and ``hub status`` asks for a
    #: manual step.
    can_withdraw: ClassVar[bool] = False
    #: A new version replaces the published one in place (a page, a feed entry, a record). False
    #: for platforms whose posts cannot be edited (WeChat, Weibo): there a corrected version is
    #: a new 【更正】 post and the core withdraws the older posts once it is published.
    edits_in_place: ClassVar[bool] = True
    #: ``hub expire`` withdraws a penalty from this channel when its 公示 period ends. False for a
    #: register that keeps its own record and its own period (the credit platform).
    ends_with_publicity: ClassVar[bool] = True
    #: What a delivery of this channel mostly waits for, in Chinese, shown beside the channel in
    #: the progress bar of a long run (e.g. WeChat: 等待发布结果, its status polling).
    waiting_for: ClassVar[str] = ""

    def __init__(self, name: str, settings: ChannelSettings, hub: HubInfo) -> None:
        self.name = name
        self.settings = settings
        self.hub = hub

    # -- what it accepts -------------------------------------------------------------------
    def accepts(self, item: NormalizedItem) -> str | None:
        """Return ``None`` if the channel takes ``item``, else the Chinese reason it skips it."""
        return None

    def item_problems(self, item: NormalizedItem) -> list[str]:
        """What in ``item`` keeps this channel from carrying it although it is routed here.

        Chinese, one line each, each starting with ``字段 NAME：``. Checked for every channel an
        item is routed to before anything of the batch is sent: one problem refuses the batch
        (exit 2), e.g. a bulletin-board notice without a posting period.
        """
        return []

    # -- render and publish ----------------------------------------------------------------
    @abc.abstractmethod
    def render(self, item: NormalizedItem) -> Any:
        """Return what the channel would send for ``item`` (JSON-ready); used by ``--dry-run``."""

    @abc.abstractmethod
    def publish(self, item: NormalizedItem, ctx: DeliveryContext) -> PublishResult:
        """Publish ``item`` once. Raise :class:`TransientError` or :class:`PermanentError`."""

    def settle(self, item: NormalizedItem, ctx: DeliveryContext) -> PublishResult | None:
        """Ask the remote whether an interrupted attempt landed.

        Return the result if it did, raise :class:`PermanentError` if it definitely failed, and
        return ``None`` when the channel cannot tell (the default). The core then resends where
        that is safe (:attr:`resend_safe`, or :attr:`marks_sends` and no mark outstanding) and
        otherwise records ``unconfirmed``.
        """
        return None

    def withdraw(
        self, item: NormalizedItem, withdrawal: Withdrawal, ctx: DeliveryContext
    ) -> PublishResult:
        """Take back the publication of ``item`` (this version) described by ``withdrawal``.

        Must be idempotent: a remote that answers "already gone" (404, Weibo 20101) counts as
        withdrawn, so the core simply sends an interrupted withdrawal again. Raise
        :class:`TransientError` or :class:`PermanentError` like :meth:`publish`. Only called when
        :attr:`can_withdraw` is True.
        """
        raise PermanentError(f"渠道 {self.name} 不支持撤回")

    def refresh(self, items: list[NormalizedItem]) -> None:  # noqa: B027 - optional hook
        """Re-render what the channel shows of these published items, whose marks changed
        (已失效 once ``valid_until`` passed); called by ``hub expire``. Nothing by default."""

    def finish_run(self) -> None:  # noqa: B027 - optional hook, nothing to do by default
        """Called once after a publication run, e.g. to rebuild a feed or a catalogue."""

    # -- health ----------------------------------------------------------------------------
    def configuration_problems(self) -> list[str]:
        """Chinese descriptions of what is missing from the configuration (e.g. a secret)."""
        problems = []
        for name in self.settings.secret_fields():
            if name in self.optional_secrets:
                continue
            value = getattr(self.settings, name)
            if value is None or not value.get_secret_value():
                env = f"HUB_CHANNELS__{self.name.upper()}__{name.upper()}"
                problems.append(f"缺少密钥 {name}（请设置环境变量 {env}）")
        return problems

    def check(self, http: HttpClient) -> list[str]:
        """Ask the remote for health without publishing; return Chinese problem descriptions."""
        return self.configuration_problems()

