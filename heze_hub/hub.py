"""The hub at run time: configuration, plugins, channels and the store, put together once."""

from __future__ import annotations

import logging
import os
import re
import shutil
from collections.abc import Iterable
from functools import partial
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.exc import NoResultFound

from heze_hub.config import Config
from heze_hub.delivery.channel import Channel, HubInfo
from heze_hub.delivery.lifecycle import item_problems
from heze_hub.delivery.outgoing import personal_data_problems
from heze_hub.delivery.registry import Plugins, build_channels, load_plugins
from heze_hub.delivery.routing import route
from heze_hub.errors import BatchInputError, ConfigError, InputError, describe_os_error
from heze_hub.files import atomic_write, create_once, writable_dir_problem
from heze_hub.items.load import load_item
from heze_hub.items.messages import show_path
from heze_hub.items.model import NormalizedItem
from heze_hub.items.normalize import PreparedItem, normalize, now
from heze_hub.portal.listing import store_listings
from heze_hub.receipts.keyfile import load_key, load_or_create_key
from heze_hub.receipts.merkle import TreeBuilder
from heze_hub.receipts.signing import SigningKey, sign_checkpoint
from heze_hub.rules.gate import gate_errors
from heze_hub.store import lookups
from heze_hub.store.db import Store, describe_store_error
from heze_hub.store.schema import versions

log = logging.getLogger(__name__)

#: Below this much free space in the state directory a run is refused before its first send:
#: receipts of a batch and a checkpoint need far less, SQLite's journal a little more.
MIN_FREE_BYTES = 8 * 1024 * 1024


