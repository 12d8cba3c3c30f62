"""Personal-data masking, redaction and proposal replies (DESIGN §3, §4), table-driven."""

from __future__ import annotations

import pytest

from heze_hub.items.masking import (
    REDACTION,
    find_personal_data,
    id_check_char,
    is_valid_id_number,
    luhn_ok,
    mask_personal_data,
    redact,
    redact_proposal_reply,
)
from tests.support import EXAMPLES


def _example_body(name: str) -> str:
    path = EXAMPLES / name
    if not path.exists():
        raise FileNotFoundError(path)  # the examples ship with the repository
    return path.read_text(encoding="utf-8").split("+++", 2)[2]


# --- the identifiers themselves -----------------------------------------------------------------
def test_example_numbers_check_digits() -> None:
    # 08-dibao-list.md: a valid ID number (check digit 0 is right) -> masked.
    assert id_check_char("37170219800512301") == "0"
    assert is_valid_id_number("371702198005123010")
    # 06-license-construction.md: the 许可编号 is ID-shaped but its check digit would be 2.
    assert id_check_char("37170120180521010") == "2"
    assert not is_valid_id_number("371701201805210101")
    # DESIGN §5.5's valid example, both cases of X.
    assert is_valid_id_number("11010519491231002X")
    assert is_valid_id_number("11010519491231002x")


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("11010519491231002X", True),
        ("110105194912310021", False),  # wrong check digit
        ("110105194913310027", False),  # month 13
        ("110105189912310028", False),  # born before 1900
        ("990105194912310028", False),  # no such province
        ("11010519491231002", False),  # 17 digits
    ],
)
def test_is_valid_id_number(number: str, valid: bool) -> None:
    assert is_valid_id_number(number) is valid


@pytest.mark.parametrize(
    ("digits", "ok"),
    [("6222600260001072444", True), ("6222600260001072445", False), ("4111111111111111", True)],
)
def test_luhn(digits: str, ok: bool) -> None:
    assert luhn_ok(digits) is ok


MASK = [
    # 18-digit ID numbers: first 6 and last 4 kept
    ("身份证号371702198005123010。", "身份证号371702********3010。"),
    ("11010519491231002X", "110105********002X"),
    ("11010519491231002x", "110105********002X"),
    ("证件号码：11010519491231002X，", "证件号码：110105********002X，"),
    # 18-digit codes that are not valid ID numbers stay (licence numbers, wrong check digits)
    ("许可编号371701201805210101", "许可编号371701201805210101"),
    ("110105194912310021", "110105194912310021"),
    ("统一社会信用代码91371700MA3C4K2P7T", "统一社会信用代码91371700MA3C4K2P7T"),
    ("A11010519491231002X", "A11010519491231002X"),  # part of a longer code
    ("1110105194912310028", "1110105194912310028"),  # 19 digits, fails Luhn too
    # 15-digit legacy ID numbers: first 6 and last 3 kept
    ("旧证370702800512301", "旧证370702******301"),
    ("370702801312301", "370702801312301"),  # month 13: not an ID
    # mobile numbers
    ("联系电话13805301234，", "联系电话138****1234，"),
    ("手机：15905305678", "手机：159****5678"),
    ("+86 138 0530 1234", "+86 138****1234"),
    ("+8613805301234", "+86138****1234"),
    ("86-13805301234", "86-138****1234"),
    ("0086 13805301234", "0086 138****1234"),
    ("138-0530-1234", "138****1234"),
    ("138 0530 1234", "138****1234"),
    ("tel:13805301234", "tel:138****1234"),
    ("电话13805301234和13912345678", "电话138****1234和139****5678"),
    # not mobile numbers
    ("12805301234", "12805301234"),  # 12x is no mobile prefix
    ("138053012345", "138053012345"),  # 12 digits
    ("订单号2138053012345", "订单号2138053012345"),
    ("监督举报电话：0530-5311234", "监督举报电话：0530-5311234"),
    ("（0530）5311234", "（0530）5311234"),
    ("咨询电话：0530-5621234。", "咨询电话：0530-5621234。"),
    ("拨打12331投诉举报", "拨打12331投诉举报"),
    ("12345政务服务热线", "12345政务服务热线"),
    # bank account numbers (Luhn): first 4 and last 4, grouping kept
    ("账号6222600260001072444", "账号6222***********2444"),
    ("账号 6222 6002 6000 1072 444", "账号 6222 **** **** ***2 444"),
    ("卡号4111111111111111", "卡号4111********1111"),
    ("账号6222600260001072445", "账号6222600260001072445"),  # fails Luhn
    # dates, amounts, years and document numbers are left alone
    ("2018年7月5日，金额1290元", "2018年7月5日，金额1290元"),
    ("菏环罚字〔2018〕27号", "菏环罚字〔2018〕27号"),
    ("20180705", "20180705"),
    # URLs are never changed (decision documented in masking.py)
    (
        "https://www.heze.gov.cn/art/13805301234.html?id=371702198005123010 电话13912345678",
        "https://www.heze.gov.cn/art/13805301234.html?id=371702198005123010 电话139****5678",
    ),
    ("见 www.heze.gov.cn/13805301234 。", "见 www.heze.gov.cn/13805301234 。"),
    ("", ""),
]

