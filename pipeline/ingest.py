"""Ingest: ledger files -> validated, masked rows in the raw schema, with every row accounted for."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import duckdb

from . import validate
from .contract import (
    LEDGERS,
    Column,
    Ledger,
    header_index,
    is_personal_header,
    match_headers,
    matched_columns,
    normalise_header,
    similar_header,
)
from .errors import LedgerError, PilotError
from .lock import writer_lock
from .privacy import hmac_pads, load_secret
from .readers import READERS, Sheet, csv_head, read_file
from .reference import load_reference
from .settings import Settings
from .warehouse import (
    RAW_LEDGER_COLUMNS,
    connect,
    delete_file_rows,
    ensure_raw_schema,
    quote_ident,
)

if TYPE_CHECKING:
    import pandas as pd

HEADER_SCAN_ROWS = 30
CSV_SUFFIXES = (".csv", ".txt")

# How each raw column is filled from the rows validate.CHECKS gives (columns not named here are
# taken as they are).
_RAW_SELECT = {
    "cases": {
        "summary": "mask_text(summary, party_name)",
        "party_name_masked": "mask_name(party_name)",
        # Only a valid number is hashed: id18 cannot read every 15 characters as digits.
        "party_id_hash": "case when id_in is not null and len(reasons) = 0 then id_hash(id_in) end",
        "found_date": "cast(found_date as varchar)",
        "deadline": "cast(deadline as varchar)",
        "closed_date": "cast(closed_date as varchar)",
        "fine_yuan": "cast(fine_yuan as varchar)",
        "extra_columns": "mask_text(extra_columns, party_name)",
    },
    "patrols": {
        "date": "cast(date as varchar)",
        "note": "mask_text(note, null)",
        "extra_columns": "mask_text(extra_columns, null)",
        "officer_count": "cast(officer_count as varchar)",
        "issues_found": "cast(issues_found as varchar)",
        "resolved_on_spot": "cast(resolved_on_spot as varchar)",
    },
    "outputs": {
        "date": "cast(date as varchar)",
        "note": "mask_text(note, null)",
        "extra_columns": "mask_text(extra_columns, null)",
        "quantity_approx": "cast(quantity_approx as varchar)",
        "place": "mask_address(place)",
    },
}


@dataclass
class SheetReport:
    sheet: str
    ledger: str | None
    status: str
    header_row: int | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_skipped: int = 0
    unknown_columns: list[str] = field(default_factory=list)


class StagedSheet(NamedTuple):
    """A sheet ready to load: fill_src() makes the temp view `src` of its text cells."""

    name: str
    ledger: Ledger
    fill_src: Callable[[], None]
    report: SheetReport


@dataclass
class FileReport:
    """What happened to one file: status loaded, unchanged, duplicate or failed, and the counts."""

    path: Path
    status: str
    file_id: str | None = None
    duplicate_of: str | None = None
    supersedes: str | None = None
    # Rows of the superseded file taken out of the ledger tables.
    withdrawn: int = 0
    error: str | None = None
    # What to do about the error, as a PilotError's hint.
    hint: str | None = None
    sheets: list[SheetReport] = field(default_factory=list)

    def total(self, attr: str) -> int:
        return sum(getattr(s, attr) for s in self.sheets)

    @property
    def ledgers(self) -> str:
        return ",".join(sorted({s.ledger for s in self.sheets if s.ledger and s.status == "read"}))


@dataclass
class IngestResult:
    load_id: str
    files: list[FileReport]

    @property
    def failed(self) -> list[FileReport]:
        return [f for f in self.files if f.status == "failed"]


def find_files(paths: Iterable[Path]) -> list[Path]:
    """Expand folders into the ledger files they hold; Office lock files (~$...) are not ledgers."""
    found: list[Path] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            found += sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and p.suffix.lower() in READERS and not p.name.startswith("~$")
            )
        elif path.is_file():
            found.append(path)
        elif path.exists():
            # A device or a pipe (/dev/zero, /dev/stdin) would be read without end.
            raise PilotError(f"不是普通文件 / not a regular file: {path}")
        else:
            raise PilotError(f"找不到文件或文件夹 / no such file or folder: {path}")
    return _one_file_per_name(found)


def _one_file_per_name(found: list[Path]) -> list[Path]:
    """The files, each once; two different files of one name are refused before any is read.

    A file replaces the loaded rows of the file of the same name before it (a clerk sends the
    whole ledger again), so of XHY/巡查日志.csv and XJ/巡查日志.csv one would withdraw the other.
    """
    by_name: dict[str, Path] = {}
    files: list[Path] = []
    for path in found:
        first = by_name.setdefault(path.name, path)
        if first is path:
            files.append(path)
        elif first.resolve() != path.resolve():
            raise PilotError(
                f"同名文件 / two files named {path.name}: {first} and {path}",
                hint="a file replaces the earlier version of the same name, so one would "
                "replace the other: put the unit code in each name (e.g. XHY_巡查日志.csv)",
            )
    return files


def locate_header(sheet: Sheet) -> tuple[Ledger | None, int]:
    """The ledger whose header is on one of the sheet's first rows, and that row's index (its
    first row, when a row of groups above it names some of its columns: see group_row)."""
    for index, row in enumerate(sheet.rows[:HEADER_SCAN_ROWS]):
        ledger, _ = match_headers(row)
        if ledger is None and (joined := group_row(sheet, index)) is not None:
            ledger, _ = match_headers(joined)
        if ledger is not None:
            return ledger, index
    return None, -1


def group_row(sheet: Sheet, index: int) -> list[str | None] | None:
    """Rows `index` and `index + 1` joined, when the first is a row of groups over a header and
    names columns the header's row leaves empty; else None.

    Clerks' templates merge groups (案件信息, 处理情况) across the header's columns on the row
    above it, and some headers (序号, or 案件编号) down over both rows, which leaves their cells
    on the lower row empty. Each cell of such a row stands over one column the row below
    leaves empty (a header merged down, which names it), or over columns the first of which
    the row below names (a group; the lower row's own groups leave cells right of their
    names empty). A title or a note above the header, over a column the row below leaves
    empty and more, is neither: a row holding one is not joined.
    """
    if index + 1 >= len(sheet.rows):
        return None
    upper, lower = sheet.rows[index], sheet.rows[index + 1]
    width = 1 + max(
        (pos for row in (upper, lower) for pos, cell in enumerate(row) if cell is not None),
        default=-1,
    )
    upper = (upper + [None] * width)[:width]
    lower = (lower + [None] * width)[:width]
    names = False
    for run in _runs(upper):
        if lower[run.start] is None:
            if len(run) > 1:
                return None
            names = True
    if not names:
        return None
    return _stacked(upper, lower)


def _aligned(
    upper: list[str | None], lower: list[str | None]
) -> tuple[list[str | None], list[str | None]]:
    """Two rows of a header padded with empty cells to the same width."""
    width = max(len(upper), len(lower))
    return upper + [None] * (width - len(upper)), lower + [None] * (width - len(lower))


def _stacked(upper: list[str | None], lower: list[str | None]) -> list[str | None]:
    """Two aligned rows of a header as one: each column's lower cell where it has one, else the
    upper's (a header merged down over both rows)."""
    return [low if low is not None else top for top, low in zip(upper, lower)]


