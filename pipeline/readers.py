"""Reading ledger files (CSV in any clerk encoding, .xlsx, .xls) into sheets of text cells."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

from .errors import LedgerError

# Floats at or above this lose integer digits: an ID number typed as a number cannot be recovered.
_EXACT_INT_LIMIT = 2**53


@dataclass
class Sheet:
    """One sheet (or a CSV file): its name and its rows as text cells, with 1-based row numbers."""

    name: str
    rows: list[list[str | None]]
    row_numbers: list[int] = field(default_factory=list)
    # (row index, column index) -> formula text, for formula cells saved without a result.
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)


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


_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")

# Characters a Chinese ledger plausibly holds beyond ASCII. A GBK file whose bytes happen to be
# valid UTF-8 decodes to Cyrillic, Greek or Armenian letters, which fall outside these ranges.
_PLAUSIBLE = (
    (0x00B7, 0x00B7),  # middle dot in transliterated names
    (0x00D7, 0x00D7),
    (0x00B0, 0x00B0),
    (0x2000, 0x206F),  # general punctuation: dashes, curly quotes, ellipsis
    (0x2100, 0x21FF),  # letterlike symbols, Roman numerals, arrows
    (0x2460, 0x24FF),  # circled numbers
    (0x25A0, 0x25FF),  # squares and circles used as check marks
    (0x3000, 0x303F),  # CJK punctuation
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xFE30, 0xFE4F),
    (0xFF00, 0xFFEF),  # full-width forms
)


_IMPLAUSIBLE = re.compile(
    "[^\\x00-\\x7f" + "".join(f"\\u{lo:04x}-\\u{hi:04x}" for lo, hi in _PLAUSIBLE) + "]"
)


def _undecodable(path: Path, offset: int, line: int) -> LedgerError:
    return LedgerError(
        f"{path.name}: 无法识别文件编码（第 {line} 行，第 {offset} 字节）/ "
        f"cannot decode the file at line {line} (byte offset {offset}): "
        "not UTF-8, UTF-16 or GBK/GB18030",
        hint="check the text on that line (it may have been pasted from a file in another "
        "encoding), then save the file from Excel as 'CSV UTF-8' or as .xlsx",
    )


def _line_of(text: str) -> int:
    """The 1-based line the end of `text` is on, lines ending as read_csv ends them."""
    return len(_NEWLINE.findall(text)) + 1


def _undecodable_8bit(data: bytes, path: Path, utf8: int, gb: int) -> LedgerError:
    """The error for bytes that are neither UTF-8 nor GB18030, placed where the likelier fails.

    A file whose start is UTF-8 with Chinese in it was meant as UTF-8, however far GB18030 gets
    (it misreads UTF-8 Chinese, often failing inside the header); otherwise GB18030 was meant,
    and UTF-8 failed at the first Chinese character.
    """
    start = data[:utf8].decode("utf-8-sig")
    offset = utf8 if not start.isascii() and not _IMPLAUSIBLE.search(start) else gb
    # Neither encoding uses the bytes of \r or \n inside a character: lines are counted in bytes.
    breaks = data.count(b"\n", 0, offset) + data.count(b"\r", 0, offset)
    return _undecodable(path, offset, breaks - data.count(b"\r\n", 0, offset) + 1)


def _decode_utf16(data: bytes, path: Path) -> str:
    """UTF-16 as Excel's 'Unicode text' writes it, with a BOM or (from other tools) without."""
    if data.startswith(_UTF16_BOMS):
        encoding = "utf-16"
    else:
        # Text of a ledger is mostly ASCII (digits, separators): its zero bytes sit on odd
        # offsets in little-endian and on even offsets in big-endian.
        odd = data[1::2].count(0)
        even = data[0::2].count(0)
        encoding = "utf-16-le" if odd >= even else "utf-16-be"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        # A carriage return just before the bytes cut short is most likely half of the \r\n
        # ending the line they are on.
        start = data[: exc.start].decode(encoding).removesuffix("\r")
        raise _undecodable(path, exc.start, _line_of(start)) from exc
    if "\x00" in text:
        bom = 2 if data.startswith(_UTF16_BOMS) else 0
        at = text.index("\x00")
        raise _undecodable(path, bom + 2 * at, _line_of(text[:at]))
    return text


