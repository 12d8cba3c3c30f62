"""The portal's draft sections (DESIGN §5.6): comment period and address on a draft's page, and
the links draft ↔ decision ↔ comment summary, including which pages change together."""

from __future__ import annotations

from datetime import date

from heze_hub.portal.drafts import comment_address_html, partners, sections
from tests.rules.yeardata import make_item

DRAFT = make_item("371700/2018-00001", 1, "停车管理办法（征求意见稿）", date(2018, 4, 2),
                  kind="draft", comment_until=date(2018, 5, 10),
                  comment_address="tingche@heze.gov.cn")
DECISION = make_item("371700/2018-00002", 1, "停车管理办法", date(2018, 6, 1), kind="policy",
                     major=True, draft_of=DRAFT.index_no)
SUMMARY = make_item("371700/2018-00003", 1, "意见采纳情况", date(2018, 5, 20),
                    kind="comment_summary", draft_of=DRAFT.index_no)
KNOWN = [DRAFT, DECISION, SUMMARY]


def link(item) -> str:
    return f"<a>{item.index_no}</a>"


def test_draft_page_shows_period_address_and_both_followers() -> None:
    html = "".join(sections(DRAFT, KNOWN, link))
    assert "征求意见期：2018-04-02 至 2018-05-10（38天）" in html
    assert '<a href="mailto:tingche@heze.gov.cn">' in html
    assert "最终决策" in html and DECISION.index_no in html
    assert "意见收集和采纳情况" in html and SUMMARY.index_no in html


def test_decision_and_summary_link_back_and_to_each_other() -> None:
    decision = "".join(sections(DECISION, KNOWN, link))
    assert "征求意见稿" in decision and DRAFT.index_no in decision and SUMMARY.index_no in decision
    summary = "".join(sections(SUMMARY, KNOWN, link))
    assert DRAFT.index_no in summary and DECISION.index_no in summary


def test_unknown_draft_is_named_not_linked() -> None:
    html = "".join(sections(DECISION, [DECISION], link))
    assert "（尚未在本网站发布）" in html and "<a>" not in html


def test_pages_that_change_together() -> None:
    assert partners(SUMMARY, KNOWN) == {DRAFT.index_no, DECISION.index_no}
    assert partners(DRAFT, KNOWN) == {DECISION.index_no, SUMMARY.index_no}
    other = make_item("371700/2018-00009", 1, "通知", date(2018, 1, 1))
    assert partners(other, KNOWN) == set() and sections(other, KNOWN, link) == []


def test_comment_address_forms() -> None:
    assert comment_address_html("https://yj.heze.gov.cn/a?b=1&c=2").startswith(
        '<a href="https://yj.heze.gov.cn/a?b=1&amp;c=2"')
    assert comment_address_html("菏泽市中华路1号<市城管局>") == "菏泽市中华路1号&lt;市城管局&gt;"
