"""双公示 record validation, normalization and the public form (second edition, DESIGN §5.5)."""

from __future__ import annotations

import json
import tomllib
from datetime import date, datetime
from typing import Any

import pytest

from heze_hub.errors import InputError
from heze_hub.items.credit_fields import (
    LICENSE_FIELDS,
    PENALTY_FIELDS,
    SECOND_EDITION,
    format_amount,
    mask_id_number,
    public_record,
    record_decision_date,
    record_decision_number,
    wire_record,
)
from heze_hub.items.credit_record import parse_credit_record
from heze_hub.items.identifiers import id_check_char
from tests.support import DATA, EXAMPLES

TODAY = date(2018, 9, 1)

SAMPLES = json.loads((DATA / "credit_records.json").read_text("utf-8"))
PENALTY: dict[str, Any] = SAMPLES["penalty"]
# TOML gives dates as date objects; the licence sample uses them, the penalty sample strings.
LICENSE: dict[str, Any] = {
    k: date.fromisoformat(v) if k in ("许可决定日期", "有效期自", "有效期至") else v
    for k, v in SAMPLES["license"].items()
}
PERSON: dict[str, Any] = SAMPLES["person"]
FINE = "罚款金额（万元）"
PERSON_ID = "11010519491231002X"  # DESIGN §5.5; its X tests upper-casing


def parse(base: dict[str, Any], kind: str | None = None, **changes: Any) -> dict[str, Any]:
    raw = {k: v for k, v in {**base, **changes}.items() if v is not None}
    return parse_credit_record(raw, kind=kind or raw.get("type", "penalty"), today=TODAY)


def problem(base: dict[str, Any], kind: str | None = None, **changes: Any) -> InputError:
    with pytest.raises(InputError) as info:
        parse(base, kind, **changes)
    return info.value


# -- the examples ------------------------------------------------------------------------------
def test_example_05_penalty_parses() -> None:
    raw = json.loads((EXAMPLES / "05-penalty-environment.json").read_text("utf-8"))
    record = parse_credit_record(raw["credit"], kind=raw["kind"])
    assert record["type"] == "penalty"
    assert record["罚款金额（万元）"] == 20
    assert record_decision_number(record) == "菏环罚字〔2018〕27号"
    assert record_decision_date(record) == date(2018, 8, 6)


def test_example_06_license_parses_with_toml_dates() -> None:
    text = (EXAMPLES / "06-license-construction.md").read_text("utf-8")
    front = tomllib.loads(text.split("+++")[1])
    record = parse_credit_record(front["credit"], kind=front["kind"])
    assert record["许可决定日期"] == "2018-05-21"
    assert record["有效期至"] == "2019-05-20"
    assert record_decision_number(record) == "菏建许〔2018〕112号"
    assert record_decision_date(record) == date(2018, 5, 21)


def test_normalized_record_keeps_type_first_and_the_standard_order() -> None:
    shuffled = dict(reversed(list(PENALTY.items())))
    record = parse(shuffled)
    keys = list(record)
    assert keys[0] == "type"
    assert keys[1:] == [f for f in PENALTY_FIELDS if f in record]
    # The wire adds the second edition's empty columns, in their places.
    assert [k for k in wire_record(record) if k in record] == keys[1:]
    assert json.loads(json.dumps(record, ensure_ascii=False)) == record  # plain JSON


def test_text_is_stripped_codes_upper_cased_empty_optional_fields_dropped() -> None:
    record = parse(PENALTY, 违法事实="  检查发现问题。 \n", 行政相对人代码_1="91371700ma3c4k2p7t",
                   备注="   ")
    assert record["违法事实"] == "检查发现问题。"
    assert record["行政相对人代码_1"] == "91371700MA3C4K2P7T"
    assert "备注" not in record


# -- type and kind -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "kind", "fragment"),
    [
        ({**PENALTY, "type": "sanction"}, "penalty", "credit.type：应为 license"),
        ({k: v for k, v in PENALTY.items() if k != "type"}, "penalty", "credit.type"),
        (PENALTY, "license", "记录类型 penalty 与事项体裁 kind = 'license' 不一致"),
        (LICENSE, "notice", "与事项体裁 kind = 'notice' 不一致"),
    ],
)
def test_type_must_match_kind(raw: dict[str, Any], kind: str, fragment: str) -> None:
    with pytest.raises(InputError) as info:
        parse_credit_record(raw, kind=kind, today=TODAY)
    assert fragment in str(info.value)
    assert info.value.field == "credit.type"


