"""Text cleanup, canonical document numbers (DESIGN §3) and shortening, table-driven."""

from __future__ import annotations

import pytest

from heze_hub.items.text import (
    CLAUSE_ENDS,
    SENTENCE_ENDS,
    canonical_doc_number,
    canonical_reference,
    clean_text,
    first_unclosed,
    last_boundary,
    outside_urls,
    safe_cut,
    shorten,
)

DOC_NUMBERS = [
    # the forms named in DESIGN §3
    ("国办发 2018 23 号", "国办发〔2018〕23号"),
    ("国办发[2018]23号", "国办发〔2018〕23号"),
    ("国办发（2018）23号", "国办发〔2018〕23号"),
    ("国办发(2018)23号", "国办发〔2018〕23号"),
    ("国办发〔2018〕23号", "国办发〔2018〕23号"),
    ("国办发【2018】23号", "国办发〔2018〕23号"),
    ("国办发［2018］23号", "国办发〔2018〕23号"),
    ("国办发〔 2018 〕23号", "国办发〔2018〕23号"),
    ("国办发〔２０１８〕２３号", "国办发〔2018〕23号"),
    ("\u3000国办发\u200b〔2018〕23号 ", "国办发〔2018〕23号"),
    ("国办发〔2018〕第23号", "国办发〔2018〕23号"),
    ("国办发〔2018〕023号", "国办发〔2018〕23号"),
    ("国办发〔2018〕23", "国办发〔2018〕23号"),
    # examples/items
    ("菏扶贫办字[2018]9号", "菏扶贫办字〔2018〕9号"),
    ("菏政发 2018 15 号", "菏政发〔2018〕15号"),
    ("菏环罚字〔2018〕27号", "菏环罚字〔2018〕27号"),
    # the seed (菏泽市政务公开工作推进方案) verbatim
    ("国办发 2018 23 号", "国办发〔2018〕23号"),
    ("鲁政办发 2018 21号", "鲁政办发〔2018〕21号"),
    ("国办发 2017 94 号", "国办发〔2017〕94号"),
    ("国办发 201797 号", "国办发〔2017〕97号"),  # year and serial run together
    ("国办发 2018 10 号", "国办发〔2018〕10号"),
    # the bounds
    ("某发〔1949〕1号", "某发〔1949〕1号"),
    ("某发〔2100〕1号", "某发〔2100〕1号"),
]


@pytest.mark.parametrize(("raw", "expected"), DOC_NUMBERS)
def test_canonical_doc_number(raw: str, expected: str) -> None:
    assert canonical_doc_number(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), DOC_NUMBERS)
def test_canonical_doc_number_is_idempotent(raw: str, expected: str) -> None:
    assert canonical_doc_number(canonical_doc_number(raw)) == expected


BAD_DOC_NUMBERS = [
    ("", "文号为空"),
    ("   ", "文号为空"),
    ("国办发", "无法识别的文号格式"),
    ("2018 23号", "无法识别的文号格式"),  # no issuing-organ code
    ("国办发2018号", "无法识别的文号格式"),  # no serial
    ("国办发〔2018〕23号文", "无法识别的文号格式"),
    ("国办发〔2018〕号", "无法识别的文号格式"),
    ("国办发〔18〕23号", "无法识别的文号格式"),
    ("国办发〔2018〕23号〔2019〕", "无法识别的文号格式"),
    ("Gov〔2018〕23号", "无法识别的文号格式"),
    ("国办发〔1948〕23号", "1949–2100"),
    ("国办发〔2101〕23号", "1949–2100"),
    ("国办发〔2018〕0号", "序号不能为 0"),
]


@pytest.mark.parametrize(("raw", "message"), BAD_DOC_NUMBERS)
def test_canonical_doc_number_rejects(raw: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        canonical_doc_number(raw)


def test_doc_number_error_names_the_input_and_the_expected_form() -> None:
    with pytest.raises(ValueError) as err:
        canonical_doc_number("国办发二〇一八年二十三号")
    assert "国办发二〇一八年二十三号" in str(err.value)
    assert "机关代字〔年份〕序号号" in str(err.value)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("MB2858123/2018-00015", "MB2858123/2018-00015"),
        (" 11371700004234573C/2018-00001 ", "11371700004234573C/2018-00001"),
        ("菏政发〔2018〕15号", "菏政发〔2018〕15号"),
        ("菏政发 2018 15 号", "菏政发〔2018〕15号"),
    ],
)
def test_canonical_reference(raw: str, expected: str) -> None:
    assert canonical_reference(raw) == expected


