"""The rule catalogue: :data:`RULES` reads like the table in DESIGN §4, one check function per
row, plus the delivery-state check that closes the table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from heze_hub.rules.content import check_not_proactive, check_poverty_posting, check_proposal_reply
from heze_hub.rules.deadlines import (
    check_credit_deadline,
    check_proactive_deadline,
    check_recall,
    check_school_enrollment,
)
from heze_hub.rules.facts import BROKEN, MET, UNKNOWN, Facts, Finding, finding
from heze_hub.rules.interpretation import (
    check_interpretation_links,
    check_interpretation_sync,
    check_interpretation_target,
)
from heze_hub.rules.outlets import (
    check_board_posting,
    check_comment_period,
    check_comment_summary,
    check_major_draft,
)
from heze_hub.rules.series import check_monthly_series, check_quarterly_series


def check_deliveries(facts: Facts) -> Iterator[Finding]:
    """Every channel an item was routed to carries its latest version: nothing still failed,
    unconfirmed or unfinished."""
    for f in facts.scoped():
        for channel, (version, status, error) in sorted(f.deliveries.items()):
            if status == "skipped":
                continue
            where = f"第 {version} 版"
            if status == "published":
                yield finding("delivery", MET, f"{where}已发布", f, channel=channel)
            elif status in ("failed", "unconfirmed"):
                label = "发布失败" if status == "failed" else "待确认（可能未送达）"
                reason = f"：{error}" if error else ""
                yield finding("delivery", BROKEN,
                               f"{where}{label}{reason}；用 hub retry 处理", f, channel=channel)
            else:
                yield finding("delivery", UNKNOWN,
                               f"{where}投递尚未完成（{status}）；用 hub retry 继续", f,
                               channel=channel)


@dataclass(frozen=True)
class Rule:
    """One row of DESIGN §4."""

    id: str
    name: str
    applies_to: str
    requirement: str
    source: str
    check: Callable[[Facts], Iterable[Finding]]


RULES: list[Rule] = [
    Rule("proactive-deadline", "主动公开时限", "全部主动公开信息",
         "成文之日起20个工作日内公开", "政府信息公开条例第二十六条", check_proactive_deadline),
    Rule("credit-deadline", "双公示时限", "行政许可、行政处罚记录",
         "作出决定之日起7个工作日内在信用平台公示", "发改电〔2015〕557号", check_credit_deadline),
    Rule("recall-24h", "召回决定", "召回决定（recall）",
         "决定作出后24小时内在政府网站公开", "推进方案·食品药品安全", check_recall),
    Rule("poverty-posting", "扶贫资金公告公示期", "精准扶贫公告公示",
         "公示期不少于10天", "推进方案·精准脱贫", check_poverty_posting),
    Rule("school-enrollment", "义务教育招生", "义务教育招生信息",
         "每年7月底前公开", "推进方案·教育", check_school_enrollment),
    Rule("monthly-series", "按月公开", "空气质量、饮用水水源、财政收支、市属企业经济效益",
         "每个自然月一条", "推进方案", check_monthly_series),
    Rule("quarterly-series", "按季度公开", "县区饮用水水源、住房公积金",
         "每季度一条", "推进方案", check_quarterly_series),
    Rule("interpretation-target", "解读对象", "政策解读",
         "写明所解读的政策，且该政策已在本平台发布", "推进方案·政策解读",
         check_interpretation_target),
    Rule("interpretation-sync", "解读同步发布", "政策解读",
         "与政策相隔不超过3个工作日", "推进方案·政策解读", check_interpretation_sync),
    Rule("interpretation-links", "解读双向链接", "政策解读",
         "政策与解读在政府网站同一站点发布、互相链接", "推进方案·政策解读",
         check_interpretation_links),
    Rule("proposal-reply", "建议提案复文", "建议提案办理复文",
         "全文公开，去除代表委员姓名、联系方式和抄送范围", "推进方案", check_proposal_reply),
    Rule("not-proactive", "不主动公开的信息", "依申请公开、不予公开",
         "不得发布", "政府信息公开条例", check_not_proactive),
    Rule("board-posting", "公开栏张贴", "张贴公开栏的公告公示",
         "发布后3个工作日内张贴并登记，张贴期不少于公示期", "推进方案·精准脱贫、社会救助",
         check_board_posting),
    Rule("comment-period", "征求意见期", "征求意见稿（draft）",
         "征求意见期不少于30天", "推进方案·重大行政决策预公开", check_comment_period),
    Rule("major-draft", "重大决策预公开", "重大行政决策（major = true）",
         "决策前公布征求意见稿，征求意见期满后作出决策", "推进方案·重大行政决策预公开",
         check_major_draft),
    Rule("comment-summary", "意见采纳情况", "征求意见稿（draft）",
         "征求意见截止后30天内公布意见收集、采纳情况和未采纳理由", "推进方案·重大行政决策预公开",
         check_comment_summary),
    Rule("delivery", "投递状态", "每条信息的每个渠道",
         "投递成功，无失败或待确认", "投递规则", check_deliveries),
]
RULES_BY_ID = {r.id: r for r in RULES}


def check_all(facts: Facts) -> list[Finding]:
    """Every rule's findings, in table order."""
    return [finding for rule in RULES for finding in rule.check(facts)]