def _decode(data: bytes, path: Path) -> tuple[str, str]:
    """Decode CSV bytes as UTF-8 (with or without BOM), UTF-16 or GB18030, never into mojibake.

    Zero bytes never occur in UTF-8 or GBK text, so they mean UTF-16. When the bytes are valid
    both as UTF-8 and as GB18030, UTF-8 wins unless it decodes to characters no Chinese ledger
    holds while GB18030 decodes to ones it does.
    """
    if data.startswith(_UTF16_BOMS) or b"\x00" in data:
        return _decode_utf16(data, path), "utf-16"
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as utf8_error:
        try:
            return data.decode("gb18030"), "gb18030"
        except UnicodeDecodeError as gb_error:
            raise _undecodable_8bit(data, path, utf8_error.start, gb_error.start) from gb_error
    # Only bytes GB18030 also takes can be mojibake; for Chinese UTF-8 it mostly fails within a
    # line, long before a scan of the whole text would end.
    if data.isascii():
        return text, "utf-8"
    gb_text = _gb18030(data)
    if gb_text is None:
        return text, "utf-8"
    if _IMPLAUSIBLE.search(text) and not _IMPLAUSIBLE.search(gb_text):
        return gb_text, "gb18030"
    return text, "utf-8"


def decode_text(data: bytes, path: Path) -> str:
    """Decode CSV bytes as UTF-8 (with or without BOM), UTF-16 or GB18030 (see _decode)."""
    return _decode(data, path)[0]


def _dialect(text: str | bytes) -> type[csv.Dialect]:
    """Tab-separated when the text holds more tabs than commas (counted in UTF-8 or GB18030
    bytes alike: neither uses these ASCII bytes inside a character)."""
    tab, comma = ("\t", ",") if isinstance(text, str) else (b"\t", b",")
    tabs = text.count(tab)
    # Most ledgers hold no tab at all: the commas then need no counting.
    return csv.excel_tab if tabs and tabs > text.count(comma) else csv.excel


# Nothing but an optional byte order mark and blank lines: no row Excel would show.
_BLANK = re.compile(rb"(?:\xef\xbb\xbf|\xff\xfe|\xfe\xff)?[\x00\s]*")
_WORKBOOK_KINDS = {b"PK\x03\x04": ".xlsx", b"\xd0\xcf\x11\xe0": ".xls"}


def _check_csv_bytes(data: bytes, path: Path) -> None:
    """Refuse a file with no text at all, or a workbook saved under a CSV name, saying which."""
    if _BLANK.fullmatch(data):
        raise LedgerError(
            f"{path.name}: 文件为空 / the file is empty",
            hint="the file holds no rows: export the ledger from Excel or WPS again, "
            "or copy it again if it was cut short on the way",
        )
    kind = _WORKBOOK_KINDS.get(data[:4])
    if kind is not None:
        raise LedgerError(
            f"{path.name}: 这是以 {path.suffix} 为扩展名保存的 Excel 工作簿（{kind}），不是 CSV 文件 / "
            f"this is an Excel workbook ({kind}) saved with a {path.suffix} name, not a CSV file",
            hint=f"rename it to {path.stem}{kind}, or open it in Excel or WPS and save it as "
            "'CSV UTF-8'",
        )


def read_csv(path: Path) -> list[Sheet]:
    """Read a CSV file as one sheet, its rows numbered as Excel numbers them (see _record_numbers)."""
    data = path.read_bytes()
    _check_csv_bytes(data, path)
    text = decode_text(data, path)
    reader = csv.reader(io.StringIO(text, newline=""), _dialect(text))
    rows = [[cell_text(c) for c in record] for record in reader]
    return [Sheet(name="", rows=rows, row_numbers=_record_numbers(rows))]


def _record_numbers(rows: list) -> list[int]:
    """1-based record numbers: Excel shows a record as one row however many lines its cells
    span, so the line a record ends on (csv.reader.line_num) is not the row the clerk sees."""
    return list(range(1, len(rows) + 1))


@dataclass
class CsvHead:
    """A CSV file decoded, with its first records read as read_csv reads them.

    `ends[i]` is where record i ends in `text`, so the rows below a header can be handed to
    DuckDB's own CSV reader; `utf8_offset` is the same place in the file's bytes when the file
    is UTF-8 (its bytes can then be handed over as they are), else None.
    """

    text: str
    delimiter: str
    sheet: Sheet
    ends: list[int]
    utf8_offset: list[int] | None


_NEWLINE = re.compile(r"\r\n?|\n")

# How much of a large UTF-8 file is decoded to find its header: far more than its first records.
HEAD_BYTES = 1 << 20