def test_record_must_be_a_table() -> None:
    with pytest.raises(InputError) as info:
        parse_credit_record(["penalty"], kind="penalty")  # type: ignore[arg-type]
    assert info.value.field == "credit"


# -- table of single-rule violations -------------------------------------------------------------
CASES: list[tuple[str, dict[str, Any], dict[str, Any], str, str]] = [
    # (id, base, changes, field, message fragment)
    ("uscc check", PENALTY, {"行政相对人代码_1": "91371700MA3C4K2P7U"}, "行政相对人代码_1",
     "校验位错误：应为 T"),
    ("uscc check, old name", PENALTY,
     {"行政相对人代码_1": None, "统一社会信用代码": "91371700MA3C4K2P7U"}, "统一社会信用代码",
     "校验位错误：应为 T"),
    # Right GB 32100 check character, wrong GB 11714 one: the examples' codes before issue 11.
    ("uscc embedded organisation code", PENALTY, {"行政相对人代码_1": "91371700MA3C4K2P18"},
     "行政相对人代码_1", "第17位（内含组织机构代码的校验码，GB 11714）错误"),
    ("authority uscc", PENALTY, {"处罚机关统一社会信用代码": "11371700004234576N"},
     "处罚机关统一社会信用代码", "校验位错误：应为 M"),
    ("authority uscc embedded organisation code", PENALTY,
     {"处罚机关统一社会信用代码": "11371700004234573C"}, "处罚机关统一社会信用代码",
     "“00423457”的校验码应为 6"),
    ("source uscc", LICENSE, {"数据来源单位统一社会信用代码": "12371700MB2858123"},
     "数据来源单位统一社会信用代码", "应为18位"),
    ("uscc letter I", LICENSE, {"行政相对人代码_1": "91371702MA3F8R6I22"}, "行政相对人代码_1",
     "不允许的字符“I”"),
    ("both names of code _1", PENALTY, {"统一社会信用代码": "91371700MA3C4K2P7T"},
     "统一社会信用代码", "是行政相对人代码_1的旧名（第一版标准），二者只能填写一个"),
    ("organisation code check", PENALTY, {"行政相对人代码_3": "MA3C4K2P-8"}, "行政相对人代码_3",
     "校验码错误：应为 7（GB 11714）"),
    ("organisation code length", PENALTY, {"行政相对人代码_1": None, "行政相对人代码_3": "MA3C4K2"},
     "行政相对人代码_3", "应为9位"),
    ("organisation code not the uscc's", PENALTY, {"行政相对人代码_3": "600037341"},
     "行政相对人代码_3", "与统一社会信用代码第9至17位“MA3C4K2P7”不一致"),
    ("registration number with a space", PENALTY, {"行政相对人代码_2": "371700 228012345"},
     "行政相对人代码_2", "工商注册号不应含有空白字符"),
    ("missing name", PENALTY, {"行政相对人名称": None}, "行政相对人名称", "必填字段缺失"),
    ("missing decision no", PENALTY, {"行政处罚决定书文号": None}, "行政处罚决定书文号",
     "必填字段缺失"),
    ("missing source", LICENSE, {"数据来源单位": None}, "数据来源单位", "必填字段缺失"),
    ("empty string is missing", LICENSE, {"许可机关": "  "}, "许可机关", "必填字段缺失"),
    ("missing license category", LICENSE, {"许可类别": None}, "许可类别", "必填字段缺失"),
    ("missing penalty category", PENALTY, {"处罚类别": None}, "处罚类别", "必填字段缺失"),
    ("missing 有效期至", LICENSE, {"有效期至": None}, "有效期至", "必填字段缺失"),
    ("missing 处罚有效期", PENALTY, {"处罚有效期": None}, "处罚有效期", "必填字段缺失"),
    ("org without uscc", PENALTY, {"行政相对人代码_1": None}, "行政相对人代码_1",
     "行政相对人为法人及非法人组织时必填（统一社会信用代码；没有统一社会信用代码时填写"
     "行政相对人代码_2至_6之一）"),
    ("org without representative", LICENSE, {"法定代表人": None}, "法定代表人",
     "行政相对人为法人及非法人组织时必填"),
    ("个体工商户 without uscc", PENALTY,
     {"行政相对人类别": "个体工商户", "行政相对人代码_1": None}, "行政相对人代码_1",
     "行政相对人为个体工商户时必填"),
    ("person with uscc", PENALTY, {**PERSON, "行政相对人代码_1": "91371700MA3C4K2P7T"},
     "行政相对人代码_1", "行政相对人为自然人时不应填写"),
    ("person with uscc, old name", PENALTY, {**PERSON, "统一社会信用代码": "91371700MA3C4K2P7T"},
     "统一社会信用代码", "行政相对人为自然人时不应填写"),
    ("person with a tax number", PENALTY, {**PERSON, "行政相对人代码_4": "371702198005123010"},
     "行政相对人代码_4", "行政相对人为自然人时不应填写"),
    ("person with a representative's id", PENALTY,
     {**PERSON, "法定代表人证件类型": "身份证", "法定代表人证件号码": PERSON_ID},
     "法定代表人证件类型", "行政相对人为自然人时不应填写"),
    ("representative id type without number", LICENSE, {"法定代表人证件类型": "身份证"},
     "法定代表人证件号码", "法定代表人证件类型与法定代表人证件号码应同时填写"),
    ("representative id number without type", LICENSE, {"法定代表人证件号码": PERSON_ID},
     "法定代表人证件类型", "应同时填写"),
    ("representative id check", LICENSE,
     {"法定代表人证件类型": "身份证", "法定代表人证件号码": PERSON_ID[:17] + "5"},
     "法定代表人证件号码", f"校验位错误：应为 {PERSON_ID[17]}（身份证号码，GB 11643）"),
    ("representative id type", LICENSE,
     {"法定代表人证件类型": "工作证", "法定代表人证件号码": "A123"}, "法定代表人证件类型",
     "“工作证”不是允许的值"),
    ("person without id", PENALTY, {**PERSON, "证件号码": None}, "证件号码",
     "行政相对人为自然人时必填"),
    ("person without id type", LICENSE, {**PERSON, "证件类型": None}, "证件类型",
     "行政相对人为自然人时必填"),
    ("person id check", PENALTY, {**PERSON, "证件号码": PERSON_ID[:17] + "5"}, "证件号码",
     f"校验位错误：应为 {PERSON_ID[17]}"),
    ("person id date", PENALTY,
     {**PERSON, "证件号码": "37170219800532301" + id_check_char("37170219800532301")},
     "证件号码", "出生日期"),
    ("unknown id type", PENALTY, {**PERSON, "证件类型": "驾驶证"}, "证件类型", "不是允许的值"),
    ("id type without number", PENALTY, {"证件类型": "身份证"}, "证件号码", "应同时填写"),
    ("subject type", PENALTY, {"行政相对人类别": "法人"}, "行政相对人类别",
     "应为：法人及非法人组织 / 自然人 / 个体工商户"),
    ("license category", LICENSE, {"许可类别": "一般"}, "许可类别", "“一般”不是允许的值"),
    ("license state", LICENSE, {"当前状态": "正常"}, "当前状态", "应为：有效 / 无效"),
    ("penalty category", PENALTY, {"处罚类别": "罚款、吊销"}, "处罚类别", "“吊销”不是允许的值"),
    ("fine missing", PENALTY, {FINE: None}, FINE, "处罚类别含罚款时必填"),
    ("fine zero", PENALTY, {FINE: 0}, FINE, "应大于0"),
    ("fine without 罚款", PENALTY, {"处罚类别": "警告"}, FINE, "处罚类别不含“罚款”"),
    ("confiscation missing", PENALTY, {"处罚类别": "罚款;没收违法所得"},
     "没收违法所得、没收非法财物的金额（万元）", "必填"),
    ("revoked without licence", PENALTY, {"处罚类别": "罚款、暂扣或者吊销许可证"},
     "暂扣或吊销证照名称及编号", "必填"),
    ("negative amount", PENALTY, {FINE: -1}, FINE, "不能为负数"),
    ("seven decimals", PENALTY, {FINE: "0.0000001"}, FINE, "最多6位小数"),
    ("amount not a number", PENALTY, {FINE: "二十"}, FINE, "应为金额"),
    ("amount bool", PENALTY, {FINE: True}, FINE, "应为金额"),
    ("amount nan", PENALTY, {FINE: "NaN"}, FINE, "有限"),
    ("amount huge", PENALTY, {FINE: 1e9}, FINE, "过大"),
    ("date not real", PENALTY, {"处罚决定日期": "2018-02-30"}, "处罚决定日期", "不是有效日期"),
    ("date format", PENALTY, {"处罚决定日期": "2018/08/06"}, "处罚决定日期", "应为日期 YYYY-MM-DD"),
    ("date compact", PENALTY, {"处罚决定日期": "20180806"}, "处罚决定日期", "应为日期 YYYY-MM-DD"),
    ("date number", PENALTY, {"处罚决定日期": 20180806}, "处罚决定日期", "应为日期 YYYY-MM-DD"),
    ("datetime", LICENSE, {"有效期自": datetime(2018, 5, 21, 9)},
     "有效期自", "不带时刻"),
    ("text as number", LICENSE, {"许可编号": 371701201805210101}, "许可编号", "应为文本"),
    ("decision in future", PENALTY, {"处罚决定日期": "2018-09-02"},
     "处罚决定日期", "晚于今天 2018-09-01"),
    ("validity before decision", LICENSE, {"有效期自": date(2018, 5, 20)}, "有效期自",
     "有效期自 2018-05-20 早于许可决定日期 2018-05-21"),
    ("validity reversed", LICENSE, {"有效期至": date(2018, 5, 20), "有效期自": date(2018, 5, 21)},
     "有效期至", "早于有效期自"),
    ("posting end before decision", PENALTY, {"公示截止期": "2018-08-05"}, "公示截止期",
     "公示截止期 2018-08-05 早于处罚决定日期 2018-08-06"),
    ("penalty validity before decision", PENALTY, {"处罚有效期": "2018-08-01"}, "处罚有效期",
     "早于处罚决定日期"),
    ("license field in penalty", PENALTY, {"许可类别": "普通"}, "许可类别",
     "不是行政处罚记录的标准字段"),
    ("half-width parentheses", PENALTY, {"罚款金额(万元)": 20}, "罚款金额(万元)",
     "是否应为“罚款金额（万元）”？"),
    ("unknown key", LICENSE, {"联系电话": "13853001234"}, "联系电话", "不是行政许可记录的标准字段"),
]


