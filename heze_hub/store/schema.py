"""The store's schema: the SQLAlchemy tables of items, index-number serials, versions, the
delivery outbox, the receipt log and checkpoints, with their indexes and constraints."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

items = Table(
    "items",
    metadata,
    Column("index_no", String(64), primary_key=True),
    Column("identity", Text, nullable=False, unique=True),
    Column("latest_version", Integer, nullable=False),
    Column("created_at", String(40), nullable=False),
)
serials = Table(
    "serials",
    metadata,
    Column("prefix", String(40), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("last", Integer, nullable=False),
)
versions = Table(
    "versions",
    metadata,
    Column("index_no", String(64), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("content_sha256", String(64), nullable=False),
    Column("published_at", String(40), nullable=False),
    Column("data", Text, nullable=False),  # the normalized item's JSON, credit record included
)
deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("index_no", String(64), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("channel", String(64), nullable=False),
    Column("idempotency_key", String(200), nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("retryable", Boolean, nullable=False, default=False),
    Column("state", Text, nullable=False, default="{}"),
    Column("remote_id", Text),
    Column("url", Text),
    Column("error", Text),
    Column("payload_sha256", String(64)),
    Column("owner", String(200)),
    Column("started_at", String(40)),
    Column("finished_at", String(40)),
    Column("updated_at", String(40), nullable=False),
    UniqueConstraint("idempotency_key", name="uq_delivery_key"),
)
receipts = Table(
    "receipts",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("index_no", String(64), nullable=False, index=True),
    Column("channel", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("finished_at", String(40), nullable=False),
    Column("data", LargeBinary, nullable=False),  # canonical JSON bytes: exactly what is hashed
)
checkpoints = Table(
    "checkpoints",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("size", Integer, nullable=False),
    Column("note", Text, nullable=False),
    Column("created_at", String(40), nullable=False),
    # The Merkle tree's frontier at this size (hex hashes), so the next checkpoint only hashes
    # the receipts added since instead of the whole log.
    Column("frontier", Text),
)
withdrawals = Table(
    # What a withdrawal delivery (the outbox row whose key ends in ``:withdraw``) takes back and
    # why: kept beside the outbox so that an older database gains it without a migration.
    "withdrawals",
    metadata,
    Column("idempotency_key", String(200), primary_key=True),
    Column("index_no", String(64), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("channel", String(64), nullable=False),
    Column("cause", String(16), nullable=False),  # withdraw / expire / correction
    Column("reason", Text, nullable=False),
    Column("requested_at", String(40), nullable=False),
    # The publication's remote id, address and saved state at the time of the request.
    Column("remote_id", Text),
    Column("url", Text),
    Column("state", Text, nullable=False, default="{}"),
)
marks = Table(
    # Marks ``hub expire`` has rendered on the channels (``expired``: 已失效 after valid_until),
    # so a daily run re-renders only what changed since the day before.
    "marks",
    metadata,
    Column("index_no", String(64), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("mark", String(16), primary_key=True),
    Column("marked_at", String(40), nullable=False),
)
listings = Table(
    "listings",
    metadata,
    # What the portal's catalogue and search index need of a version (heze_hub.portal.listing),
    # derived from ``versions.data`` and refilled when ``fmt`` (the listing format) changes.
    Column("index_no", String(64), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("fmt", String(64), nullable=False),
    Column("published_at", String(40), nullable=False),
    Column("title", Text, nullable=False),
    Column("department", Text, nullable=False),
    Column("doc_number", Text),
    Column("written_on", String(10), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("category", String(32), nullable=False),
    Column("topics", Text, nullable=False),  # JSON list
    Column("interprets", Text),
    Column("content_sha256", String(64), nullable=False),
    Column("draft_of", String(64)),
    Column("row", Text, nullable=False),  # the catalogue row as on a list page
    Column("search_head", Text, nullable=False),  # the search-index entry before its url
    Column("search_tail", Text, nullable=False),  # … and after it
)

# -- the service (DESIGN §13): accounts, who submitted what, and every decision -------------------
# New tables rather than new columns, so a database written before the service keeps working.
users = Table(
    "users",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("role", String(16), nullable=False),  # department | operator | auditor
    Column("departments", Text, nullable=False, default="[]"),  # JSON list of 发布机构 names
    Column("password_hash", Text),  # argon2id; NULL: API tokens only
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", String(40), nullable=False),
)
api_tokens = Table(
    "api_tokens",
    metadata,
    # SHA-256 of the token: a token is 32 random bytes, so a fast hash cannot be searched back.
    Column("token_sha256", String(64), primary_key=True),
    Column("user", String(100), nullable=False, index=True),
    Column("created_at", String(40), nullable=False),
)
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("session_sha256", String(64), primary_key=True),
    Column("user", String(100), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("expires_at", String(40), nullable=False),
)
submissions = Table(
    "submissions",
    metadata,
    Column("index_no", String(64), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("submitted_by", String(200), nullable=False),  # an account, or "cli:" + OS user
    Column("via", String(16), nullable=False),  # cli | api | web
    Column("submitted_at", String(40), nullable=False),
)
access_log = Table(
    "access_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(40), nullable=False),
    Column("user", String(100)),  # NULL: not logged in
    Column("action", String(40), nullable=False),
    Column("target", Text),
    Column("allowed", Boolean, nullable=False),
    Column("detail", Text),
)
#: Bulletin-board postings confirmed by a person (``hub board confirm``, DESIGN §5.6); each also
#: has a receipt (``receipt_seq``) in the log. A table of its own, so an older database only
#: gains it.
board_postings = Table(
    "board_postings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("index_no", String(64), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("channel", String(64), nullable=False),
    Column("board", Text, nullable=False),
    Column("posted_on", String(10), nullable=False),
    Column("photo_sha256", String(64)),
    Column("confirmed_at", String(40), nullable=False),
    Column("receipt_seq", Integer, nullable=False),
)