@pytest.mark.parametrize("raw", ["", "MB2858123/2018-15", "乡村振兴规划", "MB2858123"])
def test_canonical_reference_rejects(raw: str) -> None:
    with pytest.raises(ValueError, match="无法识别的被解读文件"):
        canonical_reference(raw)


CLEAN = [
    # whitespace, control and zero-width characters
    ("  关于印发\t方案的\n通知  ", "关于印发方案的通知"),
    ("\u3000\u3000关于印发方案的通知\u3000", "关于印发方案的通知"),
    ("关于\u200b印发\u200d方案\ufeff的通知", "关于印发方案的通知"),
    ("关于\x00印发\x07方案\x1b的通知\x7f", "关于印发方案的通知"),
    ("关于\u00a0印发方案", "关于印发方案"),
    # stray spaces between Chinese characters, and between Chinese and numbers
    ("市 政府 关于", "市政府关于"),
    ("不得少于 10 天", "不得少于10天"),
    ("2018 年 7 月", "2018年7月"),
    ("市 政 府", "市政府"),
    # Latin words keep their spaces; numbers are unchanged
    ("关于 PPP 项目的通知", "关于 PPP 项目的通知"),
    ("PM2.5 月均浓度", "PM2.5月均浓度"),  # a number touching Chinese: no space
    ("优良率60.0%", "优良率60.0%"),
    ("1 000 元", "1 000元"),  # the digits themselves are untouched
    # ASCII punctuation in Chinese text
    ("公开,促进", "公开，促进"),
    ("公开;促进", "公开；促进"),
    ("时间:2018年", "时间：2018年"),
    ("共计320,其中", "共计320，其中"),
    ("是否公开?", "是否公开？"),
    ("规划(2018-2022年)", "规划（2018-2022年）"),
    ("山东省乡村振兴战略规划( 2018-2022年)推进落实情况公开 ,深入解读",
     "山东省乡村振兴战略规划（2018-2022年）推进落实情况公开，深入解读"),
    ("全面推进决策公开 (以下统称“五公开” ),实现", "全面推进决策公开（以下统称“五公开”），实现"),
    ("合作( PPP)专题", "合作（PPP）专题"),
    # ASCII punctuation that is not in Chinese text stays
    ("16:30", "16:30"),
    ("第1,2项", "第1,2项"),
    ("Hello, world (test)", "Hello, world (test)"),
    # doubled punctuation
    ("公开，，促进", "公开，促进"),
    ("公开。。", "公开。"),
    ("公开，。", "公开。"),
    ("公开,,促进", "公开，促进"),
    ("公开、、促进", "公开、促进"),
    ("加强公开……", "加强公开……"),  # an ellipsis is not doubled punctuation
    ("乡村振兴——规划", "乡村振兴——规划"),
    # document numbers inside a title
    ("关于印发2018年政务公开工作要点的通知(国办发 2018 23 号)",
     "关于印发2018年政务公开工作要点的通知（国办发〔2018〕23号）"),
    ("关于转发国办发[2018]23号文件的通知", "关于转发国办发〔2018〕23号文件的通知"),
    ("行政处罚决定书（菏环罚字〔2018〕27号）", "行政处罚决定书（菏环罚字〔2018〕27号）"),
    # full-width digits and letters
    ("２０１８年ＰＰＰ项目", "2018年PPP项目"),
    # URLs are left alone
    ("详见 https://www.heze.gov.cn/a,b:c(1) 说明", "详见 https://www.heze.gov.cn/a,b:c(1) 说明"),
    ("详见www.heze.gov.cn/x?a=1,2", "详见www.heze.gov.cn/x?a=1,2"),
    ("", ""),
]


@pytest.mark.parametrize(("raw", "expected"), CLEAN)
def test_clean_text(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), CLEAN)
def test_clean_text_is_idempotent(raw: str, expected: str) -> None:
    assert clean_text(clean_text(raw)) == expected


