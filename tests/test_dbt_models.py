"""The dbt models against the hand-written ledgers of conftest, every metric computed by hand."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest
import yaml
from conftest import (
    OFFICER_NAMES,
    PROJECT_ROOT,
    UNITS_CSV,
    data_tests_on,
    make_dbt_project,
    write_raw_fixture,
)

from pipeline.build import _environ, build, dbt_args, dbt_dir
from pipeline.errors import BuildError
from pipeline.settings import Settings
from pipeline.warehouse import connect, quote_ident

POPULATION = {"XHY": 40000, "XJ": 25000, "ZBB": 20000, "ALL": 85000}
OUTPUT_COLUMNS = (
    "leaflet",
    "banner",
    "blackboard",
    "board_made",
    "board_show",
    "consult",
    "slogan",
    "event",
    "signboard",
    "paving",
    "training",
)
COUNTS = (
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
)
METRIC_COLUMNS = (
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
    *OUTPUT_COLUMNS,
    *(f"{c}_per_10k" for c in COUNTS + OUTPUT_COLUMNS),
    "outputs_approximate",
)
AUG, SEP, OCT = date(2011, 8, 1), date(2011, 9, 1), date(2011, 10, 1)
PILOT = date(2011, 8, 1)

# Hand-computed from the ledgers in conftest (superseded and duplicate files left out).
EXPECTED = {
    ("month", "XHY", AUG): {
        "cases_found": 4,
        "cases_closed": 3,
        "closure_rate": 0.75,
        "median_days_to_close": 6.0,
        "notices_issued": 2,
        "notices_complied_on_time": 1,
        "penalties": 0,
        "fines_yuan": 0.0,
        "referrals_made": 0,
        "disputes_found": 1,
        "disputes_mediated": 1,
        "disputes_resolved": 1,
        "corrected_on_spot": 1,
        "patrols": 2,
        "patrol_hours": 6.0,
        "officer_hours": 14.5,
        "issues_found": 3,
        "grid_coverage": 0.5,
        "leaflet": 1800.0,
        "banner": 20.0,
        "training": 0.0,
        "outputs_approximate": True,
    },
    ("month", "XHY", SEP): {
        "cases_found": 2,
        "cases_closed": 2,
        "closure_rate": 1.0,
        "median_days_to_close": 2.5,
        "notices_issued": 0,
        "notices_complied_on_time": 0,
        "penalties": 1,
        "fines_yuan": 200.0,
        "referrals_made": 1,
        "disputes_found": 0,
        "disputes_mediated": 0,
        "disputes_resolved": 0,
        "corrected_on_spot": 0,
        "patrols": 1,
        "patrol_hours": 1.0,
        "officer_hours": 1.0,
        "issues_found": 0,
        "grid_coverage": 0.25,
        "leaflet": 200.0,
        "banner": 0.0,
        "training": 0.0,
        "outputs_approximate": False,
    },
    ("month", "XHY", OCT): {
        "cases_found": 3,
        "cases_closed": 2,
        "closure_rate": 2 / 3,
        "median_days_to_close": 4.5,
        "notices_issued": 0,
        "notices_complied_on_time": 0,
        "penalties": 1,
        "fines_yuan": 500.5,
        "referrals_made": 0,
        "disputes_found": 1,
        "disputes_mediated": 1,
        "disputes_resolved": 0,
        "corrected_on_spot": 1,
        "patrols": 1,
        "patrol_hours": 3.0,
        "officer_hours": 6.0,
        "issues_found": 3,
        "grid_coverage": 0.25,
        "leaflet": 0.0,
        "banner": 0.0,
        "training": 1.0,
        "outputs_approximate": False,
    },
    ("all", "XHY", PILOT): {
        "cases_found": 9,
        "cases_closed": 8,
        "closure_rate": 8 / 9,
        "median_days_to_close": 4.0,
        "notices_issued": 2,
        "notices_complied_on_time": 1,
        "penalties": 2,
        "fines_yuan": 700.5,
        "referrals_made": 1,
        "disputes_found": 2,
        "disputes_mediated": 2,
        "disputes_resolved": 1,
        "corrected_on_spot": 2,
        "patrols": 4,
        "patrol_hours": 10.0,
        "officer_hours": 21.5,
        "issues_found": 6,
        "grid_coverage": 0.75,
        "leaflet": 2000.0,
        "banner": 20.0,
        "training": 1.0,
        "outputs_approximate": True,
    },
    ("month", "XJ", AUG): {
        "cases_found": 2,
        "cases_closed": 1,
        "closure_rate": 0.5,
        "median_days_to_close": 1.0,
        "notices_issued": 0,
        "penalties": 0,
        "referrals_made": 1,
        "disputes_found": 1,
        "disputes_mediated": 1,
        "disputes_resolved": 1,
        "corrected_on_spot": 0,
        "patrols": 1,
        "patrol_hours": 3.75,
        "officer_hours": 7.5,
        "issues_found": 4,
        "grid_coverage": 0.5,
        "banner": 0.0,
        "signboard": 0.0,
    },
    ("month", "XJ", SEP): {
        "cases_found": 1,
        "cases_closed": 1,
        "closure_rate": 1.0,
        "median_days_to_close": 0.0,
        "referrals_made": 1,
        "disputes_found": 0,
        "patrols": 1,
        "patrol_hours": 0.75,
        "officer_hours": 0.75,
        "issues_found": 0,
        "grid_coverage": 0.0,
        "banner": 15.0,
    },
    ("month", "XJ", OCT): {
        "cases_found": 1,
        "cases_closed": 0,
        "closure_rate": 0.0,
        "median_days_to_close": None,
        "notices_issued": 1,
        "notices_complied_on_time": 0,
        "patrols": 0,
        "patrol_hours": 0.0,
        "grid_coverage": 0.0,
        "signboard": 30.0,
    },
    ("all", "XJ", PILOT): {
        "cases_found": 4,
        "cases_closed": 3,
        "closure_rate": 0.75,
        "median_days_to_close": 1.0,
        "notices_issued": 1,
        "notices_complied_on_time": 0,
        "penalties": 0,
        "referrals_made": 2,
        "disputes_found": 1,
        "disputes_mediated": 1,
        "disputes_resolved": 1,
        "patrols": 2,
        "patrol_hours": 4.5,
        "officer_hours": 8.25,
        "issues_found": 4,
        "grid_coverage": 0.5,
        "banner": 15.0,
        "signboard": 30.0,
        "outputs_approximate": False,
    },
    # No ledgers at all: zeros, a null closure rate, and null coverage (no grids defined).
    ("all", "ZBB", PILOT): {
        "cases_found": 0,
        "cases_closed": 0,
        "closure_rate": None,
        "median_days_to_close": None,
        "patrols": 0,
        "patrol_hours": 0.0,
        "grid_coverage": None,
        "leaflet": 0.0,
        "cases_found_per_10k": 0.0,
        "outputs_approximate": False,
    },
    # Closure as of period end: XHY-004 (found 30 Aug, closed 2 Sep) is open at the end of
    # August, closed at the end of its week (29 Aug - 4 Sep) and of the third quarter.
    ("week", "XHY", date(2011, 8, 29)): {"cases_found": 1, "cases_closed": 1, "closure_rate": 1.0},
    ("quarter", "XHY", date(2011, 7, 1)): {
        "cases_found": 6,
        "cases_closed": 6,
        "closure_rate": 1.0,
        "median_days_to_close": 4.0,
    },
    ("year", "XHY", date(2011, 1, 1)): {"cases_found": 9, "cases_closed": 8, "fines_yuan": 700.5},
}


@pytest.fixture(scope="module")
def con(built_settings: Settings):
    connection = connect(built_settings, read_only=True)
    yield connection
    connection.close()


def _rows(con, sql: str, params=None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _metrics(con) -> dict[tuple, dict]:
    rows = _rows(con, "select * from reporting.rpt_unit_metrics")
    return {(r["period"], r["unit_code"], r["period_start"]): r for r in rows}


def _same(actual, expected) -> bool:
    if expected is None or isinstance(expected, bool):
        return actual is expected
    return actual == pytest.approx(expected)


def test_rpt_unit_metrics_columns_are_the_published_interface(con):
    columns = [
        d[0] for d in con.execute("select * from reporting.rpt_unit_metrics limit 0").description
    ]
    assert tuple(columns) == METRIC_COLUMNS


@pytest.mark.parametrize("key", list(EXPECTED), ids=lambda k: "-".join(map(str, k)))
def test_metric_matches_hand_computed_value(con, key):
    row = _metrics(con)[key]
    wrong = {
        name: (row[name], expected)
        for name, expected in EXPECTED[key].items()
        if not _same(row[name], expected)
    }
    assert wrong == {}, "metric: (actual, expected)"


def test_every_unit_appears_in_every_period_from_pilot_start_to_last_data_date(con):
    counts = dict(
        con.execute(
            "select period, count(*) from reporting.rpt_unit_metrics group by period"
        ).fetchall()
    )
    # 1 Aug to 31 Oct 2011 (the last patrol): 14 Monday weeks, 3 months, 2 quarters, 1 year,
    # for three units and the pilot total.
    assert counts == {"week": 14 * 4, "month": 3 * 4, "quarter": 2 * 4, "year": 4, "all": 4}
    spans = con.execute(
        "select distinct period, period_start, period_end from reporting.rpt_unit_metrics "
        "where period in ('all', 'quarter', 'year') order by period, period_start"
    ).fetchall()
    assert spans == [
        ("all", date(2011, 8, 1), date(2011, 10, 31)),
        ("quarter", date(2011, 7, 1), date(2011, 9, 30)),
        ("quarter", date(2011, 10, 1), date(2011, 12, 31)),
        ("year", date(2011, 1, 1), date(2011, 12, 31)),
    ]
    weeks = con.execute(
        "select min(period_start), max(period_end) from reporting.rpt_unit_metrics "
        "where period = 'week'"
    ).fetchone()
    assert weeks == (date(2011, 8, 1), date(2011, 11, 6))


def test_every_count_has_its_rate_per_10k_residents(con):
    rows = _rows(con, "select * from reporting.rpt_unit_metrics")
    for row in rows:
        for name in COUNTS + OUTPUT_COLUMNS:
            expected = row[name] * 10000 / POPULATION[row["unit_code"]]
            assert row[f"{name}_per_10k"] == pytest.approx(expected), (name, row["period"])
    aug = _metrics(con)[("month", "XHY", AUG)]
    assert aug["cases_found_per_10k"] == 1.0  # 4 cases, 40,000 residents
    assert aug["leaflet_per_10k"] == 450.0


def test_pilot_total_is_the_units_together(con):
    metrics = _metrics(con)
    for (period, unit, start), total in metrics.items():
        if unit != "ALL":
            continue
        units = [metrics[(period, u, start)] for u in ("XHY", "XJ", "ZBB")]
        for name in (*COUNTS, *OUTPUT_COLUMNS, "patrol_hours", "fines_yuan"):
            assert total[name] == pytest.approx(sum(u[name] for u in units)), (name, period)
        assert total["unit_name"] == "全部试点单位"
    # August: XHY patrolled 2 of its 4 grids and XJ 1 of its 2; ZBB has no grids.
    assert metrics[("month", "ALL", AUG)]["grid_coverage"] == pytest.approx(3 / 6)


def test_superseded_and_duplicate_files_do_not_count(con):
    cases = dict(con.execute("select case_id, action from marts.fct_cases").fetchall())
    assert len(cases) == 13
    assert "XHY-099" not in cases  # only in the superseded version
    assert cases["XHY-001"] == "整改通知"  # the corrected version's action
    assert con.execute(
        "select count(*) from marts.fct_cases where case_id = 'XJ-001'"
    ).fetchone() == (1,)
    patrols = [r[0] for r in con.execute("select patrol_id from marts.fct_patrols").fetchall()]
    assert sorted(patrols) == ["XHY-P1", "XHY-P2", "XHY-P3", "XHY-P4", "XJ-P1", "XJ-P2"]
    leaflets = con.execute(
        "select quantity from marts.fct_outputs where activity_id = 'XHY-A1'"
    ).fetchall()
    assert leaflets == [(1800.0,)]


def test_patrols_crossing_midnight_count_on_their_first_day(con):
    rows = con.execute(
        "select patrol_id, patrol_date, grid_code, crosses_midnight, patrol_hours, officer_hours "
        "from marts.fct_patrols where unit_code = 'XHY' order by patrol_id"
    ).fetchall()
    assert rows == [
        ("XHY-P1", date(2011, 8, 2), "XHY-01", False, 3.5, 7.0),
        ("XHY-P2", date(2011, 8, 10), "XHY-02", True, 2.5, 7.5),  # grid written by name
        ("XHY-P3", date(2011, 9, 15), "XHY-01", False, 1.0, 1.0),
        ("XHY-P4", date(2011, 10, 31), "XHY-03", True, 3.0, 6.0),
    ]


def test_notice_on_time_only_when_rectified_by_the_deadline(con):
    rows = con.execute(
        "select case_id, is_notice, is_notice_complied_on_time, days_to_close "
        "from marts.fct_cases where is_notice order by case_id"
    ).fetchall()
    assert rows == [
        ("XHY-001", True, True, 6),  # closed 9 Aug, deadline 10 Aug
        ("XHY-002", True, False, 10),  # closed 25 Aug, deadline 20 Aug
        ("XJ-004", True, False, None),  # still open
    ]


def test_outputs_long_form(con):
    rows = _rows(
        con,
        "select * from reporting.rpt_outputs_unit_period "
        "where unit_code = 'XHY' and output_code = 'LEAFLET' and period in ('month', 'all') "
        "order by period, period_start",
    )
    assert [(r["period"], r["period_start"], r["quantity"], r["is_approximate"]) for r in rows] == [
        ("all", PILOT, 2000.0, True),
        ("month", AUG, 1800.0, True),
        ("month", SEP, 200.0, False),
        ("month", OCT, 0.0, False),
    ]
    assert rows[0]["output_name"] == "宣传资料"
    assert rows[0]["measure"] == "份"
    assert rows[0]["quantity_per_10k"] == 500.0
    assert list(rows[0]) == [
        "period",
        "unit_code",
        "period_start",
        "period_end",
        "output_code",
        "output_name",
        "measure",
        "quantity",
        "quantity_per_10k",
        "is_approximate",
    ]
    total = con.execute("select count(*) from reporting.rpt_outputs_unit_period").fetchone()[0]
    assert total == 84 * len(OUTPUT_COLUMNS)


def test_outputs_long_and_wide_agree(con):
    metrics = _metrics(con)
    for row in _rows(con, "select * from reporting.rpt_outputs_unit_period"):
        wide = metrics[(row["period"], row["unit_code"], row["period_start"])]
        assert wide[row["output_code"].lower()] == row["quantity"]


def test_referrals_by_department(con):
    rows = con.execute(
        "select unit_code, dept_code, department, referrals from reporting.rpt_referrals_unit_period "
        "where period = 'all' and referrals > 0 order by unit_code, dept_code"
    ).fetchall()
    assert rows == [
        ("ALL", "GT", "国土资源分局", 1),
        ("ALL", "JS", "人口计生局", 2),
        ("XHY", "JS", "人口计生局", 1),
        ("XJ", "GT", "国土资源分局", 1),
        ("XJ", "JS", "人口计生局", 1),
    ]
    departments = con.execute("select count(*) from marts.dim_departments").fetchone()[0]
    total = con.execute("select count(*) from reporting.rpt_referrals_unit_period").fetchone()[0]
    assert total == 84 * departments
    by_unit_period = dict(
        con.execute(
            "select period || unit_code || period_start, sum(referrals) "
            "from reporting.rpt_referrals_unit_period group by all"
        ).fetchall()
    )
    for (period, unit, start), row in _metrics(con).items():
        assert by_unit_period[f"{period}{unit}{start}"] == row["referrals_made"]


@pytest.mark.parametrize(
    ("macro", "model", "key"),
    [
        ("unit_metrics_between", "rpt_unit_metrics", ("unit_code",)),
        ("outputs_between", "rpt_outputs_unit_period", ("unit_code", "output_code")),
        ("referrals_between", "rpt_referrals_unit_period", ("unit_code", "dept_code")),
    ],
)
def test_range_macro_over_the_whole_pilot_equals_the_all_rows(con, macro, model, key):
    order = ", ".join(key)
    ranged = _rows(
        con,
        f"select * from reporting.{macro}($from, $to) order by {order}",
        {"from": "2011-08-01", "to": "2011-10-31"},
    )
    whole = _rows(con, f"select * from reporting.{model} where period = 'all' order by {order}")
    assert len(ranged) == len(whole) > 0
    assert {r["period"] for r in ranged} == {"range"}
    for r in ranged + whole:
        r.pop("period")
    assert ranged == whole


def test_range_macro_applies_the_same_definitions_to_any_range(con):
    rows = _rows(
        con,
        "select * from reporting.unit_metrics_between($from, $to) order by unit_code",
        {"from": date(2011, 8, 15), "to": date(2011, 9, 10)},
    )
    pilot_total, xhy, xj, zbb = rows
    assert pilot_total["unit_code"] == "ALL"
    assert (pilot_total["cases_found"], pilot_total["banner"]) == (6, 15.0)
    # XHY-002..005 were found in the range; all four closed by 10 Sep (days 10, 1, 3, 5).
    assert (xhy["period_start"], xhy["period_end"]) == (date(2011, 8, 15), date(2011, 9, 10))
    assert (xhy["cases_found"], xhy["cases_closed"], xhy["median_days_to_close"]) == (4, 4, 4.0)
    assert (xhy["notices_issued"], xhy["notices_complied_on_time"], xhy["penalties"]) == (1, 0, 1)
    assert (xhy["patrols"], xhy["leaflet"], xhy["leaflet_per_10k"]) == (0, 200.0, 50.0)
    assert (xj["cases_found"], xj["cases_closed"], xj["patrol_hours"], xj["banner"]) == (
        2,
        2,
        3.75,
        15.0,
    )
    assert (zbb["cases_found"], zbb["closure_rate"], zbb["grid_coverage"]) == (0, None, None)


def test_output_quantities_are_stated_without_a_poisson_verdict(con):
    # XHY handed out 1,800 leaflets at one event in August and 200 in September. As counts,
    # z = 2(sqrt(200) - sqrt(1800)) = -56.6; but a batch is no Poisson count, so both values
    # are stated with no z-score and no verdict. Its patrols found 3 issues in August and
    # none in September: counts of events keep the comparison (z = -3.46, notable).
    columns = "metric, is_event_count, current_value, previous_value, z_score, is_notable"
    expected = [
        ("issues_found", True, 0.0, 3.0, pytest.approx(-2 * 3**0.5), True),
        ("leaflet", False, 200.0, 1800.0, None, False),
    ]
    monthly = con.execute(
        f"select {columns} from reporting.rpt_changes_unit_period where period = ? "
        "and unit_code = ? and period_start = ? and metric in (?, ?) order by metric",
        ["month", "XHY", date(2011, 9, 1), "issues_found", "leaflet"],
    ).fetchall()
    assert monthly == expected
    ranged = con.execute(
        f"select {columns} from reporting.changes_between(?, ?) "
        "where unit_code = ? and metric in (?, ?) order by metric",
        ["2011-09-01", "2011-09-30", "XHY", "issues_found", "leaflet"],
    ).fetchall()
    assert ranged == expected
    # Every output type, and only they, in any unit or period, is never judged.
    verdicts = con.execute(
        "select metric, count(z_score), count(case when is_notable then 1 end) "
        "from reporting.rpt_changes_unit_period where not is_event_count group by metric"
    ).fetchall()
    assert sorted(verdicts) == sorted((metric, 0, 0) for metric in OUTPUT_COLUMNS)


def test_quality_files_lists_every_file_without_paths(con):
    rows = _rows(con, "select * from reporting.rpt_quality_files order by file_id")
    assert list(rows[0]) == [
        "file_id",
        "file_name",
        "ledger",
        "status",
        "rows_read",
        "rows_loaded",
        "rows_quarantined",
        "rows_skipped",
        "duplicate_of",
        "supersedes",
        "error",
        "ingested_at",
    ]
    assert [(r["file_id"], r["status"], r["duplicate_of"]) for r in rows][:4] == [
        ("f-cases-xhy-v1", "superseded", None),
        ("f-cases-xhy-v2", "loaded", None),
        ("f-cases-xj", "loaded", None),
        ("f-cases-xj-copy", "duplicate", "f-cases-xj"),
    ]
    assert len(rows) == 8


def test_summary_quality_counts_each_units_files(con):
    # 巡查日志.xlsx and 宣传台账.xlsx hold rows of XHY and XJ, each case ledger one unit's;
    # ZBB has no file. The superseded and duplicate files are behind no figure.
    files = _rows(
        con,
        "select unit_code, file_name, unit_rows_loaded, rows_loaded "
        "from reporting.rpt_summary_quality_unit_files order by unit_code, file_id",
    )
    assert [(r["unit_code"], r["file_name"], r["unit_rows_loaded"]) for r in files] == [
        ("ALL", "西花园案件台账.xlsx", 9),
        ("ALL", "兴泾案件台账.csv", 4),
        ("ALL", "宣传台账.xlsx", 6),
        ("ALL", "巡查日志.xlsx", 6),
        ("XHY", "西花园案件台账.xlsx", 9),
        ("XHY", "宣传台账.xlsx", 4),
        ("XHY", "巡查日志.xlsx", 4),
        ("XJ", "兴泾案件台账.csv", 4),
        ("XJ", "宣传台账.xlsx", 2),
        ("XJ", "巡查日志.xlsx", 2),
    ]
    counted = (
        "select unit_code, files from reporting.summary_quality_between(?, ?) order by unit_code"
    )
    assert _rows(con, counted, ["2011-08-01", "2011-10-31"]) == [
        {"unit_code": "ALL", "files": 4},
        {"unit_code": "XHY", "files": 3},
        {"unit_code": "XJ", "files": 3},
        {"unit_code": "ZBB", "files": 0},
    ]
    # In October XJ's rows in the patrol log (20 August, 20 September) lie outside the range.
    assert _rows(con, counted, ["2011-10-01", "2011-10-31"])[2] == {"unit_code": "XJ", "files": 2}
    stored = _rows(
        con,
        "select unit_code, files from reporting.rpt_summary_quality_unit_period "
        "where period = ? and period_start = ? order by unit_code",
        ["month", date(2011, 10, 1)],
    )
    assert [r["files"] for r in stored] == [4, 3, 2, 0]


def test_quality_quarantine_gives_reasons_not_values(con):
    rows = _rows(con, "select * from reporting.rpt_quality_quarantine")
    assert rows == [
        {
            "file_id": "f-cases-xj",
            "file_name": "兴泾案件台账.csv",
            "file_status": "loaded",
            "source_sheet": "Sheet1",
            "source_row": 9,
            "ledger": "cases",
            "reasons": "发现日期无效 / invalid found_date: 11.8.15",
        }
    ]


def test_no_personal_data_reaches_marts_or_reporting(con):
    columns = con.execute(
        "select table_schema, table_name, column_name from information_schema.columns "
        "where table_schema in ('marts', 'reporting') and data_type = 'VARCHAR'"
    ).fetchall()
    names = {c[2] for c in columns}
    assert not names & {
        "officers",
        "party_name",
        "party_name_masked",
        "phone",
        "party_id_no",
        "summary",
        "note",
    }
    for schema, table, column in columns:
        relation = f"{quote_ident(schema)}.{quote_ident(table)}"
        hits = con.execute(
            f"select count(*) from {relation} where regexp_matches({quote_ident(column)}, ?)",
            ["|".join(OFFICER_NAMES)],
        ).fetchone()[0]
        assert hits == 0, (schema, table, column)


def test_build_runs_offline_and_quietly(built_settings):
    args = dbt_args(built_settings)
    assert args[0] == "build"
    assert {"--no-send-anonymous-usage-stats", "--no-version-check"} <= set(args)
    assert args[args.index("--log-level") + 1] == "none"
    assert "--no-write-json" in args


def test_a_build_leaves_out_dbt_unit_tests_which_the_test_suite_runs(tmp_path: Path):
    root = make_dbt_project(tmp_path / "project")
    settings = Settings(root=root, warehouse=tmp_path / "warehouse.duckdb")
    assert dbt_args(settings)[-2:] == ["--exclude-resource-type", "unit_test"]
    assert "unit_test" not in dbt_args(settings, unit_tests=True)
    # An incremental build selects the nodes that read the ledgers (selectors.yml); a whole
    # one and a partial one select everything, or what they were asked for.
    assert "--selector" in dbt_args(settings)
    assert "--selector" not in dbt_args(settings, full_refresh=True)
    assert "--selector" not in dbt_args(settings, select="+dim_units")
    defined = {}
    for path in (PROJECT_ROOT / "models").rglob("_*__models.yml"):
        unit_tests = yaml.safe_load(path.read_text(encoding="utf-8")).get("unit_tests") or []
        defined |= {t["name"]: t["model"] for t in unit_tests}
    assert len(defined) >= 5
    write_raw_fixture(settings.warehouse)
    result = build(settings, unit_tests=True)
    ran = {n.name: n.status for n in result.nodes if n.resource_type == "unit_test"}
    assert ran == dict.fromkeys(defined, "pass")
    # The build pilot runs: no unit test and, as it is incremental, only what reads the
    # ledgers: no seed, no model made of seeds alone, none of their data tests.
    second = build(settings)
    assert not second.full_refresh
    reference_only = {
        "dim_units",
        "dim_grids",
        "dim_departments",
        "dim_items",
        "dim_output_types",
        "dim_reporting_units",
        "dim_unit_members",
        "rpt_events",
        "rpt_summary_facts",
        "rpt_summary_units",
        "rpt_summary_catalogue",
    }
    ran = {(n.resource_type, n.name) for n in second.nodes}
    assert len(ran) == len(second.nodes)
    first_tests = {n.name for n in result.nodes if n.resource_type == "test"}
    assert ran == {
        (n.resource_type, n.name)
        for n in result.nodes
        if n.resource_type not in ("unit_test", "seed") and n.name not in reference_only
    } - {("test", name) for name in data_tests_on(first_tests, reference_only)}
    # The data tests that join the ledgers to the reference data still run.
    assert ("test", "relationships_stg_ledgers__cases_unit_code__unit_code__ref_units_") in ran
    assert ("model", "int_build_scope") in ran and ("model", "dim_periods") in ran


def test_dbt_opens_the_warehouse_with_the_profiles_duckdb_settings(tmp_path: Path, monkeypatch):
    # profiles.yml gives them as config_options, set once as dbt opens the warehouse.
    from dbt.cli.main import dbtRunner

    root = make_dbt_project(tmp_path / "project")
    settings = Settings(root=root, warehouse=tmp_path / "warehouse.duckdb")
    monkeypatch.setenv("PILOT_DUCKDB_MEMORY_LIMIT", "1GB")
    query = (
        "select current_setting('memory_limit') as memory_limit, "
        "current_setting('preserve_insertion_order') as ordered, "
        "current_setting('disabled_optimizers') as disabled"
    )
    args = dbt_args(settings)
    common = args[1 : args.index("--no-write-json")]
    with _environ(settings.dbt_env()):
        shown = dbtRunner().invoke(["show", *common, "--inline", query, "--output", "json"])
    assert shown.success, shown.exception
    (row,) = shown.result.results[0].agate_table.rows
    assert row["memory_limit"] == "953.6 MiB"
    assert row["ordered"] is False
    assert row["disabled"] == "partial_aggregate_pushdown"


def test_failing_test_names_itself_in_build_error(tmp_path: Path):
    duplicated = UNITS_CSV + "XJ,兴泾镇(重复),兴泾,镇,1,户籍人口,2011,test,,2011-08-01\n"
    root = make_dbt_project(tmp_path / "project", {"units.csv": duplicated})
    settings = Settings(root=root, warehouse=tmp_path / "warehouse.duckdb")
    write_raw_fixture(settings.warehouse)
    finished = []
    with pytest.raises(BuildError) as caught:
        build(settings, select="+dim_units", on_node=finished.append)
    statuses = {(n.resource_type, n.name): n.status for n in finished}
    assert statuses[("seed", "units")] == "success"
    assert statuses[("test", "unique_dim_units_unit_code")] == "fail"
    assert caught.value.message == (
        "dbt build 失败 / dbt build failed: 1 node(s) did not pass\n"
        "- test unique_dim_units_unit_code: 1 failing row(s)"
    )
    assert (
        caught.value.hint
        == "fix the reference data or the models named above, then run `pilot build`"
    )
    # The build let go of the warehouse: Python can open it right away.
    duckdb.connect(str(settings.warehouse)).close()
    # dbt's file log, beside the warehouse, keeps what failed (and no debug lines).
    log = (tmp_path / "warehouse.dbt" / "logs" / "dbt.log").read_text(encoding="utf-8")
    assert "unique_dim_units_unit_code" in log
    assert "[debug]" not in log


def test_a_null_in_a_checked_column_fails_its_models_not_null_test(tmp_path: Path):
    # One not_null_columns test per model checks its key columns in one node.
    nameless = UNITS_CSV + ",无代码单位,无代码,镇,1,户籍人口,2011,test,,2011-08-01\n"
    root = make_dbt_project(tmp_path / "project", {"units.csv": nameless})
    settings = Settings(root=root, warehouse=tmp_path / "warehouse.duckdb")
    write_raw_fixture(settings.warehouse)
    finished = []
    with pytest.raises(BuildError) as caught:
        build(settings, select="+dim_units", on_node=finished.append)
    failed = {n.name for n in finished if n.status == "fail"}
    assert failed == {"not_null_columns_dim_units_unit_code"}
    assert "- test not_null_columns_dim_units_unit_code: 1 failing row(s)" in caught.value.message
    # The same test passes where every checked column is filled.
    clean = Settings(root=make_dbt_project(tmp_path / "clean"), warehouse=tmp_path / "c.duckdb")
    write_raw_fixture(clean.warehouse)
    passed = {n.name: n.status for n in build(clean, select="+dim_units").nodes}
    assert passed["not_null_columns_dim_units_unit_code"] == "pass"


def test_a_build_drops_what_no_model_makes_any_more_and_leaves_raw_alone(tmp_path: Path):
    root = make_dbt_project(tmp_path / "project")
    settings = Settings(root=root, warehouse=tmp_path / "warehouse.duckdb")
    write_raw_fixture(settings.warehouse)
    con = duckdb.connect(str(settings.warehouse))
    try:
        # What a model renamed since the last build leaves behind, and a user's own table.
        for schema in ("reporting", "marts"):
            con.execute(f"create schema if not exists {schema}")
        con.execute("create table reporting.rpt_summary_quality_files as select 1 as file_id")
        con.execute("create view marts.fct_cases_old as select 1 as x")
        con.execute("create table raw.my_notes as select 1 as x")
    finally:
        con.close()
    result = build(settings, select="+dim_units")
    # The hook is dbt's on-run-end operation, and it passed.
    assert [n.status for n in result.nodes if n.resource_type == "operation"] == ["success"]
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        left = con.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            "where table_name in ('rpt_summary_quality_files', 'fct_cases_old', 'my_notes', "
            "'dim_units', 'units')"
        ).fetchall()
    finally:
        con.close()
    assert sorted(r[0] for r in left) == ["marts.dim_units", "raw.my_notes", "reference.units"]


def test_dbt_keeps_its_files_beside_each_warehouse(tmp_path: Path):
    root = make_dbt_project(tmp_path / "project")
    first = Settings(root=root, warehouse=tmp_path / "first.duckdb")
    second = Settings(root=root, warehouse=tmp_path / "second.duckdb")
    assert dbt_dir(first) == tmp_path / "first.dbt"
    for settings in (first, second):
        write_raw_fixture(settings.warehouse)
    build(first, select="+dim_units")
    parsed = (tmp_path / "first.dbt" / "target" / "partial_parse.msgpack").read_bytes()
    build(second, select="+dim_units")
    assert (tmp_path / "second.dbt" / "target" / "partial_parse.msgpack").exists()
    # The other warehouse's build left the first's parse as it was: its next build reuses it.
    assert (tmp_path / "first.dbt" / "target" / "partial_parse.msgpack").read_bytes() == parsed
    assert not (root / "target").exists()
    assert not (root / "logs").exists()


def test_a_users_own_output_type_adds_columns(tmp_path: Path):
    shipped = Path(__file__).resolve().parent.parent / "data" / "reference" / "output_types.csv"
    own = shipped.read_text(encoding="utf-8") + "MURAL,墙绘,处,宣传,墙画|墙绘\n"
    root = make_dbt_project(tmp_path / "project", {"output_types.csv": own})
    settings = Settings(root=root, warehouse=tmp_path / "warehouse.duckdb")
    write_raw_fixture(settings.warehouse)
    build(settings, select="+rpt_unit_metrics")
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        columns = [
            d[0]
            for d in con.execute("select * from reporting.rpt_unit_metrics limit 0").description
        ]
        ranged = [
            d[0]
            for d in con.execute(
                "select * from reporting.unit_metrics_between('2011-08-01', '2011-10-31') limit 0"
            ).description
        ]
    finally:
        con.close()
    assert columns[columns.index("training") + 1] == "mural"
    assert "mural_per_10k" in columns
    assert ranged == columns
