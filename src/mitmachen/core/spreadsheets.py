"""CSV and XLSX files for staff exports, safe to open in a spreadsheet program."""

import csv
import io
import re
from collections.abc import Iterable

from openpyxl import Workbook

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"

_NUMBER = re.compile(r"^\+?\d[\d ]*$")


def safe_cell(value: str) -> str:
    # A cell starting with = + - @ tab or CR runs as a formula in a spreadsheet (CSV injection);
    # only plain numbers such as "+49561…" may keep their sign.
    if value[:1] in ("=", "+", "-", "@", "\t", "\r") and not _NUMBER.match(value):
        return "'" + value
    return value


def csv_bytes(header: list[str], rows: Iterable[list[str]]) -> bytes:
    """';'-separated, as spreadsheet programs in German settings expect."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow([safe_cell(v) for v in header])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    # UTF-8 with BOM so that spreadsheet programs in German settings read umlauts right.
    return buffer.getvalue().encode("utf-8-sig")


def xlsx_bytes(title: str, header: list[str], rows: Iterable[list[str]]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    sheet.append([safe_cell(v) for v in header])
    for row in rows:
        sheet.append([safe_cell(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
