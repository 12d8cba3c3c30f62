"""The 双公示 data standard (second edition): its columns, their values, and reading a record.

DESIGN §5.5 names the columns. The second edition identifies the party by six code columns
(``行政相对人代码_1`` … ``_6``) and names the legal representative's document
(``法定代表人证件类型``, ``法定代表人证件号码``); the first edition's ``统一社会信用代码`` is the
old name of ``行政相对人代码_1`` and is still read.

A normalized record (:func:`heze_hub.items.credit_record.parse_credit_record`) keeps the name of
the party's USCC that the item wrote, so an unchanged first-edition file keeps its content hash
and is not published again as a new version. Everything that leaves the hub goes through
:func:`wire_record`, which writes the second edition's names, and through a channel's column map
(:func:`map_columns`) where a provincial template names columns differently.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from heze_hub.items.masking import mask_personal_data

RECORD_TYPES = ("license", "penalty")

#: The party's six code columns; _1 is the 统一社会信用代码 (DESIGN §5.5).
PARTY_CODES: tuple[str, ...] = tuple(f"行政相对人代码_{i}" for i in range(1, 7))
PARTY_USCC = PARTY_CODES[0]
PARTY_CODE_NAMES = dict(zip(PARTY_CODES, (
    "统一社会信用代码", "工商注册号", "组织机构代码", "税务登记号", "事业单位证书号",
    "社会组织登记证号",
), strict=True))
ORG_CODE = PARTY_CODES[2]
#: First-edition names still read, and the second-edition column each stands for.
OLD_NAMES = {"统一社会信用代码": PARTY_USCC}
REP_ID_TYPE, REP_ID_NUMBER = "法定代表人证件类型", "法定代表人证件号码"
#: The columns the second edition added: on the wire always, empty where not applicable.
SECOND_EDITION = (*PARTY_CODES, REP_ID_TYPE, REP_ID_NUMBER)

_PARTY = ("行政相对人名称", "行政相对人类别", *PARTY_CODES, "法定代表人", REP_ID_TYPE,
          REP_ID_NUMBER, "证件类型", "证件号码")
#: Standard field order of DESIGN §5.5 — the wire keys and the CSV columns.
LICENSE_FIELDS: tuple[str, ...] = (
    *_PARTY, "行政许可决定文书名称", "行政许可决定文书号", "许可类别", "许可证书名称", "许可编号",
    "许可内容", "许可决定日期", "有效期自", "有效期至", "许可机关", "许可机关统一社会信用代码",
    "当前状态", "数据来源单位", "数据来源单位统一社会信用代码", "备注",
)
PENALTY_FIELDS: tuple[str, ...] = (
    *_PARTY, "行政处罚决定书文号", "违法行为类型", "违法事实", "处罚依据", "处罚类别", "处罚内容",
    "罚款金额（万元）", "没收违法所得、没收非法财物的金额（万元）", "暂扣或吊销证照名称及编号",
    "处罚决定日期", "处罚有效期", "公示截止期", "处罚机关", "处罚机关统一社会信用代码",
    "数据来源单位", "数据来源单位统一社会信用代码", "备注",
)
FIELDS: dict[str, tuple[str, ...]] = {"license": LICENSE_FIELDS, "penalty": PENALTY_FIELDS}
ALL_FIELDS = frozenset(LICENSE_FIELDS) | frozenset(PENALTY_FIELDS)

DECISION_NUMBER_FIELD = {"license": "行政许可决定文书号", "penalty": "行政处罚决定书文号"}
DECISION_DATE_FIELD = {"license": "许可决定日期", "penalty": "处罚决定日期"}

_COMMON_REQUIRED = (
    "行政相对人名称", "行政相对人类别", "数据来源单位", "数据来源单位统一社会信用代码",
)
REQUIRED: dict[str, tuple[str, ...]] = {
    "license": (
        *_COMMON_REQUIRED, "行政许可决定文书名称", "行政许可决定文书号", "许可类别", "许可内容",
        "许可决定日期", "有效期自", "有效期至", "许可机关", "许可机关统一社会信用代码", "当前状态",
    ),
    "penalty": (
        *_COMMON_REQUIRED, "行政处罚决定书文号", "违法行为类型", "违法事实", "处罚依据", "处罚类别",
        "处罚内容", "处罚决定日期", "处罚有效期", "处罚机关", "处罚机关统一社会信用代码",
    ),
}

SUBJECT_TYPES = ("法人及非法人组织", "自然人", "个体工商户")
ORGANISATIONS = ("法人及非法人组织", "个体工商户")
LICENSE_CATEGORIES = ("普通", "特许", "认可", "核准", "登记", "其他")
#: 行政处罚法 (2021) art. 9, in the wording of the 双公示 standard.
PENALTY_CATEGORIES = (
    "警告", "罚款", "没收违法所得", "没收非法财物", "责令停产停业", "暂扣或者吊销许可证",
    "暂扣或者吊销执照", "行政拘留", "通报批评", "降低资质等级", "限制开展生产经营活动", "责令关闭",
    "限制从业", "其他",
)
LICENSE_STATES = ("有效", "无效")
ID_TYPES = (
    "身份证", "护照", "港澳居民来往内地通行证", "台湾居民来往大陆通行证", "港澳台居民居住证",
    "外国人永久居留身份证", "其他",
)
ID_TYPE_ALIASES = {"居民身份证": "身份证"}
#: Document types whose numbers are 18-character GB 11643 numbers with a check character.
GB11643_ID_TYPES = ("身份证", "港澳台居民居住证")
#: Document numbers of natural persons: full on the credit platform, masked in public.
ID_NUMBER_FIELDS = ("证件号码", REP_ID_NUMBER)

FINE_FIELD = "罚款金额（万元）"
CONFISCATION_FIELD = "没收违法所得、没收非法财物的金额（万元）"
AMOUNT_FIELDS = (FINE_FIELD, CONFISCATION_FIELD)
DATE_FIELDS = {
    "license": ("许可决定日期", "有效期自", "有效期至"),
    "penalty": ("处罚决定日期", "处罚有效期", "公示截止期"),
}
USCC_FIELDS = {
    "license": (PARTY_USCC, "许可机关统一社会信用代码", "数据来源单位统一社会信用代码"),
    "penalty": (PARTY_USCC, "处罚机关统一社会信用代码", "数据来源单位统一社会信用代码"),
}
LONG_TERM = "2099-12-31"


def amount_json(amount: Decimal) -> int | float:
    """An exact amount as a JSON number: ``int`` when whole, else the equal ``float``."""
    if amount == amount.to_integral_value():
        return int(amount)
    return float(amount)


def format_amount(value: int | float) -> str:
    """An amount of a normalized record in plain decimal notation (``20``, ``0.00005``)."""
    text = format(Decimal(repr(value)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


# -- reading a normalized record --------------------------------------------------------------
def record_type(record: Mapping[str, Any]) -> str:
    """``license`` or ``penalty``."""
    return record["type"]


def record_decision_number(record: Mapping[str, Any]) -> str:
    """The decision's document number (行政许可决定文书号 / 行政处罚决定书文号)."""
    return record[DECISION_NUMBER_FIELD[record["type"]]]


