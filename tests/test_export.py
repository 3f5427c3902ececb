"""Exports read from a small fake reporting schema built here from code."""

from __future__ import annotations

import json
import zipfile
from datetime import date
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook

from pipeline.errors import PilotError, WarehouseError
from pipeline.export import export
from pipeline.settings import Settings

UNITS = (("XHY", "西花园路街道办事处", 42501), ("XJ", "兴泾镇", 24201), ("ZBB", "镇北堡镇", 20000))
MONTHS = (
    (date(2011, 8, 1), date(2011, 8, 31)),
    (date(2011, 9, 1), date(2011, 9, 30)),
    (date(2011, 10, 1), date(2011, 10, 31)),
)
PILOT = (date(2011, 8, 1), date(2012, 7, 31))
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
OTHERS = (
    ("closure_rate", "double"),
    ("median_days_to_close", "double"),
    ("fines_yuan", "decimal(12, 2)"),
    ("patrol_hours", "double"),
    ("officer_hours", "double"),
    ("grid_coverage", "double"),
    ("outputs_approximate", "boolean"),
)
HEAD = (
    ("period", "varchar"),
    ("unit_code", "varchar"),
    ("unit_name", "varchar"),
    ("period_start", "date"),
    ("period_end", "date"),
    ("population", "integer"),
)
METRIC_COLUMNS = (
    HEAD
    + tuple((c, "integer") for c in COUNTS)
    + OTHERS
    + tuple((f"{c}_per_10k", "double") for c in COUNTS)
)


def _metric_row(period, unit, start, end, k):
    code, name, pop = unit
    counts = [k + i for i in range(len(COUNTS))]
    others = [0.5, 3.0, 200 * k, 2.5 * k, 5.0 * k, 0.75, k == 1]
    per_10k = [round(n * 10000 / pop, 4) for n in counts]
    return [period, code, name, start, end, pop, *counts, *others, *per_10k]


def build_warehouse(path: Path, unit_names: dict[str, str] | None = None) -> Path:
    """A warehouse with the reporting interface only: three units, three months and 'all'."""
    names = unit_names or {}
    units = [(code, names.get(code, name), pop) for code, name, pop in UNITS]
    con = duckdb.connect(str(path))
    con.execute("create schema reporting")
    cols = ", ".join(f"{n} {t}" for n, t in METRIC_COLUMNS)
    con.execute(f"create table reporting.rpt_unit_metrics ({cols})")
    con.execute(
        "create table reporting.rpt_outputs_unit_period (period varchar, unit_code varchar, "
        "period_start date, period_end date, output_code varchar, output_name varchar, "
        "measure varchar, quantity integer, quantity_per_10k double, is_approximate boolean)"
    )
    con.execute(
        "create table reporting.rpt_referrals_unit_period (period varchar, unit_code varchar, "
        "period_start date, period_end date, dept_code varchar, department varchar, "
        "referrals integer)"
    )
    metric_rows, output_rows, referral_rows = [], [], []
    for u, unit in enumerate(units):
        for m, (start, end) in enumerate(MONTHS):
            metric_rows.append(_metric_row("month", unit, start, end, u * 10 + m + 1))
        metric_rows.append(_metric_row("all", unit, *PILOT, u * 10 + 100))
        for period, (start, end) in [("month", mo) for mo in MONTHS] + [("all", PILOT)]:
            for code, oname, measure, qty in (
                ("LEAFLET", "宣传资料", "份", 100 + u),
                ("BANNER", "横幅", "条", 10 + u),
            ):
                approx = code == "BANNER" and unit[0] == "XHY"
                output_rows.append(
                    [
                        period,
                        unit[0],
                        start,
                        end,
                        code,
                        oname,
                        measure,
                        qty,
                        qty * 10000 / unit[2],
                        approx,
                    ]
                )
            referral_rows.append([period, unit[0], start, end, "JS", "人口计生局", 1 + u])
            referral_rows.append([period, unit[0], start, end, "QT", "=1+1", 2])
    con.executemany(
        f"insert into reporting.rpt_unit_metrics values ({', '.join('?' * len(METRIC_COLUMNS))})",
        metric_rows,
    )
    con.executemany(
        "insert into reporting.rpt_outputs_unit_period values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        output_rows,
    )
    con.executemany(
        "insert into reporting.rpt_referrals_unit_period values (?, ?, ?, ?, ?, ?, ?)",
        referral_rows,
    )
    # The fake range macros relabel the 'all' rows with the range asked for, enough to show
    # that the bounds reach the macro as parameters.
    for macro, table in (
        ("unit_metrics_between", "rpt_unit_metrics"),
        ("outputs_between", "rpt_outputs_unit_period"),
        ("referrals_between", "rpt_referrals_unit_period"),
    ):
        con.execute(
            f"create macro reporting.{macro}(d_from, d_to) as table "
            "select * replace ('range' as period, d_from::date as period_start, "
            f"d_to::date as period_end) from reporting.{table} where period = 'all'"
        )
    con.execute("create table main.x (a integer)")
    con.close()
    return path


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(warehouse=build_warehouse(tmp_path / "wh.duckdb"), reports_dir=tmp_path / "r")