@pytest.mark.parametrize(("base", "changes", "field", "fragment"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule_violations_name_field_and_rule(
    base: dict[str, Any], changes: dict[str, Any], field: str, fragment: str
) -> None:
    error = problem(base, **changes)
    lines = str(error).splitlines()
    assert any(line.startswith(f"credit.{field}：") and fragment in line for line in lines), lines
    assert error.field == f"credit.{field}"  # the only problem, or the first in field order


def test_all_problems_are_reported_in_field_order() -> None:
    error = problem(PENALTY, 行政相对人代码_1="91371700MA3C4K2P7U", 处罚决定日期="2018-13-01",
                    备用="x", 违法事实=None, 法定代表人证件号码=PERSON_ID)
    fields = [line.split("：", 1)[0] for line in str(error).splitlines()]
    assert fields == ["credit.备用", "credit.行政相对人代码_1", "credit.法定代表人证件类型",
                      "credit.违法事实", "credit.处罚决定日期"]
    assert error.field == "credit.备用"


def test_a_problem_of_the_old_name_sits_in_the_place_of_code_1() -> None:
    error = problem(PENALTY, 行政相对人代码_1=None, 统一社会信用代码="91371700MA3C4K2P7U",
                    行政相对人名称=None, 备用="x", 违法事实=None)
    fields = [line.split("：", 1)[0] for line in str(error).splitlines()]
    assert fields == ["credit.备用", "credit.行政相对人名称", "credit.统一社会信用代码",
                      "credit.违法事实"]


# -- what passes --------------------------------------------------------------------------------
def test_natural_person_record() -> None:
    record = parse(PENALTY, **{**PERSON, "证件号码": PERSON_ID.lower()})
    assert record["证件号码"] == PERSON_ID
    assert "行政相对人代码_1" not in record and "统一社会信用代码" not in record


# -- second edition: the party's codes and the representative's document -------------------------
def test_first_edition_name_is_read_as_code_1_and_kept_as_written() -> None:
    old = parse(PENALTY, 行政相对人代码_1=None, 统一社会信用代码="91371700ma3c4k2p7t")
    new = parse(PENALTY)
    # Same record under the name the item wrote: an unchanged old file keeps its content hash.
    assert old["统一社会信用代码"] == new["行政相对人代码_1"] == "91371700MA3C4K2P7T"
    assert "行政相对人代码_1" not in old
    assert list(old) == [("统一社会信用代码" if k == "行政相对人代码_1" else k) for k in new]
    # On the wire both are the second edition's record.
    assert wire_record(old) == wire_record(new)
    assert wire_record(old)["行政相对人代码_1"] == "91371700MA3C4K2P7T"


def test_an_empty_old_name_beside_code_1_is_not_both() -> None:
    record = parse(PENALTY, 统一社会信用代码="")
    assert record["行政相对人代码_1"] == "91371700MA3C4K2P7T" and "统一社会信用代码" not in record


@pytest.mark.parametrize("subject", ["法人及非法人组织", "个体工商户"])
@pytest.mark.parametrize(("code", "value"), [
    ("行政相对人代码_2", "371700228012345"), ("行政相对人代码_3", "MA3C4K2P-7"),
    ("行政相对人代码_4", "91371700ma3c4k2p7t"), ("行政相对人代码_5", "137170000123"),
    ("行政相对人代码_6", "51371700MJE123456X"),
])
def test_another_party_code_stands_in_for_the_uscc(subject: str, code: str, value: str) -> None:
    record = parse(PENALTY, 行政相对人类别=subject, 行政相对人代码_1=None, **{code: value})
    assert "行政相对人代码_1" not in record
    assert record[code] == value.upper().replace("-", "") if code.endswith("_3") \
        else record[code] == value.upper()
    wire = wire_record(record)
    assert wire["行政相对人代码_1"] == "" and wire[code] == record[code]


def test_organisation_code_beside_its_uscc_and_the_representatives_document() -> None:
    record = parse(LICENSE, 行政相对人代码_1="91110000600037341L", 行政相对人代码_3="60003734-1",
                   法定代表人证件类型="居民身份证", 法定代表人证件号码=PERSON_ID.lower())
    assert record["行政相对人代码_3"] == "600037341"
    assert (record["法定代表人证件类型"], record["法定代表人证件号码"]) == ("身份证", PERSON_ID)
    keys = list(record)[1:]
    assert keys == [f for f in LICENSE_FIELDS if f in record]


def test_wire_record_carries_the_second_edition_columns_empty_where_not_applicable() -> None:
    record = parse(PENALTY)
    wire = wire_record(record)
    assert list(wire) == [f for f in PENALTY_FIELDS if f in record or f in SECOND_EDITION]
    assert [wire[c] for c in SECOND_EDITION] == ["91371700MA3C4K2P7T"] + [""] * 7
    assert "type" not in wire and "统一社会信用代码" not in wire


def test_居民身份证_is_normalized_to_身份证() -> None:
    assert parse(LICENSE, **{**PERSON, "证件类型": "居民身份证"})["证件类型"] == "身份证"


def test_passport_numbers_are_not_checked_as_id_numbers() -> None:
    record = parse(LICENSE, **{**PERSON, "证件类型": "护照", "证件号码": "E12345678"})
    assert record["证件号码"] == "E12345678"


def test_organisation_may_give_its_representative_id() -> None:
    record = parse(PENALTY, 证件类型="身份证", 证件号码=PERSON_ID)
    assert record["证件号码"] == PERSON_ID


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("罚款", "罚款"),
        ("警告、罚款", "警告;罚款"),
        ("警告;罚款", "警告;罚款"),
        ("警告；罚款、罚款", "警告;罚款"),
        ("罚款、 责令停产停业", "罚款;责令停产停业"),
    ],
)
def test_penalty_categories_joined(given: str, expected: str) -> None:
    assert parse(PENALTY, 处罚类别=given)["处罚类别"] == expected


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (20, 20),
        (20.0, 20),
        ("20.50", 20.5),
        (0.1, 0.1),
        ("0.000001", 0.000001),
        (123456789.123456, 123456789.123456),
        ("12.345678", 12.345678),
    ],
)
def test_amounts_are_exact_json_numbers(given: Any, expected: int | float) -> None:
    value = parse(PENALTY, **{FINE: given})[FINE]
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize(
    ("value", "text"),
    [(20, "20"), (20.5, "20.5"), (0.000001, "0.000001"), (0.00005, "0.00005"),
     (123456789.123456, "123456789.123456"), (1e-06, "0.000001")],
)
def test_format_amount_plain_decimal(value: int | float, text: str) -> None:
    assert format_amount(value) == text


