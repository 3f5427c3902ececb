"""The ingest's own accounting: per file counts and the quarantined rows with their reasons."""

from __future__ import annotations

import json
from pathlib import Path

from .contract import is_personal_header
from .settings import Settings
from .warehouse import connect, has_raw_files

FILE_COLUMNS = (
    "file",
    "ledger",
    "status",
    "rows_read",
    "rows_loaded",
    "rows_quarantined",
    "rows_skipped",
    "duplicate_of",
)

# Column headings of the workbook a clerk works through: (key, Chinese, English).
WORKBOOK_FILES = (
    ("file", "文件", "file"),
    ("ledger", "台账", "ledger"),
    ("status", "状态", "status"),
    ("rows_read", "读取行数", "rows read"),
    ("rows_loaded", "入库行数", "rows loaded"),
    ("rows_quarantined", "隔离行数", "rows quarantined"),
    ("rows_skipped", "跳过行数", "rows skipped"),
    ("duplicate_of", "与此文件内容相同", "duplicate of"),
    ("supersedes", "替换的早先版本", "supersedes"),
    ("error", "错误", "error"),
    ("columns_not_used", "未识别的列（不计入指标）", "columns not in the contract (not used)"),
    ("personal_columns_dropped", "个人信息列（未入库）", "personal-data columns (not stored)"),
    ("sheets_not_read", "未读取的工作表", "sheets not read"),
)
WORKBOOK_QUARANTINE = (
    ("file", "文件", "file"),
    ("sheet", "工作表", "sheet"),
    ("row", "行号", "row"),
    ("column", "列", "column"),
    ("value", "填写的值", "value"),
    ("message_zh", "原因", "reason"),
    ("message_en", "原因（英文）", "reason (English)"),
    ("done", "已改正", "fixed"),
)


def _earlier_version(ingested_at, rows_loaded: int, rows_quarantined: int) -> str:
    return (
        f"{ingested_at:%Y-%m-%d %H:%M:%S} 入库的版本（{rows_loaded} 行入库、"
        f"{rows_quarantined} 行隔离，均已撤下）/ the version ingested {ingested_at:%Y-%m-%d %H:%M:%S} "
        f"({rows_loaded} loaded, {rows_quarantined} quarantined rows, all withdrawn)"
    )


def quality(settings: Settings) -> dict:
    """Files as last ingested (superseded versions included, marked so) and the quarantine."""
    con = connect(settings, read_only=True)
    try:
        if not has_raw_files(con):
            return {"files": [], "quarantine": []}
        files = con.execute(
            """select f.file_name, f.ledger, f.status, f.rows_read, f.rows_loaded,
                f.rows_quarantined, f.rows_skipped, f.duplicate_of, f.error,
                o.ingested_at, o.rows_loaded, o.rows_quarantined, f.file_id
            from raw.files f left join raw.files o on o.file_id = f.supersedes
            order by f.ingested_at, f.file_name"""
        ).fetchall()
        sheets = con.execute(
            "select file_id, sheet, status, unknown_columns from raw.sheets order by file_id, sheet"
        ).fetchall()
        quarantine = con.execute(
            """select source_file, source_sheet, source_row, ledger, reasons
            from raw.quarantine order by source_file, source_sheet, source_row"""
        ).fetchall()
    finally:
        con.close()
    notes = _sheet_notes(sheets)
    return {
        "files": [
            {
                **dict(zip(FILE_COLUMNS, row[:8])),
                **({"error": row[8]} if row[8] else {}),
                **({"supersedes": _earlier_version(*row[9:12])} if row[9] else {}),
                **notes.get(row[12], {}),
            }
            for row in files
        ],
        "quarantine": [
            {"file": f, "sheet": s, "row": r, "ledger": lg, "reasons": json.loads(reasons)}
            for f, s, r, lg, reasons in quarantine
        ],
    }


def _sheet_notes(sheets: list[tuple]) -> dict[str, dict[str, list[str]]]:
    """Per file: sheets left unread (no ledger header), personal-data columns not stored, and
    columns the contract does not know (kept in the raw layer, used by no metric).

    Only files that have either get an entry, and only the keys they have.
    """
    notes: dict[str, dict[str, list[str]]] = {}
    for file_id, sheet, status, unknown in sheets:
        if status == "not_a_ledger":
            notes.setdefault(file_id, {}).setdefault("sheets_not_read", []).append(sheet)
        for name in json.loads(unknown) if unknown else []:
            # Kept in the raw layer (extra_columns) but read by no model: a clerk who wrote
            # 结案时间 for 结案日期 would otherwise see every row loaded and no case closed.
            key = "personal_columns_dropped" if is_personal_header(name) else "columns_not_used"
            columns = notes.setdefault(file_id, {}).setdefault(key, [])
            if name not in columns:
                columns.append(name)
    return notes


def by_file(data: dict) -> list[tuple[dict, list[dict]]]:
    """Each file with its quarantined rows, in the order files were ingested."""
    rows: dict[str, list[dict]] = {}
    for row in data["quarantine"]:
        rows.setdefault(row["file"], []).append(row)
    # Only the version in force has rows; a superseded one had its rows withdrawn.
    return [(f, rows.get(f["file"], []) if f["status"] == "loaded" else []) for f in data["files"]]


def _text_cell(ws, row: int, col: int, value) -> None:
    """Write a value so Excel shows it as typed: text is never a formula, whatever it starts with."""
    cell = ws.cell(row=row, column=col)
    if value is None:
        return
    if isinstance(value, int | float):
        cell.value = value
        return
    cell.value = str(value)
    # openpyxl takes a string starting with '=' for a formula; values like '=A2+1' or '-5' are
    # what the clerk wrote and must stay text.
    cell.data_type = "s"


def write_workbook(data: dict, out: Path) -> Path:
    """A workbook a clerk can work through: one sheet of files, one line per quarantine reason."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    sheets = (
        (wb.active, "文件 files", WORKBOOK_FILES, data["files"]),
        (
            wb.create_sheet(),
            "隔离行 quarantined",
            WORKBOOK_QUARANTINE,
            [
                {
                    "file": q["file"],
                    "sheet": q["sheet"],
                    "row": q["row"],
                    "column": r.get("column") or r.get("field"),
                    "value": r.get("value"),
                    "message_zh": r["message_zh"],
                    "message_en": r["message_en"],
                }
                for q in data["quarantine"]
                for r in q["reasons"]
            ],
        ),
    )
    for ws, title, columns, records in sheets:
        ws.title = title
        for col, (_, zh, en) in enumerate(columns, start=1):
            ws.cell(row=1, column=col, value=f"{zh} {en}").font = Font(bold=True)
        for row, record in enumerate(records, start=2):
            for col, (key, _, _) in enumerate(columns, start=1):
                value = record.get(key)
                _text_cell(ws, row, col, "、".join(value) if isinstance(value, list) else value)
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = ws.dimensions
        for col, (key, zh, _) in enumerate(columns, start=1):
            letter = ws.cell(row=1, column=col).column_letter
            wide = key in ("message_zh", "message_en", "error", "supersedes")
            ws.column_dimensions[letter].width = 60 if wide else max(12, 2 * len(zh) + 4)
            if wide:
                for cell in ws[letter][1:]:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out
