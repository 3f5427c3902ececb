"""`pilot quality`: corrected versions, the table grouped by file, the workbook a clerk works through."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from helpers_ingest import fixture, make_settings, query, run

from pipeline.quality import by_file, quality, write_workbook

PILOT = Path(sys.executable).parent / "pilot"


@pytest.fixture
def settings(tmp_path, monkeypatch):
    return make_settings(tmp_path, monkeypatch)


def pilot(settings, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PILOT_WAREHOUSE"}
    env["COLUMNS"] = "200"
    return subprocess.run(
        [str(PILOT), "--warehouse", str(settings.warehouse), *args],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_corrected_version_shows_what_it_replaced(settings, tmp_path):
    path = tmp_path / "8月案件.csv"
    path.write_bytes(fixture("cases", "invalid", "unknown_unit.csv").read_bytes())
    first = run(settings, path).files[0]
    path.write_text(
        "案件编号,单位,发现日期,事项编码\nQ001,XHY,2011-08-15,SR01\nQ002,西花园,2011-08-15,SR01\n",
        encoding="utf-8",
    )
    run(settings, path)
    (earlier,) = query(
        settings, "select ingested_at from raw.files where file_id = ?", [first.file_id]
    )
    at = f"{earlier['ingested_at']:%Y-%m-%d %H:%M:%S}"
    files = quality(settings)["files"]
    assert [(f["file"], f["status"], f["rows_loaded"]) for f in files] == [
        ("8月案件.csv", "superseded", 1),
        ("8月案件.csv", "loaded", 2),
    ]
    assert "supersedes" not in files[0]
    assert files[1]["supersedes"] == (
        f"{at} 入库的版本（1 行入库、1 行隔离，均已撤下）/ the version ingested {at} "
        "(1 loaded, 1 quarantined rows, all withdrawn)"
    )
    assert quality(settings)["quarantine"] == []
    table = pilot(settings, "quality")
    assert table.returncode == 0, table.stderr
    assert f"  替换 / supersedes: {at} 入库的版本（1 行入库、1 行隔离，均已撤下）" in table.stdout


def test_table_groups_quarantined_rows_under_their_file(settings):
    run(
        settings,
        fixture("cases", "invalid", "unknown_unit.csv"),
        fixture("patrols", "invalid", "bad_time.csv"),
        fixture("cases", "invalid", "missing_required_column.csv"),
    )
    groups = by_file(quality(settings))
    assert [(f["file"], [r["row"] for r in rows]) for f, rows in groups] == [
        ("unknown_unit.csv", [3]),
        ("bad_time.csv", [3]),
        ("missing_required_column.csv", []),
    ]
    result = pilot(settings, "quality")
    assert (result.returncode, result.stderr) == (0, "")
    lines = [line.rstrip() for line in result.stdout.splitlines()]
    heads = [i for i, line in enumerate(lines) if "  [" in line]
    assert [lines[i] for i in heads] == [
        "unknown_unit.csv  [loaded]  cases  读取 2，入库 1，隔离 1，跳过 0",
        "bad_time.csv  [loaded]  patrols  读取 2，入库 1，隔离 1，跳过 0",
        "missing_required_column.csv  [failed]    读取 0，入库 0，隔离 0，跳过 0",
    ]
    unit_block = "\n".join(lines[heads[0] : heads[1]])
    assert "单位“东花园”无法识别，应填单位代码、全称或简称" in unit_block
    time_block = "\n".join(lines[heads[1] : heads[2]])
    assert "开始时间“25:00”不是有效时间" in time_block and "8点半" in time_block
    assert lines[heads[2] + 1] == (
        "  错误 / error: missing_required_column.csv: 第 1 行的表头缺少必填列 / "
        "header on row 1 lacks required column(s): 事项编码（item_code）"
    )


def test_workbook_has_a_sheet_of_files_and_one_line_per_reason(settings, tmp_path):
    run(
        settings,
        fixture("cases", "invalid", "personal_data_in_bad_row.csv"),
        fixture("cases", "invalid", "required_columns_empty.csv"),
        fixture("outputs", "invalid", "negative_quantity.csv"),
    )
    out = tmp_path / "质量" / "隔离行.xlsx"
    result = pilot(settings, "quality", "--format", "xlsx", "--out", str(out))
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == f"已写出 / wrote {out}\n"
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["文件 files", "隔离行 quarantined"]
    files = [list(r) for r in wb["文件 files"].iter_rows(values_only=True)]
    assert files[0][:7] == [
        "文件 file",
        "台账 ledger",
        "状态 status",
        "读取行数 rows read",
        "入库行数 rows loaded",
        "隔离行数 rows quarantined",
        "跳过行数 rows skipped",
    ]
    assert [r[:7] for r in files[1:]] == [
        ["personal_data_in_bad_row.csv", "cases", "loaded", 1, 0, 1, 0],
        ["required_columns_empty.csv", "cases", "loaded", 2, 1, 1, 0],
        ["negative_quantity.csv", "outputs", "loaded", 2, 1, 1, 0],
    ]
    rows = [list(r) for r in wb["隔离行 quarantined"].iter_rows(values_only=True)]
    assert rows[0] == [
        "文件 file",
        "工作表 sheet",
        "行号 row",
        "列 column",
        "填写的值 value",
        "原因 reason",
        "原因（英文） reason (English)",
        "已改正 fixed",
    ]
    assert [r[:6] for r in rows[1:]] == [
        [
            "negative_quantity.csv",
            None,
            3,
            "数量",
            "-5",
            "数量“-5”不能为负数",
        ],
        [
            "personal_data_in_bad_row.csv",
            None,
            2,
            "单位",
            "东花园",
            "单位“东花园”无法识别，应填单位代码、全称或简称",
        ],
        ["required_columns_empty.csv", None, 3, "案件编号", None, "案件编号为必填项"],
        ["required_columns_empty.csv", None, 3, "单位", None, "单位为必填项"],
        ["required_columns_empty.csv", None, 3, "发现日期", None, "发现日期为必填项"],
        ["required_columns_empty.csv", None, 3, "事项编码", None, "事项编码为必填项"],
    ]
    assert rows[1][6] == "数量 (quantity) '-5' must not be negative"
    assert wb["隔离行 quarantined"]["E2"].data_type == "s"  # '-5' stays text


def test_workbook_values_that_look_like_formulas_stay_text(tmp_path):
    values = ["=A2+1", "+86 139", "-5", "@SUM(A1)", '=HYPERLINK("http://x")']
    data = {
        "files": [{"file": "=cmd.csv", "status": "loaded", "rows_read": 1}],
        "quarantine": [
            {
                "file": "=cmd.csv",
                "sheet": "+sheet",
                "row": n,
                "ledger": "cases",
                "reasons": [
                    {
                        "field": "case_id",
                        "column": "案件编号",
                        "value": v,
                        "message_zh": f"“{v}”",
                        "message_en": v,
                    }
                ],
            }
            for n, v in enumerate(values, start=2)
        ],
    }
    out = write_workbook(data, tmp_path / "q.xlsx")
    with zipfile.ZipFile(out) as zf:
        sheets = [zf.read(n) for n in zf.namelist() if n.startswith("xl/worksheets/")]
    assert not any(b"<f>" in xml or b"<f " in xml for xml in sheets)
    ws = openpyxl.load_workbook(out)["隔离行 quarantined"]
    assert [ws.cell(row=r, column=5).value for r in range(2, 7)] == values
    assert {ws.cell(row=r, column=c).data_type for r in range(2, 7) for c in (1, 2, 5, 7)} == {"s"}
    assert openpyxl.load_workbook(out)["文件 files"]["A2"].value == "=cmd.csv"


def test_workbook_holds_no_raw_personal_data(settings, tmp_path):
    run(settings, fixture("cases", "invalid", "personal_data_in_bad_row.csv"))
    out = write_workbook(quality(settings), tmp_path / "q.xlsx")
    with zipfile.ZipFile(out) as zf:
        text = b"".join(zf.read(n) for n in zf.namelist()).decode("utf-8", "replace")
    for secret in ("王五", "640105197512304568", "13912345678"):
        assert secret not in text


def test_xlsx_without_out_is_one_clear_error(settings):
    run(settings, fixture("cases", "valid", "utf8.csv"))
    result = pilot(settings, "quality", "--format", "xlsx")
    assert result.returncode == 1
    assert result.stderr == (
        "错误 / error: --format xlsx 需要 --out 文件 / --format xlsx needs --out FILE\n"
        "提示 / hint: e.g. pilot quality --format xlsx --out 隔离行.xlsx\n"
    )