# Every form a keyboard or an editor produces (DESIGN §3): masked as the plain number would be.
MASK_WRITTEN_FORMS = [
    ("电话１３８０５３０１２３４。", "电话138****1234。"),  # full-width, as an input method types
    ("身份证３７１７０２１９８００５１２３０１０", "身份证371702********3010"),
    # a wrong check character makes it no ID number (a licence number, say): left alone
    ("编号３７１７０２１９８００５１２３０１Ｘ", "编号３７１７０２１９８００５１２３０１Ｘ"),
    ("号码&#49;&#51;&#56;&#48;&#53;&#51;&#48;&#49;&#50;&#51;&#52;", "号码138****1234"),
    ("号码&#x31;&#x33;&#x38;&#x30;&#x35;&#x33;&#x30;&#x31;&#x32;&#x33;&#x34;", "号码138****1234"),
    ("身份证 371702 19800512 3010", "身份证 371702********3010"),
    ("身份证371702-19800512-3010", "身份证371702********3010"),
    ("身份证3717 0219 8005 1230 10。", "身份证371702********3010。"),
    ("电话138**0530**1234", "电话138****1234"),
    ("电话 138<b>0530</b>1234", "电话 138****1234"),
    ("电话1\u200b3\u200b8\u200b0\u200b5\u200b3\u200b0\u200b1\u200b2\u200b3\u200b4",
     "电话138****1234"),
    ("电话138\u30000530\u30001234", "电话138****1234"),
    ("电话１３８－０５３０－１２３４", "电话138****1234"),
    ("电话：138\n0530\n1234", "电话：138****1234"),  # an editor wrapped the line
    ("手机１３８０５３０１２３４ １３９０５３０１２３４", "手机138****1234 139****1234"),
    ("电话０５３０ １３８０５３０１２３４", "电话０５３０ 138****1234"),
    ("\U0001d7cf\U0001d7d1\U0001d7d6\U0001d7ce\U0001d7d3\U0001d7d1\U0001d7ce\U0001d7cf"
     "\U0001d7d0\U0001d7d1\U0001d7d2", "138****1234"),  # mathematical bold digits
    ("¹³⁸⁰⁵³⁰¹²³⁴", "138****1234"),
    ("①③⑧⓪⑤③⓪①②③④", "138****1234"),
    ("١٣٨٠٥٣٠١٢٣٤", "138****1234"),  # Arabic-Indic digits
    ("138.0530.1234", "138****1234"),
    ("网址：www.heze.gov.cn联系电话：１３８０５３０１２３４",
     "网址：www.heze.gov.cn联系电话：138****1234"),  # the URL ends where Chinese begins
    # what stays: numbers that are not personal data, however they are written
    ("总额 13 805 301 234 元", "总额 13 805 301 234 元"),  # an amount grouped by thousands
    ("2018.06.01 至 2019.06.01", "2018.06.01 至 2019.06.01"),
    ("２０１８年１３项", "２０１８年１３项"),
    ("许可编号３７１７０１２０１８０５２１０１０１",) * 2,
    ("监督电话０５３０－５３１１２３４", "监督电话０５３０－５３１１２３４"),
    ("第 2018 号 13 项 8053 元 1234 户", "第 2018 号 13 项 8053 元 1234 户"),
    ("已遮蔽：138****1234 5678", "已遮蔽：138****1234 5678"),
]


@pytest.mark.parametrize(("raw", "expected"), MASK_WRITTEN_FORMS)
def test_mask_every_written_form(raw: str, expected: str) -> None:
    assert mask_personal_data(raw) == expected
    assert mask_personal_data(expected) == expected


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("电话13805301234", ["138****1234"]),
        ("身份证３７１７０２１９８００５１２３０１０", ["371702********3010"]),
        ("身份证&#51;&#55;1702198005123010，电话138 0530 1234",
         ["371702********3010", "138****1234"]),
        ("已遮蔽：138****1234、371702********3010", []),
        ("许可编号371701201805210101", []),  # ID-shaped, wrong check character: a licence number
        ("https://weibo.example/13805301234", []),  # an id in a URL may look like a mobile
        ("https://x.gov.cn/a?sfz=371702198005123010", ["371702********3010"]),  # never an ID
        ("订单号2138053012345", []),
    ],
)
def test_find_personal_data(text: str, found: list[str]) -> None:
    assert find_personal_data(text) == found


@pytest.mark.parametrize(("raw", "expected"), MASK)
def test_mask_personal_data(raw: str, expected: str) -> None:
    assert mask_personal_data(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), MASK)
def test_mask_is_idempotent(raw: str, expected: str) -> None:
    assert mask_personal_data(mask_personal_data(raw)) == expected


def test_mask_dibao_example() -> None:
    body = _example_body("08-dibao-list.md")
    masked = mask_personal_data(body)
    assert "371702198005123010" not in masked
    assert "13805301234" not in masked
    assert "371702********3010" in masked
    assert "138****1234" in masked
    assert "0530-5319876" in masked  # the supervision number is public
    assert "| 刘某 | 3 | 牡丹街道办事处三里庄社区 | 1290 |" in masked  # the table is intact


