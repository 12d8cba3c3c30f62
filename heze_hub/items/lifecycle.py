"""Where a published item stands in its life (DESIGN §12): corrected, repealed, expired.

Pure functions of the items a channel has published, so the portal's pages and the feeds mark
an item the same way: 已废止 (a newer published item names it in ``repeals``) wins over 已失效
(its ``valid_until`` has passed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from heze_hub.items.model import NormalizedItem
from heze_hub.items.normalize import now, to_shanghai

__all__ = [
    "CORRECTION_MARK", "Standing", "plain_notes", "post_title", "repealed_by", "standing",
]

#: What the title of a post that replaces an uneditable one starts with (DESIGN §12).
CORRECTION_MARK = "【更正】"


@dataclass(frozen=True)
class Standing:
    """An item's marks: ``label`` is 已废止, 已失效 or ``None`` (in force)."""

    label: str | None
    #: The published items that repeal it, oldest first.
    repealed_by: tuple[NormalizedItem, ...] = ()
    #: The correction note of this version and the day it was published, if any.
    correction: str | None = None
    corrected_on: date | None = None


def repealed_by(item: NormalizedItem, known: Iterable[NormalizedItem]) -> list[NormalizedItem]:
    """Published items whose ``repeals`` names ``item``, oldest first."""
    # A catalogue's compact listing of an item carries no ``repeals``: only whole items count.
    found = [k for k in known
             if item.index_no in getattr(k, "repeals", ()) and k.index_no != item.index_no]
    return sorted(found, key=lambda k: (k.published_at, k.index_no))


def standing(
    item: NormalizedItem, known: Iterable[NormalizedItem], today: date | None = None
) -> Standing:
    """The marks of ``item`` among the published ``known`` items, as of ``today``."""
    today = today or now().date()
    repealers = tuple(repealed_by(item, known))
    label = None
    if repealers:
        label = "已废止"
    elif item.valid_until is not None and item.valid_until < today:
        label = "已失效"
    corrected_on = to_shanghai(item.published_at).date() if item.correction else None
    return Standing(label, repealers, item.correction, corrected_on)


def post_title(item: NormalizedItem) -> str:
    """The title of a post on a platform that cannot edit posts (WeChat, Weibo): a corrected
    version (``correction`` on version ≥ 2) is a new post whose title starts with 【更正】."""
    if item.correction and item.version > 1:
        return CORRECTION_MARK + item.title
    return item.title


def plain_notes(
    item: NormalizedItem, known: Iterable[NormalizedItem], item_url: Callable[[str], str]
) -> tuple[str | None, list[str]]:
    """The mark of ``item`` (已废止, 已失效 or ``None``) and its notes as plain Chinese text, for
    a channel without the portal's pages (a feed entry): what repeals it and where, its
    expiry, its correction with the date."""
    s = standing(item, known)
    notes = []
    if s.label == "已废止":
        notes += [f"本文件已被《{r.title}》（{item_url(r.index_no)}）废止。" for r in s.repealed_by]
    elif s.label == "已失效":
        notes.append(f"本文件有效期至 {item.valid_until}，已失效。")
    if s.correction:
        notes.append(f"更正说明（{s.corrected_on}）：{s.correction}")
    return s.label, notes