def record_decision_date(record: Mapping[str, Any]) -> date:
    """The decision date (许可决定日期 / 处罚决定日期), from which the 7-working-day limit runs."""
    return date.fromisoformat(record[DECISION_DATE_FIELD[record["type"]]])


def second_edition(record: Mapping[str, Any]) -> dict[str, Any]:
    """The record under the second edition's names (``统一社会信用代码`` → ``行政相对人代码_1``).

    Records stored by earlier releases, and records whose item wrote the old name, read the same.
    """
    return {OLD_NAMES.get(k, k): v for k, v in record.items()}


def wire_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """The record as the credit platform receives it (DESIGN §5.5).

    Standard keys of the second edition in the standard order, without ``type``; the six code
    columns and the legal representative's document are always present (``""`` where not
    applicable), other optional fields only when filled.
    """
    current = second_edition(record)
    return {
        name: current.get(name, "")
        for name in FIELDS[record["type"]]
        if name in current or name in SECOND_EDITION
    }


def map_columns(wire: Mapping[str, Any], columns: Mapping[str, str]) -> dict[str, Any]:
    """``wire`` with its keys renamed by a channel's column map (standard name → template name)."""
    return {columns.get(k, k): v for k, v in wire.items()}


def column_map_problems(columns: Mapping[str, str]) -> list[str]:
    """Why a column map (standard name → a provincial template's name) cannot be used, in Chinese.

    Keys are standard names of either record type; names are non-empty; no two columns may end up
    with one name, whether both are renamed to it or one keeps it as its standard name.
    """
    problems = []
    for standard, name in columns.items():
        if standard not in ALL_FIELDS:
            hint = "（旧名，请写行政相对人代码_1）" if standard in OLD_NAMES else ""
            problems.append(f"“{standard}”不是双公示标准字段名{hint}")
        if not isinstance(name, str) or not name.strip():
            problems.append(f"“{standard}”映射到的列名不能为空")
    for rtype, fields in FIELDS.items():
        seen: dict[str, str] = {}
        for standard in fields:
            name = columns.get(standard, standard)
            if name in seen:
                label = "行政许可" if rtype == "license" else "行政处罚"
                problems.append(f"{label}记录中“{seen[name]}”和“{standard}”都映射为列名“{name}”")
            seen[name] = standard
    return list(dict.fromkeys(problems))


def mask_id_number(number: str) -> str:
    """Mask a document number for public display.

    An 18-character number keeps its first 6 and last 4 characters (``371702********123X``); a
    shorter one (a passport, a permit) keeps its first and last 2, and one of 4 or fewer
    characters is masked whole.
    """
    if len(number) == 18:
        return f"{number[:6]}{'*' * 8}{number[-4:]}"
    if len(number) <= 4:
        return "*" * len(number)
    return f"{number[:2]}{'*' * (len(number) - 4)}{number[-2:]}"


def public_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """The record as any public rendering (portal, feeds, WeChat, Weibo) may show it.

    证件号码 and 法定代表人证件号码 are masked whatever the subject type; the USCCs (organisations'
    codes are public by law) are shown as they are; every other text value goes through the hub's
    personal-data masking, so an ID or mobile number written into 违法事实, 备注 or a 税务登记号
    (an individual's can be an ID number) is masked too. Keys stay as the record has them.
    """
    codes = {*USCC_FIELDS[record["type"]], *OLD_NAMES}
    public: dict[str, Any] = {}
    for key, value in record.items():
        if key in ID_NUMBER_FIELDS:
            public[key] = mask_id_number(value)
        elif isinstance(value, str) and key != "type" and key not in codes:
            public[key] = mask_personal_data(value)
        else:
            public[key] = value
    return public
