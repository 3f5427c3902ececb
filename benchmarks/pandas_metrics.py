"""The peer: every metric of reporting.rpt_unit_metrics computed by a plain pandas script.

This is what an analyst writes in a notebook: read the CSV ledgers as text, parse the dates,
resolve units, grids and output types from the reference tables, then group by unit and
period for each grain (week Monday first, month, quarter, year, and 'all' = the whole pilot
from its start to the last date with data), for every unit and for 'ALL' (all units
together), reindexed to the full grid so a quiet unit gets zeros. No validation report, no
quarantine table, no masking: rows whose unit, dates, times, type or numbers do not parse are
simply dropped, which is what pilot quarantines in the scaled benchmark ledgers. It is a
timing baseline and the tests' independent check: the project's metrics are defined once,
in dbt.

usage: pandas_metrics.py --pilot-start YYYY-MM-DD REFERENCE_DIR OUT LEDGER_CSV...
The pilot start is the dbt var pilot_start of the project the ledgers belong to (bench.py's
peer_argv reads it through Settings.pilot_start), where dbt's date spine begins.
OUT ending in .pkl is a pickled DataFrame (what bench.py times: a binary table, as pilot
writes one; CSV text of 700,000 rows x 59 columns alone takes over a minute), else a CSV.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

ALL_CODE, ALL_NAME = "ALL", "全部试点单位"  # dbt vars all_units_code, all_units_name
GRAINS = ("week", "month", "quarter", "year", "all")
KEYS = ["period", "unit_code", "period_start"]
COUNTS = [
    "cases_found",
    "cases_closed",
    "notices_issued",
    "notices_complied_on_time",
    "penalties",
    "referrals_made",
    "disputes_found",
    "disputes_mediated",
    "disputes_resolved",
    "corrected_on_spot",
    "patrols",
    "issues_found",
]


def parse_dates(s: pd.Series) -> pd.Series:
    """2011-08-15, 2011/8/15, 2011.8.15 and 2011年8月15日 as dates; anything else NaT."""
    text = (
        s.str.strip().str.replace(r"[年月/.]", "-", regex=True).str.replace("日", "", regex=False)
    )
    return pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")


def minutes(s: pd.Series) -> pd.Series:
    """HH:MM as minutes after midnight; NaN when it is not a time."""
    hm = s.str.strip().str.extract(r"^(\d{1,2}):(\d{2})(?::\d{2})?$").astype(float)
    m = hm[0] * 60 + hm[1]
    return m.where((hm[0] < 24) & (hm[1] < 60))


def number(s: pd.Series) -> pd.Series:
    return pd.to_numeric(
        s.str.replace(r"[,\s]", "", regex=True).str.removesuffix("元"), errors="coerce"
    )


def each(s: pd.Series, parse):
    """parse() run once per distinct value of a categorical column, spread back to its rows."""
    values = parse(pd.Series(s.cat.categories, dtype=str))
    out = values.reindex(s.cat.codes.to_numpy())  # code -1 (empty cell) finds no value: NaN
    out.index = s.index
    return out


def read_ledger(files: list[str], prefix: str, columns: list[str]) -> pd.DataFrame:
    """The columns the metrics need, as text; categorical, so text functions run once per value."""
    frames = [
        pd.read_csv(f, usecols=columns, dtype=str) for f in files if Path(f).name.startswith(prefix)
    ]
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
    return frame.astype("category")


def bounds(
    dates: pd.Series, grain: str, first: pd.Timestamp, last: pd.Timestamp
) -> tuple[pd.Series, pd.Series]:
    """The start and end of the period of `grain` each date falls in."""
    if grain == "week":
        start = dates - pd.to_timedelta(dates.dt.day_of_week, unit="D")
        return start, start + pd.Timedelta(days=6)
    if grain == "all":
        inside = (dates >= first) & (dates <= last)
        return (
            pd.Series(first, index=dates.index).where(inside),
            pd.Series(last, index=dates.index).where(inside),
        )
    period = dates.dt.to_period({"month": "M", "quarter": "Q", "year": "Y"}[grain])
    return period.dt.start_time, period.dt.end_time.dt.normalize()


def by_unit_and_all(frame: pd.DataFrame, **spec) -> pd.DataFrame:
    """Aggregate per unit and period start, and once more over all units (unit 'ALL')."""
    units = frame.groupby(["unit_code", "period_start"]).agg(**spec).reset_index()
    total = frame.groupby("period_start").agg(**spec).reset_index().assign(unit_code=ALL_CODE)
    return pd.concat([units, total], ignore_index=True)


def per_grain(
    frame: pd.DataFrame, date: str, first: pd.Timestamp, last: pd.Timestamp, aggregate
) -> pd.DataFrame:
    """aggregate(frame with period_start and period_end) for every grain, stacked."""
    out = []
    for grain in GRAINS:
        start, end = bounds(frame[date], grain, first, last)
        rows = frame.assign(period_start=start, period_end=end)
        out.append(aggregate(rows).assign(period=grain))
    return pd.concat(out, ignore_index=True).set_index(KEYS)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description="rpt_unit_metrics computed by pandas")
    parser.add_argument("--pilot-start", required=True, type=pd.Timestamp, help="dbt var")
    parser.add_argument("reference")
    parser.add_argument("out")
    parser.add_argument("files", nargs="*")
    args = parser.parse_args(argv)
    first, out, files = args.pilot_start, args.out, args.files
    ref = Path(args.reference)
    units = pd.read_csv(ref / "units.csv", dtype=str)
    grids = pd.read_csv(ref / "grids.csv", dtype=str)
    output_types = pd.read_csv(ref / "output_types.csv", dtype=str)

    unit_alias = pd.concat(
        [
            units[["unit_code"]].assign(alias=units[c])
            for c in ("unit_code", "unit_name", "short_name")
        ]
    )
    unit_alias = unit_alias.assign(alias=unit_alias.alias.str.strip().str.upper())
    unit_alias = unit_alias.drop_duplicates("alias").set_index("alias")["unit_code"]
    # A ledger's grid is a grid code or a grid name of the unit.
    grid_key = (
        pd.concat(
            [
                grids.assign(key=grids.unit_code + "|" + grids.grid_code.str.upper()),
                grids.assign(key=grids.unit_code + "|" + grids.grid_name),
            ]
        )
        .drop_duplicates("key")
        .set_index("key")["grid_code"]
    )
    aliases = output_types.aliases.fillna("").str.split("|").explode()
    type_alias = pd.concat(
        [
            pd.DataFrame({"alias": output_types.output_code, "code": output_types.output_code}),
            pd.DataFrame({"alias": output_types.output_name, "code": output_types.output_code}),
            pd.DataFrame({"alias": aliases, "code": output_types.output_code[aliases.index]}),
        ]
    )
    type_alias = type_alias[type_alias.alias != ""].assign(alias=lambda t: t.alias.str.upper())
    type_alias = type_alias.drop_duplicates("alias").set_index("alias")["code"]
    type_codes = output_types.output_code.str.strip().str.upper().tolist()
    type_columns = [c.lower() for c in type_codes]

    def unit_of(frame: pd.DataFrame) -> pd.Series:
        return each(frame["单位"], lambda v: v.str.strip().str.upper().map(unit_alias))

    def text(s: pd.Series) -> pd.Series:
        return each(s, lambda v: v.str.strip())

    # Cases: drop what does not parse (unknown unit, a date that is not a date, closed before found).
    cases = read_ledger(
        files,
        "cases",
        [
            "单位",
            "发现日期",
            "事项编码",
            "处理方式",
            "整改期限",
            "结案日期",
            "处理结果",
            "罚款金额(元)",
        ],
    )
    c = pd.DataFrame(
        {
            "unit_code": unit_of(cases),
            "found": each(cases["发现日期"], parse_dates),
            "deadline": each(cases["整改期限"], parse_dates),
            "closed": each(cases["结案日期"], parse_dates),
            "action": text(cases["处理方式"]),
            "outcome": text(cases["处理结果"]),
            "item": each(cases["事项编码"], lambda v: v.str.strip().str.upper()),
            "fine": each(cases["罚款金额(元)"], number),
        }
    )
    bad_date = (
        (cases["整改期限"].notna() & c.deadline.isna())
        | (cases["结案日期"].notna() & c.closed.isna())
        | (c.closed < c.found)
    )
    c = c[c.unit_code.notna() & c.found.notna() & ~bad_date]
    dispute = c.item.str.startswith("JF")
    c = c.assign(
        notice=c.action == "整改通知",
        on_time=(c.action == "整改通知") & (c.outcome == "已整改") & (c.closed <= c.deadline),
        penalty=c.action == "立案处罚",
        fine_penalty=c.fine.where(c.action == "立案处罚"),
        referral=c.action == "移交",
        dispute=dispute,
        mediated=dispute & (c.action == "调解"),
        resolved=dispute & (c.outcome == "调解成功"),
        on_spot=c.action.isin(["劝导教育", "现场纠正"]),
        days=(c.closed - c.found).dt.days,
    )

    patrols = read_ledger(
        files, "patrols", ["单位", "网格", "日期", "开始时间", "结束时间", "巡查人员", "发现问题数"]
    )
    p = pd.DataFrame(
        {
            "unit_code": unit_of(patrols),
            "day": each(patrols["日期"], parse_dates),
            "start": each(patrols["开始时间"], minutes),
            "end": each(patrols["结束时间"], minutes),
            "officers": each(patrols["巡查人员"], lambda v: v.str.count(r"[^、，,;；\s]+")),
            "issues": each(patrols["发现问题数"], number).fillna(0),
        }
    )
    grid = text(patrols["网格"])
    p["grid_code"] = (p.unit_code + "|" + grid.str.upper()).map(grid_key)
    p["grid_code"] = p.grid_code.fillna((p.unit_code + "|" + grid).map(grid_key))
    p = p[p.unit_code.notna() & p.day.notna() & p.start.notna() & p.end.notna()]
    # An end before the start means the patrol crossed midnight.
    p["hours"] = (p.end - p.start + 1440 * (p.end < p.start)) / 60
    p["officer_hours"] = p.hours * p.officers
    p["grid"] = p.unit_code + "|" + p.grid_code

    outputs = read_ledger(files, "outputs", ["单位", "日期", "产出类型", "数量"])
    q = each(
        outputs["数量"],
        lambda v: v.str.replace(r"[,\s]", "", regex=True).str.extract(
            r"^(约)?(\d+(?:\.\d+)?)(余|多)?"
        ),
    )
    o = pd.DataFrame(
        {
            "unit_code": unit_of(outputs),
            "day": each(outputs["日期"], parse_dates),
            "output_code": each(
                outputs["产出类型"], lambda v: v.str.strip().str.upper().map(type_alias)
            ),
            "quantity": q[1].astype(float),
            "approx": q[0].notna() | q[2].notna(),
        }
    )
    o = o[o.unit_code.notna() & o.day.notna() & o.output_code.notna() & o.quantity.notna()]

    last = max([s.max() for s in (c.found, p.day, o.day) if s.notna().any()], default=first)

    # Every unit and ALL in every period holding a day from the pilot's start to the last date.
    days = pd.Series(pd.date_range(first, last))
    periods = pd.concat(
        [
            pd.DataFrame(dict(zip(("period_start", "period_end"), bounds(days, g, first, last))))
            .drop_duplicates()
            .assign(period=g)
            for g in GRAINS
        ]
    )
    population = pd.to_numeric(units.population)
    grid_count = grids.groupby("unit_code").size().reindex(units.unit_code, fill_value=0)
    reporting_units = pd.DataFrame(
        {
            "unit_code": [*units.unit_code, ALL_CODE],
            "unit_name": [*units.unit_name, ALL_NAME],
            "population": [*population, population.sum()],
            "grid_count": [*grid_count, grid_count.sum()],
        }
    )
    frame = periods.merge(reporting_units, how="cross").set_index(KEYS)

    def case_metrics(rows: pd.DataFrame) -> pd.DataFrame:
        # Closure is judged as of the period's end.
        closed_by_end = rows.closed <= rows.period_end
        rows = rows.assign(closed_by_end=closed_by_end, days=rows.days.where(closed_by_end))
        return by_unit_and_all(
            rows,
            cases_found=("found", "size"),
            cases_closed=("closed_by_end", "sum"),
            median_days_to_close=("days", "median"),
            notices_issued=("notice", "sum"),
            notices_complied_on_time=("on_time", "sum"),
            penalties=("penalty", "sum"),
            fines_yuan=("fine_penalty", "sum"),
            referrals_made=("referral", "sum"),
            disputes_found=("dispute", "sum"),
            disputes_mediated=("mediated", "sum"),
            disputes_resolved=("resolved", "sum"),
            corrected_on_spot=("on_spot", "sum"),
        )

    def patrol_metrics(rows: pd.DataFrame) -> pd.DataFrame:
        return by_unit_and_all(
            rows,
            patrols=("day", "size"),
            patrol_hours=("hours", "sum"),
            officer_hours=("officer_hours", "sum"),
            issues_found=("issues", "sum"),
            grids_patrolled=("grid", "nunique"),
        )

    def output_metrics(rows: pd.DataFrame) -> pd.DataFrame:
        rows = rows.assign(output_code=rows.output_code.str.lower())
        wide = rows.pivot_table(
            index=["unit_code", "period_start"],
            columns="output_code",
            values="quantity",
            aggfunc="sum",
        )
        total = rows.pivot_table(
            index="period_start", columns="output_code", values="quantity", aggfunc="sum"
        )
        total = total.assign(unit_code=ALL_CODE).set_index("unit_code", append=True)
        wide = pd.concat([wide, total.swaplevel()]).reindex(columns=type_columns)
        approx = by_unit_and_all(rows, outputs_approximate=("approx", "any"))
        return wide.join(approx.set_index(["unit_code", "period_start"])).reset_index()

    m = frame.join(per_grain(c, "found", first, last, case_metrics))
    m = m.join(per_grain(p, "day", first, last, patrol_metrics))
    m = m.join(per_grain(o, "day", first, last, output_metrics))
    for col in [*COUNTS, "grids_patrolled"]:
        m[col] = m[col].fillna(0).astype("int64")
    for col in ["fines_yuan", "patrol_hours", "officer_hours", *type_columns]:
        m[col] = m[col].fillna(0.0).astype(float)
    m["outputs_approximate"] = m.outputs_approximate.fillna(False).astype(bool)
    m["closure_rate"] = m.cases_closed / m.cases_found.where(m.cases_found != 0)
    m["grid_coverage"] = m.grids_patrolled / m.grid_count.where(m.grid_count != 0)
    people = m.population.where(m.population != 0)
    for col in [*COUNTS, *type_columns]:
        m[f"{col}_per_10k"] = m[col] * 10000 / people

    columns = [
        "period",
        "unit_code",
        "unit_name",
        "period_start",
        "period_end",
        "population",
        "cases_found",
        "cases_closed",
        "closure_rate",
        "median_days_to_close",
        "notices_issued",
        "notices_complied_on_time",
        "penalties",
        "fines_yuan",
        "referrals_made",
        "disputes_found",
        "disputes_mediated",
        "disputes_resolved",
        "corrected_on_spot",
        "patrols",
        "patrol_hours",
        "officer_hours",
        "issues_found",
        "grid_coverage",
        *type_columns,
        *[f"{col}_per_10k" for col in [*COUNTS, *type_columns]],
        "outputs_approximate",
    ]
    m = m.reset_index()[columns]
    m["period"] = pd.Categorical(m.period, GRAINS)
    m = m.sort_values(KEYS)
    if str(out).endswith(".pkl"):
        m.to_pickle(out)
    else:
        m.to_csv(out, index=False, date_format="%Y-%m-%d")


if __name__ == "__main__":
    main(sys.argv[1:])