class Hub:
    """Configuration, loaded plugins, configured channels and the store of one process."""

    def __init__(
        self, config: Config, plugins: Plugins | None = None, *, read_only: bool = False
    ) -> None:
        """Put the hub together. ``read_only`` hubs (``status``, ``receipts``, ``audit``,
        ``report``) create nothing and write nothing: they work on a read-only copy of the state
        directory, and in a folder with no state yet they see an empty hub."""
        self.config = config
        self.state_dir = config.state_dir
        self.read_only = read_only
        where = config.path or "内置默认配置"
        try:
            if not read_only:
                self.state_dir.mkdir(parents=True, exist_ok=True)
            if self.state_dir.is_dir():
                _log_to_file(self.state_dir / "hub.log")
        except OSError as exc:
            raise ConfigError(
                f"{where}：[hub] state_dir = {self.state_dir}：无法创建或写入"
                f"（{describe_os_error(exc)}）"
            ) from None
        self.plugins = plugins or load_plugins(
            config.resolve(config.hub.plugins_dir) if config.hub.plugins_dir else None
        )
        try:
            self.store = Store(config.database_url, read_only=read_only)
        except Exception as exc:  # a bad URL, a missing driver, an unreachable server
            raise ConfigError(
                f"{where}：[hub] database_url：无法打开数据库（{describe_store_error(exc)}）"
            ) from None
        self._content_secret: bytes | None = None
        self.info = HubInfo(
            public_url=config.hub.public_url,
            state_dir=self.state_dir,
            config_dir=config.base_dir,
            org_code=config.hub.org_code,
            published_items=self.store.published_items,
            latest_checkpoint=self.store.latest_checkpoint,
            latest_item=partial(lookups.latest_item, self.store),
            latest_of_kind=partial(lookups.latest_of_kind, self.store),
            channel_deliveries=partial(lookups.channel_deliveries, self.store),
            published_listings=lambda channel, search: store_listings(self.store, channel, search),
            latest_published=self.store.published_items,
            load_version=self._stored_version,
            org_name=config.hub.name,
            site_code=config.hub.site_code,
        )
        self.channels: dict[str, Channel] = build_channels(
            self.plugins, config.settings.channels, self.info, str(where), config.file_tables
        )
        self._secrets = _secret_values(self.channels.values())
        self._scrub_re = (
            re.compile("|".join(re.escape(s) for s in sorted(self._secrets, key=len, reverse=True)))
            if self._secrets
            else None
        )

    def _stored_version(self, index_no: str, version: int) -> NormalizedItem | None:
        try:
            return self.store.load_version(index_no, version)
        except NoResultFound:
            return None

    @property
    def org_code(self) -> str:
        """The 索引号 prefix of this hub (``[hub] org_code``)."""
        return self.config.hub.org_code

    def content_secret(self) -> bytes:
        """The hub's key for hashing 双公示 records into content hashes; created on first use."""
        if self._content_secret is None:
            path = self.config.signing_key_path.with_name("content.key")
            if not path.exists() and self.read_only and not self._has_versions():
                # A dry run where nothing was published yet: no hash can match a stored one, and
                # a read-only command creates no key.
                self._content_secret = os.urandom(32)
                return self._content_secret
            if not path.exists() and self._has_versions():
                # Hashes already published were made with the lost key; a new one would make
                # every 双公示 item look changed and send it again.
                raise ConfigError(
                    f"内容哈希密钥 {path} 丢失，而数据库中已有发布记录；请从备份恢复该文件"
                )
            if not path.exists():
                try:
                    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                    create_once(path, os.urandom(32), 0o600)
                except OSError as exc:
                    raise ConfigError(
                        f"无法创建内容哈希密钥 {path}：{describe_os_error(exc)}"
                    ) from None
            try:
                secret = path.read_bytes()
            except OSError as exc:
                problem = describe_os_error(exc)
                raise ConfigError(f"内容哈希密钥 {path} 无法读取：{problem}") from None
            if len(secret) != 32:
                raise ConfigError(
                    f"内容哈希密钥 {path} 已损坏（应为 32 字节）；请从备份恢复该文件"
                )
            self._content_secret = secret
        return self._content_secret

    def _has_versions(self) -> bool:
        with self.store.read() as conn:
            return conn.execute(select(versions.c.index_no).limit(1)).first() is not None

    # -- the receipt log's checkpoints ------------------------------------------------------
    def signing_key(self) -> SigningKey:
        """The hub's Ed25519 key, created on first use outside the database."""
        return load_or_create_key(self.config.signing_key_path, self.config.log_origin)

    def write_checkpoint(self) -> tuple[int, str]:
        """Sign a checkpoint of the receipt log as it is now, unless the latest one covers it.

        Returns the tree size and the signed note. The note and the verifier key are also written
        to the state directory, where an operator can publish them.
        """
        start, frontier = self.store.latest_frontier()
        builder = TreeBuilder.resume(start, frontier)
        for line in self.store.receipt_lines(start):
            builder.append(line)
        size, latest = self.store.latest_signed()
        if size == builder.size:
            return size, latest
        key = self.signing_key()
        note = sign_checkpoint(key, builder.size, builder.root())
        self.store.add_checkpoint(builder.size, note, now(), builder.frontier)
        atomic_write(self.state_dir / "checkpoint", note)
        atomic_write(self.state_dir / "hub.pub", key.vkey() + "\n")
        return builder.size, note

    def close(self) -> None:
        """Release the store."""
        self.store.close()

    def scrub(self, text: str) -> str:
        """``text`` with every configured secret value replaced, for messages and receipts."""
        return self._scrub_re.sub("***", text) if self._scrub_re else text

    # -- input -----------------------------------------------------------------------------
    def prepare(self, paths: Iterable[Path], only: tuple[str, ...] = ()) -> list[PreparedItem]:
        """Load and normalize every file; raise one :class:`BatchInputError` listing them all.

        A batch is validated whole before the first delivery starts, including the last check
        of what each public channel it goes to (``only`` narrows them) would send.
        """
        prepared: list[PreparedItem] = []
        probes: list[NormalizedItem] = []  # each item as channels will get it, for the checks
        problems: list[tuple[str | None, str | None, str]] = []  # (file, field, message)
        for path in paths:
            try:
                p = normalize(load_item(Path(path)), secret=self.content_secret())
            except InputError as exc:
                problems.append((exc.file, exc.field, str(exc)))
                continue
            probe = p.build("-", 0, now())
            # The policy's rules a file can be refused for before anything is sent (DESIGN §4).
            problems.extend((str(p.source), None, f"{show_path(Path(path))}：{e}")
                            for e in gate_errors(probe))
            prepared.append(p)
            probes.append(probe)
        # (file, field, message) throughout; checks that give a bare message add it as such.
        problems.extend((None, "draft_of", m) for m in self._draft_problems(prepared))
        for probe in probes:
            try:
                names = route(self.channels, probe, only)
            except InputError as exc:
                problems.append((exc.file, exc.field, str(exc)))
                continue
            for name in names:
                channel = self.channels[name]
                if channel.accepts(probe) is None:
                    problems.extend(
                        (probe.source, _field_named(m), f"{probe.source}：渠道 {name}：{m}")
                        for m in channel.item_problems(probe)
                    )
        if not problems:
            problems = [(f, k, m) for f, k, m in item_problems(self.store, prepared)]
        if not problems:
            found = personal_data_problems(self.channels, probes, only)
            problems = [(None, None, m) for m in found]
        if problems:
            raise BatchInputError([m for _f, _k, m in problems], problems)
        return prepared

    def _draft_problems(
        self, prepared: list[PreparedItem]
    ) -> list[tuple[str | None, str | None, str]]:
        """``draft_of`` names a decision draft the hub knows, or one in the same batch
        (DESIGN §5.6)."""
        batch = {p.explicit_index_no: p.content["kind"] for p in prepared if p.explicit_index_no}
        problems = []
        for p in prepared:
            ref = p.content.get("draft_of")
            if not ref:
                continue
            kind = batch.get(ref)
            if kind is None:
                known = lookups.latest_item(self.store, ref)
                kind = known.kind if known else None
            if kind is None:
                problems.append((str(p.source), "draft_of",
                                 f"{p.source}：字段 draft_of（决策草案）：索引号 {ref} 不是本平台"
                                 "已登记的信息，请先发布征求意见稿，或检查索引号"))
            elif kind != "draft":
                problems.append((str(p.source), "draft_of",
                                 f"{p.source}：字段 draft_of（决策草案）：索引号 {ref} 的体裁不是"
                                 "征求意见稿（draft）"))
        return problems

    def preflight(self, names: Iterable[str]) -> None:
        """Everything that can refuse a run, checked before its first send (DESIGN §9: exit 2,
        nothing sent): the channels' configuration, the state directory, the signing key and
        the store. What fails after the first send is reported as what it is (exit 1)."""
        self.check_channels(names)
        where = self.config.path or "内置默认配置"
        problem = writable_dir_problem(self.state_dir)
        if problem is None:
            free = shutil.disk_usage(self.state_dir).free
            if free < MIN_FREE_BYTES:
                problem = f"磁盘空间不足（{self.state_dir} 所在磁盘仅剩 {free // 1024} KiB）"
        if problem:
            raise ConfigError(f"{where}：[hub] state_dir：{problem}；回执、检查点无法保存")
        self.signing_key()
        try:
            self.store.check_writable()
        except Exception as exc:  # sqlite3/psycopg errors wrapped by SQLAlchemy, OSError
            raise ConfigError(
                f"{where}：数据库不可写入（{describe_store_error(exc)}）；回执无法保存"
            ) from None

    def verifier_key(self) -> str:
        """The verifier key auditors check checkpoints with; a read-only hub creates no key."""
        pub = self.state_dir / "hub.pub"
        if pub.is_file():
            return pub.read_text(encoding="utf-8").strip()
        if self.read_only:
            return load_key(self.config.signing_key_path, self.config.log_origin).vkey()
        return self.signing_key().vkey()

    def check_channels(self, names: Iterable[str]) -> None:
        """Raise :class:`ConfigError` if a channel about to be used is not fully configured."""
        problems = []
        for name in names:
            for p in self.channels[name].configuration_problems():
                problems.append(f"渠道 {name}：{p}")
        if problems:
            raise ConfigError(
                "以下渠道已启用但配置不完整，未发送任何内容：\n" + "\n".join(problems)
            )


