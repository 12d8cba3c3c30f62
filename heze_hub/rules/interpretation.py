"""The policy-interpretation rules of DESIGN §4: what an interpretation explains, whether it came
out with its policy, and whether the two link to each other.

Decision where the policy is silent: "published with it" means within 3 working days of the
policy, either way (the usual 政策解读 tolerance); "links both ways" means both are published on
the same portal channel — the portal renders the links itself when both exist there.
"""

from __future__ import annotations

from collections.abc import Iterator

from heze_hub.rules.facts import BROKEN, MET, UNKNOWN, Facts, Finding, ItemFacts, day_of, finding
from heze_hub.rules.workdays import add_working_days

#: Working days an interpretation may come before or after its policy.
INTERPRETATION_TOLERANCE_DAYS = 3


def policy_of(f: ItemFacts, facts: Facts) -> ItemFacts | None:
    """The item an interpretation explains: by index number first, else by document number."""
    ref = f.item.interprets
    if not ref:
        return None
    found = [g for g in facts.items if g is not f and ref in (g.item.index_no, g.item.doc_number)]
    found.sort(key=lambda g: (g.item.index_no != ref, g.item.kind != "policy", g.item.index_no))
    return found[0] if found else None


def _interpretations(facts: Facts) -> Iterator[ItemFacts]:
    return (f for f in facts.scoped() if f.item.kind == "interpretation")


def check_interpretation_target(facts: Facts) -> Iterator[Finding]:
    """An interpretation names the policy it explains, and that policy is in the hub."""
    for f in _interpretations(facts):
        if not f.item.interprets:
            yield finding("interpretation-target", BROKEN, "未写明所解读的政策文件", f)
            continue
        policy = policy_of(f, facts)
        if policy is None:
            yield finding("interpretation-target", BROKEN,
                           f"所解读的政策 {f.item.interprets} 未在本平台发布", f)
        else:
            yield finding("interpretation-target", MET,
                           f"解读 {policy.item.index_no}《{policy.item.title}》", f)


def check_interpretation_sync(facts: Facts) -> Iterator[Finding]:
    """Interpretation and policy published together: within 3 working days of each other."""
    tol = INTERPRETATION_TOLERANCE_DAYS
    for f in _interpretations(facts):
        policy = policy_of(f, facts)
        if policy is None:
            continue  # reported by interpretation-target
        mine, theirs = f.first_any(), policy.first_any()
        if mine is None:
            yield finding("interpretation-sync", UNKNOWN, "解读尚未发布", f)
            continue
        me = day_of(mine[1])
        if theirs is None:
            status = BROKEN if day_of(facts.now) > add_working_days(me, tol) else UNKNOWN
            yield finding("interpretation-sync", status,
                           f"解读 {me} 已发布，所解读的政策 {policy.item.index_no} 尚未发布", f,
                           actual=mine[1].isoformat())
            continue
        pol = day_of(theirs[1])
        together = me <= add_working_days(pol, tol) and pol <= add_working_days(me, tol)
        text = f"政策 {pol} 发布，解读 {me} 发布"
        if not together:
            text += f"，相隔超过{tol}个工作日（应同步发布）"
        yield finding("interpretation-sync", MET if together else BROKEN, text, f,
                       due=add_working_days(pol, tol).isoformat(), actual=mine[1].isoformat())


def check_interpretation_links(facts: Facts) -> Iterator[Finding]:
    """Portal pages link both ways: policy and interpretation published on the same portal."""
    for f in _interpretations(facts):
        policy = policy_of(f, facts)
        if policy is None:
            continue
        portals = sorted(
            {c for c in f.first_published if facts.plugin(c) == "portal"}
            | {c for c in policy.first_published if facts.plugin(c) == "portal"}
        )
        if not portals:
            yield finding("interpretation-links", BROKEN,
                           f"解读与政策 {policy.item.index_no} 均未在政府网站发布，无法互相链接", f)
        for channel in portals:
            missing = [name for name, g in (("解读", f), ("政策", policy))
                       if channel not in g.first_published]
            if missing:
                yield finding("interpretation-links", BROKEN,
                               f"{'、'.join(missing)}未在该网站发布，页面无法互相链接", f,
                               channel=channel)
            else:
                yield finding("interpretation-links", MET,
                               f"与政策 {policy.item.index_no} 在该网站互相链接", f,
                               channel=channel)