def near_header(sheet: Sheet) -> tuple[Ledger, int] | None:
    """A row carrying several of one ledger's headers, though too few to be taken as its header
    (its ID column renamed, 案件号 for 案件编号): the ledger and the row's index."""
    best: tuple[int, Ledger, int] | None = None
    for index, row in enumerate(sheet.rows[:HEADER_SCAN_ROWS]):
        cells = [normalise_header(c) for c in row if c]
        for ledger in LEDGERS.values():
            found = len(matched_columns(ledger, cells))
            if found >= 3 and (best is None or found > best[0]):
                best = (found, ledger, index)
    return (best[1], best[2]) if best else None


def _runs(header: list[str | None]) -> list[range]:
    """The columns each header cell stands over: its own and the cells right of it that are empty
    or repeat it (a merged cell, its text in its first cell or written out in every cell)."""
    runs: list[range] = []
    for pos, cell in enumerate(header):
        if cell is None or (
            runs and normalise_header(cell) == normalise_header(header[runs[-1].start])
        ):
            if runs:
                runs[-1] = range(runs[-1].start, pos + 1)
            continue
        runs.append(range(pos, pos + 1))
    return runs


def sub_header(
    sheet: Sheet, ledger: Ledger, header_at: int, header: list[str | None] | None = None
) -> list[str | None] | None:
    """The row under the header when it is the header's second row, else None.

    `header` is the header's cells when they are not its row's alone (joined with a row of
    groups above it, see group_row).

    Clerks' templates group columns under a merged cell (当事人信息 over 当事人, 身份证号 and
    联系电话 on the row below), every other header merged down over both rows. The row below
    then holds header names only. Under a contract header it holds nothing or that column's
    name again; under a group (a header the contract does not know, or the empty cells a
    merged one leaves to its right) a contract header, a header naming personal data, or the
    group's name again (a merged cell written out in every cell it covers). A contract header
    merged across columns (当事人 over 姓名, 身份证号 and 联系电话) groups them too: under it
    stand contract headers and, under a column of personal data, headers naming personal
    data. A data row holds a value under some contract header (its unit, its
    date), which is none of these: even a row lacking its ID is read, and quarantined for it.
    Cells beside the table (under no header, right of a contract header) make the row no
    header either.
    """
    below_at = header_at + 1
    if below_at >= len(sheet.rows) or not any(sheet.rows[below_at]):
        return None
    index = header_index(ledger)
    header = sheet.rows[header_at] if header is None else header
    below = sheet.rows[below_at]
    header, padded = _aligned(header, below)
    runs = _runs(header)
    if any(padded[: runs[0].start]):
        return None
    for run in runs:
        top = header[run.start]
        column = index.get(normalise_header(top))
        cells = [(pos, padded[pos]) for pos in run if padded[pos] is not None]
        across = any(pos != run.start for pos, _ in cells)
        for _, cell in cells:
            named = index.get(normalise_header(cell))
            if column is None:
                fits = (
                    named is not None
                    or is_personal_header(cell)
                    or normalise_header(cell) == normalise_header(top)
                )
            elif across:
                fits = named is not None or (column.personal and is_personal_header(cell))
            else:
                fits = named is column
            if not fits:
                return None
    return below


