"""双公示 records: the schema, the checks made when an item file is loaded, the public form.

A record is the item file's ``credit`` table (DESIGN §2): ``type`` (``license`` or ``penalty``)
and the 双公示 standard field names of DESIGN §5.5 as keys. :func:`parse_credit_record` checks it
before anything is sent and returns the normalized record that the credit channel sends and the
CSV export writes:

- keys in the standard order, ``type`` first; absent or empty optional fields are left out;
- text stripped; identifiers upper-cased; 处罚类别 joined by ``;``;
- dates as ``YYYY-MM-DD`` strings (``有效期至`` may be written ``长期``: it becomes
  ``2099-12-31``, the standard's "long-term");
- amounts (万元) as JSON numbers — ``int`` when whole, else ``float``. They are exact: at most 6
  decimals and below 10^9 万元 means at most 15 significant digits, which a float's shortest
  ``repr`` gives back digit for digit. JSON numbers are what the platform's API asks for, and the
  record stays plain JSON for the item's content hash.

Which fields are required follows the 双公示 data standard (``REQUIRED``): the subject, the
decision (文书号, date, category, content), the deciding authority and the data source with their
USCCs; for a licence its validity and 当前状态; for a penalty the facts, the legal basis and
处罚有效期 (公示截止期 is optional). Some fields depend on others: an organisation or a 个体工商户
needs 统一社会信用代码 and 法定代表人; a natural person needs 证件类型 and 证件号码 and has neither
USCC nor 法定代表人; a 罚款 needs 罚款金额 (> 0), a 没收 its amount, a 暂扣/吊销 the 证照.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from heze_hub.errors import InputError
from heze_hub.items.identifiers import id_number_problem, uscc_problem
from heze_hub.items.masking import mask_personal_data

RECORD_TYPES = ("license", "penalty")

#: Standard field order of DESIGN §5.5 — the wire keys and the CSV columns.
LICENSE_FIELDS: tuple[str, ...] = (
    "行政相对人名称", "行政相对人类别", "统一社会信用代码", "法定代表人", "证件类型", "证件号码",
    "行政许可决定文书名称", "行政许可决定文书号", "许可类别", "许可证书名称", "许可编号",
    "许可内容", "许可决定日期", "有效期自", "有效期至", "许可机关", "许可机关统一社会信用代码",
    "当前状态", "数据来源单位", "数据来源单位统一社会信用代码", "备注",
)
PENALTY_FIELDS: tuple[str, ...] = (
    "行政相对人名称", "行政相对人类别", "统一社会信用代码", "法定代表人", "证件类型", "证件号码",
    "行政处罚决定书文号", "违法行为类型", "违法事实", "处罚依据", "处罚类别", "处罚内容",
    "罚款金额（万元）", "没收违法所得、没收非法财物的金额（万元）", "暂扣或吊销证照名称及编号",
    "处罚决定日期", "处罚有效期", "公示截止期", "处罚机关", "处罚机关统一社会信用代码",
    "数据来源单位", "数据来源单位统一社会信用代码", "备注",
)
FIELDS: dict[str, tuple[str, ...]] = {"license": LICENSE_FIELDS, "penalty": PENALTY_FIELDS}

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
_ID_TYPE_ALIASES = {"居民身份证": "身份证"}
# Document types whose numbers are 18-character GB 11643 numbers with a check character.
_GB11643_ID_TYPES = ("身份证", "港澳台居民居住证")

FINE_FIELD = "罚款金额（万元）"
CONFISCATION_FIELD = "没收违法所得、没收非法财物的金额（万元）"
AMOUNT_FIELDS = (FINE_FIELD, CONFISCATION_FIELD)
DATE_FIELDS = {
    "license": ("许可决定日期", "有效期自", "有效期至"),
    "penalty": ("处罚决定日期", "处罚有效期", "公示截止期"),
}
USCC_FIELDS = {
    "license": ("统一社会信用代码", "许可机关统一社会信用代码", "数据来源单位统一社会信用代码"),
    "penalty": ("统一社会信用代码", "处罚机关统一社会信用代码", "数据来源单位统一社会信用代码"),
}
LONG_TERM = "2099-12-31"
_MAX_AMOUNT = Decimal(10) ** 9
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_CATEGORY_SPLIT = re.compile(r"[、;；]")
_SHANGHAI = ZoneInfo("Asia/Shanghai")


def parse_credit_record(
    raw: Mapping[str, Any], *, kind: str, today: date | None = None
) -> dict[str, Any]:
    """Check a raw ``credit`` table and return the normalized record.

    :param raw: the ``credit`` table of an item file (TOML or JSON values).
    :param kind: the item's ``kind``; the record's ``type`` must match it.
    :param today: the date decisions may not be after (default: today in Asia/Shanghai).
    :raises InputError: listing every problem, one per line, each as ``credit.字段：规则``;
        ``field`` is the first problem's field.
    """
    if not isinstance(raw, Mapping):
        raise InputError("credit：应为一个表（字段名 = 值）", field="credit")
    problems: list[tuple[str, str]] = []
    rtype = raw.get("type")
    if rtype not in RECORD_TYPES:
        problems.append(("type", f"应为 license（行政许可）或 penalty（行政处罚）：{rtype!r}"))
    elif kind != rtype:
        problems.append(("type", f"记录类型 {rtype} 与事项体裁 kind = {kind!r} 不一致"))
    if problems:
        _raise(problems)

    parser = _RecordParser(rtype, raw, today or datetime.now(_SHANGHAI).date())
    record = parser.parse()
    if parser.problems:
        _raise(parser.problems)
    return record


def _raise(problems: list[tuple[str, str]]) -> None:
    lines = [f"credit.{name}：{rule}" for name, rule in problems]
    raise InputError("\n".join(lines), field=f"credit.{problems[0][0]}")


class _RecordParser:
    """One pass over one raw record, collecting every problem instead of stopping at the first."""

    def __init__(self, rtype: str, raw: Mapping[str, Any], today: date) -> None:
        self.rtype = rtype
        self.raw = raw
        self.today = today
        self.problems: list[tuple[str, str]] = []
        self.values: dict[str, Any] = {}
        self.dates: dict[str, date] = {}
        self.categories: set[str] | None = None  # 处罚类别, once known to be valid

    def problem(self, name: str, rule: str) -> None:
        self.problems.append((name, rule))

    def parse(self) -> dict[str, Any]:
        fields = FIELDS[self.rtype]
        for key in self.raw:
            if key != "type" and key not in fields:
                close = difflib.get_close_matches(str(key), fields, n=1, cutoff=0.6)
                hint = f"，是否应为“{close[0]}”？" if close else ""
                kind_cn = "行政许可" if self.rtype == "license" else "行政处罚"
                self.problem(str(key), f"不是{kind_cn}记录的标准字段{hint}")

        for name in fields:
            value = self.raw.get(name)
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            if name in AMOUNT_FIELDS:
                self._amount(name, value)
            elif name in DATE_FIELDS[self.rtype]:
                self._date(name, value)
            elif not isinstance(value, str):
                self.problem(name, f"应为文本（加引号），实际为 {type(value).__name__} {value!r}")
            else:
                self.values[name] = value.strip()

        self._required()
        self._subject()
        self._enumerations()
        for name in USCC_FIELDS[self.rtype]:
            if name in self.values:
                code = self.values[name] = self.values[name].upper()
                why = uscc_problem(code)
                if why:
                    self.problem(name, f"{why}（{code}）")
        if self.categories is not None:
            self._penalty_consistency(self.categories)
        self._date_order()
        # Report in the standard field order; unknown keys (index -1) first.
        self.problems.sort(key=lambda p: fields.index(p[0]) if p[0] in fields else -1)
        return {"type": self.rtype, **{n: self.values[n] for n in fields if n in self.values}}

    # -- value parsers ----------------------------------------------------------------------
    def _date(self, name: str, value: Any) -> None:
        if isinstance(value, datetime):
            self.problem(name, f"应为日期（YYYY-MM-DD），不带时刻：{value}")
            return
        if isinstance(value, date):
            d = value
        elif isinstance(value, str):
            text = value.strip()
            if name == "有效期至" and text == "长期":
                text = LONG_TERM
            if not _DATE_RE.fullmatch(text):
                self.problem(name, f"应为日期 YYYY-MM-DD，实际为“{value}”")
                return
            try:
                d = date.fromisoformat(text)
            except ValueError:
                self.problem(name, f"不是有效日期：“{value}”")
                return
        else:
            self.problem(name, f"应为日期 YYYY-MM-DD，实际为 {type(value).__name__} {value!r}")
            return
        self.dates[name] = d
        self.values[name] = d.isoformat()

    def _amount(self, name: str, value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
            self.problem(name, f"应为金额（万元，数字），实际为 {value!r}")
            return
        try:
            # repr() of a float is its shortest exact decimal form, e.g. 0.1 -> "0.1".
            amount = Decimal(repr(value) if isinstance(value, float) else str(value).strip())
        except InvalidOperation:
            self.problem(name, f"应为金额（万元，数字），实际为“{value}”")
            return
        if not amount.is_finite():
            self.problem(name, f"应为有限的金额，实际为 {value!r}")
        elif amount < 0:
            self.problem(name, f"金额不能为负数：{value}")
        elif amount >= _MAX_AMOUNT:
            self.problem(name, f"金额过大（单位为万元）：{value}")
        elif amount != amount.quantize(Decimal("0.000001")):
            self.problem(name, f"金额单位为万元，最多6位小数（精确到分）：{value}")
        else:
            self.values[name] = amount_json(amount)

    # -- rules --------------------------------------------------------------------------------
    def _required(self) -> None:
        for name in REQUIRED[self.rtype]:
            if name not in self.values and not any(p[0] == name for p in self.problems):
                self.problem(name, "必填字段缺失")

    def _subject(self) -> None:
        subject = self.values.get("行政相对人类别")
        if subject == "自然人":
            for name in ("证件类型", "证件号码"):
                if name not in self.values:
                    self.problem(name, "行政相对人为自然人时必填")
            for name in ("统一社会信用代码", "法定代表人"):
                if name in self.values:
                    self.problem(name, "行政相对人为自然人时不应填写")
        elif subject in ("法人及非法人组织", "个体工商户"):
            for name in ("统一社会信用代码", "法定代表人"):
                if name not in self.values:
                    self.problem(name, f"行政相对人为{subject}时必填")
            if ("证件类型" in self.values) != ("证件号码" in self.values):
                missing = "证件号码" if "证件类型" in self.values else "证件类型"
                self.problem(missing, "证件类型与证件号码应同时填写")

        id_type = self.values.get("证件类型")
        if id_type is None:
            return
        id_type = self.values["证件类型"] = _ID_TYPE_ALIASES.get(id_type, id_type)
        if id_type not in ID_TYPES:
            self.problem("证件类型", _one_of(id_type, ID_TYPES))
        number = self.values.get("证件号码")
        if number is not None and id_type in _GB11643_ID_TYPES:
            number = self.values["证件号码"] = number.upper()
            why = id_number_problem(number, today=self.today)
            if why:
                self.problem("证件号码", f"{why}（{id_type}号码，GB 11643）")

    def _enumerations(self) -> None:
        checks = {"行政相对人类别": SUBJECT_TYPES}
        if self.rtype == "license":
            checks |= {"许可类别": LICENSE_CATEGORIES, "当前状态": LICENSE_STATES}
        for name, allowed in checks.items():
            value = self.values.get(name)
            if value is not None and value not in allowed:
                self.problem(name, _one_of(value, allowed))
        if self.rtype == "penalty" and "处罚类别" in self.values:
            parts = [p.strip() for p in _CATEGORY_SPLIT.split(self.values["处罚类别"])]
            unknown = [p for p in parts if p not in PENALTY_CATEGORIES]
            if unknown:
                self.problem("处罚类别", _one_of(unknown[0], PENALTY_CATEGORIES) +
                             "；多个类别用“、”或“;”分隔")
            else:
                self.values["处罚类别"] = ";".join(dict.fromkeys(parts))
                self.categories = set(parts)

    def _penalty_consistency(self, categories: set[str]) -> None:
        fine = self.values.get(FINE_FIELD)
        if "罚款" in categories:
            if fine is None:
                self.problem(FINE_FIELD, "处罚类别含罚款时必填")
            elif fine == 0:
                self.problem(FINE_FIELD, "处罚类别含罚款时应大于0")
        elif fine:
            self.problem(FINE_FIELD, "罚款金额大于0，但处罚类别不含“罚款”")
        confiscated = self.values.get(CONFISCATION_FIELD)
        if categories & {"没收违法所得", "没收非法财物"}:
            if confiscated is None:
                self.problem(CONFISCATION_FIELD, "处罚类别含没收违法所得或没收非法财物时必填")
        elif confiscated:
            self.problem(CONFISCATION_FIELD, "金额大于0，但处罚类别不含没收违法所得或没收非法财物")
        revoked = categories & {"暂扣或者吊销许可证", "暂扣或者吊销执照"}
        if revoked and "暂扣或吊销证照名称及编号" not in self.values:
            self.problem("暂扣或吊销证照名称及编号", "处罚类别含暂扣或者吊销许可证、执照时必填")

    def _date_order(self) -> None:
        decided_name = DECISION_DATE_FIELD[self.rtype]
        decided = self.dates.get(decided_name)
        if decided and decided > self.today:
            self.problem(decided_name, f"决定日期 {decided} 晚于今天 {self.today}")
        if self.rtype == "license":
            pairs = [(decided_name, "有效期自"), ("有效期自", "有效期至")]
        else:
            pairs = [(decided_name, "处罚有效期"), (decided_name, "公示截止期")]
        for earlier, later in pairs:
            a, b = self.dates.get(earlier), self.dates.get(later)
            if a and b and a > b:
                self.problem(later, f"{later} {b} 早于{earlier} {a}")


def _one_of(value: str, allowed: tuple[str, ...]) -> str:
    return f"“{value}”不是允许的值，应为：{' / '.join(allowed)}"


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


def wire_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """The record as the credit platform receives it: standard keys only, without ``type``."""
    return {k: v for k, v in record.items() if k != "type"}


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

    证件号码 is masked whatever the subject type; every other text value goes through the hub's
    personal-data masking, so an ID or mobile number written into 违法事实 or 备注 is masked too.
    """
    codes = USCC_FIELDS[record["type"]]  # organisations' codes are public by law
    public: dict[str, Any] = {}
    for key, value in record.items():
        if key == "证件号码":
            public[key] = mask_id_number(value)
        elif isinstance(value, str) and key != "type" and key not in codes:
            public[key] = mask_personal_data(value)
        else:
            public[key] = value
    return public