def test_mask_leaves_license_example_alone() -> None:
    body = _example_body("06-license-construction.md")
    raw = (EXAMPLES / "06-license-construction.md").read_text(encoding="utf-8")
    assert mask_personal_data(body) == body
    assert mask_personal_data(raw) == raw  # the front matter's 许可编号 too


@pytest.mark.parametrize(
    "name",
    ["01-poverty-fund-announcement.md", "02-rural-revitalization-policy.md",
     "04-food-recall.md", "09-air-quality-monthly.md", "10-school-enrollment.md"],
)
def test_examples_without_personal_data_are_unchanged(name: str) -> None:
    body = _example_body(name)
    assert mask_personal_data(body) == body


# --- redact ------------------------------------------------------------------------------------
REDACT = [
    ("张某某代表：", ["张某某"], f"{REDACTION}代表："),
    # longest first: never "×××某"
    ("张某某和张某", ["张某", "张某某"], f"{REDACTION}和{REDACTION}"),
    ("张 某 某同志", ["张某某"], f"{REDACTION}同志"),
    ("张某某", ["", "  ", "张某某"], REDACTION),
    ("无关文字", ["张某某"], "无关文字"),
    ("a.b*c", ["a.b*c"], REDACTION),  # strings are literal, not patterns
    ("正文", [], "正文"),
]


@pytest.mark.parametrize(("text", "strings", "expected"), REDACT)
def test_redact(text: str, strings: list[str], expected: str) -> None:
    assert redact(text, strings) == expected


# --- proposal replies -------------------------------------------------------------------------
def test_proposal_reply_example() -> None:
    body = _example_body("07-proposal-reply.md")
    public = redact(redact_proposal_reply(body), ["张某某"])
    assert "张某某" not in public
    assert "抄送" not in public and "人事代表工作室" not in public
    assert "联系单位及电话" not in public and "0530-5310000" not in public
    assert public.lstrip().startswith("代表：")
    for kept in (
        "您提出的《关于加强农村饮水安全工程管护的建议》收悉，现答复如下：",
        "一、关于建立长效管护机制。",
        "二、关于水质检测。",
        "感谢您对全市水利工作的关心和支持。",
        "菏泽市水利局\n2018年6月20日",
    ):
        assert kept in public


def test_proposal_reply_without_redact_list_still_drops_salutation_name() -> None:
    body = _example_body("07-proposal-reply.md")
    assert "张某某" not in redact_proposal_reply(body)


SALUTATIONS = [
    ("张某某代表：", "代表："),
    ("李四委员：", "委员："),
    ("张某某、李四代表：", "代表："),
    ("张某某，李四代表：", "代表："),
    ("张某某等代表：", "代表："),
    ("张某某代表:", "代表:"),
    ("尊敬的张某某代表：", "尊敬的代表："),
    ("**张某某代表：**", "**代表：**"),
    ("王五委员们：", "委员们："),
    ("各位代表：", "各位代表："),  # no name
    ("现答复如下：", "现答复如下："),
    ("您提出的建议收悉。", "您提出的建议收悉。"),
]


@pytest.mark.parametrize(("line", "expected"), SALUTATIONS)
def test_proposal_salutation(line: str, expected: str) -> None:
    assert redact_proposal_reply(line) == expected


CONTACT_LINES = [
    "联系人：王某",
    "联系电话：0530-5310000",
    "联系单位及电话：市水利局农村水利科 0530-5310000",
    "电话：0530-5310000",
    "手机：13805301234",
    "邮箱：a@b.cn",
    "电子邮箱: a@b.cn",
    "地址：菏泽市中华路1号",
    "- 联系人：王某",
    "**联系人**：王某",
]


@pytest.mark.parametrize("line", CONTACT_LINES)
def test_proposal_contact_lines_removed(line: str) -> None:
    text = f"正文。\n\n{line}\n\n结尾。"
    assert redact_proposal_reply(text) == "正文。\n\n结尾。"


def test_proposal_distribution_paragraph_removed_with_continuation() -> None:
    text = (
        "感谢您的关心。\n\n菏泽市水利局\n2018年6月20日\n\n"
        "抄送：市人大常委会人事代表工作室，\n市政府办公室，市政协提案委员会\n\n"
        "菏泽市水利局办公室  2018年6月20日印发\n"
    )
    assert redact_proposal_reply(text) == (
        "感谢您的关心。\n\n菏泽市水利局\n2018年6月20日\n\n"
        "菏泽市水利局办公室  2018年6月20日印发\n"
    )


@pytest.mark.parametrize("label", ["抄送：", "抄送:", "抄 送：", "抄报："])
def test_proposal_distribution_labels(label: str) -> None:
    assert redact_proposal_reply(f"正文。\n\n{label}市政府办公室") == "正文。"


def test_proposal_reply_keeps_sentences_mentioning_contact_words() -> None:
    text = "我局将通过电话、邮箱等方式加强联系。\n\n地址变更工作已完成。"
    assert redact_proposal_reply(text) == text
