"""What the report site shows, selected from the reporting models with bind parameters."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb

from .errors import PilotError, WarehouseError
from .export import fetch, parse_date
from .publish import open_reporting
from .settings import ALL_UNITS_CODE, Settings

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


@dataclass
class ReportData:
    """Everything the pages show, for one range and one or all units."""

    date_from: date
    date_to: date
    units: list[tuple[str, str]]
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


def read_report_data(
    settings: Settings,
    date_from: str | date | None = None,
    date_to: str | date | None = None,
    unit: str | None = None,
) -> ReportData:
    """Read every dataset of the site, narrowed to [date_from, date_to] and to one unit if given."""
    d_from, d_to = parse_date(date_from), parse_date(date_to)
    con = open_reporting(settings)
    try:
        first, last = _bounds(con)
        chosen = d_from is not None or d_to is not None
        d_from, d_to = d_from or first, d_to or last
        if d_from > d_to:
            raise PilotError(
                f"起始日期晚于结束日期 / date_from {d_from.isoformat()} is after "
                f"date_to {d_to.isoformat()}"
            )
        all_units = _select(
            con,
            f"select unit_code, unit_name from {METRICS_REL} where period = ? "
            "order by unit_code = ?, unit_code",
            ["all", ALL_UNITS_CODE],
            METRICS_REL,
        )
        codes = [u["unit_code"] for u in all_units]
        if unit is not None and unit not in codes:
            raise PilotError(
                f"未知单位 / unknown unit: {unit} (use one of {', '.join(codes)})",
                hint="pass a unit code such as --unit XHY",
            )
        # Units drawn as lines: each pilot unit, or the one asked for.
        units = [
            (u["unit_code"], u["unit_name"] or u["unit_code"])
            for u in all_units
            if (u["unit_code"] == unit if unit else u["unit_code"] != ALL_UNITS_CODE)
        ]
        table_codes = [unit] if unit else codes
        marks = ", ".join("?" for _ in table_codes)
        line_codes = [c for c, _ in units]
        line_marks = ", ".join("?" for _ in line_codes)

        totals = _select(
            con,
            f"select * from reporting.unit_metrics_between(?, ?) where unit_code in ({marks}) "
            "order by unit_code = ?, unit_code",
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
            f"from reporting.referrals_between(?, ?) where unit_code in ({line_marks}) "
            "and referrals > 0 order by unit_code, dept_code",
            [d_from, d_to, *line_codes],
            "reporting.rpt_referrals_unit_period",
        )
        case_mix = _select(
            con,
            "select unit_code, category_code, category, cases_found "
            f"from reporting.case_mix_between(?, ?) where unit_code in ({line_marks}) "
            "order by category_code, unit_code",
            [d_from, d_to, *line_codes],
            "reporting.rpt_case_mix_unit_period",
        )
        items = _select(
            con,
            "select unit_code, item_code, item_name, category_code, category, "
            "delegating_dept, cases_found from reporting.items_between(?, ?) "
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
    )