def _gb18030(data: bytes) -> str | None:
    """All of `data` decoded as GB18030, or None when it is not; its start is tried first.

    Python's GB18030 decoder makes its output buffer for the whole input before the first
    byte: on a 167 MB UTF-8 file it took 0.14 s to fail at byte 75. A start that fails fails
    the whole; the decoder is incremental, so a character cut at the slice's end is no failure.
    """
    try:
        codecs.getincrementaldecoder("gb18030")().decode(data[:HEAD_BYTES])
        return data.decode("gb18030")
    except UnicodeDecodeError:
        return None


def _utf8_head(data: bytes) -> str | None:
    """The first HEAD_BYTES of a large file as text, when it is UTF-8 and not GB18030; else None.

    Only the start is decoded in Python. DuckDB's CSV reader, which reads the rest, rejects
    invalid UTF-8, and the file is then read in Python, whose error names the byte. A file that
    GB18030 also decodes is left to _decode, which weighs the two readings of the whole text.
    The start is tried as UTF-8 first: a GBK file fails there within its first line, and is not
    decoded whole here only for _decode to decode it again.
    """
    if len(data) <= HEAD_BYTES or data.startswith(_UTF16_BOMS) or b"\x00" in data:
        return None
    try:
        # Incremental, so a character cut at the end of the slice waits for bytes never given.
        head = codecs.getincrementaldecoder("utf-8-sig")().decode(data[:HEAD_BYTES])
    except UnicodeDecodeError:
        return None
    return None if _gb18030(data) is not None else head


def csv_head(data: bytes, path: Path, records: int, whole: bool = False) -> CsvHead:
    """Decode a CSV file and read its first `records` records (without copying the whole text).

    For a large UTF-8 file `text` is only its start (see _utf8_head) unless `whole` is asked.
    """
    _check_csv_bytes(data, path)
    text = None if whole else _utf8_head(data)
    partial = text is not None
    if text is None:
        text, encoding = _decode(data, path)
        dialect = _dialect(text)
    else:
        encoding = "utf-8"
        dialect = _dialect(data)
    consumed = 0

    def lines():
        # Lines end as read_csv's StringIO(newline="") ends them: at \n, \r\n or a lone \r.
        nonlocal consumed
        pos = 0
        while pos < len(text):
            newline = _NEWLINE.search(text, pos)
            end = len(text) if newline is None else newline.end()
            consumed = end
            yield text[pos:end]
            pos = end

    reader = csv.reader(lines(), dialect)
    rows: list[list[str | None]] = []
    ends: list[int] = []
    for record in reader:
        rows.append([cell_text(c) for c in record])
        ends.append(consumed)
        if len(rows) >= records:
            break
    if partial and consumed == len(text):
        # The records ran to the end of a decoded start: the last may be cut short.
        return csv_head(data, path, records, whole=True)
    utf8 = None
    if encoding == "utf-8":
        bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
        utf8 = [bom + len(text[:end].encode()) for end in ends]
    return CsvHead(text, dialect.delimiter, Sheet("", rows, _record_numbers(rows)), ends, utf8)


_XLSX_MAGIC = b"PK\x03\x04"
_XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# The stream an encrypted (password to open) Office file keeps its keys in, named in UTF-16.
_ENCRYPTED_STREAM = "EncryptionInfo".encode("utf-16-le")
_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CELL_REF = re.compile(r"([A-Z]+)(\d+)")


def _cell_index(ref: str) -> tuple[int, int]:
    """0-based (row, column) of an A1 reference."""
    letters, digits = _CELL_REF.fullmatch(ref).groups()
    col = 0
    for ch in letters:
        col = col * 26 + ord(ch) - 64
    return int(digits) - 1, col - 1


