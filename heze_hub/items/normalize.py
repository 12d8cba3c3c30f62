"""Normalization (DESIGN §3): one item file → one immutable normalized item, once per version.

Every public field (title, summary, body, department, topics, attachment titles and file names,
the public credit record) is masked here, so no channel can forget to; only the credit
platform's full record stays unmasked.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from heze_hub.errors import InputError, describe_os_error
from heze_hub.files import file_sha256
from heze_hub.items.credit_fields import public_record
from heze_hub.items.credit_record import parse_credit_record
from heze_hub.items.load import LoadedItem
from heze_hub.items.masking import mask_personal_data, redact, redact_proposal_reply
from heze_hub.items.model import Attachment, NormalizedItem
from heze_hub.items.render import derive_summary, render_markdown, summary_problem
from heze_hub.items.text import canonical_doc_number, canonical_reference, clean_text
from heze_hub.receipts.canonical import canonical_json, sha256_hex

TZ = ZoneInfo("Asia/Shanghai")
MAX_ATTACHMENT_BYTES = 200 * 1024 * 1024

# Fields that identify a version rather than describe its content; left out of the hash so that
# publishing the same file twice yields the same hash.
_NOT_CONTENT = {"index_no", "version", "published_at", "content_sha256", "source", "channels"}
#: Fields added after items were first published, with their JSON defaults: left out of the hash
#: while at the default, so that re-publishing an unchanged older item is still a no-op.
_ADDED_FIELDS: dict[str, Any] = {
    "boards": [], "comment_until": None, "comment_address": None, "draft_of": None,
    "major": False,
    # The life of an item (DESIGN §12).
    "correction": None, "repeals": [], "valid_until": None,
}


@dataclass(frozen=True)
class PreparedItem:
    """A normalized item before the store gives it an index number and a version."""

    identity: str
    explicit_index_no: str | None
    content: dict[str, Any]
    content_sha256: str
    source: Path
    #: What normalization changed that the clerk should know (Chinese), e.g. a rewritten 文号.
    notes: tuple[str, ...] = ()

    def build(self, index_no: str, version: int, published_at: datetime) -> NormalizedItem:
        """The immutable item every channel receives."""
        return NormalizedItem(
            index_no=index_no,
            version=version,
            published_at=published_at,
            content_sha256=self.content_sha256,
            source=str(self.source),
            **self.content,
        )


def now() -> datetime:
    """The current time in Asia/Shanghai."""
    return datetime.now(TZ)


def to_shanghai(value: datetime) -> datetime:
    """A timezone-aware datetime in Asia/Shanghai; a naive one is taken as Beijing time."""
    return value.replace(tzinfo=TZ) if value.tzinfo is None else value.astimezone(TZ)


def normalize(loaded: LoadedItem, *, secret: bytes = b"") -> PreparedItem:
    """Check and normalize one loaded item file; raise :class:`InputError` naming the field."""
    f = loaded.fields
    where = loaded.where or str(loaded.path)

    def fail(field: str, rule: str) -> InputError:
        return InputError(f"{where}：字段 {field}：{rule}", file=where, field=field)

    if f.disclosure != "proactive":
        label = {"on_request": "依申请公开", "withheld": "不予公开"}[f.disclosure]
        raise fail(
            "disclosure", f"公开属性为“{label}”的信息不主动公开，不能发布（政府信息公开条例）"
        )

    doc_number = None
    if f.doc_number:
        try:
            doc_number = canonical_doc_number(f.doc_number)
        except ValueError as exc:
            raise fail("doc_number", str(exc)) from None

    interprets = None
    if f.kind == "interpretation":
        if not f.interprets:
            raise fail(
                "interprets",
                "政策解读必须写明所解读政策的索引号或文号（见 docs/item-reference.md）",
            )
        try:
            interprets = canonical_reference(f.interprets)
        except ValueError as exc:
            raise fail("interprets", str(exc)) from None
    elif f.interprets:
        raise fail("interprets", "只有体裁为 interpretation（政策解读）的信息才能填写解读对象")

    def public(text: str) -> str:
        return mask_personal_data(redact(text, f.redact))

    _check_draft_fields(f, fail)

    body_md = f.body
    if f.kind == "proposal_reply":
        body_md = redact_proposal_reply(body_md)
    body = render_markdown(public(body_md))
    title = public(clean_text(f.title))
    if not title:
        raise fail("title", "标题不能为空")

    if f.summary is not None:
        summary = public(clean_text(f.summary))
        problem = summary_problem(summary, title)
        if problem:
            raise fail("summary", problem)
    else:
        summary = derive_summary(body.text, title)
        if not summary:
            raise fail(
                "summary", "无法从正文中提取内容概述（正文只有标题、表格或称谓），请填写 summary"
            )

    credit = credit_public = None
    if f.credit is not None:
        try:
            credit = parse_credit_record(f.credit, kind=f.kind)
        except InputError as exc:
            raise InputError(f"{where}：{exc}", file=where, field=exc.field) from None
        credit_public = public_record(credit)

    try:
        attachments = tuple(
            _attachment(loaded.path, a.path, public(clean_text(a.title)), public, fail)
            for a in f.attachments
        )
        for a in attachments:
            a.source.encode("utf-8")  # a link may lead to a file name that is not UTF-8
    except (OSError, RuntimeError, ValueError) as exc:  # no permission, a link loop, I/O errors
        reason = (describe_os_error(exc, with_path=False) if isinstance(exc, OSError)
                  else "文件名不是 UTF-8 编码" if isinstance(exc, UnicodeError)
                  else "符号链接循环或路径无效")
        raise fail("attachments", f"附件无法读取（{reason}）") from None

    content: dict[str, Any] = {
        "title": title,
        "department": public(clean_text(f.department)),
        "written_on": f.written_on,
        "kind": f.kind,
        "category": f.category,
        "disclosure": f.disclosure,
        "doc_number": doc_number,
        "topics": tuple(dict.fromkeys(public(clean_text(t)) for t in f.topics)),
        "summary": summary,
        "interprets": interprets,
        "posting_days": f.posting_days,
        "decided_at": to_shanghai(f.decided_at) if f.decided_at else None,
        "channels": tuple(f.channels) if f.channels else None,
        "attachments": attachments,
        "body_html": body.html,
        "body_text": body.text,
        "credit": credit,
        "credit_public": credit_public,
        "boards": tuple(dict.fromkeys(public(clean_text(b)) for b in f.boards or ())),
        "comment_until": f.comment_until,
        "comment_address": public(clean_text(f.comment_address)) if f.comment_address else None,
        "draft_of": f.draft_of,
        "major": f.major,
        "correction": public(clean_text(f.correction)) if f.correction else None,
        "repeals": tuple(dict.fromkeys(f.repeals)),
        "valid_until": f.valid_until,
    }
    if f.valid_until and f.valid_until < f.written_on:
        raise fail("valid_until", f"有效期至 {f.valid_until.isoformat()} 早于成文日期 "
                                  f"{f.written_on.isoformat()}")
    if f.index_no and f.index_no in f.repeals:
        raise fail("repeals", f"信息不能废止它自己（{f.index_no}）")
    return PreparedItem(
        identity=_identity(f.index_no, content),
        explicit_index_no=f.index_no,
        content=content,
        content_sha256=content_hash(content, secret=secret),
        source=loaded.path,
        notes=(f"文号已规范为 {doc_number}（原写作 {f.doc_number}）",)
        if doc_number and doc_number != f.doc_number else (),
    )


def content_hash(content: dict[str, Any], *, secret: bytes = b"") -> str:
    """SHA-256 over the canonical JSON of the normalized content (DESIGN §3).

    The full 双公示 record enters the hash only as an HMAC keyed with the hub's ``secret``: the
    hash is published (receipts, the portal's JSON), and a natural person's masked ID number has
    only about 36,500 possible birth dates, so a plain hash over it would give the number away to
    anyone willing to try them all.
    """
    probe = NormalizedItem(
        index_no="-",
        version=1,
        published_at=datetime(2000, 1, 1, tzinfo=TZ),
        content_sha256="-",
        **content,
    )
    data = probe.model_dump(mode="json", exclude=_NOT_CONTENT)
    for name, default in _ADDED_FIELDS.items():
        if data.get(name) == default:
            del data[name]  # an item that does not use a field added later keeps its hash
    if data["credit"] is not None:
        data["credit"] = hmac.new(secret, canonical_json(data["credit"]), "sha256").hexdigest()
    for a in data["attachments"]:
        a.pop("source", None)  # where the file lay on the submitting machine is not content
    return sha256_hex(canonical_json(data))


def _check_draft_fields(f: Any, fail: Callable[[str, str], InputError]) -> None:
    """The fields of decision drafts (DESIGN §5.6) fit the item's kind; the comment period
    itself is checked against the publication time by the gate."""
    if f.kind == "draft":
        for name in ("comment_until", "comment_address"):
            if getattr(f, name) is None:
                raise fail(name, "征求意见稿必须写明征求意见截止日期（comment_until）和意见反馈方式"
                                 "（comment_address，电子邮箱或网址；见 docs/item-reference.md）")
        if f.draft_of:
            raise fail("draft_of", "征求意见稿本身不能填写 draft_of；该字段由最终决策和意见采纳情况"
                                   "填写，指向征求意见稿的索引号")
        if f.comment_until < f.written_on:
            raise fail("comment_until", f"征求意见截止日期 {f.comment_until} 早于成文日期 "
                                        f"{f.written_on}")
    else:
        for name in ("comment_until", "comment_address"):
            if getattr(f, name) is not None:
                raise fail(name, "只有体裁为 draft（征求意见稿）的信息才能填写"
                                 "征求意见期限和反馈方式")
    if f.kind == "comment_summary" and not f.draft_of:
        raise fail("draft_of", "意见采纳情况必须用 draft_of 写明所对应征求意见稿的索引号"
                               "（见 docs/item-reference.md）")


def _identity(index_no: str | None, content: dict[str, Any]) -> str:
    """Item identity (DESIGN §3): index_no; else department + doc number; else title + date."""
    if index_no:
        return f"index_no:{index_no}"
    if content["doc_number"]:
        return f"doc:{content['department']}|{content['doc_number']}"
    return f"title:{content['department']}|{content['title']}|{content['written_on'].isoformat()}"


def _attachment(
    item_path: Path, rel: str, title: str, public: Callable[[str], str], fail: Any
) -> Attachment:
    folder = item_path.parent.resolve()
    path = (folder / rel).resolve()
    # Attachments lie beside the item file or below it; anything else could publish files the
    # department never meant to (the hub's own state, say).
    if Path(rel).is_absolute() or not path.is_relative_to(folder):
        raise fail("attachments", f"附件路径 {rel} 必须是信息文件所在目录内的相对路径")
    if not path.is_file():
        raise fail("attachments", f"附件 {rel} 不存在（路径相对于信息文件所在目录）")
    size = path.stat().st_size
    if size > MAX_ATTACHMENT_BYTES:
        raise fail(
            "attachments", f"附件 {rel} 过大（超过 {MAX_ATTACHMENT_BYTES // 1024 // 1024} MiB）"
        )
    return Attachment(
        title=title,
        # The file name is published too (the portal's download link): masked like any field.
        name=public(path.name),
        source=str(path),
        sha256=file_sha256(path),
        size=size,
    )
