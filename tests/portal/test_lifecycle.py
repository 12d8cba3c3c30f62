"""The portal's lifecycle marks and the withdrawal notice (DESIGN §12)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from heze_hub.portal.lifecycle import lifecycle_notes, render_withdrawn_page
from heze_hub.portal.published import PublishedSet
from tests.rules.yeardata import make_item

OLD = make_item("371700/2018-00001", 1, "菏泽市城市管理办法", date(2018, 3, 1), kind="policy")
NEW = make_item("371700/2019-00001", 1, "菏泽市城市管理办法（修订）", date(2019, 1, 2),
                kind="policy", repeals=("371700/2018-00001",))


def test_a_repealed_item_links_its_successor_and_is_re_rendered() -> None:
    [note] = lifecycle_notes(OLD, [OLD, NEW])
    assert "已废止" in note and "2019-00001.html" in note and NEW.title in note
    published = PublishedSet(lambda _rebuild: [OLD], lambda _items, _dirty: None)
    published.add(NEW)
    # Each is the other's partner: the repealed page is re-rendered with its link.
    assert [p.index_no for p in published.partners(NEW)] == [OLD.index_no]
    assert [p.index_no for p in published.partners(OLD)] == [NEW.index_no]
    # Withdrawn: out of the set at once, before the store knows.
    published.withdraw(NEW.index_no, 1)
    assert published.partners(OLD) == [] and published.get(NEW.index_no) is None


def test_validity_and_correction_notes() -> None:
    lapsed = OLD.model_copy(update={"valid_until": date(2019, 6, 30)})
    assert any("已失效" in n and "2019-06-30" in n for n in lifecycle_notes(lapsed, []))
    valid = OLD.model_copy(update={"valid_until": date(2099, 1, 1)})
    assert lifecycle_notes(valid, []) == ['<p class="standing">有效期至 2099-01-01</p>']
    corrected = OLD.model_copy(update={"version": 2, "correction": "更正<第三条>"})
    [note] = lifecycle_notes(corrected, [])
    assert "更正说明" in note and "2018-03-01" in note and "&lt;第三条&gt;" in note


def test_the_notice_says_when_and_why_and_shows_no_content() -> None:
    when = datetime(2026, 11, 30, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    html = render_withdrawn_page(OLD, "经复议撤销<原决定>", when)
    assert "本信息已于2026-11-30撤回" in html and "&lt;原决定&gt;" in html
    assert OLD.index_no in html and "正文" not in html and 'content="noindex"' in html
