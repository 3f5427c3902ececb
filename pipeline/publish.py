"""Publishing: after a green build, the marts, intermediate and reporting models are copied into
a snapshot file that every reader opens. Readers never hold the warehouse, and a failed build
publishes nothing: the pointer to the current snapshot only moves, atomically, after a full copy.
After an incremental build, the new snapshot is a copy of the one before with only the changed
rows of the incremental models replaced (see publish()).
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Collection, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from .build import record_published
from .errors import WarehouseBusyError, WarehouseError
from .settings import Settings
from .warehouse import DUCKDB_CONFIG, connect, has_raw_table, quote_ident

if TYPE_CHECKING:
    from .build import BuildResult

PUBLISHED_SCHEMAS = ("marts", "intermediate", "reporting")
POINTER = "CURRENT"
LAST_BUILD = "last_build.json"


def publish_dir(settings: Settings) -> Path:
    """Folder of the snapshots of a warehouse: beside it, named after it."""
    return settings.warehouse.with_name(settings.warehouse.stem + ".published")


def _write_json_atomically(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False, indent=2)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


def current(settings: Settings) -> dict | None:
    """The pointer to the published snapshot: file, time, load it was built from; None if none."""
    return read_json(publish_dir(settings) / POINTER)


def record_build(settings: Settings, status: str, message: str | None = None) -> None:
    """Remember how the last build ended, for `pilot status`."""
    folder = publish_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    _write_json_atomically(
        folder / LAST_BUILD,
        {"status": status, "finished_at": _now(), "message": message},
    )


def _now() -> str:
    return datetime.now(UTC).astimezone().isoformat(timespec="seconds")


def publish(settings: Settings, result: BuildResult | None = None) -> dict:
    """Copy the published schemas (tables, views, table macros) into a new snapshot; point to it.

    After an incremental build (`result`, see build.build()) whose previous state is the
    snapshot now published, the new snapshot starts as a copy of that file and only the changed
    rows of the incremental models are replaced: those of the files added or taken out, of the
    reporting units recomputed. The other tables are copied whole, as in a full publish.
    """
    folder = publish_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    snapshot = folder / f"snapshot-{stamp}-{uuid.uuid4().hex[:8]}.duckdb"
    before = current(settings)
    con = _connect_when_free(settings)
    try:
        last_load = con.execute(
            "select load_id, finished_at from raw.loads where finished_at is not null "
            "order by finished_at desc limit 1"
        ).fetchone()
        # The newest file the build read, also of a load that was interrupted: `pilot status`
        # counts the files ingested after it as waiting.
        (newest_file,) = con.execute("select max(ingested_at) from raw.files").fetchone()
        # Likewise the newest withdrawal (`pilot withdraw`) it took into account.
        newest_withdrawal = None
        if has_raw_table(con, "withdrawals"):
            (newest_withdrawal,) = con.execute(
                "select max(withdrawn_at) from raw.withdrawals"
            ).fetchone()
        home = con.execute("select current_database()").fetchone()[0]
        base = _incremental_base(con, home, folder, before, result)
        record_published(con, None)
        try:
            if base is not None:
                shutil.copyfile(base, snapshot)
            con.execute("attach ? as snap", [str(snapshot)])
            try:
                if base is not None:
                    for schema in PUBLISHED_SCHEMAS:
                        _update_schema(con, home, schema, result.publish_by, result.made)
                else:
                    for schema in PUBLISHED_SCHEMAS:
                        _copy_schema(con, home, schema)
                    for schema in PUBLISHED_SCHEMAS:
                        _copy_views(con, home, schema)
            finally:
                con.execute("detach snap")
        except (duckdb.IOException, OSError) as exc:
            # A folder that became read-only, a full disk: the pointer has not moved, and the
            # snapshot before stays the one readers see.
            for part in folder.glob(snapshot.name + "*"):
                part.unlink(missing_ok=True)
            raise WarehouseError(
                f"无法写出发布快照 / cannot write the published snapshot {snapshot}: "
                + str(exc).removeprefix("IO Error: "),
                hint=f"check that you may write to {folder} and that its disk has room; "
                "reports still read the snapshot published before",
            ) from exc
        pointer = {
            "snapshot": snapshot.name,
            "published_at": _now(),
            "load_id": last_load[0] if last_load else None,
            "load_finished_at": last_load[1].isoformat() if last_load else None,
            "files_ingested_until": newest_file.isoformat() if newest_file else None,
            "withdrawals_until": newest_withdrawal.isoformat() if newest_withdrawal else None,
            "warehouse": str(settings.warehouse),
            # How many publishes in a row copied only changed rows (see _incremental_base).
            "incremental": (before or {}).get("incremental", 0) + 1 if base else 0,
        }
        _write_json_atomically(folder / POINTER, pointer)
        # The warehouse's tables now equal this snapshot's: the next publish may start from it.
        record_published(con, snapshot.name)
    finally:
        con.close()
    _remove_old_snapshots(folder, keep={snapshot.name, *_previous(folder, snapshot.name)})
    return pointer


# Deleted rows leave space in a snapshot file that later inserts only partly reuse: after this
# many incremental publishes in a row, the next copies every table anew.
MAX_INCREMENTAL_PUBLISHES = 20
# A table of which a larger share of rows changed is copied whole: cheaper than delete + insert.
MAX_CHANGED_SHARE = 0.3


def _incremental_base(
    con: duckdb.DuckDBPyConnection,
    home: str,
    folder: Path,
    before: dict | None,
    result: BuildResult | None,
) -> Path | None:
    """The snapshot an incremental publish starts from, or None for a full publish.

    Only the snapshot the warehouse's tables equalled as this build began will do (recorded by
    the publish after the build before; build.build() reads it and forgets it as it starts, so
    a build or publish that did not finish leaves none), and only after an incremental build:
    a full refresh changed every row.
    """
    if result is None or result.full_refresh or not result.publish_by or before is None:
        return None
    if before.get("incremental", 0) >= MAX_INCREMENTAL_PUBLISHES:
        return None
    path = folder / before["snapshot"]
    if not path.exists() or path.with_name(path.name + ".wal").exists():
        return None
    if result.published_before != before["snapshot"]:
        return None
    return path if "int_build_scope" in _tables(con, home, "intermediate") else None


# How long publishing waits for a reader of the warehouse itself (`pilot quality`, `pilot
# status`) to let go, after dbt closed it: each holds it for a moment.
BUSY_WAIT_SECONDS = 10.0


def _connect_when_free(settings: Settings) -> duckdb.DuckDBPyConnection:
    """The warehouse, writable; a short read by another command is waited out, not an error."""
    import time

    deadline = time.monotonic() + BUSY_WAIT_SECONDS
    while True:
        try:
            return connect(settings, allow_files=True)
        except WarehouseBusyError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.2)


def _copy_schema(con: duckdb.DuckDBPyConnection, home: str, schema: str) -> None:
    con.execute(f"create schema if not exists snap.{quote_ident(schema)}")
    for table in _tables(con, home, schema):
        name = f"{quote_ident(schema)}.{quote_ident(table)}"
        con.execute(f"create table snap.{name} as select * from {name}")
    macros = con.execute(
        "select function_name, parameters, macro_definition from duckdb_functions() "
        "where database_name = current_database() and schema_name = ? "
        "and function_type = 'table_macro' order by function_name",
        [schema],
    ).fetchall()
    for name, parameters, definition in macros:
        # The definition is SQL stored by dbt in this warehouse; it refers to schemas without
        # a database, so in the snapshot it reads the snapshot's own marts and reporting.
        params = ", ".join(quote_ident(p) for p in parameters)
        con.execute(
            f"create macro snap.{quote_ident(schema)}.{quote_ident(name)}({params}) "
            f"as table {definition}"
        )


def _tables(con: duckdb.DuckDBPyConnection, database: str, schema: str) -> list[str]:
    rows = con.execute(
        "select table_name from duckdb_tables() where database_name = ? and schema_name = ? "
        "order by table_name",
        [database, schema],
    ).fetchall()
    return [table for (table,) in rows]


# The rows of an incremental model that differ between the warehouse and the snapshot copied
# from the publish before, by the column the model is built by. A file's rows never change
# while it stays loaded (pilot_incremental_by_file.sql); a unit's rows change only when the
# build recomputed it (int_build_scope, pilot_incremental_by_unit.sql).
_CHANGED = {
    "file_id": (
        "(select file_id from snap.{name} except select file_id from {name}) "
        "union (select file_id from {name} except select file_id from snap.{name})"
    ),
    # The units the build recomputed, as macro pilot_rebuild_units() names them.
    "unit_code": (
        "select unit_code from intermediate.int_build_scope where entry = 'rebuild_unit'"
    ),
}


def _update_schema(
    con: duckdb.DuckDBPyConnection,
    home: str,
    schema: str,
    publish_by: Mapping[tuple[str, str], str],
    made: Collection[tuple[str, str]],
) -> None:
    """Bring a copied snapshot's schema to the warehouse's: changed rows of incremental models,
    every other table the build made anew; the tables it did not make (models of the reference
    data alone, in an incremental build) are as the snapshot has them. Views and table macros
    are the same (same project) and stay."""
    ours = _tables(con, home, schema)
    theirs = set(_tables(con, "snap", schema))
    for table in sorted(theirs - set(ours)):
        con.execute(f"drop table snap.{quote_ident(schema)}.{quote_ident(table)}")
    for table in ours:
        name = f"{quote_ident(schema)}.{quote_ident(table)}"
        column = publish_by.get((schema, table))
        if table in theirs and (schema, table) not in made:
            continue
        if (
            column in _CHANGED
            and table in theirs
            and _changed_keys(con, name, column) <= MAX_CHANGED_SHARE
        ):
            key = quote_ident(column)
            con.execute(f"delete from snap.{name} where {key} in (select key from changed_keys)")
            con.execute(
                f"insert into snap.{name} by name select * from {name} "
                f"where {key} in (select key from changed_keys)"
            )
        else:
            con.execute(f"create or replace table snap.{name} as select * from {name}")


def _changed_keys(con: duckdb.DuckDBPyConnection, name: str, column: str) -> float:
    """Put the keys of a table's changed rows in temp table changed_keys; return the larger
    share of rows they hold, in the warehouse or in the snapshot (infinite if the column is
    gone: the table is copied whole)."""
    columns = con.execute(f"select column_name from (describe {name})").fetchall()
    if (column,) not in columns:
        return float("inf")
    key = quote_ident(column)
    con.execute(
        f"create or replace temp table changed_keys as "
        f"select {key} as key from ({_CHANGED[column].format(name=name)})"
    )
    shares = [
        con.execute(
            f"select count(*) filter ({key} in (select key from changed_keys)) "
            f"/ greatest(count(*), 1) from {table}"
        ).fetchone()[0]
        for table in (name, f"snap.{name}")
    ]
    return float(max(shares))


def _copy_views(con: duckdb.DuckDBPyConnection, home: str, schema: str) -> None:
    """Create the schema's views in the snapshot, after every table they may read.

    A view's stored statement names its relations without a database (models use pilot_ref),
    and DuckDB binds a view's relations in the database that holds it: run with the snapshot
    as the current database, the same statement makes a view of the snapshot's own tables.
    """
    views = con.execute(
        "select sql from duckdb_views() where database_name = ? and schema_name = ? "
        "and not internal order by view_oid",
        [home, schema],
    ).fetchall()
    if not views:
        return
    con.execute("use snap")
    try:
        for (statement,) in views:
            # SQL stored by dbt in this warehouse, as for the table macros above.
            con.execute(statement)
    finally:
        con.execute(f"use {quote_ident(home)}")


def _previous(folder: Path, newest: str) -> list[str]:
    """The snapshot published just before `newest`: a reader may still have it open."""
    older = sorted(p.name for p in folder.glob("snapshot-*.duckdb") if p.name < newest)
    return older[-1:]


def _remove_old_snapshots(folder: Path, keep: set[str]) -> None:
    for path in folder.glob("snapshot-*.duckdb*"):
        if path.name.split(".duckdb")[0] + ".duckdb" in keep:
            continue
        try:
            path.unlink()
        except OSError:
            pass  # still open by a reader (Windows); removed after a later publish


def open_reporting(settings: Settings) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published reporting models (and marts behind them).

    A warehouse that pilot never built (dbt run by hand, or a test fixture) is read directly.
    """
    folder = publish_dir(settings)
    pointer = current(settings)
    if pointer is None:
        if folder.exists():
            last = read_json(folder / LAST_BUILD) or {}
            raise WarehouseError(
                f"尚无已发布的数据 / nothing published yet for {settings.warehouse}"
                + (": the last build failed" if last.get("status") == "failed" else ""),
                hint="fix what `pilot build` reports, then run `pilot build` again",
            )
        return connect(settings, read_only=True)
    path = folder / pointer["snapshot"]
    try:
        return duckdb.connect(str(path), read_only=True, config=DUCKDB_CONFIG)
    except duckdb.IOException as exc:
        raise WarehouseError(
            f"无法打开已发布的数据 / cannot open the published snapshot {path}: {exc}",
            hint="run `pilot build` to publish a new snapshot",
        ) from exc