def test_outputs_csv_is_exact(settings):
    text = export(settings, "outputs", period="month", date_from="2011-09-01", date_to="2011-09-30")
    assert text == (
        "unit_code,period_start,period_end,output_code,output_name,measure,quantity,"
        "is_approximate\n"
        "XHY,2011-09-01,2011-09-30,BANNER,横幅,条,10,true\n"
        "XHY,2011-09-01,2011-09-30,LEAFLET,宣传资料,份,100,false\n"
        "XJ,2011-09-01,2011-09-30,BANNER,横幅,条,11,false\n"
        "XJ,2011-09-01,2011-09-30,LEAFLET,宣传资料,份,101,false\n"
        "ZBB,2011-09-01,2011-09-30,BANNER,横幅,条,12,false\n"
        "ZBB,2011-09-01,2011-09-30,LEAFLET,宣传资料,份,102,false\n"
    )


def test_metrics_csv_header_and_first_row(settings):
    lines = export(settings, "metrics").splitlines()
    header = lines[0].split(",")
    assert header[:8] == [
        "unit_code",
        "period_start",
        "unit_name",
        "period_end",
        "population",
        "cases_found",
        "cases_closed",
        "notices_issued",
    ]
    assert "period" not in header
    assert "notices_issued_per_10k" in header and "leaflet" in header
    assert len(header) == len(METRIC_COLUMNS) - 1
    assert lines[1].startswith("XHY,2011-08-01,西花园路街道办事处,2011-08-31,42501,1,2,3,")
    assert len(lines) == 1 + 9
    row = dict(zip(header, lines[1].split(",")))
    assert row["outputs_approximate"] == "true"
    assert row["fines_yuan"] == "200.00"


def test_metrics_json(settings):
    records = json.loads(export(settings, "metrics", period="all", fmt="json"))
    assert [r["unit_code"] for r in records] == ["XHY", "XJ", "ZBB"]
    first = records[0]
    assert list(first)[:2] == ["unit_code", "period_start"]
    assert first["period_start"] == "2011-08-01" and first["period_end"] == "2012-07-31"
    assert first["notices_issued"] == 102
    assert first["fines_yuan"] == 20000
    assert first["closure_rate"] == 0.5


def test_referrals_xlsx_keeps_formula_like_text_as_text(settings, tmp_path):
    out = tmp_path / "new" / "dir" / "referrals.xlsx"
    path = export(settings, "referrals", period="all", fmt="xlsx", out=out)
    assert path == out.resolve() and path.exists()
    ws = load_workbook(path).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == (
        "unit_code",
        "period_start",
        "period_end",
        "dept_code",
        "department",
        "referrals",
    )
    assert rows[1][0] == "XHY" and rows[1][3:] == ("JS", "人口计生局", 1)
    assert rows[2][4] == "=1+1"
    assert ws.cell(row=3, column=5).data_type == "s"
    with zipfile.ZipFile(path) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet


def test_csv_file_has_bom_and_parent_dirs(settings, tmp_path):
    path = export(settings, "referrals", out=tmp_path / "a" / "b.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode("utf-8-sig").splitlines()[0] == (
        "unit_code,period_start,period_end,dept_code,department,referrals"
    )


def test_range_goes_through_the_macros_with_parameters(settings):
    text = export(
        settings, "outputs", period="all", date_from="2011-09-01", date_to=date(2011, 12, 31)
    )
    assert text.splitlines()[1] == "XHY,2011-09-01,2011-12-31,BANNER,横幅,条,10,true"
    records = json.loads(
        export(settings, "metrics", period="all", date_from="2011-09-01", fmt="json")
    )
    assert {(r["period_start"], r["period_end"]) for r in records} == {("2011-09-01", "2012-07-31")}


def test_injection_in_a_date_is_an_invalid_date(settings):
    with pytest.raises(PilotError) as exc:
        export(
            settings,
            "metrics",
            period="all",
            date_from="2011-08-01'; drop table x; --",
            date_to="2012-07-31",
        )
    assert exc.value.message == (
        "无效日期 / invalid date: 2011-08-01'; drop table x; -- (use YYYY-MM-DD)"
    )
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    assert con.execute("select count(*) from main.x").fetchall() == [(0,)]
    con.close()


def test_a_range_reversed_by_the_data_bounds_is_an_error_not_a_backwards_period(settings):
    # The data of the hand-made warehouse run from 2011-08-01 to its last day.
    first, last = read_bounds(settings)
    with pytest.raises(PilotError) as exc:
        export(settings, "metrics", period="all", date_from="2030-01-01")
    assert exc.value.message == (
        "起始日期晚于结束日期 / --from 2030-01-01 is after --to "
        f"{last.isoformat()} (the last day with data)"
    )
    assert exc.value.hint == f"the data run from {first.isoformat()} to {last.isoformat()}"
    with pytest.raises(PilotError) as exc:
        export(settings, "outputs", period="all", date_to="2000-01-01")
    assert exc.value.message == (
        f"起始日期晚于结束日期 / --from {first.isoformat()} (the first day with data) "
        "is after --to 2000-01-01"
    )
    with pytest.raises(PilotError) as exc:
        export(settings, "metrics", period="all", date_from="2030-01-01", date_to="2030-12-31")
    assert exc.value.message == "所选期间没有数据 / no data from 2030-01-01 to 2030-12-31"
    assert exc.value.hint == f"the data run from {first.isoformat()} to {last.isoformat()}"


def test_a_range_no_period_overlaps_is_an_error_naming_the_periods_there_are(settings):
    hint = "the months in the data run from 2011-08-01 to 2011-10-31"
    for kwargs, message in (
        (
            {"date_from": "2030-01-01"},
            (
                "数据中没有与 2030-01-01 及以后 重叠的月份 / no month in the data overlaps "
                "2030-01-01 onwards"
            ),
        ),
        (
            {"date_to": "2000-12-31"},
            (
                "数据中没有与 2000-12-31 及以前 重叠的月份 / no month in the data overlaps "
                "up to 2000-12-31"
            ),
        ),
        (
            {"date_from": "2029-09-15", "date_to": "2029-09-30"},
            (
                "数据中没有与 2029-09-15 至 2029-09-30 重叠的月份 / no month in the data overlaps "
                "2029-09-15 to 2029-09-30"
            ),
        ),
    ):
        with pytest.raises(PilotError) as exc:
            export(settings, "referrals", period="month", **kwargs)
        assert (exc.value.message, exc.value.hint) == (message, hint)
    # A range inside the data gives every month it touches, whole.
    rows = json.loads(
        export(settings, "outputs", date_from="2011-08-20", date_to="2011-09-10", fmt="json")
    )
    assert {(row["unit_code"], row["period_start"]) for row in rows} == {
        (unit, start) for unit in ("XHY", "XJ", "ZBB") for start in ("2011-08-01", "2011-09-01")
    }
    rows = json.loads(
        export(settings, "outputs", date_from="2011-09-15", date_to="2011-09-30", fmt="json")
    )
    assert {row["period_start"] for row in rows} == {"2011-09-01"}


