"""Helpers for the ingest and CLI tests: fixture paths, a throwaway warehouse, raw-table reads."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from pipeline.ingest import IngestResult, ingest
from pipeline.settings import SECRET_ENV, WAREHOUSE_ENV, Settings

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
LINEAGE = ("load_id", "file_id", "source_file", "source_sheet")


def fixture(ledger: str, kind: str, name: str) -> Path:
    path = FIXTURES / ledger / kind / name
    assert path.exists(), path
    return path


def all_fixtures() -> list[Path]:
    return sorted(p for p in FIXTURES.glob("*/*/*") if p.is_file())


def make_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str = "w") -> Settings:
    """Settings on a fresh warehouse, with the hashing secret kept out of ~/.config."""
    monkeypatch.setenv(SECRET_ENV, str(tmp_path / "secret.key"))
    monkeypatch.delenv(WAREHOUSE_ENV, raising=False)
    return Settings.from_env(tmp_path / f"{name}.duckdb")


def run(settings: Settings, *paths: Path) -> IngestResult:
    return ingest(settings, list(paths))


def query(settings: Settings, sql: str, params: list | None = None) -> list[dict]:
    """Rows of a query on the warehouse as dicts, through a read-only connection."""
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        cur = con.execute(sql, params or [])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]
    finally:
        con.close()


def loaded(settings: Settings, ledger: str, *columns: str) -> list[tuple]:
    """(source_row, columns...) of a raw ledger table, in row order."""
    cols = ", ".join(("source_row", *columns))
    return [
        tuple(r.values())
        for r in query(
            settings, f"select {cols} from raw.{ledger} order by source_file, source_row"
        )
    ]


def quarantine_reasons(settings: Settings) -> list[tuple]:
    """(row, rule, field, value, message_zh) of every quarantine reason, in row order."""
    out = []
    for r in query(settings, "select source_row, reasons from raw.quarantine order by source_row"):
        for reason in json.loads(r["reasons"]):
            out.append(
                (
                    r["source_row"],
                    reason["rule"],
                    reason["field"],
                    reason["value"],
                    reason["message_zh"],
                )
            )
    return out


def table_counts(settings: Settings) -> dict[str, int]:
    tables = ("cases", "patrols", "outputs", "quarantine", "files", "sheets")
    return {t: query(settings, f"select count(*) as n from raw.{t}")[0]["n"] for t in tables}