def test_long_term_validity() -> None:
    assert parse(LICENSE, 有效期至="长期")["有效期至"] == "2099-12-31"
    assert parse(LICENSE, 有效期至="2099-12-31")["有效期至"] == "2099-12-31"


def test_confiscation_zero_is_allowed_for_confiscated_goods() -> None:
    record = parse(PENALTY, 处罚类别="罚款、没收非法财物",
                   **{"没收违法所得、没收非法财物的金额（万元）": 0})
    assert record["没收违法所得、没收非法财物的金额（万元）"] == 0


def test_decision_today_is_allowed() -> None:
    record = parse(PENALTY, 处罚决定日期="2018-09-01")
    assert record["处罚决定日期"] == "2018-09-01"


def test_license_with_every_field() -> None:
    full = {**LICENSE, "许可证书名称": "建筑工程施工许可证", "许可编号": "371701201805210101",
            "备注": "无", "行政相对人代码_2": "371700228012345", "行政相对人代码_3": "MA3F8R6Q4",
            "行政相对人代码_4": "91371702MA3F8R6Q48", "行政相对人代码_5": "-",
            "行政相对人代码_6": "-", "法定代表人证件类型": "护照", "法定代表人证件号码": "E1234567"}
    record = parse(full)
    assert list(record)[1:] == [f for f in LICENSE_FIELDS if f != "证件类型" and f != "证件号码"]


