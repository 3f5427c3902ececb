"""The HTML report, written from the fake reporting schema of test_export."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
from test_export import build_warehouse

from pipeline import report
from pipeline.errors import PilotError, WarehouseError
from pipeline.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(warehouse=build_warehouse(tmp_path / "wh.duckdb"), reports_dir=tmp_path / "r")


def _scripts(html: str) -> list[str]:
    return re.findall(r"<script[^>]*\bsrc=\"([^\"]*)\"", html)


def test_report_is_offline_and_chinese(settings):
    index = report.write_report(settings)
    assert index == (settings.reports_dir / "index.html").resolve()
    html = index.read_text(encoding="utf-8")
    bundle = index.parent / "plotly.min.js"
    assert bundle.stat().st_size > 1_000_000
    assert _scripts(html) == ["plotly.min.js"]
    assert "cdn.plot.ly" not in html
    assert not re.search(r"src=\"https?:", html)
    assert '<html lang="zh-CN">' in html
    assert "西夏区社会管理综合执法试点 — 三个试点单位对比" in html
    for name in ("西花园路街道办事处", "兴泾镇", "镇北堡镇"):
        assert name in html
    assert "Noto Sans CJK SC" in html
    assert "≈ 113 (26.59)" in html  # XHY banner over the pilot, recorded as approximate


def test_report_in_english(settings, tmp_path):
    index = report.write_report(settings, out_dir=tmp_path / "en", lang="en")
    html = index.read_text(encoding="utf-8")
    assert (tmp_path / "en" / "plotly.min.js").exists()
    assert '<html lang="en">' in html
    assert "the three pilot units compared" in html
    for name in ("Xihuayuan Road Sub-district", "Xingjing Town", "Zhenbeibao Town"):
        assert name in html
    assert "Rectification notices issued" in html
    assert "西花园路街道办事处" not in html


def test_figure_has_a_panel_per_metric_and_a_per_10k_toggle(settings):
    monthly, whole, approx = report._read(settings)
    units = [(r["unit_code"], r["unit_name"]) for r in whole]
    fig = report.monthly_figure(monthly, units, approx, "zh")
    n = len(report.CHART_METRICS) * len(units)
    assert len(fig.data) == 2 * n
    assert [t.visible for t in fig.data] == [True] * n + [False] * n
    buttons = fig.layout.updatemenus[0].buttons
    assert [b.label for b in buttons] == ["绝对数", "每万人"]
    assert buttons[1].args[0]["visible"] == [False] * n + [True] * n
    assert buttons[1].args[1]["yaxis.title.text"] == "份/万人"
    assert fig.layout.yaxis.title.text == "份"
    first = fig.data[0]
    assert list(first.y) == [3, 4, 5]  # XHY notices_issued, month by month
    assert "%{y:,}" in first.hovertemplate


def test_text_from_data_is_escaped(tmp_path):
    evil = "<script>alert(1)</script>"
    wh = build_warehouse(tmp_path / "wh.duckdb", unit_names={"ZBB": evil})
    html = report.write_report(Settings(warehouse=wh), out_dir=tmp_path / "r").read_text()
    assert evil not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_invalid_language(settings):
    with pytest.raises(PilotError) as exc:
        report.write_report(settings, lang="fr")
    assert exc.value.message == "无效语言 / invalid language: fr (use zh or en)"


def test_unbuilt_models(tmp_path):
    path = tmp_path / "empty.duckdb"
    duckdb.connect(str(path)).close()
    with pytest.raises(WarehouseError) as exc:
        report.write_report(Settings(warehouse=path), out_dir=tmp_path / "r")
    assert exc.value.message == (
        "报表模型尚未构建 / reporting model not built: reporting.rpt_unit_metrics"
    )
    assert not (tmp_path / "r").exists()