def header_rows(
    sheet: Sheet, ledger: Ledger, header_at: int, file_name: str
) -> tuple[list[str | None], int]:
    """The header's cells and the index of its last row: its one row, or two or three joined.

    Of a row of groups and the header under it (see group_row), a column's header is the
    header's cell, else the cell above it (序号, merged down over both rows). Of a header and
    its second row (see sub_header), a column's header is the lower row's cell where it has one
    (当事人 under 当事人信息), else the upper row's (案件编号, merged down over both). A contract
    header merged across columns whose lower cells name other columns is the one column under
    it whose lower cell names no contract column (当事人 over 姓名, 身份证号 and 联系电话 is read
    from 姓名); where more than one could be it, which is not guessed.
    """
    header, last = sheet.rows[header_at], header_at
    if match_headers(header)[0] is None:
        # Located as a row of groups joined with the header below it.
        joined = group_row(sheet, header_at)
        if joined is not None and match_headers(joined)[0] is ledger:
            header, last = joined, header_at + 1
    below = sub_header(sheet, ledger, last, header)
    if below is None:
        return header, last
    header, below = _aligned(header, below)
    joined = _stacked(header, below)
    index = header_index(ledger)
    for run in _runs(header):
        column = index.get(normalise_header(header[run.start]))
        if column is None or any(index.get(normalise_header(joined[p])) is column for p in run):
            continue
        unnamed = [
            p for p in run if below[p] is not None and normalise_header(below[p]) not in index
        ]
        if len(unnamed) > 1:
            raise _group_unclear(sheet, last, file_name, column, run, below, unnamed)
        if unnamed:
            joined[unnamed[0]] = header[run.start]
    return joined, last + 1


def _group_unclear(
    sheet: Sheet,
    header_at: int,
    file_name: str,
    column: Column,
    run: range,
    below: list[str | None],
    unnamed: list[int],
) -> LedgerError:
    """The error for a contract header over several columns any of which could be it."""
    used = [p for p in run if below[p] is not None or p == run.start]
    first, last = column_letter(used[0]), column_letter(used[-1])
    top, low = sheet.row_numbers[header_at], sheet.row_numbers[header_at + 1]
    zh = "、".join(f"{below[p]}（{column_letter(p)} 列）" for p in unnamed)
    en = ", ".join(f"{below[p]} (column {column_letter(p)})" for p in unnamed)
    return LedgerError(
        f"{_where(sheet, file_name)}: 第 {top} 行的表头“{column.header}”跨 {first}–{last} 列，"
        f"第 {low} 行其下有不止一列可能是它：{zh} / the header {column.header} ({column.name}) "
        f"on row {top} spans columns {first} to {last}, and more than one column under it on "
        f"row {low} could be it: {en}",
        hint=f"write {column.header} on row {low} over the column that holds it, in place of "
        "the name there",
    )


def _where(sheet: Sheet, file_name: str) -> str:
    """A sheet as messages name it: the file, and the sheet of a workbook."""
    return f"{file_name}" + (f" [{sheet.name}]" if sheet.name else "")


def header_layout(
    sheet: Sheet, ledger: Ledger, header_at: int, file_name: str
) -> tuple[dict[str, int], list[tuple[int, str]]]:
    """Where each contract column sits in the header row, and the unknown columns (position, name)."""
    index = header_index(ledger)
    header, _ = header_rows(sheet, ledger, header_at, file_name)
    positions: dict[str, int] = {}
    extras: list[tuple[int, str]] = []
    where = _where(sheet, file_name)
    for pos, cell in enumerate(header):
        col = index.get(normalise_header(cell))
        if col is not None and col.name in positions:
            # Which of the two would be read is not the clerk's to guess (one may be hidden).
            first, second = column_letter(positions[col.name]), column_letter(pos)
            raise LedgerError(
                f"{where}: 第 {sheet.row_numbers[header_at]} 行的表头“{col.header}”出现两次"
                f"（{first} 列和 {second} 列）/ the header {col.header} ({col.name}) appears "
                f"twice on row {sheet.row_numbers[header_at]}, in columns {first} and {second}",
                hint="delete or rename one of them; a hidden column counts too",
            )
        if col is not None:
            positions[col.name] = pos
        elif cell:
            extras.append((pos, str(cell)))
    missing = [c for c in ledger.required if c.name not in positions]
    if missing:
        names = "、".join(f"{c.header}（{c.name}）" for c in missing)
        wanted = {c.header for c in missing}
        renames = [
            f"{name} → {similar}"
            for _, name in extras
            if (similar := similar_header(ledger, name)) in wanted
        ]
        raise LedgerError(
            f"{where}: 第 {sheet.row_numbers[header_at]} 行的表头缺少必填列 / "
            f"header on row {sheet.row_numbers[header_at]} lacks required column(s): {names}",
            hint=(f"rename the header {', '.join(renames)}, or add" if renames else "add")
            + " the column with its Chinese header (see the ledger template)",
        )
    return positions, extras


