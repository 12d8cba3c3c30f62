"""双公示 records as a CSV file, for provincial platforms that only take file uploads.

One file per record type, columns in the standard order of DESIGN §5.5, second edition (the same
keys as the API: a first-edition record's 统一社会信用代码 is written as 行政相对人代码_1), headed
by the standard names or by a provincial template's names through the channel's column map;
values as on the wire: dates ``YYYY-MM-DD``, amounts in 万元 in plain decimal notation, an absent
field an empty cell. The file is UTF-8 with a BOM and CRLF line ends, which is what spreadsheet
programs (and the platforms' import templates made with them) expect. Cell text is written as it
is: no ``'`` is prefixed to values starting with ``=``/``+``/``-``/``@``, since the file is data
for the platform's importer and altering it would alter the record.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from heze_hub.files import atomic_writer
from heze_hub.items.credit_fields import AMOUNT_FIELDS, FIELDS, format_amount, wire_record
from heze_hub.items.credit_fields import record_type as type_of


def csv_cell(name: str, value: Any) -> str:
    """One value of a normalized record as its CSV cell."""
    if value is None:
        return ""
    if name in AMOUNT_FIELDS:
        return format_amount(value)
    return str(value)


def write_csv(records: Iterable[Mapping[str, Any]], record_type: str, path: str | Path,
              column_map: Mapping[str, str] | None = None) -> int:
    """Write normalized records of one type to ``path`` atomically; return the number of rows.

    The file is created with mode 0600 (it holds natural persons' full ID numbers).

    :param records: records as returned by ``parse_credit_record``.
    :param record_type: ``license`` or ``penalty``; every record must be of that type.
    :param column_map: standard field name → the header a provincial template gives that column
        (a channel's ``columns`` setting); unmapped columns keep their standard names.
    :raises ValueError: for an unknown type or a record of another type.
    """
    if record_type not in FIELDS:
        raise ValueError(f"unknown record type {record_type!r}")
    columns = FIELDS[record_type]
    path = Path(path)
    rows = 0
    with atomic_writer(path, mode=0o600, encoding="utf-8-sig") as f:
        writer = csv.writer(f, lineterminator="\r\n")
        writer.writerow([(column_map or {}).get(name, name) for name in columns])
        for record in records:
            if type_of(record) != record_type:
                raise ValueError(f"a {type_of(record)} record in a {record_type} file")
            wire = wire_record(record)
            writer.writerow([csv_cell(name, wire.get(name)) for name in columns])
            rows += 1
    return rows
