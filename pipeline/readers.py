"""Reading ledger files (CSV in any clerk encoding, .xlsx) into sheets of text cells."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path

from .errors import LedgerError

# Floats at or above this lose integer digits: an ID number typed as a number cannot be recovered.
_EXACT_INT_LIMIT = 2**53


@dataclass
class Sheet:
    """One sheet (or a CSV file): its name and its rows as text cells, with 1-based row numbers."""

    name: str
    rows: list[list[str | None]]
    row_numbers: list[int] = field(default_factory=list)


def cell_text(value: object) -> str | None:
    """Turn a cell value into the text a clerk meant, never via float formatting of integers."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        return text or None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < _EXACT_INT_LIMIT:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        # Excel stores a time of day as a datetime on its epoch day.
        if value.date() in (dt.date(1899, 12, 30), dt.date(1899, 12, 31), dt.date(1900, 1, 1)):
            return value.strftime("%H:%M")
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, dt.timedelta):
        minutes = round(value.total_seconds() / 60)
        return f"{minutes // 60:02d}:{minutes % 60:02d}"
    return str(value).strip() or None


def decode_text(data: bytes, path: Path) -> str:
    """Decode CSV bytes as UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030; never guess."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as utf8_error:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError as gb_error:
            offset = min(utf8_error.start, gb_error.start)
            raise LedgerError(
                f"{path.name}: 无法识别文件编码（第 {offset} 字节）/ "
                f"cannot decode the file at byte offset {offset}: "
                "not UTF-8, UTF-16 or GBK/GB18030",
                hint="save the file from Excel as 'CSV UTF-8' or as .xlsx",
            ) from gb_error


def read_csv(path: Path) -> list[Sheet]:
    text = decode_text(path.read_bytes(), path)
    dialect = csv.excel_tab if text.count("\t") > text.count(",") else csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    rows: list[list[str | None]] = []
    numbers: list[int] = []
    for record in reader:
        rows.append([cell_text(c) for c in record])
        numbers.append(reader.line_num)
    return [Sheet(name="", rows=rows, row_numbers=numbers)]


def read_xlsx(path: Path) -> list[Sheet]:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types per format
        raise LedgerError(
            f"{path.name}: 不是可读取的 Excel 文件 / not a readable Excel workbook ({exc})",
            hint="open it in Excel or WPS and save it as .xlsx",
        ) from exc
    sheets = []
    for name in workbook.sheet_names:
        grid = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
        rows = [[cell_text(v) for v in row] for row in grid]
        sheets.append(Sheet(name=name, rows=rows, row_numbers=list(range(1, len(rows) + 1))))
    return sheets


READERS = {".csv": read_csv, ".txt": read_csv, ".xlsx": read_xlsx, ".xlsm": read_xlsx}


def read_file(path: Path) -> list[Sheet]:
    """Read a ledger file into sheets of text; the suffix picks the reader."""
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise LedgerError(
            f"{path.name}: 不支持的文件类型 / unsupported file type '{path.suffix}'",
            hint="ledgers are read from .xlsx or .csv files",
        )
    return reader(path)
