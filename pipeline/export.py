"""Exports of the reporting models as CSV, JSON or Excel: selected, never recomputed."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from .errors import PilotError, WarehouseError
from .publish import open_reporting
from .settings import Settings

PERIODS = ("week", "month", "quarter", "year", "all")
FORMATS = ("csv", "xlsx", "json")


@dataclass(frozen=True)
class Source:
    """A reporting relation, its range macro, the columns exported (None: all) and the sort.

    Every export names its period's last day (a period chosen by a range may run past it), the
    codes the summaries' data notes filter on, and whether a quantity holds a clerk's 约数.
    """

    relation: str
    macro: str
    columns: tuple[str, ...] | None
    order_by: str


SOURCES: dict[str, Source] = {
    "metrics": Source(
        "reporting.rpt_unit_metrics",
        "reporting.unit_metrics_between",
        None,
        "unit_code, period_start",
    ),
    "outputs": Source(
        "reporting.rpt_outputs_unit_period",
        "reporting.outputs_between",
        (
            "unit_code",
            "period_start",
            "period_end",
            "output_code",
            "output_name",
            "measure",
            "quantity",
            "is_approximate",
        ),
        "unit_code, period_start, output_code",
    ),
    "referrals": Source(
        "reporting.rpt_referrals_unit_period",
        "reporting.referrals_between",
        ("unit_code", "period_start", "period_end", "dept_code", "department", "referrals"),
        "unit_code, period_start, dept_code",
    ),
}

# Columns every metrics export starts with; `period` is dropped because one export holds one.
LEADING = ("unit_code", "period_start")
DROPPED = ("period",)

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_date(value: str | date | None) -> date | None:
    """A YYYY-MM-DD string or a date as a date; None or '' as None; anything else is an error."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if _ISO_DATE.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise PilotError(
        f"无效日期 / invalid date: {value} (use YYYY-MM-DD)",
        hint="e.g. --from 2011-08-01 --to 2012-07-31",
    )


def date_range(
    given_from: date | None, given_to: date | None, first: date, last: date
) -> tuple[date, date]:
    """[--from, --to], a side not given being the first or last day with data; never reversed."""
    d_from, d_to = given_from or first, given_to or last
    if d_from > d_to:
        raise PilotError(
            f"起始日期晚于结束日期 / --from {d_from.isoformat()}"
            + (" (the first day with data)" if given_from is None else "")
            + f" is after --to {d_to.isoformat()}"
            + (" (the last day with data)" if given_to is None else ""),
            hint=f"the data run from {first.isoformat()} to {last.isoformat()}",
        )
    if d_to < first or d_from > last:
        raise PilotError(
            f"所选期间没有数据 / no data from {d_from.isoformat()} to {d_to.isoformat()}",
            hint=f"the data run from {first.isoformat()} to {last.isoformat()}",
        )
    return d_from, d_to


def from_pilot_start(d_from: date, start: date) -> tuple[date, date | None]:
    """A range's first day, and the one asked for when it lay before the pilot start.

    No ledger is kept before the pilot: the summary and the report count such a range from its
    start, and say that the start asked for was earlier.
    """
    return (start, d_from) if d_from < start else (d_from, None)


_PERIOD_ZH = {"week": "周", "month": "月份", "quarter": "季度", "year": "年度"}


def _no_period_overlaps(
    period: str, d_from: date | None, d_to: date | None, first: date, last: date
) -> PilotError:
    if d_from and d_to:
        zh = f"{d_from.isoformat()} 至 {d_to.isoformat()}"
        en = f"{d_from.isoformat()} to {d_to.isoformat()}"
    elif d_from:
        zh, en = f"{d_from.isoformat()} 及以后", f"{d_from.isoformat()} onwards"
    else:
        zh, en = f"{d_to.isoformat()} 及以前", f"up to {d_to.isoformat()}"
    return PilotError(
        f"数据中没有与 {zh} 重叠的{_PERIOD_ZH[period]} / no {period} in the data overlaps {en}",
        hint=f"the {period}s in the data run from {first.isoformat()} to {last.isoformat()}",
    )


def refuse_other_format(path: Path, fmt: str, known: Sequence[str]) -> None:
    """Refuse a file whose extension names another of the `known` formats than `fmt`."""
    suffix = path.suffix.lower()
    if suffix in {f".{f}" for f in known} and suffix != f".{fmt}":
        raise PilotError(
            f"文件扩展名与格式不符 / {path.name} is not a .{fmt} file (--format {fmt})",
            hint=f"name the file *.{fmt}, or pass the --format its name says",
        )


def _check_choice(value: str, choices: Sequence[str], zh: str, en: str) -> str:
    if value not in choices:
        raise PilotError(f"无效{zh} / invalid {en}: {value} (use one of {', '.join(choices)})")
    return value


def fetch(
    con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any], relation: str
) -> tuple[list[str], list[tuple]]:
    """Run one query against a reporting relation; a missing relation means dbt has not built it."""
    try:
        cur = con.execute(sql, list(params))
        names = [d[0] for d in cur.description]
        rows = cur.fetchall()
    except duckdb.CatalogException as exc:
        raise WarehouseError(
            f"报表模型尚未构建 / reporting model not built: {relation}",
            hint="run `pilot build` (or `pilot run`) first",
        ) from exc
    return names, rows