def _field_named(message: str) -> str | None:
    """The field a channel's ``item_problems`` line names (it starts with ``字段 NAME``)."""
    if message.startswith("字段 "):
        return message.removeprefix("字段 ").split("（")[0].split("：")[0].strip() or None
    return None


def _secret_values(channels: Iterable[Channel]) -> list[str]:
    values = []
    for ch in channels:
        for name in ch.settings.secret_fields():
            secret = getattr(ch.settings, name)
            if isinstance(secret, SecretStr) and len(secret.get_secret_value()) >= 4:
                values.append(secret.get_secret_value())
    return values


_file_handler: logging.Handler | None = None


class _QuietFileHandler(logging.FileHandler):
    """The state directory's log, best effort: a full disk or a read-only copy of the state must
    not print ``--- Logging error ---`` tracebacks on a user's terminal; the user gets the hub's
    own message about the failure instead."""

    def handleError(self, record: logging.LogRecord) -> None:
        pass


def _log_to_file(path: Path) -> None:
    """Log to the state directory; users see messages, operators read the log."""
    global _file_handler
    if _file_handler is not None:
        return
    _file_handler = _QuietFileHandler(path, encoding="utf-8", delay=True)
    _file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("heze_hub")
    root.addHandler(_file_handler)
    root.setLevel(logging.INFO)
