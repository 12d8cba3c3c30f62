"""CSV export of 双公示 records for platforms that take file uploads."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest

from heze_hub.items.credit_export import write_csv
from heze_hub.items.credit_fields import LICENSE_FIELDS, PENALTY_FIELDS
from heze_hub.items.credit_record import parse_credit_record
from tests.support import DATA

SAMPLES = json.loads((DATA / "credit_records.json").read_text("utf-8"))
PENALTY, LICENSE, PERSON = SAMPLES["penalty"], SAMPLES["license"], SAMPLES["person"]
PERSON_ID = PERSON["证件号码"]
FINE = "罚款金额（万元）"
TODAY = date(2018, 9, 1)


def _penalties() -> list[dict]:
    person = {k: v for k, v in {**PENALTY, **PERSON}.items() if v is not None}
    return [
        parse_credit_record(PENALTY, kind="penalty", today=TODAY),
        parse_credit_record(
            {**person, "行政处罚决定书文号": "菏环罚字〔2018〕28号", "处罚类别": "警告、罚款",
             FINE: "0.00005", "违法事实": "多行\n事实，含逗号和\"引号\""},
            kind="penalty", today=TODAY),
    ]


def _read(path: Path) -> tuple[bytes, list[list[str]]]:
    raw = path.read_bytes()
    return raw, list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def test_penalty_csv_columns_bom_crlf_and_values(tmp_path: Path) -> None:
    path = tmp_path / "penalty.csv"
    assert write_csv(_penalties(), "penalty", path) == 2
    raw, rows = _read(path)
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.count(b"\r\n") == 3  # header and two rows; a newline inside a cell stays "\n"
    header, first, second = rows
    assert header == list(PENALTY_FIELDS)
    col = {name: i for i, name in enumerate(header)}
    assert first[col[FINE]] == "20"
    assert first[col["处罚决定日期"]] == "2018-08-06"
    assert first[col["证件号码"]] == ""
    assert first[col["公示截止期"]] == ""
    assert second[col[FINE]] == "0.00005"
    assert second[col["证件号码"]] == PERSON_ID  # the platform gets the full number
    assert second[col["处罚类别"]] == "警告;罚款"
    assert second[col["违法事实"]] == "多行\n事实，含逗号和\"引号\""
    assert "type" not in header


def test_second_edition_columns_and_a_first_edition_record(tmp_path: Path) -> None:
    old = {k: v for k, v in PENALTY.items() if k != "行政相对人代码_1"}
    old["统一社会信用代码"] = PENALTY["行政相对人代码_1"]
    record = parse_credit_record(old, kind="penalty", today=TODAY)
    assert "统一社会信用代码" in record
    path = tmp_path / "penalty.csv"
    write_csv([record], "penalty", path)
    header, row = _read(path)[1]
    assert header[2:13] == [
        "行政相对人代码_1", "行政相对人代码_2", "行政相对人代码_3", "行政相对人代码_4",
        "行政相对人代码_5", "行政相对人代码_6", "法定代表人", "法定代表人证件类型",
        "法定代表人证件号码", "证件类型", "证件号码",
    ]
    assert "统一社会信用代码" not in header
    assert row[header.index("行政相对人代码_1")] == "91371700MA3C4K2P7T"


def test_column_map_renames_headers_only(tmp_path: Path) -> None:
    columns = {"行政相对人代码_1": "统一社会信用代码", FINE: "罚款金额"}
    path = tmp_path / "penalty.csv"
    write_csv(_penalties(), "penalty", path, columns)
    header, first, _second = _read(path)[1]
    assert header == [columns.get(name, name) for name in PENALTY_FIELDS]
    assert first[header.index("统一社会信用代码")] == "91371700MA3C4K2P7T"
    assert first[header.index("罚款金额")] == "20"


def test_line_ends_are_crlf(tmp_path: Path) -> None:
    path = tmp_path / "license.csv"
    write_csv([parse_credit_record(LICENSE, kind="license", today=TODAY)], "license", path)
    raw, rows = _read(path)
    assert raw.endswith(b"\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert rows[0] == list(LICENSE_FIELDS)
    assert rows[1][rows[0].index("有效期至")] == "2019-05-20"


def test_empty_export_has_the_header(tmp_path: Path) -> None:
    path = tmp_path / "license.csv"
    assert write_csv([], "license", path) == 0
    assert _read(path)[1] == [list(LICENSE_FIELDS)]


def test_records_of_the_other_type_are_refused_and_nothing_is_left(tmp_path: Path) -> None:
    path = tmp_path / "license.csv"
    with pytest.raises(ValueError):
        write_csv(_penalties(), "license", path)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError):
        write_csv([], "sanction", path)


def test_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "penalty.csv"
    write_csv(_penalties(), "penalty", path)
    assert path.stat().st_mode & 0o077 == 0