def pilot_bounds(con: duckdb.DuckDBPyConnection) -> tuple[date, date]:
    """First and last day of the whole pilot, as the 'all' rows of the metrics model state them."""
    rel = SOURCES["metrics"].relation
    _, rows = fetch(
        con,
        f"select min(period_start), max(period_end) from {rel} where period = ?",
        ["all"],
        rel,
    )
    start, end = rows[0]
    if start is None:
        raise WarehouseError(
            f"报表模型中没有数据 / no data in {rel}",
            hint="load ledgers with `pilot ingest`, then `pilot build`",
        )
    return start, end


def read(
    settings: Settings,
    what: str,
    period: str = "month",
    date_from: str | date | None = None,
    date_to: str | date | None = None,
) -> tuple[list[str], list[tuple]]:
    """The columns and rows of one export, read from the reporting models with bind parameters."""
    source = SOURCES[_check_choice(what, tuple(SOURCES), "导出内容", "export")]
    _check_choice(period, PERIODS, "周期", "period")
    d_from, d_to = parse_date(date_from), parse_date(date_to)
    con = open_reporting(settings)
    try:
        if d_from and d_to and d_from > d_to:
            date_range(d_from, d_to, *pilot_bounds(con))
        if period == "all" and (d_from or d_to):
            d_from, d_to = date_range(d_from, d_to, *pilot_bounds(con))
            sql = f"select * from {source.macro}(?, ?) order by {source.order_by}"
            names, rows = fetch(con, sql, [d_from, d_to], source.macro)
        else:
            # Every period that overlaps the range, whole: a quarter that began before --from
            # still holds days inside the range (the pilot began on 2011-08-01, in a quarter
            # that began on 2011-07-01), and leaving it out would leave those days out.
            where, params = ["period = ?"], [period]
            if d_from:
                where.append("period_end >= ?")
                params.append(d_from)
            if d_to:
                where.append("period_start <= ?")
                params.append(d_to)
            sql = (
                f"select * from {source.relation} where {' and '.join(where)} "
                f"order by {source.order_by}"
            )
            names, rows = fetch(con, sql, params, source.relation)
            if not rows and (d_from or d_to):
                # A range outside the data is an error, as it is for --period all, reports and
                # summaries: not a file of headers alone.
                _, ((first, last),) = fetch(
                    con,
                    f"select min(period_start), max(period_end) from {source.relation} "
                    "where period = ?",
                    [period],
                    source.relation,
                )
                if first is not None:
                    raise _no_period_overlaps(period, d_from, d_to, first, last)
    finally:
        con.close()
    if source.columns is None:
        columns = list(LEADING) + [c for c in names if c not in LEADING and c not in DROPPED]
    else:
        columns = list(source.columns)
    missing = [c for c in columns if c not in names]
    if missing:
        raise WarehouseError(
            f"报表模型缺少列 / reporting model lacks columns: {', '.join(missing)}",
            hint="rebuild the models with `pilot build`",
        )
    index = [names.index(c) for c in columns]
    return columns, [tuple(row[i] for i in index) for row in rows]


def _plain(value: Any) -> Any:
    """A value as JSON has it: dates ISO, decimals as numbers, NaN as null."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _csv_cell(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def to_csv(columns: list[str], rows: list[tuple]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([_csv_cell(v) for v in row] for row in rows)
    return buf.getvalue()


def to_json(columns: list[str], rows: list[tuple]) -> str:
    records = [{c: _plain(v) for c, v in zip(columns, row)} for row in rows]
    return json.dumps(records, ensure_ascii=False, indent=2) + "\n"


def write_xlsx(columns: list[str], rows: list[tuple], path: Path, sheet: str) -> None:
    """One sheet; text is always stored as text so a value like '=1+1' never becomes a formula."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    for c, name in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=c, value=name)
        cell.data_type = "s"
        cell.font = Font(bold=True)
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row, start=1):
            if isinstance(value, Decimal):
                value = float(value)
            elif isinstance(value, float) and math.isnan(value):
                value = None
            cell = ws.cell(row=r, column=c, value=value)
            if isinstance(value, str):
                cell.data_type = "s"
            elif isinstance(value, (date, datetime)):
                cell.number_format = "yyyy-mm-dd"
    ws.freeze_panes = "C2"
    wb.save(path)


def export(
    settings: Settings,
    what: str,
    period: str = "month",
    date_from: str | date | None = None,
    date_to: str | date | None = None,
    fmt: str = "csv",
    out: str | Path | None = None,
) -> Path | str:
    """Export metrics, outputs or referrals; the text itself when out is None (csv, json)."""
    _check_choice(fmt, FORMATS, "格式", "format")
    if fmt == "xlsx" and out is None:
        raise PilotError(
            "xlsx 格式需要输出文件 / xlsx needs an output file", hint="pass --out export.xlsx"
        )
    if out is not None:
        # CSV text in a file named .xlsx is a file Excel refuses or warns about.
        refuse_other_format(Path(out), fmt, FORMATS)
    columns, rows = read(settings, what, period, date_from, date_to)
    if out is None:
        return to_csv(columns, rows) if fmt == "csv" else to_json(columns, rows)
    path = Path(out).expanduser().resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "xlsx":
        write_xlsx(columns, rows, path, sheet=what)
    elif fmt == "csv":
        # A byte-order mark lets Excel, which the brigades use, open the Chinese text as UTF-8.
        path.write_text(to_csv(columns, rows), encoding="utf-8-sig", newline="")
    else:
        path.write_text(to_json(columns, rows), encoding="utf-8")
    return path
