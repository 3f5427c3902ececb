"""The warehouse file: connections, the raw schema that ingest writes, and quoting of identifiers."""

from __future__ import annotations

from pathlib import Path

import duckdb

from .errors import WarehouseBusyError, WarehouseError
from .settings import Settings

LINEAGE = ("load_id", "file_id", "source_file", "source_sheet", "source_row")

# Raw tables hold validated, normalised values as text (dates ISO, times HH:MM, unit/department/
# output codes resolved from aliases, personal data already masked) plus lineage. Staging casts.
RAW_LEDGER_COLUMNS: dict[str, tuple[str, ...]] = {
    "cases": (
        "case_id",
        "unit_code",
        "grid",
        "found_date",
        "source",
        "item_code",
        "summary",
        "party_name_masked",
        "party_id_hash",
        "action",
        "referred_to",
        "deadline",
        "closed_date",
        "outcome",
        "fine_yuan",
        "extra_columns",
    ),
    "patrols": (
        "patrol_id",
        "unit_code",
        "grid",
        "date",
        "start_time",
        "end_time",
        "officers",
        "officer_count",
        "issues_found",
        "resolved_on_spot",
        "note",
        "extra_columns",
    ),
    "outputs": (
        "activity_id",
        "unit_code",
        "date",
        "campaign",
        "output_code",
        "quantity",
        "quantity_approx",
        "measure",
        "place",
        "note",
        "extra_columns",
    ),
}

_DDL = [
    "create schema if not exists raw",
    """create table if not exists raw.loads (
        load_id varchar primary key, started_at timestamp, finished_at timestamp,
        command varchar)""",
    """create table if not exists raw.files (
        file_id varchar primary key, load_id varchar, file_name varchar, file_path varchar,
        sha256 varchar, size_bytes bigint, status varchar, duplicate_of varchar,
        supersedes varchar, ledger varchar, rows_read integer, rows_loaded integer,
        rows_quarantined integer, rows_skipped integer, error varchar, ingested_at timestamp)""",
    """create table if not exists raw.sheets (
        file_id varchar, sheet varchar, ledger varchar, header_row integer, status varchar,
        rows_read integer, rows_loaded integer, rows_quarantined integer, rows_skipped integer,
        unknown_columns varchar)""",
    # A loaded file taken out by `pilot withdraw`: its rows are deleted, this row says so.
    """create table if not exists raw.withdrawals (
        file_id varchar, load_id varchar, file_name varchar, rows_withdrawn integer,
        rows_quarantined integer, reason varchar, withdrawn_at timestamp)""",
    """create table if not exists raw.quarantine (
        load_id varchar, file_id varchar, source_file varchar, source_sheet varchar,
        source_row integer, ledger varchar, reasons varchar, row_values varchar)""",
]


def quote_ident(name: str) -> str:
    """Quote an identifier for DuckDB; the only way names enter SQL text."""
    return '"' + name.replace('"', '""') + '"'


def raw_ledger_ddl(ledger: str) -> str:
    cols = ", ".join(
        [
            "load_id varchar",
            "file_id varchar",
            "source_file varchar",
            "source_sheet varchar",
            "source_row integer",
        ]
        + [f"{quote_ident(c)} varchar" for c in RAW_LEDGER_COLUMNS[ledger]]
    )
    return f"create table if not exists raw.{quote_ident(ledger)} ({cols})"


def has_raw_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether the raw schema has table `name` (an ingest, or a withdrawal, made it)."""
    return con.execute(
        "select count(*) > 0 from information_schema.tables "
        "where table_schema = 'raw' and table_name = ?",
        [name],
    ).fetchone()[0]


def has_raw_files(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether any ingest has created the raw schema's file manifest (raw.files) yet."""
    return has_raw_table(con, "files")


