"""File and sheet names are data, and outputs stay in the folder asked for."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import openpyxl
import pytest

from pipeline.ingest import ingest
from pipeline.settings import PROJECT_ROOT, Settings

PILOT = [sys.executable, "-m", "pipeline.cli"]
HOSTILE_NAMES = ("a'b;c", 'x"; drop table raw.files; --', "..", "C:\\evil", "/etc")


def test_file_and_sheet_names_with_quotes_and_paths_are_data(tmp_path, monkeypatch):
    monkeypatch.setenv("PILOT_SECRET_FILE", str(tmp_path / "secret.key"))
    folder = tmp_path / "in"
    folder.mkdir()
    book = openpyxl.Workbook()
    book.remove(book.active)
    for i, name in enumerate(("它's; drop", "..'--")):
        sheet = book.create_sheet(name)
        sheet.append(["活动编号", "单位", "日期", "产出类型", "数量"])
        sheet.append([f"A{i}", "XHY", "2011-08-01", "横幅", 2])
    book.save(folder / "a'b;c --.xlsx")
    (folder / 'x"; drop table raw.files; --.csv').write_text(
        "活动编号,单位,日期,产出类型,数量\nB1,XJ,2011-08-02,横幅,3\n", encoding="utf-8"
    )
    settings = Settings.from_env(tmp_path / "wh.duckdb")
    result = ingest(settings, [folder])
    assert sorted((f.path.name, f.status, f.total("rows_loaded")) for f in result.files) == [
        ("a'b;c --.xlsx", "loaded", 2),
        ('x"; drop table raw.files; --.csv', "loaded", 1),
    ]
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        rows = con.execute(
            "select source_file, source_sheet, activity_id from raw.outputs order by activity_id"
        ).fetchall()
    finally:
        con.close()
    assert rows == [
        ("a'b;c --.xlsx", "它's; drop", "A0"),
        ("a'b;c --.xlsx", "..'--", "A1"),
        ('x"; drop table raw.files; --.csv', "", "B1"),
    ]


@pytest.mark.parametrize("unit", ["../../evil", "/tmp/evil", "XHY/../../x"])
@pytest.mark.parametrize(
    "command",
    [
        ["summary", "--format", "md"],
        ["report", "--out", "{out}"],
        ["templates", "{out}"],
    ],
    ids=["summary", "report", "templates"],
)
def test_a_unit_cannot_steer_where_files_are_written(tmp_path, built_warehouse, command, unit):
    out = tmp_path / "out"
    args = [a.replace("{out}", str(out)) for a in command]
    before = set(tmp_path.parent.rglob("*"))
    result = subprocess.run(
        [*PILOT, "--warehouse", str(built_warehouse), *args, "--unit", unit],
        check=False,
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env={**os.environ, "PILOT_SECRET_FILE": str(tmp_path / "secret.key")},
    )
    assert result.returncode == 1
    assert result.stderr.startswith("错误 / error: ")
    assert "unknown unit" in result.stderr
    assert not (tmp_path.parent / "evil").exists() and not Path("/tmp/evil").exists()
    assert set(tmp_path.parent.rglob("*")) - before <= set(tmp_path.rglob("*"))
