"""The normalized item: the one immutable object every channel receives (DESIGN §3)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

Kind = Literal[
    "notice", "announcement", "policy", "interpretation", "report", "recall",
    "license", "penalty", "proposal_reply", "statistics", "draft", "comment_summary", "other",
]
Category = Literal["decision", "execution", "management", "service", "result"]
Disclosure = Literal["proactive", "on_request", "withheld"]

KIND_LABELS: dict[str, str] = {
    "notice": "通知", "announcement": "公告公示", "policy": "政策文件",
    "interpretation": "政策解读", "report": "报告", "recall": "召回决定",
    "license": "行政许可", "penalty": "行政处罚", "proposal_reply": "建议提案办理复文",
    "statistics": "统计信息", "draft": "征求意见稿", "comment_summary": "意见采纳情况",
    "other": "其他",
}
CATEGORY_LABELS: dict[str, str] = {
    "decision": "决策公开", "execution": "执行公开", "management": "管理公开",
    "service": "服务公开", "result": "结果公开",
}


class Attachment(BaseModel):
    """One attachment, resolved and hashed at normalization time."""

    model_config = ConfigDict(frozen=True)

    title: str
    name: str  # file name as published
    source: str  # absolute path of the file on the submitting machine
    sha256: str
    size: int


class NormalizedItem(BaseModel):
    """One version of one item, normalized once; channels never see the raw file.

    ``body_html``, ``body_text``, ``title``, ``summary`` and ``credit_public`` are public
    renderings: personal data is already masked in them. ``credit`` is the full 双公示 record and
    goes to the credit platform only.
    """

    model_config = ConfigDict(frozen=True)

    index_no: str
    version: int
    published_at: datetime
    content_sha256: str

    title: str
    department: str
    written_on: date
    kind: Kind
    category: Category
    disclosure: Disclosure = "proactive"
    doc_number: str | None = None
    topics: tuple[str, ...] = ()
    summary: str
    interprets: str | None = None
    posting_days: int | None = None
    decided_at: datetime | None = None
    channels: tuple[str, ...] | None = None
    attachments: tuple[Attachment, ...] = ()
    body_html: str
    body_text: str
    credit: dict[str, Any] | None = None
    credit_public: dict[str, Any] | None = None
    # The seed's other outlets (DESIGN §5.6): bulletin boards, decision drafts for comment.
    boards: tuple[str, ...] = ()
    comment_until: date | None = None
    comment_address: str | None = None
    draft_of: str | None = None
    major: bool = False
    # The life of an item (DESIGN §12): a correction note (version ≥ 2), the items this one
    # repeals, and the day after which a policy is no longer valid.
    correction: str | None = None
    repeals: tuple[str, ...] = ()
    valid_until: date | None = None
    source: str = ""

    def public_dict(self) -> dict[str, Any]:
        """JSON-ready public form: what a portal page, a feed or a JSON file may show."""
        data = self.model_dump(mode="json", exclude={"credit", "source", "channels"})
        data["attachments"] = [
            {"title": a.title, "name": a.name, "sha256": a.sha256, "size": a.size}
            for a in self.attachments
        ]
        return data
