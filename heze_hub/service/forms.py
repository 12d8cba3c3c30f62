"""The 提交 form: one input per field of the item contract (DESIGN §2), read back into the §2
JSON form the hub validates — so the form gets exactly the CLI's messages.

The inputs are derived from :class:`~heze_hub.items.item_file.ItemFile` itself, so a field added
to the contract appears on the form without a change here (labels and hints are looked up, with
the field name as a fallback).
"""

from __future__ import annotations

import json
import types
import typing
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from heze_hub.items.item_file import ItemFile
from heze_hub.items.model import CATEGORY_LABELS, KIND_LABELS

#: Attachment rows on the form (a submission through the API may carry more).
ATTACHMENT_ROWS = 3

LABELS = {
    "title": "标题", "department": "发布机构", "written_on": "成文日期", "kind": "体裁",
    "category": "类别", "disclosure": "公开方式", "doc_number": "文号", "topics": "主题词",
    "summary": "内容概述", "index_no": "索引号", "interprets": "所解读文件的文号",
    "posting_days": "公示天数", "decided_at": "决定时间", "channels": "指定渠道",
    "redact": "需隐去的文字", "credit": "双公示记录", "body": "正文（Markdown）",
    "correction": "更正说明", "repeals": "废止的文件", "valid_until": "有效期至",
    "boards": "公开栏", "comment_until": "征求意见截止日期", "comment_address": "意见反馈地址",
    "draft_of": "征求意见稿所对应的决策", "major": "重大决策",
}
HINTS = {
    "topics": "每行一个", "redact": "每行一个；发布前从所有公开内容中删除",
    "channels": "每行一个渠道名；留空则按规则自动选择渠道",
    "index_no": "仅在发布已有信息的新版本时填写",
    "credit": "JSON 对象，如 {\"type\": \"penalty\", …}",
    "summary": "留空则从正文提取（最多 100 字）", "decided_at": "如召回决定的时间，时限由此起算",
}
#: The names the portal shows for kinds and categories, and the 公开方式.
CHOICE_LABELS = {
    **KIND_LABELS, **CATEGORY_LABELS,
    "proactive": "主动公开", "on_request": "依申请公开", "withheld": "不予公开",
}


@dataclass(frozen=True)
class Field:
    """One input of the form."""

    name: str
    label: str
    widget: str  # text | textarea | lines | json | select | date | datetime | number | checkbox
    required: bool
    choices: tuple[tuple[str, str], ...] = ()
    hint: str = ""


def _widget(annotation: Any) -> tuple[str, tuple[str, ...]]:
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        return _widget(inner[0]) if len(inner) == 1 else ("text", ())
    if typing.get_origin(annotation) is Literal:
        return "select", tuple(str(a) for a in args)
    if annotation is bool:
        return "checkbox", ()
    if annotation is int:
        return "number", ()
    if annotation is datetime:
        return "datetime", ()
    if annotation is date:
        return "date", ()
    if typing.get_origin(annotation) in (list, tuple):
        return ("lines", ()) if args and args[0] is str else ("json", ())
    if typing.get_origin(annotation) is dict or annotation is dict:
        return "json", ()
    if annotation is str:
        return "text", ()
    return "json", ()


def fields() -> list[Field]:
    """Every field of the item contract but attachments (rows of their own), body last."""
    out = []
    for name, info in ItemFile.model_fields.items():
        if name == "attachments":
            continue
        widget, choices = _widget(info.annotation)
        if name in ("body", "summary"):
            widget = "textarea"
        out.append(Field(
            name=name, label=LABELS.get(name, name), widget=widget, required=info.is_required(),
            choices=tuple((c, CHOICE_LABELS.get(c, c)) for c in choices), hint=HINTS.get(name, "")))
    out.sort(key=lambda f: f.name == "body")
    return out


def item_from_form(form: dict[str, str], attachments: list[tuple[str, str]]) -> dict[str, Any]:
    """The §2 JSON form of what was filled in; empty inputs are left out (defaults apply).

    A JSON input that does not parse is passed on as text, so the hub's own validation names
    the field and the rule.
    """
    item: dict[str, Any] = {}
    for f in fields():
        raw = form.get(f.name, "")
        if f.widget == "checkbox":
            if raw:
                item[f.name] = True
            continue
        if not raw.strip():
            continue
        if f.widget == "lines":
            item[f.name] = [line.strip() for line in raw.splitlines() if line.strip()]
        elif f.widget == "number":
            item[f.name] = int(raw) if raw.strip().lstrip("-").isdigit() else raw
        elif f.widget == "json":
            try:
                item[f.name] = json.loads(raw)
            except ValueError:
                item[f.name] = raw
        elif f.widget == "datetime" and len(raw) == 16:
            item[f.name] = raw + ":00+08:00"  # <input type=datetime-local> is Beijing time
        else:
            item[f.name] = raw
    if attachments:
        item["attachments"] = [{"path": path, "title": title} for path, title in attachments]
    return item
