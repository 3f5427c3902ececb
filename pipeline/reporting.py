"""The analysts' door to the data: a read-only connection to the reporting models."""

from __future__ import annotations

import duckdb

from . import publish
from .settings import Settings


def open_reporting(settings: Settings | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only DuckDB connection to the published reporting models (schema `reporting`).

    Without settings, the warehouse is $PILOT_WAREHOUSE or data/warehouse.duckdb, as for the
    `pilot` command. The connection opens the snapshot the last green `pilot build` published,
    so it never blocks a build; query `reporting.rpt_*` relations and the table macros
    `reporting.unit_metrics_between(d_from, d_to)` and friends, with bind parameters:

        con = open_reporting()
        con.execute("select * from reporting.rpt_unit_metrics where period = ?", ["month"]).df()

    Raises WarehouseError when nothing has been built yet. Close the connection when done.
    """
    return publish.open_reporting(settings or Settings.from_env())
