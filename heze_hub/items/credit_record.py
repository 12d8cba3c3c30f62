"""双公示 records: the checks made when an item file is loaded.

A record is the item file's ``credit`` table (DESIGN §2): ``type`` (``license`` or ``penalty``)
and the 双公示 standard field names of DESIGN §5.5 as keys (the columns, their allowed values and
the readers of a normalized record are in :mod:`heze_hub.items.credit_fields`).
:func:`parse_credit_record` checks it before anything is sent and returns the normalized record
that the credit channel sends and the CSV export writes:

- keys in the standard order, ``type`` first; absent or empty optional fields are left out;
  the party's USCC keeps the name the item wrote (``统一社会信用代码``, the first edition's, or
  ``行政相对人代码_1``), so that an unchanged first-edition file keeps its content hash;
- text stripped; identifiers upper-cased (an organisation code also loses its ``-``);
  处罚类别 joined by ``;``;
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
needs 法定代表人 and 行政相对人代码_1 (its USCC) unless one of 行政相对人代码_2…_6 is given; a
natural person needs 证件类型 and 证件号码 and has no party code, no 法定代表人 and no document of
one; a document type goes with its number; a 罚款 needs 罚款金额 (> 0), a 没收 its amount, a
暂扣/吊销 the 证照. Every USCC passes GB 32100 and its embedded organisation code GB 11714; a
行政相对人代码_3 (组织机构代码) passes GB 11714 and, beside a USCC, equals its positions 9–17.
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
from heze_hub.items.credit_fields import (
    AMOUNT_FIELDS,
    CONFISCATION_FIELD,
    DATE_FIELDS,
    DECISION_DATE_FIELD,
    FIELDS,
    FINE_FIELD,
    GB11643_ID_TYPES,
    ID_TYPE_ALIASES,
    ID_TYPES,
    LICENSE_CATEGORIES,
    LICENSE_FIELDS,
    LICENSE_STATES,
    LONG_TERM,
    OLD_NAMES,
    ORG_CODE,
    ORGANISATIONS,
    PARTY_CODE_NAMES,
    PARTY_CODES,
    PARTY_USCC,
    PENALTY_CATEGORIES,
    PENALTY_FIELDS,
    RECORD_TYPES,
    REP_ID_NUMBER,
    REP_ID_TYPE,
    REQUIRED,
    SUBJECT_TYPES,
    USCC_FIELDS,
    amount_json,
    format_amount,
    mask_id_number,
    public_record,
    record_decision_date,
    record_decision_number,
    record_type,
    wire_record,
)
from heze_hub.items.identifiers import id_number_problem, org_code_problem, uscc_problem

# The readers of a normalized record lived here before credit_fields held them; older callers
# still import them from here.
__all__ = [
    "LICENSE_FIELDS", "PENALTY_FIELDS", "RECORD_TYPES", "format_amount", "mask_id_number",
    "parse_credit_record", "public_record", "record_decision_date", "record_decision_number",
    "record_type", "wire_record",
]

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
        # A second-edition column the item wrote under its first-edition name: problems name the
        # field as written, and the normalized record keeps that name.
        self.written: dict[str, str] = {}

    def problem(self, name: str, rule: str) -> None:
        self.problems.append((self.written.get(name, name), rule))

    def parse(self) -> dict[str, Any]:
        fields = FIELDS[self.rtype]
        for key in self.raw:
            if key != "type" and key not in fields and key not in OLD_NAMES:
                close = difflib.get_close_matches(str(key), fields, n=1, cutoff=0.6)
                hint = f"，是否应为“{close[0]}”？" if close else ""
                kind_cn = "行政许可" if self.rtype == "license" else "行政处罚"
                self.problem(str(key), f"不是{kind_cn}记录的标准字段{hint}")

        raw = dict(self.raw)
        for old, new in OLD_NAMES.items():
            if not _filled(raw.get(old)):
                continue
            if _filled(raw.get(new)):
                self.problem(old, f"是{new}的旧名（第一版标准），二者只能填写一个")
            else:
                raw[new] = raw[old]
                self.written[new] = old
        for name in fields:
            value = raw.get(name)
            if not _filled(value):
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
        self._codes()
        if self.categories is not None:
            self._penalty_consistency(self.categories)
        self._date_order()
        # Report in the standard field order; unknown keys (index -1) first.
        standard = {**{old: new for new, old in self.written.items()}, **OLD_NAMES}
        self.problems.sort(key=lambda p: fields.index(standard.get(p[0], p[0]))
                           if standard.get(p[0], p[0]) in fields else -1)
        return {"type": self.rtype, **{self.written.get(n, n): self.values[n]
                                       for n in fields if n in self.values}}

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
            for name in (*PARTY_CODES, "法定代表人", REP_ID_TYPE, REP_ID_NUMBER):
                if name in self.values:
                    self.problem(name, "行政相对人为自然人时不应填写")
        elif subject in ORGANISATIONS:
            if "法定代表人" not in self.values and not self._has_problem("法定代表人"):
                self.problem("法定代表人", f"行政相对人为{subject}时必填")
            if not any(c in self.values or self._has_problem(c) for c in PARTY_CODES):
                self.problem(PARTY_USCC, f"行政相对人为{subject}时必填（统一社会信用代码；"
                                         "没有统一社会信用代码时填写行政相对人代码_2至_6之一）")
            self._pair("证件类型", "证件号码")
            self._pair(REP_ID_TYPE, REP_ID_NUMBER)
        self._document("证件类型", "证件号码")
        self._document(REP_ID_TYPE, REP_ID_NUMBER)

    def _has_problem(self, name: str) -> bool:
        written = self.written.get(name, name)
        return any(p[0] == written for p in self.problems)

    def _pair(self, type_name: str, number_name: str) -> None:
        if (type_name in self.values) != (number_name in self.values):
            missing = number_name if type_name in self.values else type_name
            self.problem(missing, f"{type_name}与{number_name}应同时填写")

    def _document(self, type_name: str, number_name: str) -> None:
        """A document type from the list; a GB 11643 number where the type has one."""
        id_type = self.values.get(type_name)
        if id_type is None:
            return
        id_type = self.values[type_name] = ID_TYPE_ALIASES.get(id_type, id_type)
        if id_type not in ID_TYPES:
            self.problem(type_name, _one_of(id_type, ID_TYPES))
        number = self.values.get(number_name)
        if number is not None and id_type in GB11643_ID_TYPES:
            number = self.values[number_name] = number.upper()
            why = id_number_problem(number, today=self.today)
            if why:
                self.problem(number_name, f"{why}（{id_type}号码，GB 11643）")

    def _codes(self) -> None:
        """USCCs (GB 32100 with the embedded GB 11714 code), the party's other codes."""
        for name in USCC_FIELDS[self.rtype]:
            if name in self.values:
                code = self.values[name] = self.values[name].upper()
                why = uscc_problem(code)
                if why:
                    self.problem(name, f"{why}（{code}）")
        for name in PARTY_CODES[1:]:
            if name in self.values:
                code = self.values[name] = self.values[name].upper()
                if any(c.isspace() for c in code):
                    self.problem(name, f"{PARTY_CODE_NAMES[name]}不应含有空白字符：“{code}”")
        org = self.values.get(ORG_CODE)
        if org is None:
            return
        # Often written 8 + "-" + check, as on the old certificates; the standard's form is 9.
        org = self.values[ORG_CODE] = org.replace("-", "")
        why = org_code_problem(org)
        uscc = self.values.get(PARTY_USCC)
        if why:
            self.problem(ORG_CODE, f"组织机构代码{why}（{org}）")
        elif uscc and uscc_problem(uscc) is None and uscc[8:17] != org:
            self.problem(ORG_CODE, f"组织机构代码 {org} 与统一社会信用代码第9至17位"
                                   f"“{uscc[8:17]}”不一致")

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


def _filled(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())
