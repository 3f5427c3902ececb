"""The analyst notebooks: committed without outputs, reading reporting models only, and running
top to bottom against a warehouse built from the demo ledgers."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from helpers_privacy import demo_personal_values, leaks
from nbclient import NotebookClient

from pipeline.settings import PROJECT_ROOT, SECRET_ENV, WAREHOUSE_ENV

NOTEBOOK_DIR = PROJECT_ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
EXPECTED = ["01_compare_units.ipynb", "02_campaign_outputs.ipynb", "03_pilot_evaluation.ipynb"]


def code_cells(path: Path) -> list:
    return [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


def remote_sources(html: str) -> list[str]:
    """Addresses on the web that a script or link element of `html` would load."""
    return re.findall(
        r"<(?:script|link)\b[^>]*\b(?:src|href)=[\"']?((?:https?:)?//[^\"' >]+)", html
    )


def test_remote_sources_are_found():
    cdn = "https://cdnjs.cloudflare.com/ajax/libs/mathjax/3.2.2/es5/tex-svg.min.js"
    assert remote_sources(f'<script src="{cdn}"></script>') == [cdn]
    assert remote_sources('<link rel="stylesheet" href="//cdn.example/x.css">') == [
        "//cdn.example/x.css"
    ]
    assert remote_sources('<script>var u = "https://plot.ly";</script><a href="https://x">') == []


def test_the_offline_renderer_adds_no_web_script():
    import plotly.graph_objects as go
    import plotly.io as pio

    from pipeline.notebook import OFFLINE_RENDERER, use_offline_figures

    before = pio.renderers.default
    try:
        use_offline_figures()
        assert pio.renderers.default == f"plotly_mimetype+{OFFLINE_RENDERER}"
        bundle = pio.renderers[OFFLINE_RENDERER].to_mimebundle(go.Figure(go.Bar(y=[1])).to_dict())
    finally:
        pio.renderers.default = before
    assert 'class="plotly-graph-div"' in bundle["text/html"]
    assert remote_sources(bundle["text/html"]) == []


def test_the_notebooks_are_there():
    assert [p.name for p in NOTEBOOKS] == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs(path):
    """What pre-commit's nbstripout would enforce: no outputs, no execution counts."""
    for cell in code_cells(path):
        assert cell.outputs == [], f"{path.name}: a cell has outputs; clear them before committing"
        assert cell.execution_count is None, f"{path.name}: a cell has an execution count"
    assert "widgets" not in nbformat.read(path, as_version=4).metadata


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_read_reporting_models_only_through_open_reporting(path):
    source = "\n".join(c.source for c in code_cells(path))
    assert "from pipeline import open_reporting" in source
    assert "con = open_reporting()" in source
    assert "duckdb" not in source
    schemas = set(re.findall(r"\bfrom\s+([a-z_]+)\.[a-z_]+", source)) - {"pipeline"}
    assert schemas == {"reporting"}, schemas
    # No business logic: no aggregation in pandas (a groupby in notebook code is the smell).
    assert ".groupby(" not in source and ".sum(" not in source and ".mean(" not in source


@pytest.fixture(scope="session")
def demo_warehouse(tmp_path_factory) -> Path:
    """A warehouse built by `pilot run` from the demo ledgers, once per session."""
    tmp = tmp_path_factory.mktemp("notebooks")
    warehouse = tmp / "wh.duckdb"
    env = {**os.environ, SECRET_ENV: str(tmp / "secret.key")}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline.cli",
            "--quiet",
            "--warehouse",
            str(warehouse),
            "run",
            "--out",
            str(tmp / "reports"),
        ],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return warehouse


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_top_to_bottom(path, demo_warehouse, monkeypatch):
    monkeypatch.setenv(WAREHOUSE_ENV, str(demo_warehouse))
    # The kernel runs in notebooks/ as an analyst's would; the package is found from the root.
    monkeypatch.setenv(
        "PYTHONPATH",
        os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")])),
    )
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=300,
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
    )
    client.execute()  # raises CellExecutionError, naming the cell, when a cell fails
    errors = [
        o
        for c in notebook.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type == "error"
    ]
    assert errors == []
    shown = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
    assert any("application/vnd.plotly.v1+json" in o.get("data", {}) for o in shown)
    # Offline: nothing a figure shows loads a script or a stylesheet from the web (plotly's
    # notebook renderer adds MathJax from a CDN unless told not to).
    html = [o["data"]["text/html"] for o in shown if "text/html" in o.get("data", {})]
    assert html, "no figure rendered as HTML"
    assert [u for h in html for u in remote_sources(h)] == []
    # No name, ID number or phone of the demo's parties in anything the notebook shows.
    assert leaks(json.dumps(shown, ensure_ascii=False), demo_personal_values()) == []
