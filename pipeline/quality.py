"""The ingest's own accounting: per file counts and the quarantined rows with their reasons."""

from __future__ import annotations

import json

from .settings import Settings
from .warehouse import connect

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


def quality(settings: Settings) -> dict:
    """Files as last ingested (superseded versions included, marked so) and the quarantine."""
    con = connect(settings, read_only=True)
    try:
        has_raw = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'raw' and table_name = 'files'"
        ).fetchone()[0]
        if not has_raw:
            return {"files": [], "quarantine": []}
        files = con.execute(
            """select file_name, ledger, status, rows_read, rows_loaded, rows_quarantined,
                rows_skipped, duplicate_of, error
            from raw.files order by ingested_at, file_name"""
        ).fetchall()
        quarantine = con.execute(
            """select source_file, source_sheet, source_row, ledger, reasons
            from raw.quarantine order by source_file, source_sheet, source_row"""
        ).fetchall()
    finally:
        con.close()
    return {
        "files": [
            {**dict(zip(FILE_COLUMNS, row[:8])), **({"error": row[8]} if row[8] else {})}
            for row in files
        ],
        "quarantine": [
            {"file": f, "sheet": s, "row": r, "ledger": lg, "reasons": json.loads(reasons)}
            for f, s, r, lg, reasons in quarantine
        ],
    }