def kept_extras(extras: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Unknown columns whose values are kept: all but those whose header says personal data."""
    return [(pos, name) for pos, name in extras if not is_personal_header(name)]


def sheet_frame(
    sheet: Sheet, ledger: Ledger, header_at: int, file_name: str
) -> tuple[pd.DataFrame, list[str]]:
    """Rows below the header as one text column per contract column, plus unknown columns as JSON."""
    # Imported here: a CSV ledger DuckDB parses never needs pandas, which takes a third of a second
    # to import.
    import pandas as pd

    positions, extras = header_layout(sheet, ledger, header_at, file_name)
    header, last = header_rows(sheet, ledger, header_at, file_name)
    start = last + 1
    body = sheet.rows[start:]
    width = len(header)
    # Cells under no header (notes typed beside the table, a header row not recognised as one)
    # are not read: which column they belong to is unknown, and they may be a person's details.
    # They are reported with the unknown columns, so nothing goes unsaid.
    # Only the few positions without a header are looked at, not every cell of the sheet.
    named = {*positions.values(), *(pos for pos, _ in extras)}
    widest = max(map(len, body), default=0)
    not_read = []
    for pos in range(max(width, widest)):
        if pos in named:
            continue
        count = sum(1 for row in body if pos < len(row) and row[pos] is not None)
        if count:
            not_read.append(f"（无表头的 {column_letter(pos)} 列，{count} 格）")
    data: dict[str, list] = {"source_row": sheet.row_numbers[start:]}
    padded = [row + [None] * (width - len(row)) if len(row) < width else row for row in body]
    formula_cells: list[list[dict] | None] = [None] * len(padded)
    if sheet.formulas:
        # A formula saved without its result stands as its own text, so the row is not taken for
        # blank, and is quarantined naming the cell (validate.FORMULAS).
        padded = [list(row) for row in padded]
        fields = {pos: name for name, pos in positions.items()}
        for (r, c), formula in sorted(sheet.formulas.items()):
            if r < start or c >= width or padded[r - start][c] is not None:
                continue
            padded[r - start][c] = formula
            if c in fields:
                cell = {"field": fields[c], "cell": f"{column_letter(c)}{sheet.row_numbers[r]}"}
                formula_cells[r - start] = [
                    *(formula_cells[r - start] or []),
                    {**cell, "formula": formula},
                ]
    data["first_cell"] = [next((c for c in row if c is not None), None) for row in padded]
    for col in ledger.columns:
        pos = positions.get(col.name)
        data[col.name] = [row[pos] for row in padded] if pos is not None else [None] * len(padded)
    data["formula_cells"] = [
        json.dumps(cells, ensure_ascii=False) if cells else None for cells in formula_cells
    ]
    # An unknown column is kept, except one whose header says it holds personal data: its
    # values never reach the warehouse (the header is still reported).
    kept = kept_extras(extras)
    data["extra_columns"] = [
        json.dumps(
            {name: row[pos] for pos, name in kept if row[pos] is not None}, ensure_ascii=False
        )
        if any(row[pos] is not None for pos, _ in kept)
        else None
        for row in padded
    ]
    return pd.DataFrame(data), [name for _, name in extras] + not_read


def _lines_above(data: bytes, start: int) -> int | None:
    """How many lines DuckDB's reader skips to start at byte `start` of the file itself.

    None (the rows are then copied to a file of their own) when the lines above could be
    counted otherwise than by their newlines: a quote (a cell spanning lines), a bare carriage
    return, or no newline just before `start`.
    """
    above = data[:start]
    if not above.endswith(b"\n") or b'"' in above or b"\r" in above.replace(b"\r\n", b""):
        return None
    return above.count(b"\n")


def column_letter(index: int) -> str:
    """Excel's letters for a 0-based column index (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


class Ingestor:
    """One ingest run over a warehouse connection: reference tables and macros set up once."""

    def __init__(
        self, con: duckdb.DuckDBPyConnection, settings: Settings, load_id: str, read_dir: Path
    ):
        self.con = con
        self.settings = settings
        self.load_id = load_id
        # The one folder this connection's SQL may read: CSV bodies are put there for DuckDB.
        self.read_dir = read_dir
        ensure_raw_schema(con)
        validate.install(con)
        validate.set_date_window(con, settings.pilot_start, dt.date.today())
        # The keyed hash of ID numbers runs in SQL (validate's id_hash); the key lives only in
        # this connection's temp schema, never in the warehouse file.
        inner, outer = hmac_pads(load_secret(settings.secret_file))
        con.execute("insert into id_key values (?, ?)", [inner, outer])
        con.execute("create or replace temp table src_offset (n integer)")
        con.execute("create or replace temp table bad_rows (source_row integer)")
        for name, table in load_reference(settings.reference_dir).items():
            ddl = ", ".join(f"{quote_ident(c)} varchar" for c in table.columns)
            con.execute(f"create or replace temp table {quote_ident(name)} ({ddl})")
            if table.rows:
                # One statement: a list per column, unnested side by side.
                con.execute(
                    f"insert into {quote_ident(name)} select "
                    + ", ".join("unnest(?)" for _ in table.columns),
                    [list(col) for col in zip(*table.rows, strict=True)],
                )

    def ingest_file(self, path: Path) -> FileReport:
        try:
            data = path.read_bytes()
        except OSError as exc:
            # One file a clerk cannot open (locked by Excel, no permission) fails alone; the
            # others of the folder are still read, and the load is still finished.
            report = FileReport(
                path,
                "failed",
                file_id=uuid.uuid4().hex,
                error=f"{path.name}: 无法读取文件 / cannot read the file: {exc.strerror or exc}",
                hint="close it in Excel or WPS, or ask for permission to read it, then ingest again",
            )
            self._record_file(report, None, None)
            return report
        sha = hashlib.sha256(data).hexdigest()
        same = self.con.execute(
            "select file_name, status from raw.files where sha256 = ? "
            "and status in ('loaded', 'duplicate') order by ingested_at",
            [sha],
        ).fetchall()
        if any(name == path.name for name, _ in same):
            return FileReport(path, "unchanged")
        file_id = uuid.uuid4().hex
        if same:
            original = next(name for name, status in same if status == "loaded")
            report = FileReport(path, "duplicate", file_id=file_id, duplicate_of=original)
            self._record_file(report, sha, len(data))
            return report
        # DuckDB's CSV reader is tried outside the file's transaction: a statement that fails
        # inside one aborts it.
        staged = failure = None
        if path.suffix.lower() in CSV_SUFFIXES:
            try:
                staged = self._stage_csv(path, data)
            except LedgerError as exc:
                failure = exc
        self.con.execute("begin")
        try:
            if failure is not None:
                raise failure
            report = self._load(path, file_id, data, staged)
        except LedgerError as exc:
            self.con.execute("rollback")
            self.con.execute("begin")
            report = FileReport(path, "failed", file_id=file_id, error=exc.message, hint=exc.hint)
        except BaseException:
            self.con.execute("rollback")
            raise
        self._record_file(report, sha, len(data))
        self.con.execute("commit")
        return report

    def _load(
        self, path: Path, file_id: str, data: bytes, staged: StagedSheet | None
    ) -> FileReport:
        report = FileReport(path, "loaded", file_id=file_id)
        if staged is not None:
            entries = [staged]
            report.sheets.append(staged.report)
        else:
            entries = self._stage_sheets(path, file_id, report)
        if not entries:
            raise LedgerError(
                f"{path.name}: 没有找到任何台账表头 / no sheet has a ledger header",
                hint="the header row must carry the contract's column names, e.g. 案件编号, 巡查编号 or 活动编号",
            )
        previous = self.con.execute(
            "select file_id from raw.files where file_name = ? and status = 'loaded'", [path.name]
        ).fetchall()
        old_units: set[str] = set()
        for (old_id,) in previous:
            old_units |= self._units_of(old_id)
            report.withdrawn += self._retire(old_id)
            report.supersedes = old_id
        for sheet_name, ledger, fill_src, sheet_report in entries:
            fill_src()
            self._load_sheet(path, file_id, sheet_name, ledger, sheet_report)
        new_units = self._units_of(file_id) if previous else set()
        if old_units and new_units and not old_units & new_units:
            # Another unit's ledger of the same name (templates made without --unit all share
            # one name), not a corrected version: replacing would withdraw the first unit's rows.
            # Raised inside the file's transaction, so the earlier file stays as it was.
            raise LedgerError(
                f"{path.name}: 与已入库的同名文件不是同一单位 / a file of this name holding "
                f"{'、'.join(sorted(old_units))} rows is already loaded; this one holds "
                f"{'、'.join(sorted(new_units))} rows, so it is not a corrected version of it",
                hint="give each unit's ledger a name of its own, e.g. "
                f"{min(new_units)}_{path.name}; a corrected version keeps its file's name",
            )
        return report

    def _units_of(self, file_id: str) -> set[str]:
        """The units of the rows a file loaded."""
        units: set[str] = set()
        for table in RAW_LEDGER_COLUMNS:
            rows = self.con.execute(
                f"select distinct unit_code from raw.{quote_ident(table)} where file_id = ?",
                [file_id],
            ).fetchall()
            units.update(code for (code,) in rows if code)
        return units

    def _stage_sheets(self, path: Path, file_id: str, report: FileReport) -> list[StagedSheet]:
        """Every sheet read in Python (any workbook, and CSV files DuckDB's reader cannot take)."""
        entries = []
        sheets = read_file(path)
        for sheet in sheets:
            ledger, header_at = locate_header(sheet)
            if ledger is None:
                skipped = SheetReport(sheet.name, None, "not_a_ledger")
                report.sheets.append(skipped)
                # Recorded, so the warehouse too says which sheets were left unread.
                self._record_sheet(file_id, skipped)
                continue
            frame, unknown = sheet_frame(sheet, ledger, header_at, path.name)
            sheet_report = SheetReport(
                sheet.name,
                ledger.name,
                "read",
                sheet.row_numbers[header_at],
                unknown_columns=unknown,
            )
            fill = partial(self._src_from_frame, ledger, frame)
            entries.append(StagedSheet(sheet.name, ledger, fill, sheet_report))
            report.sheets.append(sheet_report)
        if not entries:
            # No ledger header anywhere: a header that lacks its ID column is named as such,
            # with the columns it lacks, rather than as no header at all.
            for sheet in sheets:
                if near := near_header(sheet):
                    header_layout(sheet, *near, path.name)
        return entries

    def _stage_csv(self, path: Path, data: bytes) -> StagedSheet | None:
        """A CSV ledger parsed by DuckDB's own reader into the temp table src_cells.

        Taken only when it gives exactly what read_csv would: one record per line below the
        header (no cell spans lines, no blank line, which DuckDB skips) and no row wider than
        the header. Otherwise None, and the file is read in Python.
        """
        # Two records more than the header is looked for in: the header under a row of groups
        # (group_row) and its second row (sub_header).
        head = csv_head(data, path, HEADER_SCAN_ROWS + 2)
        ledger, header_at = locate_header(head.sheet)
        if ledger is None:
            return None
        positions, extras = header_layout(head.sheet, ledger, header_at, path.name)
        kept = kept_extras(extras)
        if len({name for _, name in kept}) < len(kept):
            return None
        header, header_end = header_rows(head.sheet, ledger, header_at, path.name)
        width = len(header)
        if any(cell is None for cell in header):
            # A column without a header: read in Python, which reports what stands under it.
            return None
        skip = None
        if head.utf8_offset is not None:
            encoded, start = data, head.utf8_offset[header_end]
            skip = _lines_above(data, start)
        else:
            # Encoded once, whole: the rows below the header are a slice of it, not a copy.
            encoded = head.text.encode("utf-8")
            start = len(head.text[: head.ends[header_end]].encode("utf-8"))
        del head.text
        lines = encoded.count(b"\n", start)
        tail = encoded[-1:] if len(encoded) > start else b"\n"
        # A last line without its newline is a record too.
        lines += tail != b"\n"
        # The ingest's connection reads only its own folder. A UTF-8 file is linked there and
        # read past the lines above its rows; otherwise (or on a file system without hard
        # links) the rows below the header are written there as UTF-8.
        tmp = self.read_dir / f"{uuid.uuid4().hex}.csv"
        if skip is not None:
            try:
                os.link(path, tmp)
            except OSError:
                skip = None
        if skip is None:
            tmp.write_bytes(memoryview(encoded)[start:])
            skip = 0
        del encoded
        columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width))
        select, params = self._csv_cells(ledger, positions, kept, width)
        try:
            # Cells are trimmed as DuckDB parses them: the parsed rows are never stored untrimmed.
            self.con.execute(
                f"create or replace temp table src_cells as select {select} from ("
                f"select {', '.join(f'cell(c{i}) as c{i}' for i in range(width))} "
                "from read_csv(?, header = false, auto_detect = false, delim = ?, quote = '\"', "
                f"escape = '\"', skip = ?, null_padding = true, columns = {{{columns}}}))",
                [*params, str(tmp), head.delimiter, skip],
            )
            rows, first, last = self.con.execute(
                "select count(*), min(rowid), max(rowid) from src_cells"
            ).fetchone()
        except duckdb.Error:
            rows = None
        finally:
            tmp.unlink()
        if rows != lines:
            self.con.execute("drop table if exists src_cells")
            return None
        report = SheetReport(
            "",
            ledger.name,
            "read",
            head.sheet.row_numbers[header_at],
            unknown_columns=[name for _, name in extras],
        )
        # Rows are numbered by rowid, which follows the file's order (insertion order is kept);
        # when rowids are not one run (never seen), a sort numbers them instead.
        numbered = rows == 0 or last - first + 1 == rows
        fill = partial(
            self._src_from_csv,
            head.sheet.row_numbers[header_end] + 1 - (first or 0) if numbered else None,
            head.sheet.row_numbers[header_end],
        )
        return StagedSheet("", ledger, fill, report)

    @staticmethod
    def _csv_cells(ledger: Ledger, positions, kept, width: int) -> tuple[str, list]:
        """The columns of `src_cells` from trimmed cells c0, c1, ...: as sheet_frame makes them."""
        cells = [f"c{i}" for i in range(width)]
        select = [
            f"coalesce({', '.join(cells)}) as first_cell" if width > 1 else "c0 as first_cell"
        ]
        for col in ledger.columns:
            pos = positions.get(col.name)
            value = cells[pos] if pos is not None else "cast(null as varchar)"
            select.append(f"{value} as {quote_ident(col.name)}")
        params: list = []
        if kept:
            # The same JSON text json.dumps(..., ensure_ascii=False) writes in sheet_frame.
            pairs = ", ".join(
                f"case when {cells[pos]} is not null then ? || to_json({cells[pos]}) end"
                for pos, _ in kept
            )
            present = " or ".join(f"{cells[pos]} is not null" for pos, _ in kept)
            select.append(
                f"case when {present} then '{{' || array_to_string(list_filter([{pairs}], "
                "lambda x: x is not null), ', ') || '}' end as extra_columns"
            )
            params += [json.dumps(name, ensure_ascii=False) + ": " for _, name in kept]
        else:
            select.append("cast(null as varchar) as extra_columns")
        return ", ".join(select), params

    def _src_from_csv(self, offset: int | None, header_row: int) -> None:
        """The view `src` over `src_cells`, adding each row's number in the file.

        A row's number is its rowid + offset, or (offset None) its place in rowid order + the
        header's (last) row. Rows are numbered as Excel numbers them, one per record: below the header
        each line is one record (_stage_csv takes no file where it is not), above it the header's
        row counts records. A view holds no parameters, so the number comes from the table
        src_offset.
        """
        self.con.execute("delete from src_offset")
        self.con.execute(
            "insert into src_offset values (?)", [offset if offset is not None else header_row]
        )
        row = (
            "rowid + (select n from src_offset)"
            if offset is not None
            else "row_number() over (order by rowid) + (select n from src_offset)"
        )
        columns = f"cast({row} as integer) as source_row, *, cast(null as varchar) as formula_cells"
        self.con.execute(f"create or replace temp view src as select {columns} from src_cells")
        if offset is not None:
            # Fetched by rowid: a filter on the computed source_row would scan every row.
            self.con.execute(
                f"""create or replace temp view src_bad as select {columns} from src_cells
                where rowid in (select source_row - (select n from src_offset) from bad_rows)"""
            )
        else:
            self._src_bad_filtered()

    def _src_bad_filtered(self) -> None:
        """The view `src_bad`: the rows of `src` that the table bad_rows names."""
        self.con.execute(
            "create or replace temp view src_bad as "
            "select * from src where source_row in (select source_row from bad_rows)"
        )

    def _src_from_frame(self, ledger: Ledger, frame: pd.DataFrame) -> None:
        """The view `src` over the table src_rows, filled from a frame of text cells (sheet_frame)."""
        con = self.con
        cols = [
            "source_row",
            "first_cell",
            *(c.name for c in ledger.columns),
            "extra_columns",
            "formula_cells",
        ]
        ddl = ", ".join(
            f"{quote_ident(c)} {'integer' if c == 'source_row' else 'varchar'}" for c in cols
        )
        con.execute(f"create or replace temp table src_rows ({ddl})")
        con.register("src_df", frame)
        con.execute("insert into src_rows by name select * from src_df")
        con.unregister("src_df")
        con.execute("create or replace temp view src as select * from src_rows")
        self._src_bad_filtered()

    def _retire(self, old_id: str) -> int:
        """Take a superseded file's rows out; return how many ledger rows it had loaded."""
        return delete_file_rows(self.con, old_id, "superseded")[0]

    def _load_sheet(self, path, file_id, sheet_name, ledger: Ledger, report: SheetReport):
        """Validate the rows in `src`, then load the good ones and quarantine the rest."""
        con = self.con
        (report_has_formulas,) = con.execute(
            "select count(*) > 0 from src where formula_cells is not null"
        ).fetchone()
        id_col = quote_ident(ledger.id_column)
        # Only the IDs this sheet holds: a warehouse of millions of rows is not rebuilt per file.
        con.execute(
            f"""create or replace temp table loaded_ids as
            select r.unit_code as unit_code, r.{id_col} as record_id,
                any_value(r.source_file || case when r.source_sheet <> ''
                    then ' [' || r.source_sheet || ']' else '' end
                    || ' 第' || r.source_row || '行') as loaded_from
            from raw.{quote_ident(ledger.name)} r
            where r.{id_col} in (select fold({id_col}) from src)
            group by all"""
        )
        raw_cols = RAW_LEDGER_COLUMNS[ledger.name]
        exprs = _RAW_SELECT[ledger.name]
        # Masked and hashed in the same pass as validation: `checked` holds the rows as the raw
        # table takes them, so loading the good ones is a copy (a few bad rows are masked in vain).
        select = ", ".join(f"{exprs.get(c, quote_ident(c))} as {quote_ident(c)}" for c in raw_cols)
        con.execute(
            f"""create or replace temp table checked as
            select c.source_row, c.skip, c.reasons, {select}
            from ({validate.CHECKS[ledger.name]}) c"""
        )
        # Only a workbook has formula cells saved without a result; rewriting `checked` for none
        # costs a full copy of it.
        if report_has_formulas:
            con.execute(validate.FORMULAS)
        lineage = [self.load_id, file_id, path.name, sheet_name]
        columns = ", ".join(quote_ident(c) for c in raw_cols)
        # The rows not loaded are left out by an anti-join, not a filter: on this connection
        # (which keeps insertion order) a filtered scan makes DuckDB merge the partly filled
        # row groups of its ordered append, a second copy of the sheet. After a join the insert
        # is an unordered parallel append; a raw table's order is never relied on (source_row
        # gives each row's place).
        con.execute(
            f"""insert into raw.{quote_ident(ledger.name)}
            select ?, ?, ?, ?, source_row, {columns}
            from checked
            where source_row not in (
                select source_row from checked where skip or len(reasons) > 0)""",
            lineage,
        )
        # The quarantine reads the few rows it takes from `src_bad`, not a join with all of src.
        con.execute("delete from bad_rows")
        con.execute(
            "insert into bad_rows select source_row from checked where not skip and len(reasons) > 0"
        )
        # The few rows, copied out of the view once, for the quarantine to mask and store.
        con.execute("create or replace temp table bad_src as select * from src_bad")
        con.execute(self._quarantine_sql(ledger), [*lineage, ledger.name])
        report.rows_read, report.rows_skipped, report.rows_loaded, report.rows_quarantined = (
            con.execute(
                """select count(*), count(*) filter (skip),
                    count(*) filter (not skip and len(reasons) = 0),
                    count(*) filter (not skip and len(reasons) > 0) from checked"""
            ).fetchone()
        )
        self._record_sheet(file_id, report)

    def _record_sheet(self, file_id: str, report: SheetReport) -> None:
        self.con.execute(
            "insert into raw.sheets values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                file_id,
                report.sheet,
                report.ledger,
                report.header_row,
                report.status,
                report.rows_read,
                report.rows_loaded,
                report.rows_quarantined,
                report.rows_skipped,
                json.dumps(report.unknown_columns, ensure_ascii=False),
            ],
        )

    @staticmethod
    def _quarantine_sql(ledger: Ledger) -> str:
        # A quarantined row is shown to clerks (`pilot quality`, the report's quality page), so
        # it keeps no more personal data than a loaded row: ID, phone and door numbers are masked
        # in every cell and in the values the reasons quote, and the party's name in every cell,
        # not only in the columns meant for them. A row whose cells slid one column along
        # carries its name, ID or address in a column that has no masking of its own.
        party = "fold(s.party_name)" if ledger.name == "cases" else "null"
        # The other cells are masked in one list, so the masks' regexes are bound once, not once
        # per column: bound per column, they cost a second of every million-row file.
        plain = [c for c in ledger.columns if not c.personal]
        cells = ", ".join(f"s.{quote_ident(c.name)}" for c in plain) + ", s.extra_columns"
        masked = f"list_transform([{cells}], lambda v: mask_cell(v, {party}))"
        values = []
        for col in ledger.columns:
            ref = f"s.{quote_ident(col.name)}"
            if col.name == "party_name":
                expr = f"mask_name(fold({ref}))"
            elif col.personal:
                expr = f"mask_value(fold({ref}))"
            else:
                expr = f"m.cells[{plain.index(col) + 1}]"
            values.append(f"{quote_ident(col.name)} := {expr}")
        values.append(f"extra_columns := m.cells[{len(plain) + 1}]")
        # The values the reasons quote are masked without the party's name, which would need each
        # reason joined to its row; the masks still find ID, phone and door numbers.
        return f"""insert into raw.quarantine
            with bad as (
                select source_row, r, i, mask_cell(r.value, null) as shown,
                    mask_cell(r.detail, null) as detail
                from (
                    select source_row, unnest(reasons) as r, unnest(range(len(reasons))) as i
                    from checked where not skip and len(reasons) > 0
                )
            ),
            messages as (
                select b.source_row, list({{
                    'field': b.r.field, 'column': f.header, 'rule': b.r.rule, 'value': b.shown,
                    'message_zh': fill_message(m.message_zh, f.header, b.shown, b.detail,
                        b.source_row),
                    'message_en': fill_message(m.message_en, f.header || ' (' || b.r.field || ')',
                        b.shown, b.detail, b.source_row)
                }} order by b.i) as reasons
                from bad b
                join ref_rule m on m.rule = b.r.rule
                join ref_field f on f.field = b.r.field
                group by b.source_row
            )
            select ?, ?, ?, ?, s.source_row, ?, to_json(q.reasons),
                to_json(struct_pack({", ".join(values)}))
            from messages q join bad_src s on s.source_row = q.source_row,
                lateral (select {masked} as cells) m"""

    def _record_file(self, report: FileReport, sha: str | None, size: int | None) -> None:
        self.con.execute(
            "insert into raw.files values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now())",
            [
                report.file_id,
                self.load_id,
                report.path.name,
                str(report.path.resolve()),
                sha,
                size,
                report.status,
                report.duplicate_of,
                report.supersedes,
                report.ledgers,
                report.total("rows_read"),
                report.total("rows_loaded"),
                report.total("rows_quarantined"),
                report.total("rows_skipped"),
                report.error,
            ],
        )


