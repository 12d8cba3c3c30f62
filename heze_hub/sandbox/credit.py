"""Fake credit platform (信用平台, 双公示; DESIGN §5.5).

``POST /api/v1/credit/license`` and ``/api/v1/credit/penalty``, header ``X-Api-Key`` and
``Idempotency-Key``, JSON ``{"records": [{…}]}`` keyed by the standard field names of the
national standard's second edition (the party's six code columns 行政相对人代码_1…_6, the legal
representative's document). The answer is
``200 {"accepted": [{"decision_number", "record_id"}], "rejected": [{"decision_number",
"reason"}]}``, one entry per record.

It plays an independent party: the checks below are written here from the data standard and do
not use the hub's validation code.

- Every key must be a standard field name of the record's type (``未知字段``): the first
  edition's 统一社会信用代码 is one, as it would be on a platform that moved to the second.
- Required for every record: the fields in ``REQUIRED``. For 法人及非法人组织 and 个体工商户 also
  法定代表人, and 行政相对人代码_1 unless one of _2…_6 is given; for 自然人 also 证件类型 and
  证件号码. A 处罚类别 that names 罚款 requires 罚款金额（万元）; one that names 没收 requires the
  confiscation amount.
- Values are strings, except amounts, which are JSON numbers ≥ 0. Empty optional fields may be
  ``""`` or ``null``.
- Dates are ``YYYY-MM-DD`` real dates (``2099-12-31`` = long-term); 有效期至 is not before 有效期自.
- Every 统一社会信用代码 field and 行政相对人代码_1 pass the GB 32100 check and the GB 11714
  check of the organisation code in positions 9–17; a 身份证 number (证件号码, 法定代表人证件号码)
  passes GB 11643.
- Enumerations: 行政相对人类别 and 许可类别.
- A decision number already on file (sent under another idempotency key, or twice in one
  request) is rejected with ``重复报送``.

A provincial platform whose template names columns differently is played by ``columns``
(standard name → the template's name): records must then use the template's names.

Idempotency: the same key with the same body gets the first answer again and stores nothing; the
same key with a different body is refused with 422.
Other answers: 401 wrong or missing ``X-Api-Key``; 400 missing ``Idempotency-Key`` or a body that
is not ``{"records": [non-empty list]}``; 404 an unknown record type.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from datetime import date
from typing import Any

from .base import RecordedRequest, Response, Service
from .withdrawals import install

DEFAULT_API_KEY = "sandbox-credit-key"
MAX_RECORDS = 1000

PARTY_FIELDS = (
    "行政相对人名称", "行政相对人类别", "行政相对人代码_1", "行政相对人代码_2", "行政相对人代码_3",
    "行政相对人代码_4", "行政相对人代码_5", "行政相对人代码_6", "法定代表人", "法定代表人证件类型",
    "法定代表人证件号码", "证件类型", "证件号码",
)
LICENSE_FIELDS = (
    *PARTY_FIELDS, "行政许可决定文书名称", "行政许可决定文书号", "许可类别", "许可证书名称",
    "许可编号", "许可内容", "许可决定日期", "有效期自", "有效期至", "许可机关",
    "许可机关统一社会信用代码", "当前状态", "数据来源单位", "数据来源单位统一社会信用代码", "备注",
)
PENALTY_FIELDS = (
    *PARTY_FIELDS, "行政处罚决定书文号", "违法行为类型", "违法事实", "处罚依据", "处罚类别",
    "处罚内容",
    "罚款金额（万元）", "没收违法所得、没收非法财物的金额（万元）", "暂扣或吊销证照名称及编号",
    "处罚决定日期", "处罚有效期", "公示截止期", "处罚机关", "处罚机关统一社会信用代码",
    "数据来源单位", "数据来源单位统一社会信用代码", "备注",
)
FIELDS = {"license": LICENSE_FIELDS, "penalty": PENALTY_FIELDS}
DECISION_NUMBER = {"license": "行政许可决定文书号", "penalty": "行政处罚决定书文号"}
REQUIRED = {
    "license": (
        "行政相对人名称", "行政相对人类别", "行政许可决定文书名称", "行政许可决定文书号",
        "许可类别", "许可内容", "许可决定日期", "有效期自", "有效期至", "许可机关",
        "许可机关统一社会信用代码", "当前状态", "数据来源单位", "数据来源单位统一社会信用代码",
    ),
    "penalty": (
        "行政相对人名称", "行政相对人类别", "行政处罚决定书文号", "违法行为类型", "违法事实",
        "处罚依据", "处罚类别", "处罚内容", "处罚决定日期", "处罚有效期", "处罚机关",
        "处罚机关统一社会信用代码", "数据来源单位", "数据来源单位统一社会信用代码",
    ),
}
DATE_FIELDS = {
    "license": ("许可决定日期", "有效期自", "有效期至"),
    "penalty": ("处罚决定日期", "处罚有效期", "公示截止期"),
}
AMOUNT_FIELDS = ("罚款金额（万元）", "没收违法所得、没收非法财物的金额（万元）")
PARTY_KINDS = ("法人及非法人组织", "自然人", "个体工商户")
LICENSE_KINDS = ("普通", "特许", "认可", "核准", "登记", "其他")
RECORD_PREFIX = {"license": "XK", "penalty": "CF"}

_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714
_ID_DOCUMENTS = (("证件类型", "证件号码"), ("法定代表人证件类型", "法定代表人证件号码"))
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def uscc_valid(code: str) -> bool:
    """GB 32100-2015 check of an 18-character unified social credit code, including the
    GB 11714 check character of the organisation code it holds in positions 9–17."""
    if not _USCC.match(code):
        return False
    total = sum(_USCC_CHARS.index(ch) * pow(3, i, 31) for i, ch in enumerate(code[:17]))
    if _USCC_CHARS[(31 - total % 31) % 31] != code[17]:
        return False
    org = sum(int(ch, 36) * w for ch, w in zip(code[8:16], _ORG_WEIGHTS, strict=True))
    return "0123456789X0"[11 - org % 11] == code[16]


def id_number_valid(number: str) -> bool:
    """GB 11643-1999 check of an 18-digit citizen ID number (check digit and birth date)."""
    if not re.fullmatch(r"\d{17}[\dX]", number):
        return False
    try:
        date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    total = sum(int(d) * pow(2, 17 - i, 11) for i, d in enumerate(number[:17]))
    return "10X98765432"[total % 11] == number[17]


def _parse_date(value: Any) -> date | None:
    if not isinstance(value, str) or not _DATE.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def record_problems(kind: str, record: Any) -> list[str]:
    """Chinese descriptions of what is wrong with one record of type ``kind`` (empty = valid)."""
    if not isinstance(record, dict):
        return ["记录不是 JSON 对象"]
    problems: list[str] = []
    unknown = [k for k in record if k not in FIELDS[kind]]
    if unknown:
        problems.append("未知字段：" + "、".join(unknown))

    def present(name: str) -> bool:
        value = record.get(name)
        return value is not None and not (isinstance(value, str) and not value.strip())

    required = list(REQUIRED[kind])
    party = record.get("行政相对人类别")
    if party in ("法人及非法人组织", "个体工商户"):
        required.append("法定代表人")
        if not any(present(f"行政相对人代码_{i}") for i in range(2, 7)):
            required.append("行政相对人代码_1")
    elif party == "自然人":
        required += ["证件类型", "证件号码"]
    penalty_kind = str(record.get("处罚类别") or "")
    if kind == "penalty" and "罚款" in penalty_kind:
        required.append("罚款金额（万元）")
    if kind == "penalty" and "没收" in penalty_kind:
        required.append("没收违法所得、没收非法财物的金额（万元）")
    missing = [name for name in required if not present(name)]
    if missing:
        problems.append("缺少必填字段：" + "、".join(missing))

    for name, value in record.items():
        if name not in FIELDS[kind] or value is None:
            continue
        if name in AMOUNT_FIELDS:
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                problems.append(f"{name} 必须是不小于 0 的数字")
        elif not isinstance(value, str):
            problems.append(f"{name} 必须是字符串")

    if present("行政相对人类别") and party not in PARTY_KINDS:
        problems.append("行政相对人类别 取值无效（应为 " + " / ".join(PARTY_KINDS) + "）")
    if kind == "license" and present("许可类别") and record["许可类别"] not in LICENSE_KINDS:
        problems.append("许可类别 取值无效（应为 " + " / ".join(LICENSE_KINDS) + "）")

    dates: dict[str, date] = {}
    for name in DATE_FIELDS[kind]:
        if present(name):
            parsed = _parse_date(record[name])
            if parsed is None:
                problems.append(f"{name} 不是有效日期（应为 YYYY-MM-DD）")
            else:
                dates[name] = parsed
    if "有效期自" in dates and "有效期至" in dates and dates["有效期至"] < dates["有效期自"]:
        problems.append("有效期至 早于 有效期自")

    for name in FIELDS[kind]:
        value = record.get(name)
        uscc = name.endswith("统一社会信用代码") or name == "行政相对人代码_1"
        if uscc and isinstance(value, str) and value.strip() and not uscc_valid(value):
            problems.append(f"{name} 不是有效的统一社会信用代码（校验位错误或格式错误）")
    for type_name, number_name in _ID_DOCUMENTS:
        id_type = str(record.get(type_name) or "")
        number = record.get(number_name)
        if "身份证" in id_type and isinstance(number, str) and number.strip() \
                and not id_number_valid(number):
            problems.append(f"{number_name} 不是有效的居民身份证号码（校验位或出生日期错误）")
    return problems


class CreditService(Service):
    """The 双公示 intake of the credit platform.

    Settings: ``api_key``; ``columns`` (standard name → a provincial template's name; empty: the
    national standard's names), reset with the state. State: ``records`` (decision number →
    stored record with its ``record_id``, ``type`` and ``idempotency_key``), ``answers``
    (idempotency key → the answer given), ``batches`` (how many requests were processed, replays
    excluded).
    """

    name = "credit"

    def __init__(self, api_key: str = DEFAULT_API_KEY) -> None:
        super().__init__()
        self.api_key = api_key
        self.reset_state()
        self.routes = {f"/api/v1/credit/{kind}": {"POST": self._receive} for kind in FIELDS}
        install(self)

    def reset_state(self) -> None:
        self.records: dict[str, dict[str, Any]] = {}
        self.revoked: dict[str, dict[str, Any]] = {}
        self.answers: dict[str, dict[str, Any]] = {}
        self.batches = 0
        self._ids = itertools.count(1)
        self.columns: dict[str, str] = {}

    def state(self) -> dict[str, Any]:
        return {"records": self.records, "revoked": self.revoked, "batches": self.batches,
                "idempotency_keys": sorted(self.answers)}

    def not_found(self, request: RecordedRequest) -> Response:
        return self.json(404, {"error": f"未知的接口：{request.path}（应为 "
                                        "/api/v1/credit/license 或 /api/v1/credit/penalty）"})

    def _receive(self, request: RecordedRequest) -> Response:
        kind = request.path.rsplit("/", 1)[-1]
        if request.headers.get("X-Api-Key") != self.api_key:
            return self.json(401, {"error": "X-Api-Key 无效或缺失"})
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key:
            return self.json(400, {"error": "缺少 Idempotency-Key 请求头"})
        body = request.json
        if not isinstance(body, dict) or not isinstance(body.get("records"), list):
            return self.json(400, {"error": '请求体应为 JSON 对象 {"records": [...]}（UTF-8）'})
        records = body["records"]
        if not records:
            return self.json(400, {"error": "records 为空"})
        if len(records) > MAX_RECORDS:
            return self.json(400, {"error": f"一次最多报送 {MAX_RECORDS} 条记录"})
        fingerprint = hashlib.sha256(
            json.dumps([kind, records], ensure_ascii=False, sort_keys=True).encode("utf-8")
        ).hexdigest()
        with self.lock:
            seen = self.answers.get(key)
            if seen is not None:
                if seen["fingerprint"] != fingerprint:
                    return self.json(422, {"error": "Idempotency-Key 已用于内容不同的请求"})
                return self.json(200, seen["answer"])
            answer = self._file(kind, records, key)
            self.answers[key] = {"fingerprint": fingerprint, "answer": answer}
            self.batches += 1
        return self.json(200, answer)

    def _file(self, kind: str, records: list[Any], key: str) -> dict[str, Any]:
        accepted: list[dict[str, Any]] = []
        rejected: list[dict[str, Any]] = []
        for record in records:
            standard = self._standard(record)
            number = standard.get(DECISION_NUMBER[kind]) if isinstance(standard, dict) else None
            number = number if isinstance(number, str) else None
            problems = record_problems(kind, standard)
            if not problems and number in self.records:
                problems = ["重复报送"]
            if problems:
                rejected.append({"decision_number": number, "reason": "；".join(problems)})
                continue
            record_id = f"{RECORD_PREFIX[kind]}{next(self._ids):012d}"
            self.records[number] = {"type": kind, "record_id": record_id,
                                    "idempotency_key": key, "record": record}
            accepted.append({"decision_number": number, "record_id": record_id})
        return {"accepted": accepted, "rejected": rejected}

    def _standard(self, record: Any) -> Any:
        """A record in the template's column names (``columns``) under the standard's names.

        A standard name the template renamed is not a column of the template: it stays unknown.
        """
        if not self.columns or not isinstance(record, dict):
            return record
        inverse = {name: standard for standard, name in self.columns.items()}
        out: dict[str, Any] = {}
        for key, value in record.items():
            if key in inverse:
                out[inverse[key]] = value
            elif key in self.columns:
                out[f"{key}（本平台模板列名为“{self.columns[key]}”）"] = value
            else:
                out[key] = value
        return out
