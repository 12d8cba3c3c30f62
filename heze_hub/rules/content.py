"""The content rules of DESIGN §4: poverty-fund posting periods, proposal replies stripped of
personal data, and information that must not be published at all.

Decision where the policy is silent: poverty-fund notices are topic 精准扶贫 and an announcement
(体裁 公告/公示, or 公示/公告 in the title); a missing ``posting_days`` is broken — the gate
refuses such a file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from heze_hub.items.masking import redact_proposal_reply
from heze_hub.items.model import NormalizedItem
from heze_hub.rules.facts import BROKEN, MET, Facts, Finding, finding

#: Minimum posting period of a poverty-fund announcement (seed, 精准脱贫).
POVERTY_POSTING_DAYS = 10


def check_poverty_posting(facts: Facts) -> Iterator[Finding]:
    """Poverty-fund announcements: posted for at least 10 days."""
    for f in facts.scoped():
        if not is_poverty_notice(f.item):
            continue
        problem = poverty_problem(f.item)
        if problem:
            yield finding("poverty-posting", BROKEN, problem, f)
        else:
            yield finding("poverty-posting", MET, f"公示期 {f.item.posting_days} 天", f)


def is_poverty_notice(item: NormalizedItem) -> bool:
    """An announcement on 精准扶贫: 体裁 公告/公示, or 公示/公告 in the title."""
    return "精准扶贫" in item.topics and (
        item.kind == "announcement" or "公示" in item.title or "公告" in item.title
    )


def poverty_problem(item: NormalizedItem) -> str | None:
    if item.posting_days is None:
        return f"扶贫资金项目公告公示未填写公示期（posting_days），应不少于{POVERTY_POSTING_DAYS}天"
    if item.posting_days < POVERTY_POSTING_DAYS:
        return f"公示期 {item.posting_days} 天，少于规定的{POVERTY_POSTING_DAYS}天"
    return None


def check_proposal_reply(facts: Facts) -> Iterator[Finding]:
    """建议提案复文: no deputy's name in a salutation, no contact line, no 抄送 line — in every
    version that was actually published."""
    for f in facts.scoped():
        if f.item.kind != "proposal_reply":
            continue
        published = sorted(f.published_versions) or [f.item.version]
        bad = False
        for v in published:
            problems = proposal_problems(f.versions.get(v, f.item).body_text)
            if problems:
                bad = True
                yield finding("proposal-reply", BROKEN,
                               f"第 {v} 版正文仍含：{'；'.join(problems)}", f)
        if not bad:
            yield finding("proposal-reply", MET, "正文已去除代表委员姓名、联系方式和抄送范围", f)


def proposal_problems(body_text: str) -> list[str]:
    """What a published reply still shows, by kind of line (never the personal data itself)."""
    found: list[str] = []
    for line in body_text.splitlines():
        if not line.strip() or redact_proposal_reply(line).strip() == line.strip():
            continue
        stripped = line.strip().lstrip("*_-+> ")
        if re.match(r"抄\s*[送报]", stripped):
            label = "抄送范围"
        elif re.search(r"(代表|委员|同志)\s*[*_]*\s*[：:]\s*[*_]*$", stripped):
            label = "代表委员姓名（称呼行）"
        else:
            label = "联系方式（" + re.split(r"[：:]", stripped, maxsplit=1)[0] + "）"
        if label not in found:
            found.append(label)
    return found


def check_not_proactive(facts: Facts) -> Iterator[Finding]:
    """依申请公开 / 不予公开 information is never published."""
    seen = False
    for f in facts.scoped():
        if f.item.disclosure == "proactive":
            continue
        seen = True
        label = {"on_request": "依申请公开", "withheld": "不予公开"}.get(f.item.disclosure, "")
        if f.first_published:
            channels = "、".join(sorted(f.first_published))
            yield finding("not-proactive", BROKEN, f"公开属性为“{label}”，却已发布到 {channels}",
                           f)
        else:
            yield finding("not-proactive", MET, f"公开属性为“{label}”，未发布", f)
    if not seen:
        yield Finding("not-proactive", MET, "平台中没有依申请公开或不予公开的信息")
