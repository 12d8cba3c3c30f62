"""An item's standing (DESIGN §12): 已废止, 已失效, its correction, and the 【更正】 post title;
and the item file's lifecycle fields."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from heze_hub.items.lifecycle import CORRECTION_MARK, post_title, repealed_by, standing
from heze_hub.items.load import load_item
from heze_hub.items.normalize import content_hash, normalize
from tests.items.item_files import FRONT, load_error, write_md
from tests.rules.yeardata import make_item

OLD = make_item("371700/2018-00001", 1, "菏泽市城市管理办法", date(2018, 3, 1), kind="policy")


def test_a_published_repeal_wins_over_validity() -> None:
    lapsed = OLD.model_copy(update={"valid_until": date(2019, 6, 30)})
    assert standing(lapsed, [], date(2019, 6, 30)).label is None  # the last valid day
    assert standing(lapsed, [], date(2019, 7, 1)).label == "已失效"
    new = make_item("371700/2019-00001", 1, "新办法", date(2019, 1, 2),
                    repeals=("371700/2018-00001",))
    later = make_item("371700/2019-00002", 1, "再新办法", date(2019, 2, 2),
                      repeals=("371700/2018-00001",))
    s = standing(lapsed, [later, new, OLD], date(2019, 7, 1))
    assert s.label == "已废止" and [r.index_no for r in s.repealed_by] == [
        "371700/2019-00001", "371700/2019-00002"]
    assert repealed_by(new, [new]) == []  # an item never repeals itself


def test_a_correction_is_dated_by_its_version_and_titles_the_post() -> None:
    corrected = OLD.model_copy(update={"version": 2, "correction": "更正第三条的日期"})
    s = standing(corrected, [])
    assert s.correction == "更正第三条的日期" and s.corrected_on == date(2018, 3, 1)
    assert post_title(corrected) == CORRECTION_MARK + OLD.title
    assert post_title(OLD) == OLD.title
    # A correction on a first version does not title a post (the core refuses it anyway).
    assert post_title(OLD.model_copy(update={"correction": "x"})) == OLD.title


def test_the_fields_load_and_check(tmp_path: Path) -> None:
    front = {**FRONT, "correction": '"更正说明"', "repeals": '["371700/2018-00001"]',
             "valid_until": "2020-12-31"}
    p = normalize(load_item(write_md(tmp_path, front)))
    assert p.content["correction"] == "更正说明"
    assert p.content["repeals"] == ("371700/2018-00001",)
    assert p.content["valid_until"] == date(2020, 12, 31)
    load_error(write_md(tmp_path, {**FRONT, "repeals": '["第3号"]'}, name="a.md"), "repeals")
    load_error(write_md(tmp_path, {**FRONT, "correction": '""'}, name="b.md"), "correction")
    load_error(write_md(tmp_path, {**FRONT, "valid_until": '"2020/12/31"'}, name="c.md"),
               "valid_until")


def test_absent_fields_leave_the_content_hash_as_it_was(tmp_path: Path) -> None:
    plain = normalize(load_item(write_md(tmp_path, FRONT)))
    without = {k: v for k, v in plain.content.items()
               if k not in ("correction", "repeals", "valid_until")}
    # The hash of an item without the new fields is what it was before they existed.
    assert plain.content_sha256 == content_hash(without)
    dated = normalize(load_item(write_md(tmp_path, {**FRONT, "valid_until": "2030-01-01"},
                                         name="v.md")))
    assert dated.content_sha256 != plain.content_sha256