def test_clean_text_on_example_titles_is_unchanged() -> None:
    titles = [
        "关于2018年度市级财政专项扶贫资金项目计划安排情况的公告",
        "菏泽市人民政府关于印发菏泽市乡村振兴战略规划（2018—2022年）的通知",
        "《菏泽市乡村振兴战略规划（2018—2022年）》政策解读",
        "菏泽市环境保护局行政处罚决定书（菏环罚字〔2018〕27号）",
        "公布2018年度市级财政专项扶贫资金分配结果和项目计划安排，公示期10天，接受社会监督。",
    ]
    for t in titles:
        assert clean_text(t) == t


# -- shortening --------------------------------------------------------------------------------

SHORTEN = [
    ("短标题", 32, "短标题"),
    ("一二三四五", 5, "一二三四五"),  # exactly the limit: unchanged
    # a sentence end wins over a later clause end, if it keeps 60% of the room
    ("一二三四五六七。八九十，一二三四五六七八九十", 14, "一二三四五六七…"),
    ("一二三四五六七八九十，一二三四五六七八九十。一二三四五六七八九十", 25,
     "一二三四五六七八九十，一二三四五六七八九十…"),
    # a clause end when there is no sentence end
    ("一二三四五六七八，九十一二三四五六七八九十", 12, "一二三四五六七八…"),
    # a boundary too early is not taken: the cut falls between two characters
    ("一二。三四五六七八九十一二三四五六七八九十", 10, "一二。三四五六七八…"),
    ("关于2018年度菏泽市财政预算执行情况", 8, "关于2018年…"),
    ("关于2018年度菏泽市财政预算执行情况", 5, "关于…"),  # no number cut in two
    ("Annualreportontheopeningofgovernmentinformation", 10, "Annualrep…"),  # one word: cut it
    ("菏泽市人民政府关于印发菏泽市乡村振兴战略规划（2018—2022年）的通知", 32,
     "菏泽市人民政府关于印发菏泽市乡村振兴战略规划…"),  # no bracket left open
    ("e\u0301e\u0301e\u0301e\u0301", 4, "e\u0301…"),  # no combining mark cut off
    ("一二三👩\u200d💻四五六七八九", 6, "一二三…"),  # no joined emoji split
]


@pytest.mark.parametrize(("text", "limit", "expected"), SHORTEN)
def test_shorten(text: str, limit: int, expected: str) -> None:
    assert shorten(text, limit) == expected
    assert len(shorten(text, limit)) <= limit


def test_shorten_with_a_width_and_another_ellipsis() -> None:
    def width(char: str) -> int:  # Weibo-like: ASCII half, anything else whole
        return 1 if char.isascii() else 2

    text = "关于ABC公司2018年度信用报告的公示"
    short = shorten(text, 20, width=width)
    assert short == "关于ABC公司2018年…"
    assert sum(map(width, short)) <= 20
    assert shorten(text, 100, width=width) == text
    assert shorten("一二三四五六七八九十", 6, "...") == "一二三..."


def test_shorten_never_leaves_trailing_punctuation_before_the_ellipsis() -> None:
    for limit in range(3, 30):
        short = shorten("甲乙丙，丁戊己；庚辛壬。“癸子丑”（寅卯辰）", limit)
        assert short[-2] not in SENTENCE_ENDS + CLAUSE_ENDS + "（“", short


def test_cut_helpers() -> None:
    assert safe_cut("abc def", 2) == 2  # the word is all there is: cut it
    assert safe_cut("关于abc", 4) == 2
    assert safe_cut("关于e\u0301x", 3) == 2
    assert last_boundary("甲，乙。丙", 5, SENTENCE_ENDS) == 4
    assert last_boundary("甲，乙。丙", 5, CLAUSE_ENDS) == 2
    assert last_boundary("甲，乙。丙", 5, CLAUSE_ENDS, floor=2) is None
    assert first_unclosed("甲（乙）《丙") == 4
    assert first_unclosed("甲（乙《丙》") == 1
    assert first_unclosed("甲（乙）") is None


@pytest.mark.parametrize(
    ("text", "urls"),
    [
        ("网址：www.heze.gov.cn联系电话：13805301234", ["www.heze.gov.cn"]),
        ("见https://x.gov.cn/a?id=1，或", ["https://x.gov.cn/a?id=1"]),
        ("[网站](https://x.gov.cn)联系", ["https://x.gov.cn)"]),
    ],
)
def test_a_url_ends_where_chinese_text_begins(text: str, urls: list[str]) -> None:
    seen: list[str] = []
    outside_urls(text, lambda s: s, lambda u: seen.append(u) or u)
    assert seen == urls
