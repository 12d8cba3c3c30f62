"""What each channel would publish, as the 提交 page shows it (DESIGN §13): the WeChat title and
digest against their limits, the Weibo text with its count, the portal page as it will look,
and any other channel's payload as JSON.

The limits are the platforms' own (WeChat: title 32 characters, digest 128; Weibo: 140 字 where
an ASCII character counts half), which the channels already cut to; the preview shows the count
so a department sees where its title was shortened.
"""

from __future__ import annotations

import json
from typing import Any

from heze_hub.hub import Hub
from heze_hub.items.normalize import PreparedItem
from heze_hub.service.submit import preview

WECHAT_TITLE_MAX = 32
WECHAT_DIGEST_MAX = 128
WEIBO_MAX = 140


def weibo_count(text: str) -> int:
    """Weibo's length in 字: ASCII half a 字, other characters of the BMP one, beyond it two."""
    units = sum(1 if ord(c) < 0x80 else 2 if ord(c) <= 0xFFFF else 4 for c in text)
    return -(-units // 2)


def channel_previews(hub: Hub, prepared: PreparedItem) -> dict[str, dict[str, Any]]:
    """Channel name → what the page shows of it: ``kind`` picks the block of the template."""
    shown: dict[str, dict[str, Any]] = {}
    for name, p in preview(hub, prepared).items():
        entry: dict[str, Any] = {"title": p["title"], "plugin": p["plugin"]}
        if "error" in p:
            entry.update(kind="error", text=p["error"])
        elif p.get("skipped"):
            entry.update(kind="skipped", text=p["skipped"])
        elif p["plugin"] == "wechat":
            article = (p["payload"].get("articles") or [{}])[0]
            title, digest = str(article.get("title", "")), str(article.get("digest", ""))
            entry.update(kind="wechat", wechat_title=title, digest=digest,
                         title_len=len(title), title_max=WECHAT_TITLE_MAX,
                         digest_len=len(digest), digest_max=WECHAT_DIGEST_MAX)
        elif p["plugin"] == "weibo":
            text = str(p["payload"].get("status", ""))
            entry.update(kind="weibo", text=text, count=weibo_count(text), max=WEIBO_MAX)
        elif p["plugin"] == "portal" and isinstance(p["payload"], dict) and "html" in p["payload"]:
            entry.update(kind="portal", html=p["payload"]["html"], url=p["payload"].get("url"))
        else:
            entry.update(kind="json", text=json.dumps(p["payload"], ensure_ascii=False,
                                                      indent=2, default=str)[:20000])
        shown[name] = entry
    return shown
