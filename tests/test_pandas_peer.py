"""The benchmark's pandas peer computes the numbers of rpt_unit_metrics, so timing it is fair.

Both run on the same scaled ledgers (pipeline.scale). The generator writes one found date in a
thousand as an impossible date (2012-02-30): pilot quarantines those rows, and the peer drops
them by the analyst's rule "a date that does not parse is dropped", so both count the same
cases; the test checks that pilot did quarantine some rows, so that rule is exercised.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from pipeline.build import build
from pipeline.ingest import ingest
from pipeline.publish import open_reporting
from pipeline.scale import generate_scaled
from pipeline.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
KEYS = ["period", "unit_code", "period_start"]


def _bench():
    """benchmarks/bench.py as a module (the benchmarks folder is not a package)."""
    spec = importlib.util.spec_from_file_location("bench", ROOT / "benchmarks" / "bench.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """rpt_unit_metrics as pilot builds it, the peer's CSV, and how many rows pilot quarantined."""
    work = tmp_path_factory.mktemp("peer")
    data = generate_scaled(
        work / "scale", units=3, years=2, cases=3000, patrols=2000, outputs=600, seed=7
    )
    # A project folder whose reference tables are the scaled ones, as the benchmark makes it.
    root = _bench().project_copy(work, data.reference_dir)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PILOT_SECRET_FILE", str(work / "secret.key"))
        settings = Settings.from_env(
            work / "wh.duckdb",
            root=root,
            reference_dir=root / "data" / "reference",
            reports_dir=root / "reports",
        )
        result = ingest(settings, list(data.files))
        build(settings)
    quarantined = sum(f.total("rows_quarantined") for f in result.files)
    con = open_reporting(settings)
    try:
        pilot = con.execute(
            "select * from reporting.rpt_unit_metrics order by period, unit_code, period_start"
        ).df()
    finally:
        con.close()
    out = work / "peer.csv"
    subprocess.run(
        _bench().peer_argv(root, data.reference_dir, out, data.files), check=True, cwd=ROOT
    )
    peer = pd.read_csv(out, dtype={"unit_code": str, "period": str})
    return pilot, peer, quarantined


def test_the_peer_starts_on_the_pilot_start_its_project_declares(tmp_path):
    # A project whose dbt var pilot_start is not the default 2011-08-01, as the benchmark's
    # project copy reads it; the peer's periods start there, as dbt's do.
    start = dt.date(2012, 1, 1)
    root = tmp_path / "project"
    root.mkdir()
    (root / "dbt_project.yml").write_text(
        f"name: pilot\nvars:\n  pilot_start: '{start.isoformat()}'\n", encoding="utf-8"
    )
    data = generate_scaled(
        tmp_path / "scale", units=1, years=1, cases=40, patrols=20, outputs=10, pilot_start=start
    )
    out = tmp_path / "peer.csv"
    subprocess.run(
        _bench().peer_argv(root, data.reference_dir, out, data.files), check=True, cwd=ROOT
    )
    peer = pd.read_csv(out, dtype={"unit_code": str, "period": str})
    first = peer.groupby("period").period_start.min().to_dict()
    # 2012-01-01 is a Sunday: its week began on Monday 2011-12-26.
    assert first == {
        "all": "2012-01-01",
        "year": "2012-01-01",
        "quarter": "2012-01-01",
        "month": "2012-01-01",
        "week": "2011-12-26",
    }


def keyed(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.assign(
        period_start=pd.to_datetime(frame.period_start), period_end=pd.to_datetime(frame.period_end)
    )
    return frame.set_index(KEYS).sort_index()


def test_pilot_quarantined_the_impossible_dates(both):
    _, _, quarantined = both
    assert quarantined > 0


def test_same_rows_and_columns(both):
    pilot, peer, _ = both
    assert list(peer.columns) == list(pilot.columns)
    assert len(peer) == len(pilot)
    assert set(map(tuple, keyed(peer).index)) == set(map(tuple, keyed(pilot).index))
    # Every unit and ALL in every period: 3 units + ALL, and weeks that start on Mondays.
    assert set(pilot.unit_code) == {"S0001", "S0002", "S0003", "ALL"}
    weeks = pd.to_datetime(pilot.loc[pilot.period == "week", "period_start"])
    assert set(weeks.dt.day_of_week) == {0}


def test_every_metric_equal(both):
    pilot, peer, _ = both
    p, q = keyed(pilot), keyed(peer)
    q = q.reindex(p.index)
    mismatches = []
    for col in p.columns:
        for key, a, b in zip(p.index, p[col], q[col], strict=True):
            if isinstance(a, str) or isinstance(b, str) or isinstance(a, pd.Timestamp):
                same = a == b
            elif pd.isna(a) or pd.isna(b):
                same = pd.isna(a) and pd.isna(b)
            else:
                same = math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=0)
            if not same:
                mismatches.append((col, key, a, b))
    assert mismatches[:10] == []


def test_closure_is_judged_at_period_end(both):
    """A week closes fewer of its cases than the whole pilot does: the comparison bites there."""
    pilot, _, _ = both
    weeks = pilot[(pilot.period == "week") & (pilot.unit_code == "ALL")]
    whole = pilot[(pilot.period == "all") & (pilot.unit_code == "ALL")].iloc[0]
    assert weeks.cases_closed.sum() < whole.cases_closed
    assert weeks.cases_found.sum() == whole.cases_found
