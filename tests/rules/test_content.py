"""The content rules of DESIGN §4 (proposal replies, information not to be published), on
hand-made facts (no store)."""

from __future__ import annotations

from datetime import date

from heze_hub.rules.content import check_not_proactive, check_proposal_reply, proposal_problems
from heze_hub.rules.facts import BROKEN, MET, Facts
from tests.rules.yeardata import NOW, facts_item, make_item, statuses


def test_proposal_problems_name_the_kind_of_line_only() -> None:
    text = "张某某代表：\n答复如下。\n联系人：王某\n抄送：市政府办公室"
    problems = proposal_problems(text)
    assert problems == ["代表委员姓名（称呼行）", "联系方式（联系人）", "抄送范围"]
    assert "王某" not in "".join(problems)
    assert proposal_problems("代表：\n答复如下，请拨打电话12345咨询。\n菏泽市水利局") == []


def test_proposal_reply_rechecks_every_published_version() -> None:
    f = facts_item("答复", kind="proposal_reply", body_text="代表：\n答复如下。",
                   published={"portal": "2018-06-20"})
    leaked = make_item(f.item.index_no, 1, "答复", date(2018, 6, 20), kind="proposal_reply",
                       body_text="代表：\n答复如下。\n抄送：市人大")
    fixed = f.item.model_copy(update={"version": 2})
    f.versions, f.item, f.published_versions = {1: leaked, 2: fixed}, fixed, {1, 2}
    findings = list(check_proposal_reply(Facts(2018, NOW, [f])))
    assert [(x.status, x.detail.split("版")[0]) for x in findings] == [(BROKEN, "第 1 ")]


def test_not_proactive_items() -> None:
    withheld = facts_item(disclosure="withheld", published={"portal": "2018-06-01"})
    on_request = facts_item(disclosure="on_request")
    assert statuses(check_not_proactive, withheld, on_request) == [BROKEN, MET]
    assert statuses(check_not_proactive) == [MET]