def test_a_period_that_starts_before_the_range_is_exported_when_it_overlaps_it(settings):
    # The pilot began on 2011-08-01, in a quarter that began on 2011-07-01: a range from the
    # pilot's first day must not leave out the days of that quarter inside it.
    con = duckdb.connect(str(settings.warehouse))
    con.execute(
        "insert into reporting.rpt_outputs_unit_period values "
        "('quarter', 'XJ', '2011-07-01', '2011-09-30', 'LEAFLET', '宣传资料', '份', 7, 0.1, false)"
    )
    con.close()
    expected = (
        "unit_code,period_start,period_end,output_code,output_name,measure,quantity,"
        "is_approximate\nXJ,2011-07-01,2011-09-30,LEAFLET,宣传资料,份,7,false\n"
    )
    assert export(settings, "outputs", period="quarter", date_from="2011-08-01") == expected
    assert export(settings, "outputs", period="quarter", date_to="2011-07-31") == expected
    with pytest.raises(PilotError) as exc:
        export(settings, "outputs", period="quarter", date_to="2011-06-30")
    assert exc.value.message == (
        "数据中没有与 2011-06-30 及以前 重叠的季度 / no quarter in the data overlaps up to 2011-06-30"
    )
    with pytest.raises(PilotError) as exc:
        export(settings, "outputs", period="quarter", date_from="2011-10-01")
    assert exc.value.message == (
        "数据中没有与 2011-10-01 及以后 重叠的季度 / no quarter in the data overlaps 2011-10-01 onwards"
    )


def test_from_after_to_names_the_data_not_the_range_given(settings):
    first, last = read_bounds(settings)
    with pytest.raises(PilotError) as exc:
        export(settings, "metrics", period="month", date_from="2011-09-30", date_to="2011-09-01")
    assert exc.value.message == (
        "起始日期晚于结束日期 / --from 2011-09-30 is after --to 2011-09-01"
    )
    assert exc.value.hint == f"the data run from {first.isoformat()} to {last.isoformat()}"


def read_bounds(settings):
    from pipeline.export import pilot_bounds
    from pipeline.publish import open_reporting

    con = open_reporting(settings)
    try:
        return pilot_bounds(con)
    finally:
        con.close()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"period": "fortnight"},
            "无效周期 / invalid period: fortnight (use one of week, month, quarter, year, all)",
        ),
        ({"fmt": "pdf"}, "无效格式 / invalid format: pdf (use one of csv, xlsx, json)"),
        (
            {"what": "cases"},
            "无效导出内容 / invalid export: cases (use one of metrics, outputs, referrals)",
        ),
        ({"date_from": "2011-13-01"}, "无效日期 / invalid date: 2011-13-01 (use YYYY-MM-DD)"),
        ({"date_to": "2011/08/01"}, "无效日期 / invalid date: 2011/08/01 (use YYYY-MM-DD)"),
        (
            {"date_from": "2012-01-01", "date_to": "2011-12-31"},
            "起始日期晚于结束日期 / --from 2012-01-01 is after --to 2011-12-31",
        ),
        ({"fmt": "xlsx"}, "xlsx 格式需要输出文件 / xlsx needs an output file"),
    ],
)
def test_errors(settings, kwargs, message):
    args = {"what": "metrics", **kwargs}
    with pytest.raises(PilotError) as exc:
        export(settings, **args)
    assert exc.value.message == message


def test_unbuilt_reporting_model(tmp_path):
    path = tmp_path / "empty.duckdb"
    duckdb.connect(str(path)).close()
    with pytest.raises(WarehouseError) as exc:
        export(Settings(warehouse=path), "outputs")
    assert exc.value.message == (
        "报表模型尚未构建 / reporting model not built: reporting.rpt_outputs_unit_period"
    )
    assert exc.value.hint == "run `pilot build` (or `pilot run`) first"
