"""Chinese labels of the coded fields (``kind``, ``category``, ``disclosure``) and of delivery
states: a clerk may write either the code or the label every table shows, and every message
lists both.

The tables are built from :mod:`heze_hub.items.model`'s labels, so a kind added there (with its
label) is accepted in Chinese without a change here.
"""

from __future__ import annotations

from typing import Any, get_args

from heze_hub.items.model import CATEGORY_LABELS, KIND_LABELS, Category, Disclosure, Kind

DISCLOSURE_LABELS: dict[str, str] = {
    "proactive": "主动公开", "on_request": "依申请公开", "withheld": "不予公开",
}

#: Other ways a clerk writes a label (short forms, the parts of 公告公示), code by label.
_ALIASES: dict[str, dict[str, str]] = {
    "kind": {"公告": "announcement", "公示": "announcement", "政策": "policy",
             "解读": "interpretation", "召回": "recall",
             "许可": "license", "处罚": "penalty", "复文": "proposal_reply",
             "建议提案复文": "proposal_reply", "统计": "statistics", "征求意见稿": "draft",
             "意见采纳情况": "comment_summary", "意见收集采纳情况": "comment_summary"},
    "category": {"决策": "decision", "执行": "execution", "管理": "management", "服务": "service",
                 "结果": "result"},
    "disclosure": {"主动": "proactive", "依申请": "on_request", "不公开": "withheld"},
}

_CODES: dict[str, tuple[Any, dict[str, str]]] = {
    "kind": (Kind, KIND_LABELS),
    "category": (Category, CATEGORY_LABELS),
    "disclosure": (Disclosure, DISCLOSURE_LABELS),
}


def codes(field: str) -> list[str]:
    """The codes ``field`` accepts, in the model's order."""
    return list(get_args(_CODES[field][0]))


def label_of(field: str, code: str) -> str:
    """The Chinese label of one code (the code itself when it has none)."""
    return _CODES[field][1].get(code, code)


def code_of(field: str, value: Any) -> Any:
    """The code for a value written as a code or as a Chinese label; other values unchanged (the
    model then refuses them with :func:`choices_text`)."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    allowed = codes(field)
    if text in allowed:
        return text
    for code in allowed:
        if label_of(field, code) == text:
            return code
    alias = _ALIASES.get(field, {}).get(text)
    return alias if alias in allowed else value


def choices_text(field: str) -> str:
    """Every accepted value of ``field`` with its label: ``notice（通知）、policy（政策文件）…``."""
    return "、".join(f"{c}（{label_of(field, c)}）" for c in codes(field))
