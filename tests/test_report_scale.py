"""The report at many units: pages show the pilot total and the top units, and stay one size."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
from conftest import insert_rows, make_dbt_project

from pipeline import report
from pipeline.build import build
from pipeline.errors import PilotError
from pipeline.report_charts import monthly_figure
from pipeline.report_data import MAX_UNITS, read_report_data
from pipeline.settings import ALL_UNITS_CODE, Settings
from pipeline.warehouse import ensure_raw_schema

UNITS = 40
GRIDS_PER_UNIT = 2
MONTHS = ("2011-08", "2011-09", "2011-10")
CODES = [f"S{k:02d}" for k in range(1, UNITS + 1)]
# Unit k finds 1 + k % 5 cases a month (times the warehouse's factor): the top twelve are the
# eight units with k % 5 == 4, then the first four by code of those with k % 5 == 3.
TOP = sorted(c for c in CODES if int(c[1:]) % 5 == 4) + ["S03", "S08", "S13", "S18"]


def _reference() -> dict[str, str]:
    header = (
        "unit_code,unit_name,short_name,unit_type,population,population_kind,population_year,"
        "population_note,area_km2,pilot_start"
    )
    units = [header] + [
        f"{c},模拟{c[1:]}镇,模拟{c[1:]},镇,{20000 + 500 * k},常住人口,2011,synthetic,,2011-08-01"
        for k, c in enumerate(CODES, 1)
    ]
    grids = ["unit_code,grid_code,grid_name"] + [
        f"{c},{c}-0{g},第{'一二'[g - 1]}网格" for c in CODES for g in range(1, GRIDS_PER_UNIT + 1)
    ]
    return {
        "units.csv": "\n".join(units) + "\n",
        "grids.csv": "\n".join(grids) + "\n",
        "targets.csv": "unit_code,output_code,target_quantity,target_date,note\n",
    }


def _write_raw(warehouse: Path, factor: int) -> None:
    """Ledgers of UNITS units over three months; `factor` copies of every row under new ids."""
    cases, patrols, outputs = [], [], []
    for k, code in enumerate(CODES, 1):
        for month in MONTHS:
            for rep in range(factor):
                for j in range(1 + k % 5):
                    day = f"{month}-{10 + j:02d}"
                    case_id = f"{code}-{month}-{j}-{rep}"
                    if j == 1:
                        cases.append(
                            ("f-cases", case_id, code, day, "JS01", "移交", "JS", None, day)
                            + ("已移交", None)
                        )
                    else:
                        cases.append(
                            ("f-cases", case_id, code, day, "SR01", "劝导教育", None, None, day)
                            + ("已整改", None)
                        )
                for g in range(1, GRIDS_PER_UNIT + 1):
                    patrols.append(
                        ("f-patrols", f"{code}-P{month}-{g}-{rep}", code, f"{code}-0{g}")
                        + (f"{month}-0{g + 1}", "08:00", "10:00", "T001", "1", "1", "1")
                    )
                outputs.append(
                    ("f-outputs", f"{code}-A{month}-{rep}", code, f"{month}-05", "LEAFLET")
                    + ("100", "false")
                )
    con = duckdb.connect(str(warehouse))
    try:
        ensure_raw_schema(con)
        files = [
            ("f-cases", "案件台账.csv", "cases", len(cases)),
            ("f-patrols", "巡查日志.csv", "patrols", len(patrols)),
            ("f-outputs", "宣传台账.csv", "outputs", len(outputs)),
        ]
        insert_rows(
            con,
            "files",
            ("load_id", "file_id", "file_name", "ledger", "status", "rows_read", "rows_loaded"),
            [("load-1", f, name, ledger, "loaded", n, n) for f, name, ledger, n in files],
        )
        lineage = ("load_id", "source_file", "source_sheet", "source_row")
        names = {f: name for f, name, _, _ in files}
        for table, columns, rows in (
            (
                "cases",
                (
                    "file_id",
                    "case_id",
                    "unit_code",
                    "found_date",
                    "item_code",
                    "action",
                    "referred_to",
                    "deadline",
                    "closed_date",
                    "outcome",
                    "fine_yuan",
                ),
                cases,
            ),
            (
                "patrols",
                (
                    "file_id",
                    "patrol_id",
                    "unit_code",
                    "grid",
                    "date",
                    "start_time",
                    "end_time",
                    "officers",
                    "officer_count",
                    "issues_found",
                    "resolved_on_spot",
                ),
                patrols,
            ),
            (
                "outputs",
                (
                    "file_id",
                    "activity_id",
                    "unit_code",
                    "date",
                    "output_code",
                    "quantity",
                    "quantity_approx",
                ),
                outputs,
            ),
        ):
            insert_rows(
                con,
                table,
                lineage + columns,
                [("load-1", names[r[0]], "Sheet1", n + 2, *r) for n, r in enumerate(rows)],
            )
    finally:
        con.close()


def _built(tmp_path_factory: pytest.TempPathFactory, factor: int) -> Settings:
    root = make_dbt_project(tmp_path_factory.mktemp(f"many_units_x{factor}"), _reference())
    settings = Settings(root=root, warehouse=root / "data" / "warehouse.duckdb")
    _write_raw(settings.warehouse, factor)
    build(settings)
    return settings


@pytest.fixture(scope="module")
def many(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return _built(tmp_path_factory, 1)


@pytest.fixture(scope="module")
def many_doubled(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return _built(tmp_path_factory, 2)


def test_reads_only_the_top_units_and_the_total(many):
    data = read_report_data(many)
    assert data.unit_count == UNITS
    assert data.bounded
    assert [c for c, _ in data.compared] == TOP
    assert [c for c, _ in data.units] == [*TOP, ALL_UNITS_CODE]
    assert [r["unit_code"] for r in data.totals] == [*TOP, ALL_UNITS_CODE]
    # S04: 1 + 4 cases in each of three months; the pilot: the sum over all forty units.
    assert data.totals[0]["cases_found"] == 15
    assert data.totals[-1]["cases_found"] == sum(3 * (1 + k % 5) for k in range(1, UNITS + 1))
    shown = {*TOP, ALL_UNITS_CODE}
    for rows in (data.monthly, data.weekly, data.cumulative, data.changes, data.items):
        assert {r["unit_code"] for r in rows} <= shown
    assert {r["unit_code"] for r in data.monthly} == shown
    assert {r["unit_code"] for r in data.grid_weeks} == set(TOP)
    assert {r["unit_code"] for r in data.referrals + data.case_mix} == set(TOP)
    # August and September: the data end on 14 October, so October is not a whole month in range.
    assert len(data.monthly) == len(shown) * 2


def test_every_chart_draws_a_bounded_number_of_units(many, monkeypatch):
    data = read_report_data(many)
    charts = []
    block = report.chart_block
    monkeypatch.setattr(
        report, "chart_block", lambda chart, lang: charts.append(chart) or block(chart, lang)
    )
    report.render_site(data, "zh")
    names = {n for _, n in data.units}
    assert len(charts) > 10
    grid_charts = [c for c in charts if c.key.startswith("grid_")]
    assert [c.key for c in grid_charts] == [f"grid_{c}" for c in TOP]
    for chart in charts:
        if "unit_code" in chart.columns:
            i = list(chart.columns).index("unit_code")
            assert {row[i] for row in chart.rows} <= {*TOP, ALL_UNITS_CODE}, chart.key
        scatter_names = {t.name for t in chart.figure.data if t.type == "scatter"}
        assert len(scatter_names - {n + " 目标" for n in names}) <= MAX_UNITS + 1, chart.key
        for trace in chart.figure.data:
            if trace.type == "bar":
                units_axis = trace.y if trace.orientation == "h" else trace.x
                assert len(units_axis) <= MAX_UNITS, chart.key
            if trace.type == "heatmap":
                assert len(trace.y) <= max(GRIDS_PER_UNIT, 100), chart.key
                if chart.key == "catalogue":
                    assert len(trace.x) == MAX_UNITS + 1
            if trace.type == "sankey":
                assert len(trace.node.label) <= MAX_UNITS + 20
    monthly = monthly_figure(data, "zh").figure
    assert len(monthly.data) == 2 * len(report.charts.CHART_METRICS) * (MAX_UNITS + 1)
    assert monthly.data[MAX_UNITS].name == "全部试点单位"
    assert monthly.data[MAX_UNITS].line.color == "#222222"


def _tables(html: str) -> list[tuple[int, int]]:
    """(columns, rows) of every table of a page."""
    return [
        (head.count("<th>"), body.count("<tr"))
        for head, body in re.findall(
            r"<thead><tr>(.*?)</tr></thead>\s*<tbody>(.*?)</tbody>", html, re.DOTALL
        )
    ]


def test_tables_and_captions_name_the_bound(many, tmp_path):
    site = report.write_report(many, out_dir=tmp_path).parent
    index = (site / "index.html").read_text(encoding="utf-8")
    assert "<h1>西夏区社会管理综合执法试点 — 40 个单位</h1>" in index
    assert (
        "统计区间：2011-08-01 至 2011-10-14；前 12 个单位（共 40 个，按区间内“发现案件”排序）"
        "及全部试点单位合计；各单位的完整数据请用 `pilot export` 导出"
    ) in index
    # Totals: metric, measure, twelve units and the total. The days before this range lie
    # before the pilot, so there is no table of changes; a range after its first month has one.
    assert [cols for cols, _ in _tables(index)] == [2 + MAX_UNITS + 1]
    later = report.write_report(
        many, out_dir=tmp_path / "later", date_from="2011-09-15", date_to="2011-10-14"
    ).read_text(encoding="utf-8")
    assert [cols for cols, _ in _tables(later)] == [2 + MAX_UNITS + 1] * 2
    catalogue = (site / "catalogue.html").read_text(encoding="utf-8")
    assert [cols for cols, _ in _tables(catalogue)] == [3 + MAX_UNITS + 1]
    assert "模拟01镇" not in index + catalogue  # S01 finds 2 a month: not in the top twelve
    report.write_report(many, out_dir=tmp_path / "en", lang="en")
    english = (tmp_path / "en" / "index.html").read_text(encoding="utf-8")
    assert (
        "Range: 2011-08-01 to 2011-10-14; Top 12 of 40 units (by “Cases found” over the "
        "range) and the pilot as a whole; `pilot export` has every unit&#39;s data"
    ) in english


def test_one_unit_of_many_is_shown_alone(many):
    data = read_report_data(many, unit="S01")
    assert not data.bounded
    assert data.units == data.compared == [("S01", "模拟01镇")]
    assert {r["unit_code"] for r in data.grid_weeks} == {"S01"}
    pages = report.render_site(data, "zh")
    assert "单位：模拟01镇" in pages["index.html"]
    assert "前 12 个单位" not in pages["index.html"]


def test_unknown_unit_names_a_bounded_list(many):
    with pytest.raises(PilotError) as exc:
        read_report_data(many, unit="XX")
    assert exc.value.message == (
        "未知单位 / unknown unit: XX (use one of S01, S02, S03, S04, S05, S06, S07, S08, S09, "
        "S10, S11, S12, …)"
    )


def test_page_sizes_do_not_grow_with_rows(many, many_doubled, tmp_path):
    one = report.write_report(many, out_dir=tmp_path / "x1").parent
    two = report.write_report(many_doubled, out_dir=tmp_path / "x2").parent
    assert read_report_data(many_doubled).totals[-1]["cases_found"] == 2 * sum(
        3 * (1 + k % 5) for k in range(1, UNITS + 1)
    )
    for page in report.BUILDERS:
        a, b = (one / page).stat().st_size, (two / page).stat().st_size
        assert abs(b - a) / a < 0.02, (page, a, b)