def uncached_formulas(data: bytes) -> dict[str, dict[tuple[int, int], str]]:
    """Per sheet name, the formula cells of an .xlsx that carry no saved result, and the cells
    holding an Excel error value (#DIV/0!, #N/A, #VALUE!), as the error's text.

    Excel and WPS save a formula's last result beside it; files written by programs (openpyxl,
    some report generators) often do not, and reading such a cell gives nothing. An error value
    also reads as nothing. Those cells are found here so the row can be quarantined naming the
    cell and what the clerk sees in it, rather than loaded as empty or told a value is missing.
    """
    found: dict[str, dict[tuple[int, int], str]] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = set(zf.namelist())
        if "xl/workbook.xml" not in names or "xl/_rels/workbook.xml.rels" not in names:
            return found
        rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
        targets = {
            r.get("Id"): r.get("Target", "") for r in rels.iter(f"{_PKG_REL_NS}Relationship")
        }
        book = ElementTree.fromstring(zf.read("xl/workbook.xml"))
        for sheet in book.iter(f"{_MAIN_NS}sheet"):
            target = targets.get(sheet.get(f"{_REL_NS}id"), "")
            member = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            if member not in names:
                continue
            xml = zf.read(member)
            if b"<f" not in xml and b":f" not in xml and b't="e"' not in xml:
                continue
            cells: dict[tuple[int, int], str] = {}
            for cell in ElementTree.fromstring(xml).iter(f"{_MAIN_NS}c"):
                if cell.get("r") is None:
                    continue
                value = cell.find(f"{_MAIN_NS}v")
                if cell.get("t") == "e":
                    cells[_cell_index(cell.get("r"))] = (
                        value.text if value is not None else ""
                    ) or "#错误"
                    continue
                formula = cell.find(f"{_MAIN_NS}f")
                if formula is None:
                    continue
                if value is not None and value.text:
                    continue
                if cell.get("t") == "inlineStr":
                    continue
                cells[_cell_index(cell.get("r"))] = "=" + (formula.text or "")
            if cells:
                found[sheet.get("name")] = cells
    return found


def _not_a_workbook(path: Path, data: bytes) -> LedgerError:
    head = data[:512].lstrip(b"\xef\xbb\xbf\xff\xfe \t\r\n").lower()
    if head.startswith(b"<") or b"<html" in head or b"<table" in head:
        return LedgerError(
            f"{path.name}: 这是以 {path.suffix} 为扩展名保存的网页（HTML）文件，不是 Excel 工作簿 / "
            f"this is a web page (HTML) saved with an {path.suffix} name, not an Excel workbook",
            hint="open it in Excel or WPS and save it as an Excel workbook (.xlsx)",
        )
    return LedgerError(
        f"{path.name}: 不是可读取的 Excel 文件 / not a readable Excel workbook",
        hint="open it in Excel or WPS and save it as .xlsx",
    )


def read_excel(path: Path) -> list[Sheet]:
    """Read an .xlsx or legacy .xls workbook, recognised by its content rather than its name."""
    from python_calamine import CalamineWorkbook

    data = path.read_bytes()
    if not data.startswith((_XLSX_MAGIC, _XLS_MAGIC)):
        raise _not_a_workbook(path, data)
    if data.startswith(_XLS_MAGIC) and _ENCRYPTED_STREAM in data:
        # Excel and WPS save a workbook with an opening password as an encrypted package in
        # an OLE file, whatever its extension: not a file to re-save as .xlsx, but to unlock.
        raise LedgerError(
            f"{path.name}: 工作簿设有打开密码，无法读取 / the workbook is protected by a "
            "password and cannot be read",
            hint="open it in Excel or WPS, remove the password (文件 > 信息 > 保护工作簿 > 用密码"
            "进行加密, leave it empty) and save it again",
        )
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        formulas = uncached_formulas(data) if data.startswith(_XLSX_MAGIC) else {}
    except Exception as exc:  # calamine and zipfile raise their own error types per format
        raise LedgerError(
            f"{path.name}: 不是可读取的 Excel 文件 / not a readable Excel workbook ({exc})",
            hint="open it in Excel or WPS and save it as .xlsx",
        ) from exc
    sheets = []
    for name in workbook.sheet_names:
        grid = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
        rows = [[cell_text(v) for v in row] for row in grid]
        cells = formulas.get(name, {})
        # calamine's grid ends at the last cell with a value; a formula without one may lie past it.
        for r, c in cells:
            rows += [[] for _ in range(r + 1 - len(rows))]
            rows[r] += [None] * (c + 1 - len(rows[r]))
        sheets.append(Sheet(name, rows, row_numbers=list(range(1, len(rows) + 1)), formulas=cells))
    return sheets


READERS = {
    ".csv": read_csv,
    ".txt": read_csv,
    ".xlsx": read_excel,
    ".xlsm": read_excel,
    ".xls": read_excel,
}


def read_file(path: Path) -> list[Sheet]:
    """Read a ledger file into sheets of text; the suffix picks the reader."""
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise LedgerError(
            f"{path.name}: 不支持的文件类型 / unsupported file type '{path.suffix}'",
            hint="ledgers are read from " + ", ".join(READERS) + " files",
        )
    return reader(path)
