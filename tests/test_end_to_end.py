"""The main job on the demo ledgers, through the command a user types, reproduces the published figures."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.settings import ALL_UNITS_CODE, PROJECT_ROOT

PILOT = [sys.executable, "-m", "pipeline.cli"]
YEAR = ["--period", "all", "--from", "2011-08-01", "--to", "2012-07-31", "--format", "json"]

# domain.md: the published first-year figures; "+" figures lie below the next round number.
EXACT = {
    "notices_issued": 34,
    "disputes_found": 15,
    "disputes_mediated": 15,
    "blackboard": 12,
    "board_made": 6,
    "paving": 23,
    "training": 5,
}
AT_LEAST = {
    "leaflet": (1800, 1899),
    "banner": (200, 209),
    "board_show": (10, 19),
    "consult": (450, 459),
    "signboard": (170, 179),
}


def pilot(tmp: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PILOT_SECRET_FILE": str(tmp / "secret.key"), "COLUMNS": "200"}
    return subprocess.run(
        [*PILOT, "--warehouse", str(tmp / "wh.duckdb"), *args],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT_ROOT,
    )


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    result = pilot(tmp, "--quiet", "run", "--out", str(tmp / "reports"))
    assert result.returncode == 0, result.stderr
    return tmp, result


def export(tmp: Path, what: str) -> list[dict]:
    result = pilot(tmp, "export", what, *YEAR)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_a_quiet_run_writes_the_report_and_prints_nothing(demo_run):
    tmp, result = demo_run
    assert (result.stdout, result.stderr) == ("", "")
    html = (tmp / "reports" / "index.html").read_text(encoding="utf-8")
    assert (tmp / "reports" / "plotly.min.js").stat().st_size > 1_000_000
    assert not re.search(r"<script[^>]+src=\"https?:", html)
    for name in ("西花园路街道办事处", "兴泾镇", "镇北堡镇"):
        assert name in html


def test_pilot_year_reproduces_the_published_figures(demo_run):
    tmp, _ = demo_run
    rows = {r["unit_code"]: r for r in export(tmp, "metrics")}
    assert set(rows) == {"XHY", "XJ", "ZBB", ALL_UNITS_CODE}
    total = rows[ALL_UNITS_CODE]
    assert (total["period_start"], total["period_end"]) == ("2011-08-01", "2012-07-31")
    assert {k: total[k] for k in EXACT} == EXACT
    for metric, (low, high) in AT_LEAST.items():
        assert low <= total[metric] <= high, (metric, total[metric])
    # The total is the sum of the units, for every count.
    for metric in (*EXACT, *AT_LEAST, "cases_found", "patrols", "referrals_made"):
        assert total[metric] == sum(rows[u][metric] for u in ("XHY", "XJ", "ZBB")), metric


def test_family_planning_referrals_are_four(demo_run):
    tmp, _ = demo_run
    rows = export(tmp, "referrals")
    to_bureau = [
        r for r in rows if r["unit_code"] == ALL_UNITS_CODE and r["department"] == "人口计生局"
    ]
    assert [r["referrals"] for r in to_bureau] == [4]


def test_outputs_export_matches_metrics(demo_run):
    tmp, _ = demo_run
    outputs = {
        r["output_code"]: r["quantity"]
        for r in export(tmp, "outputs")
        if r["unit_code"] == ALL_UNITS_CODE
    }
    assert outputs["PAVING"] == 23 and outputs["TRAINING"] == 5
    assert 1800 <= outputs["LEAFLET"] <= 1899


def test_every_demo_row_is_loaded(demo_run):
    tmp, _ = demo_run
    result = pilot(tmp, "quality", "--format", "json")
    data = json.loads(result.stdout)
    assert data["quarantine"] == []
    assert len(data["files"]) == 9
    for f in data["files"]:
        assert f["status"] == "loaded"
        assert f["rows_read"] == f["rows_loaded"] + f["rows_quarantined"] + f["rows_skipped"]


def test_second_run_ingests_nothing_and_gives_the_same_figures(demo_run):
    tmp, _ = demo_run
    before = export(tmp, "metrics")
    result = pilot(tmp, "run", "--out", str(tmp / "reports"))
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("unchanged") == 9
    assert result.stdout == f"报告 / report: {tmp / 'reports' / 'index.html'}\n"
    assert export(tmp, "metrics") == before


def test_dbt_and_python_agree_on_the_pilot_total_code():
    text = (PROJECT_ROOT / "dbt_project.yml").read_text(encoding="utf-8")
    assert f'all_units_code: "{ALL_UNITS_CODE}"' in text
