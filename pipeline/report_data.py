"""What the report site shows, selected from the reporting models with bind parameters."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb

from .errors import PilotError, WarehouseError
from .export import date_range, fetch, from_pilot_start, parse_date
from .publish import open_reporting
from .settings import ALL_UNITS_CODE, Settings
from .warehouse import quote_ident

METRICS_REL = "reporting.rpt_unit_metrics"
OUTPUTS_REL = "reporting.rpt_outputs_unit_period"
CHANGES_REL = "reporting.rpt_changes_unit_period"
PATROLS_WEEK_REL = "reporting.rpt_patrols_unit_week"
GRID_WEEK_REL = "reporting.rpt_patrols_grid_week"
CUMULATIVE_REL = "reporting.rpt_outputs_cumulative_unit_month"
EVENTS_REL = "reporting.rpt_events"
FILES_REL = "reporting.rpt_quality_files"
QUARANTINE_REL = "reporting.rpt_quality_quarantine"

# Quarantined rows listed on the quality page; the full list is `pilot quality`.
QUARANTINE_LIMIT = 200
# Units a page draws and tabulates one by one. With more units (a province), pages show the
# pilot total and the top MAX_UNITS units by TOP_METRIC over the range, so a page's size and
# the report's memory do not grow with the data; the full per-unit data is `pilot export`.
MAX_UNITS = 12
# The metric that picks the units shown: a choice of presentation, the values still come from dbt.
TOP_METRIC = "cases_found"


@dataclass
class ReportData:
    """Everything the pages show, for one range and one or all units."""

    date_from: date
    date_to: date
    units: list[tuple[str, str]]
    compared: list[tuple[str, str]]
    unit_count: int
    totals: list[dict]
    approx_totals: set[tuple[str, str]]
    change_from: date
    change_to: date
    changes: list[dict]
    monthly: list[dict]
    monthly_changes: dict[tuple[str, date, str], dict]
    weekly: list[dict]
    grid_weeks: list[dict]
    referrals: list[dict]
    case_mix: list[dict]
    items: list[dict]
    cumulative: list[dict]
    events: list[dict]
    files: list[dict]
    quarantine: list[dict]
    quarantine_total: int = 0
    approx_monthly: set[tuple[str, date, str]] = field(default_factory=set)
    # --from as given, when it lay before the pilot start (date_from is then the start).
    asked_from: date | None = None

    @property
    def bounded(self) -> bool:
        """True when the pages show the top units of many rather than every unit."""
        return len(self.compared) < self.unit_count and len(self.units) > 1


def _records(names: list[str], rows: list[tuple]) -> list[dict[str, Any]]:
    return [dict(zip(names, row)) for row in rows]


def _select(con, sql: str, params: list, relation: str) -> list[dict[str, Any]]:
    return _records(*fetch(con, sql, params, relation))


def _bounds(con: duckdb.DuckDBPyConnection) -> tuple[date, date]:
    rows = _select(
        con,
        f"select min(period_start) as s, max(period_end) as e from {METRICS_REL} where period = ?",
        ["all"],
        METRICS_REL,
    )
    if not rows or rows[0]["s"] is None:
        raise WarehouseError(
            f"报表模型中没有数据 / no data in {METRICS_REL}",
            hint="load ledgers with `pilot ingest`, then `pilot build`",
        )
    return rows[0]["s"], rows[0]["e"]


def _change_range(
    con: duckdb.DuckDBPyConnection, d_from: date, d_to: date, chosen: bool
) -> tuple[date, date]:
    """The range the overview compares with the range before it.

    A range the user chose is compared as it is; otherwise the last whole quarter in the data.
    """
    if chosen:
        return d_from, d_to
    rows = _select(
        con,
        f"select max(period_start) as s from {METRICS_REL} where period = ? "
        "and unit_code = ? and period_start >= ? and period_end <= ?",
        ["quarter", ALL_UNITS_CODE, d_from, d_to],
        METRICS_REL,
    )
    start = rows[0]["s"]
    if start is None:
        return d_from, d_to
    end = _select(
        con,
        f"select period_end as e from {METRICS_REL} where period = ? and unit_code = ? "
        "and period_start = ?",
        ["quarter", ALL_UNITS_CODE, start],
        METRICS_REL,
    )[0]["e"]
    return start, end


def _check_unit(con: duckdb.DuckDBPyConnection, unit: str) -> None:
    """Raise when the warehouse has no unit `unit`, naming (at most MAX_UNITS of) those it has."""
    found = _select(
        con,
        f"select count(*) as n from {METRICS_REL} where period = ? and unit_code = ?",
        ["all", unit],
        METRICS_REL,
    )[0]["n"]
    if found:
        return
    codes = [
        r["unit_code"]
        for r in _select(
            con,
            f"select unit_code from {METRICS_REL} where period = ? "
            "order by unit_code = ?, unit_code limit ?",
            ["all", ALL_UNITS_CODE, MAX_UNITS + 1],
            METRICS_REL,
        )
    ]
    listed = ", ".join(codes[:MAX_UNITS]) + (", …" if len(codes) > MAX_UNITS else "")
    raise PilotError(
        f"未知单位 / unknown unit: {unit} (use one of {listed})",
        hint="pass a unit code such as --unit XHY",
    )


def _top_totals(con: duckdb.DuckDBPyConnection, d_from: date, d_to: date) -> list[dict]:
    """The range totals of the top MAX_UNITS units by TOP_METRIC, then of the pilot as a whole.

    One pass of the range macro: the ranking and the cut happen in SQL, so only these rows
    reach Python whatever the number of units.
    """
    return _select(
        con,
        "select * exclude (top_rank) from ("
        "select *, row_number() over (partition by unit_code = ? "
        f"order by {quote_ident(TOP_METRIC)} desc nulls last, unit_code) as top_rank "
        "from reporting.unit_metrics_between(?, ?)) "
        "where unit_code = ? or top_rank <= ? order by unit_code = ?, top_rank",
        [ALL_UNITS_CODE, d_from, d_to, ALL_UNITS_CODE, MAX_UNITS, ALL_UNITS_CODE],
        METRICS_REL,
    )


def read_report_data(
    settings: Settings,
    date_from: str | date | None = None,
    date_to: str | date | None = None,
    unit: str | None = None,
) -> ReportData:
    """Read every dataset of the site, narrowed to [date_from, date_to] and to one unit if given."""
    d_from, d_to = parse_date(date_from), parse_date(date_to)
    # Unit codes are upper case; xhy is XHY, as in `pilot summary` and `pilot templates`.
    unit = unit.strip().upper() if unit else None
    con = open_reporting(settings)
    try:
        first, last = _bounds(con)
        chosen = d_from is not None or d_to is not None
        d_from, d_to = date_range(d_from, d_to, first, last)
        # The ledgers begin at the pilot start: a range asked to begin earlier is shown from it,
        # and the overview says so.
        d_from, asked_from = from_pilot_start(d_from, first)
        unit_count = _select(
            con,
            f"select count(*) as n from {METRICS_REL} where period = ? and unit_code <> ?",
            ["all", ALL_UNITS_CODE],
            METRICS_REL,
        )[0]["n"]
        if unit is not None:
            _check_unit(con, unit)
        ranked = unit is None and unit_count > MAX_UNITS
        if ranked:
            totals = _top_totals(con, d_from, d_to)
            # Units drawn as lines: the top units and the pilot as a whole.
            units = [(r["unit_code"], r["unit_name"] or r["unit_code"]) for r in totals]
            table_codes = [c for c, _ in units]
        else:
            # Units drawn as lines: each pilot unit, or the one asked for.
            units = [
                (u["unit_code"], u["unit_name"] or u["unit_code"])
                for u in _select(
                    con,
                    f"select unit_code, unit_name from {METRICS_REL} where period = ? "
                    + ("and unit_code = ? " if unit else "and unit_code <> ? ")
                    + "order by unit_code",
                    ["all", unit or ALL_UNITS_CODE],
                    METRICS_REL,
                )
            ]
            table_codes = [unit] if unit else [*(c for c, _ in units), ALL_UNITS_CODE]
        # Units compared side by side in bars and flows: the pilot total would dwarf them.
        compared = [(c, n) for c, n in units if c != ALL_UNITS_CODE] or units
        marks = ", ".join("?" for _ in table_codes)
        line_codes = [c for c, _ in units]
        line_marks = ", ".join("?" for _ in line_codes)
        compared_codes = [c for c, _ in compared]
        compared_marks = ", ".join("?" for _ in compared_codes)

        if not ranked:
            totals = _select(
                con,
                "select * from reporting.unit_metrics_between(?, ?) "
                f"where unit_code in ({marks}) order by unit_code = ?, unit_code",
                [d_from, d_to, *table_codes, ALL_UNITS_CODE],
                METRICS_REL,
            )
        approx_totals = {
            (r["unit_code"], r["output_code"].lower())
            for r in _select(
                con,
                "select unit_code, output_code from reporting.outputs_between(?, ?) "
                f"where is_approximate and unit_code in ({marks})",
                [d_from, d_to, *table_codes],
                OUTPUTS_REL,
            )
        }
        change_from, change_to = _change_range(con, d_from, d_to, chosen)
        changes = _select(
            con,
            f"select * from reporting.changes_between(?, ?) where unit_code in ({marks}) "
            "order by unit_code = ?, unit_code",
            [change_from, change_to, *table_codes, ALL_UNITS_CODE],
            CHANGES_REL,
        )
        if ranked:
            # Columns in the order of the totals: the top units by rank, the pilot last.
            order = {c: i for i, c in enumerate(table_codes)}
            changes.sort(key=lambda r: order[r["unit_code"]])
        in_range = "period_start >= ? and period_end <= ?"
        monthly = _select(
            con,
            f"select * from {METRICS_REL} where period = ? and unit_code in ({line_marks}) "
            f"and {in_range} order by unit_code, period_start",
            ["month", *line_codes, d_from, d_to],
            METRICS_REL,
        )
        monthly_changes = {
            (r["unit_code"], r["period_start"], r["metric"]): r
            for r in _select(
                con,
                "select unit_code, period_start, metric, previous_value, z_score, is_notable "
                f"from {CHANGES_REL} where period = ? and unit_code in ({line_marks}) "
                f"and {in_range}",
                ["month", *line_codes, d_from, d_to],
                CHANGES_REL,
            )
        }
        approx_monthly = {
            (r["unit_code"], r["period_start"], r["output_code"].lower())
            for r in _select(
                con,
                f"select unit_code, period_start, output_code from {OUTPUTS_REL} "
                f"where period = ? and is_approximate and unit_code in ({line_marks}) "
                f"and {in_range}",
                ["month", *line_codes, d_from, d_to],
                OUTPUTS_REL,
            )
        }
        week_range = "week_start >= ? and week_end <= ?"
        weekly = _select(
            con,
            f"select * from {PATROLS_WEEK_REL} where unit_code in ({line_marks}) "
            f"and {week_range} order by unit_code, week_start",
            [*line_codes, d_from, d_to],
            PATROLS_WEEK_REL,
        )
        grid_weeks = _select(
            con,
            "select unit_code, grid_code, grid_name, week_start, week_end, patrols, "
            f"patrol_hours from {GRID_WEEK_REL} where unit_code in ({line_marks}) "
            f"and {week_range} order by unit_code, grid_code, week_start",
            [*line_codes, d_from, d_to],
            GRID_WEEK_REL,
        )
        referrals = _select(
            con,
            "select unit_code, dept_code, department, referrals "
            f"from reporting.referrals_between(?, ?) where unit_code in ({compared_marks}) "
            "and referrals > 0 order by unit_code, dept_code",
            [d_from, d_to, *compared_codes],
            "reporting.rpt_referrals_unit_period",
        )
        case_mix = _select(
            con,
            "select unit_code, category_code, category, cases_found "
            f"from reporting.case_mix_between(?, ?) where unit_code in ({compared_marks}) "
            "order by category_code, unit_code",
            [d_from, d_to, *compared_codes],
            "reporting.rpt_case_mix_unit_period",
        )
        items = _select(
            con,
            "select unit_code, item_code, item_name, category_code, category, "
            "delegating_dept, delegating_dept_code, cases_found "
            "from reporting.items_between(?, ?) "
            f"where unit_code in ({marks}) order by item_code, unit_code = ?, unit_code",
            [d_from, d_to, *table_codes, ALL_UNITS_CODE],
            "reporting.rpt_items_unit_period",
        )
        cumulative = _select(
            con,
            f"select * from {CUMULATIVE_REL} where unit_code in ({line_marks}) "
            "and month_start >= ? and month_end <= ? order by output_code, unit_code, month_start",
            [*line_codes, d_from, d_to],
            CUMULATIVE_REL,
        )
        events = _select(
            con,
            f"select * from {EVENTS_REL} where event_date >= ? and event_date <= ? "
            "order by event_date",
            [d_from, d_to],
            EVENTS_REL,
        )
        files = _select(
            con,
            "select file_name, ledger, status, rows_read, rows_loaded, rows_quarantined, "
            f"rows_skipped, error from {FILES_REL} order by ingested_at, file_name",
            [],
            FILES_REL,
        )
        quarantine_total = _select(
            con, f"select count(*) as n from {QUARANTINE_REL}", [], QUARANTINE_REL
        )[0]["n"]
        quarantine = _select(
            con,
            "select file_name, file_status, source_sheet, source_row, ledger, reasons "
            f"from {QUARANTINE_REL} order by file_name, source_sheet, source_row limit ?",
            [QUARANTINE_LIMIT],
            QUARANTINE_REL,
        )
    finally:
        con.close()
    return ReportData(
        date_from=d_from,
        date_to=d_to,
        units=units,
        compared=compared,
        unit_count=unit_count,
        totals=totals,
        approx_totals=approx_totals,
        change_from=change_from,
        change_to=change_to,
        changes=changes,
        monthly=monthly,
        monthly_changes=monthly_changes,
        weekly=weekly,
        grid_weeks=grid_weeks,
        referrals=referrals,
        case_mix=case_mix,
        items=items,
        cumulative=cumulative,
        events=events,
        files=files,
        quarantine=quarantine,
        quarantine_total=quarantine_total,
        approx_monthly=approx_monthly,
        asked_from=asked_from,
    )