# -- public form ------------------------------------------------------------------------------
def test_public_record_masks_the_representatives_id_number() -> None:
    record = parse(PENALTY, 法定代表人证件类型="身份证", 法定代表人证件号码=PERSON_ID,
                   行政相对人代码_4="371702198005123010")  # an individual's tax number: an ID
    public = public_record(record)
    assert public["法定代表人证件号码"] == PERSON_ID[:6] + "********" + PERSON_ID[-4:]
    assert public["行政相对人代码_4"] == "371702********3010"
    assert public["行政相对人代码_1"] == record["行政相对人代码_1"]  # organisations' codes: public
    assert PERSON_ID not in json.dumps(public, ensure_ascii=False)
    assert record["法定代表人证件号码"] == PERSON_ID


def test_public_record_masks_the_id_number_and_phone_numbers() -> None:
    record = parse(PENALTY, **PERSON, 备注="联系电话 13853001234，身份证 " + PERSON_ID)
    public = public_record(record)
    assert public["证件号码"] == PERSON_ID[:6] + "********" + PERSON_ID[-4:]
    assert "13853001234" not in public["备注"] and "138****1234" in public["备注"]
    assert PERSON_ID not in json.dumps(public, ensure_ascii=False)
    assert record["证件号码"] == PERSON_ID  # the full record is not touched


def test_public_record_keeps_codes_numbers_and_dates() -> None:
    record = parse(LICENSE, 许可编号="371701201805210101")
    public = public_record(record)
    assert public == record


@pytest.mark.parametrize(
    ("number", "masked"),
    [("37170219800512301X", "371702********301X"), ("E12345678", "E1*****78"), ("1234", "****")],
)
def test_mask_id_number(number: str, masked: str) -> None:
    assert mask_id_number(number) == masked
