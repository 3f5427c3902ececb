"""Ingesting a folder of mixed ledgers twice, or into a fresh warehouse, gives the same contents."""

from __future__ import annotations

import datetime as dt
import shutil

import openpyxl
import xlwt
from helpers_ingest import FIXTURES, make_settings, query, run

from pipeline.contract import CASES, PATROLS

# Columns that differ by run by design: ids of the run and of the file, and clock times.
VOLATILE = {"load_id", "file_id", "supersedes", "ingested_at", "started_at", "finished_at"}
TABLES = ("cases", "patrols", "outputs", "quarantine", "files", "sheets")


def _contents(settings) -> dict[str, list[tuple]]:
    out = {}
    for table in TABLES:
        columns = [
            r["column_name"]
            for r in query(
                settings,
                "select column_name from information_schema.columns "
                "where table_schema = 'raw' and table_name = ? order by ordinal_position",
                [table],
            )
            if r["column_name"] not in VOLATILE
        ]
        rows = query(settings, f"select {', '.join(columns)} from raw.{table}")
        out[table] = sorted((tuple(r.values()) for r in rows), key=repr)
    return out


def _mixed_folder(folder):
    """Every fixture, a copy under another name, a workbook with two ledgers and an .xls."""
    for path in FIXTURES.glob("*/*/*"):
        shutil.copyfile(path, folder / f"{path.parts[-3]}_{path.parts[-2]}_{path.name}")
    shutil.copyfile(FIXTURES / "cases/valid/utf8.csv", folder / "utf8 - 副本.csv")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "案件"
    ws.append(["案件台账"])
    ws.append([c.header for c in CASES.columns])
    ws.append(["W001", "兴泾镇", None, dt.date(2011, 9, 1), None, "GT01"])
    ws.append(["W002", "XJ", None, 40788, None, "GT02", None, None, None, 13912345678])
    ws.append(["W002", "XJ", None, "2011-09-03", None, "GT02"])
    patrols = wb.create_sheet("巡查")
    patrols.append([c.header for c in PATROLS.columns])
    patrols.append(["P900", "ZBB", None, dt.date(2011, 9, 1), dt.time(9), dt.time(11), "B01 B02"])
    patrols.append(["P901", "ZBB", None, dt.date(2011, 9, 1), dt.time(9), "=E3+1", "B01"])
    wb.save(folder / "mixed_workbook.xlsx")
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("宣传")
    for r, row in enumerate(
        [
            ["活动编号", "单位", "日期", "产出类型", "数量"],
            ["A900", "ZBB", "2011-09-05", "横幅", "3条"],
            ["A901", "ZBB", "2011-09-05", "气球", 3],
        ]
    ):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    book.save(str(folder / "legacy.xls"))
    return folder


def test_folder_ingested_twice_or_afresh_gives_identical_contents(tmp_path, monkeypatch):
    (tmp_path / "ledgers").mkdir()
    folder = _mixed_folder(tmp_path / "ledgers")
    first = make_settings(tmp_path, monkeypatch, name="first")
    result = run(first, folder)
    statuses = [f.status for f in result.files]
    assert {"loaded", "failed", "duplicate"} == set(statuses)
    assert len(statuses) == len(list(folder.iterdir()))
    once = _contents(first)
    assert all(once[table] for table in TABLES)

    again = run(first, folder)
    assert {f.status for f in again.files} == {"unchanged", "failed"}
    twice = _contents(first)
    # a file that failed is tried again, fails again and is recorded again; nothing else changes
    failed = [f for f in once["files"] if "failed" in f]
    assert len(failed) == statuses.count("failed")
    assert twice["files"] == sorted(once["files"] + failed, key=repr)
    assert {t: v for t, v in twice.items() if t != "files"} == {
        t: v for t, v in once.items() if t != "files"
    }

    fresh = make_settings(tmp_path, monkeypatch, name="fresh")
    run(fresh, folder)
    assert _contents(fresh) == once