def ingest(
    settings: Settings,
    paths: Iterable[Path],
    progress: Callable[[Path], None] | None = None,
    command: str = "ingest",
    on_wait: Callable[[], None] | None = None,
) -> IngestResult:
    """Ingest files and folders of ledgers into the warehouse; each file is one transaction."""
    files = find_files(paths)
    load_id = uuid.uuid4().hex
    with writer_lock(settings, on_wait=on_wait):
        return _ingest_locked(settings, files, load_id, progress, command)


def _ingest_locked(settings, files, load_id, progress, command) -> IngestResult:
    with tempfile.TemporaryDirectory(prefix="pilot-ingest-") as read_dir:
        return _ingest_with(settings, files, load_id, progress, command, Path(read_dir))


def _ingest_with(settings, files, load_id, progress, command, read_dir: Path) -> IngestResult:
    con = connect(settings, read_dir=read_dir)
    try:
        ingestor = Ingestor(con, settings, load_id, read_dir)
        con.execute("insert into raw.loads values (?, now(), null, ?)", [load_id, command])
        reports = []
        for path in files:
            if progress:
                progress(path)
            reports.append(ingestor.ingest_file(path))
        con.execute("update raw.loads set finished_at = now() where load_id = ?", [load_id])
    finally:
        con.close()
    return IngestResult(load_id, reports)
