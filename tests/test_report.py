"""The report site, written from the warehouse conftest builds with dbt from hand-made ledgers."""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from datetime import date
from pathlib import Path
from urllib.parse import unquote

import duckdb
import plotly.io as pio
import pytest

from pipeline import report
from pipeline.errors import PilotError, WarehouseError
from pipeline.report_charts import monthly_figure, small_multiples
from pipeline.report_data import read_report_data
from pipeline.settings import Settings

PAGES = [
    "index.html",
    "cases.html",
    "patrols.html",
    "outputs.html",
    "quality.html",
    "catalogue.html",
]
MAX_PAGE_BYTES = 1_500_000


@pytest.fixture(scope="module")
def site(built_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return report.write_report(built_settings, out_dir=tmp_path_factory.mktemp("site")).parent


def _scripts(html: str) -> list[str]:
    return re.findall(r"<script[^>]*\bsrc=\"([^\"]*)\"", html)


def _downloads(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<a class="download" download="([^"]+)" href="([^"]+)"', html)


def test_every_page_is_offline_chinese_and_small(site):
    assert sorted(p.name for p in site.iterdir()) == sorted([*PAGES, "plotly.min.js"])
    assert (site / "plotly.min.js").stat().st_size > 1_000_000
    for page in PAGES:
        html = (site / page).read_text(encoding="utf-8")
        assert (site / page).stat().st_size < MAX_PAGE_BYTES, page
        assert _scripts(html) == ["plotly.min.js"], page
        assert not re.search(r"(src|href)=\"(https?:)?//", html), page
        assert "cdn.plot.ly" not in html
        assert '<html lang="zh-CN">' in html
        assert "Noto Sans CJK SC" in html
        # The shared navigation, with the page itself marked.
        assert [f for f, _ in re.findall(r'<li><a href="([^"]+)"( aria-current)?', html)] == PAGES
        assert f'<a href="{page}" aria-current="page">' in html
        downloads = _downloads(html)
        assert len(downloads) == html.count('class="plotly-graph-div"'), page
        for name, uri in downloads:
            assert name.endswith(".csv") and uri.startswith("data:text/csv;charset=utf-8,")


def test_overview_shows_poisson_changes_and_totals(site):
    html = (site / "index.html").read_text(encoding="utf-8")
    assert "西夏区社会管理综合执法试点 — 三个试点单位对比" in html
    for name in ("西花园路街道办事处", "兴泾镇", "镇北堡镇", "全部试点单位"):
        assert name in html
    # The data hold no whole quarter, so the overview compares their whole range, and the days
    # before it lie before the pilot.
    assert "等长的上一时段 2011-05-01 至 2011-07-31 早于试点开始" in html
    assert "统计区间：2011-08-01 至 2011-10-31" in html
    # XHY banner over the whole range: 20 (approximate 1800 leaflets is another type).
    assert "发放宣传资料" in html
    assert "≈ 2,000 (500.00)" in html  # XHY leaflets 1800余 + 200, per 10k of 40,000


@pytest.mark.parametrize(
    ("lang", "legend"),
    [
        ("zh", "≈ 含台账中的约数（如“200余条”）。"),
        ("en", "≈ includes approximate quantities recorded in the ledgers (e.g. “200+”)."),
    ],
)
def test_the_approximate_legend_shows_only_with_an_approximate_figure(
    built_settings, tmp_path, lang, legend
):
    # The one approximate quantity, XHY's 1800余 leaflets, was handed out on 8 August.
    html = report.write_report(built_settings, out_dir=tmp_path / "all", lang=lang).read_text(
        encoding="utf-8"
    )
    assert "≈ 2,000 (500.00)" in html and legend in html
    index = report.write_report(
        built_settings,
        out_dir=tmp_path / "autumn",
        lang=lang,
        date_from="2011-09-01",
        date_to="2011-10-31",
    )
    html = index.read_text(encoding="utf-8")
    assert "≈" not in _visible_text(html)


def test_changes_come_from_dbt_with_the_previous_range(built_settings):
    data = read_report_data(built_settings, date_from="2011-09-01", date_to="2011-09-30")
    row = next(r for r in data.changes if r["unit_code"] == "XHY" and r["metric"] == "cases_found")
    # XHY found 2 cases in September and 4 in the 30 days before (2 to 31 August).
    assert (row["current_value"], row["previous_value"]) == (2, 4)
    assert row["previous_start"] == date(2011, 8, 2)
    assert row["z_score"] == pytest.approx(2 * (2**0.5 - 2))
    assert row["is_notable"] is False


def test_a_range_from_the_pilots_start_is_not_compared_with_the_days_before_it(
    built_settings, tmp_path
):
    # The 61 days before 2011-08-01 lie before the pilot: no ledgers, so no previous count
    # (not a count of zero, against which every count would be a notable rise).
    data = read_report_data(built_settings, date_from="2011-08-01", date_to="2011-09-30")
    assert data.changes
    for row in data.changes:
        assert (row["previous_value"], row["z_score"], row["is_notable"]) == (None, None, False)
        assert row["previous_start"] == date(2011, 6, 1)
    index = report.write_report(
        built_settings, out_dir=tmp_path, date_from="2011-08-01", date_to="2011-09-30"
    )
    html = index.read_text(encoding="utf-8")
    assert (
        "本期 2011-08-01 至 2011-09-30；等长的上一时段 2011-06-01 至 2011-07-31 早于试点开始，"
        "没有台账数据，不作比较。"
    ) in html
    assert "显著上升" not in html and "← " not in html
    # A month later, the previous range lies inside the pilot and is compared.
    data = read_report_data(built_settings, date_from="2011-09-01", date_to="2011-09-30")
    assert all(row["previous_value"] is not None for row in data.changes)
    index = report.write_report(
        built_settings, out_dir=tmp_path / "sep", date_from="2011-09-01", date_to="2011-09-30"
    )
    html = index.read_text(encoding="utf-8")
    assert (
        "本期 2011-09-01 至 2011-09-30，上期 2011-08-02 至 2011-08-31。z = 2(√本期 − √上期)" in html
    )
    assert "2 ← 4, z −1.17" in html or "2 ← 4, z -1.17" in html


def test_a_range_asked_to_begin_before_the_pilot_is_shown_from_its_start(built_settings, tmp_path):
    data = read_report_data(built_settings, date_from="2011-06-01", date_to="2011-09-30")
    assert (data.asked_from, data.date_from) == (date(2011, 6, 1), date(2011, 8, 1))
    for lang, note in (
        ("zh", "所选起始日期2011-06-01早于试点开始日期，台账自试点开始之日（2011-08-01）起建立"),
        ("en", "The start asked for, 2011-06-01, is before the pilot began; the ledgers begin"),
    ):
        index = report.write_report(
            built_settings,
            out_dir=tmp_path / lang,
            date_from="2011-06-01",
            date_to="2011-09-30",
            lang=lang,
        )
        html = index.read_text(encoding="utf-8")
        assert note in html
        joiner = " 至 " if lang == "zh" else " to "
        assert f"2011-08-01{joiner}2011-09-30" in html
        assert f"2011-06-01{joiner}2011-09-30" not in html
    # A range inside the pilot gets no such note.
    inside = report.write_report(
        built_settings, out_dir=tmp_path / "in", date_from="2011-08-01", date_to="2011-09-30"
    )
    assert "早于试点开始日期，台账" not in inside.read_text(encoding="utf-8")


def test_output_quantities_are_compared_without_a_verdict(built_settings):
    # XHY handed out 1,800 leaflets at one event in August and 200 in September: a batch, not
    # a count of events, so the overview gives both figures and no z or flag. Its patrols
    # found 3 issues in August and none in September: a count of events, flagged.
    data = read_report_data(built_settings, date_from="2011-09-01", date_to="2011-09-30")
    table = report.changes_table(data.changes, "zh")
    xhy = table["header"].index("西花园路街道办事处")
    cells = {row.cells[0].text: row.cells[xhy] for row in table["rows"]}
    assert (cells["发放宣传资料"].text, cells["发放宣传资料"].cls) == ("200 ← 1,800", "num")
    assert cells["巡查发现问题"].text.endswith("z -3.46 ▼ 显著下降")
    assert "down" in cells["巡查发现问题"].cls
    # Nor do the monthly small multiples mark September's leaflets.
    month = data.monthly_changes[("XHY", date(2011, 9, 1), "leaflet")]
    assert (month["z_score"], month["is_notable"]) == (None, False)
    assert data.monthly_changes[("XHY", date(2011, 9, 1), "issues_found")]["is_notable"]


def test_unit_and_range_narrow_the_site(built_settings, tmp_path):
    index = report.write_report(
        built_settings, out_dir=tmp_path, date_from="2011-09-01", date_to="2011-10-31", unit="XJ"
    )
    html = index.read_text(encoding="utf-8")
    assert "统计区间：2011-09-01 至 2011-10-31；单位：兴泾镇" in html
    assert "西花园路街道办事处" not in html
    data = read_report_data(built_settings, "2011-09-01", "2011-10-31", unit="XJ")
    assert data.units == [("XJ", "兴泾镇")]
    assert {r["period_start"] for r in data.monthly} == {date(2011, 9, 1), date(2011, 10, 1)}
    assert {r["unit_code"] for r in data.grid_weeks} == {"XJ"}
    assert [(r["dept_code"], r["referrals"]) for r in data.referrals] == [("JS", 1)]


def test_site_in_english(built_settings, tmp_path):
    report.write_report(built_settings, out_dir=tmp_path, lang="en")
    html = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in html
    assert "the three pilot units compared" in html
    for name in ("Xihuayuan Road Sub-district", "Xingjing Town", "Zhenbeibao Town"):
        assert name in html
    assert "西花园路街道办事处" not in html
    cases = (tmp_path / "cases.html").read_text(encoding="utf-8")
    assert "Population and Family Planning Bureau" in cases
    assert ">Cases and enforcement<" in cases


def test_monthly_figure_has_a_panel_per_metric_and_a_per_10k_toggle(built_settings):
    data = read_report_data(built_settings)
    chart = monthly_figure(data, "zh")
    fig = chart.figure
    n = len(report.charts.CHART_METRICS) * len(data.units)
    assert len(fig.data) == 2 * n
    assert [t.visible for t in fig.data] == [True] * n + [False] * n
    buttons = fig.layout.updatemenus[0].buttons
    assert [b.label for b in buttons] == ["绝对数", "每万人"]
    assert buttons[1].args[0]["visible"] == [False] * n + [True] * n
    assert buttons[1].args[1]["yaxis.title.text"] == "份/万人"
    assert fig.layout.yaxis.title.text == "份"
    assert fig.layout.title.text == "各单位逐月数量"
    first = fig.data[0]
    assert first.name == "西花园路街道办事处"
    assert list(first.y) == [2, 0, 0]  # XHY notices_issued, August to October
    assert "%{y:,}" in first.hovertemplate
    # The pilot start is drawn on every panel and labelled along the top.
    assert "试点启动" in [a.text for a in fig.layout.annotations]


def test_small_multiples_mark_notable_months_and_draw_events_on_every_panel():
    months = [date(2011, 8, 1), date(2011, 9, 1), date(2011, 10, 1)]
    rows = [
        {"unit_code": code, "period_start": m, "notices_issued": n, "disputes_found": n}
        for code in ("A", "B")
        for m, n in zip(months, (1, 7, 2))
    ]
    changes = {("A", months[1], "notices_issued"): {"z_score": 2.5, "is_notable": True}}
    events = [
        {"event_date": date(2011, 8, 1), "label_zh": "试点启动", "label_en": "start"},
        {"event_date": date(2011, 9, 15), "label_zh": "集中宣传", "label_en": "campaign"},
    ]
    chart = small_multiples(
        "t",
        rows,
        [("A", "甲"), ("B", "乙")],
        ["notices_issued", "disputes_found"],
        "zh",
        x_key="period_start",
        x_title="月",
        x_format="%Y-%m",
        title_abs="标题",
        changes=changes,
        events=events,
    )
    fig = chart.figure
    # The report's template, without changing plotly's default for anyone else.
    assert fig.layout.template.layout.plot_bgcolor == "white"
    assert pio.templates.default == "plotly"
    notices_a, notices_b, disputes_a, _ = fig.data
    assert list(notices_a.x) == ["2011-08-01", "2011-09-01", "2011-10-01"]
    assert list(notices_a.marker.symbol) == ["circle", "diamond", "circle"]
    assert list(notices_a.marker.size) == [5, 11, 5]
    # A series without a notable change has one marker for all its points.
    assert (notices_b.marker.symbol, notices_b.marker.size) == ("circle", 5)
    assert (disputes_a.marker.symbol, disputes_a.marker.size) == ("circle", 5)
    assert [(t.xaxis, t.yaxis) for t in fig.data] == [("x", "y")] * 2 + [("x2", "y2")] * 2
    # A dotted line per event on each of the two panels; labels after the panel titles.
    assert [(s.xref, s.x0) for s in fig.layout.shapes] == [
        ("x", "2011-08-01"),
        ("x2", "2011-08-01"),
        ("x", "2011-09-15"),
        ("x2", "2011-09-15"),
    ]
    texts = [a.text for a in fig.layout.annotations]
    assert texts == [
        "下发整改通知书",
        "排查矛盾纠纷",
        "试点启动",
        "试点启动",
        "集中宣传",
        "集中宣传",
    ]


def test_a_unit_code_is_read_in_any_case(built_settings):
    assert (
        read_report_data(built_settings, unit="xhy").units
        == read_report_data(built_settings, unit="XHY").units
    )


def test_download_link_holds_the_chart_rows(site):
    html = (site / "cases.html").read_text(encoding="utf-8")
    _name, uri = next(d for d in _downloads(html) if d[0] == "notices.csv")
    text = unquote(uri.split(",", 1)[1])
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows == [
        ["unit_code", "notices_issued", "notices_complied_on_time"],
        ["XHY", "2", "1"],
        ["XJ", "1", "0"],
        ["ZBB", "0", "0"],
    ]


def test_text_from_data_is_escaped(built_settings):
    evil = "<script>alert(1)</script>"
    data = read_report_data(built_settings)
    data.units = [(code, evil) for code, _ in data.units]
    for row in data.totals + data.changes:
        row["unit_name"] = evil
    pages = report.render_site(data, "zh")
    for html in pages.values():
        assert evil not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages["index.html"]


def test_invalid_language(built_settings):
    with pytest.raises(PilotError) as exc:
        report.write_report(built_settings, lang="fr")
    assert exc.value.message == "无效语言 / invalid language: fr (use zh or en)"


def test_unknown_unit(built_settings, tmp_path):
    with pytest.raises(PilotError) as exc:
        report.write_report(built_settings, out_dir=tmp_path / "r", unit="XX")
    assert exc.value.message == "未知单位 / unknown unit: XX (use one of XHY, XJ, ZBB, ALL)"
    assert not (tmp_path / "r").exists()


def test_unbuilt_models(tmp_path):
    path = tmp_path / "empty.duckdb"
    duckdb.connect(str(path)).close()
    with pytest.raises(WarehouseError) as exc:
        report.write_report(Settings(warehouse=path), out_dir=tmp_path / "r")
    assert exc.value.message == (
        "报表模型尚未构建 / reporting model not built: reporting.rpt_unit_metrics"
    )
    assert not (tmp_path / "r").exists()


def _visible_text(html: str) -> str:
    """The page's text as a reader sees it: no scripts (figure JSON), no links (cases.html)."""
    html = re.sub(r"<script.*?</script>", "", html, flags=re.DOTALL)
    return re.sub(r'href="[^"]*"', "", html)


MACHINE_WORDS = ("cases", "patrols", "outputs", "loaded", "superseded", "duplicate")


def test_quality_page_names_ledgers_and_statuses_in_chinese(site, built_settings):
    html = (site / "quality.html").read_text(encoding="utf-8")
    visible = _visible_text(html)
    for word in MACHINE_WORDS:
        assert not re.search(rf"\b{word}\b", visible), word
    assert "只有状态为“已入库”的文件计入图表" in visible
    # Files: name, ledger, status; quarantined rows: file, status, sheet, row, ledger.
    assert "<td>西花园案件台账.xlsx</td><td>案件台账</td><td>已被新版本替换</td>" in visible
    assert "<td>巡查日志.xlsx</td><td>巡查日志</td><td>已入库</td>" in visible
    assert "<td>宣传台账.xlsx</td><td>宣传及专项活动台账</td><td>已入库</td>" in visible
    assert "<td>兴泾案件台账 (1).csv</td><td>案件台账</td><td>重复文件（未入库）</td>" in visible
    assert "<td>兴泾案件台账.csv</td><td>已入库</td><td>Sheet1</td>" in visible
    assert '<td class="num">9</td><td>案件台账</td>' in visible
    labels = list(
        report.charts.quality_figure(read_report_data(built_settings), "zh").figure.data[0].y
    )
    assert "兴泾案件台账.csv（已入库）" in labels
    assert not any("loaded" in label for label in labels)


def test_quality_page_names_ledgers_and_statuses_in_english(built_settings, tmp_path):
    report.write_report(built_settings, out_dir=tmp_path, lang="en")
    visible = _visible_text((tmp_path / "quality.html").read_text(encoding="utf-8"))
    assert "Only files with status “Loaded” count in the charts." in visible
    assert (
        "<td>西花园案件台账.xlsx</td><td>Cases ledger</td><td>Superseded by a newer version</td>"
        in visible
    )
    assert "<td>巡查日志.xlsx</td><td>Patrol log</td><td>Loaded</td>" in visible
    assert "<td>宣传台账.xlsx</td><td>Campaign outputs ledger</td><td>Loaded</td>" in visible


def test_ledger_and_status_labels():
    from pipeline import i18n
    from pipeline.contract import LEDGERS

    assert [i18n.ledger_name(name, "zh") for name in LEDGERS] == [
        lg.title for lg in LEDGERS.values()
    ]
    # A workbook holding two ledgers is recorded as "cases,patrols".
    assert i18n.ledger_name("cases,patrols", "zh") == "案件台账、巡查日志"
    assert i18n.ledger_name("cases,patrols", "en") == "Cases ledger, Patrol log"
    assert i18n.ledger_name(None, "zh") == ""
    assert i18n.file_status("failed", "zh") == "入库失败"
    # A value this version does not know is shown as it is rather than hidden.
    assert i18n.ledger_name("fines", "zh") == "fines"
    assert i18n.file_status("archived", "en") == "archived"


def test_page_titles_name_the_pilot_once(site):
    html = (site / "index.html").read_text(encoding="utf-8")
    assert "<title>西夏区社会管理综合执法试点 — 三个试点单位对比</title>" in html
    cases = (site / "cases.html").read_text(encoding="utf-8")
    assert "<title>案件与执法 — 西夏区社会管理综合执法试点</title>" in cases
    assert "<h1>案件与执法</h1>" in cases


@pytest.mark.parametrize(
    ("lang", "heading", "compared"),
    [
        ("zh", "西夏区社会管理综合执法试点 — 兴泾镇", "三个试点单位"),
        ("en", "Xixia District comprehensive law-enforcement pilot — Xingjing Town", "three"),
    ],
)
def test_a_one_unit_report_is_titled_for_its_unit(
    built_settings, tmp_path, lang, heading, compared
):
    report.write_report(built_settings, out_dir=tmp_path, lang=lang, unit="XJ")
    html = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert f"<h1>{heading}</h1>" in html
    assert f"<title>{heading}</title>" in html
    assert compared not in html


def _catalogue_rows(html: str) -> dict[str, list[str]]:
    """Item code -> [item cell, category, delegating department] of the catalogue table."""
    rows = re.findall(
        r"<tr[^>]*><th>([A-Z]{2}\d{2})([^<]*)</th><td>([^<]*)</td><td>([^<]*)</td>", html
    )
    return {code: [code + rest, category, dept] for code, rest, category, dept in rows}


def test_english_catalogue_names_items_and_departments(built_settings, tmp_path):
    report.write_report(built_settings, out_dir=tmp_path, lang="en")
    rows = _catalogue_rows((tmp_path / "catalogue.html").read_text(encoding="utf-8"))
    # No English item names exist: the Chinese name beats a bare code.
    assert rows["GT01"] == [
        "GT01 乡村规划区内未取得或未按乡村建设规划许可证建设",
        "Planning, building and land",
        "Planning Bureau",
    ]
    assert rows["SR01"][2] == "Urban Management Bureau"
    assert rows["ZA01"][2] == "Public Security Sub-bureau"
    # Every item the catalogue gives a department shows it; disputes have none.
    assert {code for code, row in rows.items() if not row[2]} == {c for c in rows if c[:2] == "JF"}
    chart = report.charts.catalogue_figure(
        read_report_data(built_settings), "en", [("XHY", "西花园路街道办事处")]
    )
    assert "GT01 乡村规划区内未取得或未按乡村建设规划许可证建设" in chart.figure.data[0].y


def test_department_and_category_fall_back_to_chinese_in_english():
    from pipeline import i18n

    assert i18n.department_name("GH", "规划局", "en") == "Planning Bureau"
    assert i18n.department_name(None, "新设局", "en") == "新设局"
    assert i18n.department_name("XX", "新设局", "en") == "新设局"
    assert i18n.category_name("XX", "新类别", "en") == "新类别"
    assert i18n.department_name(None, None, "en") == ""


def test_chinese_catalogue_is_unchanged(site):
    rows = _catalogue_rows((site / "catalogue.html").read_text(encoding="utf-8"))
    assert rows["GT01"] == [
        "GT01 乡村规划区内未取得或未按乡村建设规划许可证建设",
        "规划建设与土地",
        "规划局",
    ]


@pytest.mark.parametrize(
    ("lang", "targets", "hollow"),
    [
        ("zh", "自试点开始累计；虚线为目标", "空心点表示累计中含约数（余/约）。"),
        (
            "en",
            "Running totals since the pilot start; dashed lines are targets",
            "hollow markers mean the total includes approximate quantities (余/约).",
        ),
    ],
)
def test_the_outputs_caption_explains_hollow_markers_only_where_one_is_drawn(
    built_settings, tmp_path, lang, targets, hollow
):
    # XHY's 1800余 leaflets make its running total approximate: its markers are hollow.
    report.write_report(built_settings, out_dir=tmp_path / "all", lang=lang)
    html = (tmp_path / "all" / "outputs.html").read_text(encoding="utf-8")
    assert '"circle-open"' in html
    assert targets in _visible_text(html) and hollow in _visible_text(html)
    # XJ's quantities are all exact: every marker is filled, and no sentence explains hollow ones.
    report.write_report(built_settings, out_dir=tmp_path / "xj", lang=lang, unit="XJ")
    html = (tmp_path / "xj" / "outputs.html").read_text(encoding="utf-8")
    assert "circle-open" not in html
    assert targets in _visible_text(html) and hollow not in _visible_text(html)


OUTPUTS_CAPTIONS = {
    "zh": {
        (True, True): (
            "自试点开始累计；虚线为目标（data/reference/targets.csv）；空心点表示累计中含约数（余/约）。"
        ),
        (True, False): "自试点开始累计；虚线为目标（data/reference/targets.csv）。",
        (False, True): "自试点开始累计；空心点表示累计中含约数（余/约）。",
        (False, False): "自试点开始累计。",
    },
    "en": {
        (True, True): (
            "Running totals since the pilot start; dashed lines are targets "
            "(data/reference/targets.csv); hollow markers mean the total includes approximate "
            "quantities (余/约)."
        ),
        (True, False): (
            "Running totals since the pilot start; dashed lines are targets "
            "(data/reference/targets.csv)."
        ),
        (False, True): (
            "Running totals since the pilot start; hollow markers mean the total includes "
            "approximate quantities (余/约)."
        ),
        (False, False): "Running totals since the pilot start.",
    },
}


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize(("unit", "hollow"), [(None, True), ("XJ", False)])
@pytest.mark.parametrize("targets", [True, False])
def test_the_outputs_caption_names_targets_only_where_a_target_line_is_drawn(
    built_settings, lang, unit, hollow, targets
):
    data = read_report_data(built_settings, unit=unit)
    if not targets:
        # As with an empty targets.csv, or one without a target for the outputs shown.
        data = dataclasses.replace(
            data,
            cumulative=[
                {**r, "target_quantity": None, "target_date": None} for r in data.cumulative
            ],
        )
    (section,) = report.outputs_page(data, lang)
    assert section["caption"] == OUTPUTS_CAPTIONS[lang][(targets, hollow)]


def test_a_range_holding_no_whole_month_says_so_instead_of_an_empty_chart(built_settings, tmp_path):
    index = report.write_report(
        built_settings, out_dir=tmp_path, date_from="2011-09-03", date_to="2011-09-20"
    )
    html = index.read_text(encoding="utf-8")
    assert 'id="chart-monthly"' not in html
    assert (
        "各单位逐月数量：所选区间内没有可绘制的数据（逐周、逐月的图只画区间内完整的周和月），数字见区间汇总。"
    ) in html
    # The weeks inside the range are still drawn.
    patrols = (index.parent / "patrols.html").read_text(encoding="utf-8")
    assert 'class="plotly-graph-div"' in patrols
