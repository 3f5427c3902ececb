"""Grow a warehouse's raw ledgers to province size by copying their rows in SQL.

Ingesting 13M generated rows takes minutes; copying the raw rows of a warehouse that `pilot
ingest` (or benchmarks/bench.py) filled gives the build and the report the same volume in
seconds. Copy k gets new record IDs (suffix -xk), row numbers past the originals and dates
shifted k days, so copies do not collapse into the same keys.

usage: replicate.py WAREHOUSE COPIES
then:  benchmarks/step.py build ROOT WAREHOUSE; benchmarks/step.py report ROOT WAREHOUSE OUT
"""

from __future__ import annotations

import sys

import duckdb

from pipeline.build import forget_builds
from pipeline.settings import Settings

# Columns holding a date as text, per ledger; IDs get a suffix, row numbers an offset.
DATES = {"cases": ("found_date", "deadline", "closed_date"), "patrols": ("date",)}
IDS = {"cases": "case_id", "patrols": "patrol_id"}
ROW_OFFSET = 10_000_000


def _copy_expr(col: str, dates: tuple[str, ...], id_column: str) -> str:
    """The value of `col` in copy $k."""
    if col in dates:
        return f"strftime(try_cast({col} as date) + $k, '%Y-%m-%d')"
    if col == id_column:
        return f"{col} || '-x' || $k"
    if col == "source_row":
        return f"source_row + $k * {ROW_OFFSET}"
    return col


def main(argv: list[str]) -> None:
    warehouse, copies = argv[0], int(argv[1])
    con = duckdb.connect(warehouse)
    con.execute("set preserve_insertion_order = false")
    for ledger, dates in DATES.items():
        columns = [
            r[0]
            for r in con.execute(
                "select column_name from information_schema.columns "
                "where table_schema = 'raw' and table_name = ? order by ordinal_position",
                [ledger],
            ).fetchall()
        ]
        select = ", ".join(_copy_expr(c, dates, IDS[ledger]) for c in columns)
        for k in range(1, copies + 1):
            con.execute(
                f"insert into raw.{ledger} select {select} from raw.{ledger} "
                f"where source_row < {ROW_OFFSET}",
                {"k": k},
            )
    counts = con.execute(
        "select (select count(*) from raw.cases), (select count(*) from raw.patrols)"
    ).fetchone()
    print(f"cases={counts[0]} patrols={counts[1]}")
    con.close()
    # The rows were not ingested, so raw.files and the build's fingerprint of its inputs did
    # not change: forget the fingerprint, or the next build would skip dbt as unchanged. The
    # copies keep their files' IDs, so the fact tables (incremental by file) are rebuilt whole.
    forget_builds(Settings.from_env(warehouse))


if __name__ == "__main__":
    main(sys.argv[1:])