def nothing_ingested(settings: Settings) -> WarehouseError:
    """The error of a command that needs ingested ledgers, on a warehouse without any."""
    return WarehouseError(
        f"尚未入库任何台账 / nothing ingested yet into {settings.warehouse}",
        hint="run `pilot ingest FILES` first, or `pilot run` for the demo ledgers",
    )


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw schema and its tables if they are not there yet."""
    for stmt in _DDL:
        con.execute(stmt)
    for ledger in RAW_LEDGER_COLUMNS:
        con.execute(raw_ledger_ddl(ledger))


def delete_file_rows(con: duckdb.DuckDBPyConnection, file_id: str, status: str) -> tuple[int, int]:
    """Take a file's rows out of the ledger tables and the quarantine and mark it `status`.

    Returns (ledger rows, quarantined rows) deleted. Its raw.files row stays, as its history.
    """
    rows = quarantined = 0
    for table in (*RAW_LEDGER_COLUMNS, "quarantine"):
        (deleted,) = con.execute(
            f"delete from raw.{quote_ident(table)} where file_id = ?", [file_id]
        ).fetchone()
        if table == "quarantine":
            quarantined = deleted
        else:
            rows += deleted
    con.execute("update raw.files set status = ? where file_id = ?", [status, file_id])
    return rows, quarantined


# No extension is ever installed or loaded on the fly: machines are offline. And SQL cannot
# reach files: ledgers are opened in Python (the ingest's DuckDB CSV reader reads only copies put
# in its own temp folder, see connect's read_dir), and the configuration is locked so that no
# statement can turn this back on.
DUCKDB_CONFIG = {
    "autoinstall_known_extensions": "false",
    "autoload_known_extensions": "false",
    "enable_external_access": "false",
    "lock_configuration": "true",
}
# Publishing attaches the snapshot file it writes, so it alone may open other files. Its copies
# need not keep the rows' order (no reader relies on it; dbt does not keep it either): an
# unordered copy is a parallel one, about 15% faster for a full publish of a million cases.
DUCKDB_CONFIG_WITH_FILES = {
    **DUCKDB_CONFIG,
    "enable_external_access": "true",
    "preserve_insertion_order": "false",
}


def busy_error(path: Path) -> WarehouseBusyError:
    """The warehouse is open in another process (a notebook, a hand-typed dbt build)."""
    return WarehouseBusyError(
        f"仓库正被另一进程使用 / warehouse busy: {path}",
        hint="another pilot command or a notebook holds it; close it and try again",
    )


def connect(
    settings: Settings,
    read_only: bool = False,
    allow_files: bool = False,
    read_dir: Path | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse file itself: for writers, and for the ingest's own bookkeeping.

    Readers of metrics use `pipeline.publish.open_reporting`, which never blocks a writer.
    `read_dir` is the one folder whose files SQL may read (the ingest's own temp folder).
    """
    path: Path = settings.warehouse
    if read_only and not path.exists():
        raise WarehouseError(
            f"仓库文件不存在 / warehouse not found: {path}",
            hint="run `pilot run` (or `pilot ingest` then `pilot build`) first",
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WarehouseError(
            f"无法创建仓库文件夹 / cannot create the warehouse's folder {path.parent}: "
            f"{exc.strerror or exc}"
        ) from exc
    try:
        if read_dir is None:
            config = DUCKDB_CONFIG_WITH_FILES if allow_files else DUCKDB_CONFIG
            return duckdb.connect(str(path), read_only=read_only, config=config)
        # allowed_directories can only be set on an open database, so file access is turned off
        # and the configuration locked right after, before the connection is handed out.
        unlocked = {
            k: v
            for k, v in DUCKDB_CONFIG.items()
            if k not in ("enable_external_access", "lock_configuration")
        }
        con = duckdb.connect(str(path), read_only=read_only, config=unlocked)
        con.execute("set allowed_directories = ?", [[f"{read_dir.resolve()}/"]])
        # The ingest numbers CSV rows by their order in the table DuckDB's reader fills.
        con.execute("set preserve_insertion_order = true")
        con.execute("set enable_external_access = false")
        con.execute("set lock_configuration = true")
        return con
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise busy_error(path) from exc
        raise WarehouseError(
            f"无法打开仓库文件 / cannot open the warehouse {path}: "
            + str(exc).removeprefix("IO Error: "),
            hint="--warehouse (or PILOT_WAREHOUSE) names the DuckDB file pilot keeps: "
            "one it made, or a new file in a folder you can write",
        ) from exc
