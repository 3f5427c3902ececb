"""The peer: headline metrics per unit and month computed by a plain pandas script.

This is what an analyst writes in a notebook: read the CSV ledgers, parse the dates, resolve
units, count per unit and month. No validation, no quarantine, no masking. It is a timing
baseline only: the project's metrics are defined once, in dbt.

usage: pandas_metrics.py REFERENCE_DIR OUT_CSV LEDGER_CSV...
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd


def parse_dates(s: pd.Series) -> pd.Series:
    text = (
        s.astype("string")
        .str.replace(r"[年月/.]", "-", regex=True)
        .str.replace("日", "", regex=False)
    )
    return pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")


def main(argv: list[str]) -> None:
    reference, out, *files = argv
    units = pd.read_csv(Path(reference) / "units.csv", dtype=str)
    alias = pd.concat(
        [
            units[["unit_code"]].assign(alias=units.unit_code),
            units[["unit_code"]].assign(alias=units.unit_name),
            units[["unit_code"]].assign(alias=units.short_name),
        ]
    ).set_index("alias")["unit_code"]
    cases = pd.concat(
        [pd.read_csv(f, dtype=str) for f in files if Path(f).name.startswith("cases")]
    )
    patrols = pd.concat(
        [pd.read_csv(f, dtype=str) for f in files if Path(f).name.startswith("patrols")]
    )
    cases["unit_code"] = cases["单位"].map(alias)
    cases["month"] = parse_dates(cases["发现日期"]).dt.to_period("M")
    cases["notice"] = cases["处理方式"] == "整改通知"
    cases["referral"] = cases["处理方式"] == "移交"
    case_metrics = cases.groupby(["unit_code", "month"]).agg(
        cases_found=("案件编号", "size"),
        notices_issued=("notice", "sum"),
        referrals_made=("referral", "sum"),
    )
    patrols["unit_code"] = patrols["单位"].map(alias)
    patrols["month"] = parse_dates(patrols["日期"]).dt.to_period("M")
    start = pd.to_timedelta(patrols["开始时间"] + ":00")
    end = pd.to_timedelta(patrols["结束时间"] + ":00")
    hours = (end - start).dt.total_seconds() / 3600
    patrols["hours"] = hours.where(hours >= 0, hours + 24)
    patrol_metrics = patrols.groupby(["unit_code", "month"]).agg(
        patrols=("巡查编号", "size"), patrol_hours=("hours", "sum")
    )
    case_metrics.join(patrol_metrics, how="outer").fillna(0).to_csv(out)


if __name__ == "__main__":
    main(sys.argv[1:])
