"""The `pilot` command as a user runs it: a subprocess of the installed entry point."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import duckdb
import openpyxl
import pytest
from helpers_ingest import fixture
from typer.main import get_command

from pipeline.cli import app
from pipeline.settings import Settings

PILOT = Path(sys.executable).parent / "pilot"
# Every command the app registers; the core set must be among them.
COMMANDS = set(get_command(app).commands)
assert {"run", "ingest", "build", "report", "export", "quality", "demo"} <= COMMANDS
MISSING_COLUMN = (
    "错误 / error: missing_required_column.csv: 第 1 行的表头缺少必填列 / "
    "header on row 1 lacks required column(s): 事项编码（item_code）\n"
)
ADD_THE_COLUMN = "提示 / hint: add the column with its Chinese header (see the ledger template)\n"


def pilot(
    tmp_path: Path, *args: str, columns: int | None = 1000, warehouse_first: bool = True
) -> subprocess.CompletedProcess:
    """Run pilot on a warehouse in tmp_path; a wide COLUMNS keeps long messages on one line.

    warehouse_first=False runs the arguments as given, naming no warehouse before them.
    """
    env = {k: v for k, v in os.environ.items() if k not in ("PILOT_WAREHOUSE", "COLUMNS")}
    env["PILOT_SECRET_FILE"] = str(tmp_path / "secret.key")
    if columns:
        env["COLUMNS"] = str(columns)
    first = ["--warehouse", str(tmp_path / "w.duckdb")] if warehouse_first else []
    return subprocess.run(
        [str(PILOT), *first, *args],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_help_lists_every_command(tmp_path):
    result = pilot(tmp_path, "--help")
    assert result.returncode == 0
    commands_box = result.stdout.split("Commands")[1]
    listed = set(re.findall(r"^│ (\w+) ", commands_box, flags=re.MULTILINE))
    assert listed == COMMANDS


def test_ingest_missing_path_is_one_clear_error(tmp_path):
    missing = tmp_path / "没有这个文件.xlsx"
    result = pilot(tmp_path, "ingest", str(missing))
    assert result.returncode == 1
    assert (
        result.stderr == f"错误 / error: 找不到文件或文件夹 / no such file or folder: {missing}\n"
    )
    assert result.stdout == ""


def test_ingest_missing_path_message_is_not_wrapped_in_a_log(tmp_path):
    missing = tmp_path / ("很长的文件夹名称" * 4) / "案件台账.xlsx"
    result = pilot(tmp_path, "ingest", str(missing), columns=None)
    assert (
        result.stderr == f"错误 / error: 找不到文件或文件夹 / no such file or folder: {missing}\n"
    )


def test_ingest_failed_file_prints_its_message(tmp_path):
    result = pilot(
        tmp_path,
        "--quiet",
        "ingest",
        str(fixture("cases", "invalid", "missing_required_column.csv")),
    )
    assert result.stderr == MISSING_COLUMN + ADD_THE_COLUMN


def test_ingest_failed_file_exits_1(tmp_path):
    result = pilot(
        tmp_path,
        "--quiet",
        "ingest",
        str(fixture("cases", "invalid", "missing_required_column.csv")),
        str(fixture("cases", "valid", "utf8.csv")),
    )
    assert (result.returncode, result.stderr) == (1, MISSING_COLUMN + ADD_THE_COLUMN)


def test_ingest_failed_workbook_message_keeps_the_sheet_name(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "sheet1"
    wb.active.append(["案件编号", "单位", "事项编码"])
    wb.active.append(["X001", "XHY", "SR01"])
    wb.save(tmp_path / "bad.xlsx")
    result = pilot(tmp_path, "--quiet", "ingest", str(tmp_path / "bad.xlsx"))
    assert result.stderr == (
        "错误 / error: bad.xlsx [sheet1]: 第 1 行的表头缺少必填列 / "
        "header on row 1 lacks required column(s): 发现日期（found_date）\n" + ADD_THE_COLUMN
    )


def test_two_files_of_one_name_are_refused_before_either_is_read(tmp_path):
    ledger = fixture("patrols", "valid", "officer_separators_and_times.csv").read_bytes()
    for unit in ("XHY", "XJ"):
        (tmp_path / unit).mkdir()
        (tmp_path / unit / "巡查日志.csv").write_bytes(ledger)
    result = pilot(tmp_path, "ingest", str(tmp_path / "XHY"), str(tmp_path / "XJ"))
    assert result.returncode == 1
    assert result.stderr == (
        f"错误 / error: 同名文件 / two files named 巡查日志.csv: {tmp_path / 'XHY' / '巡查日志.csv'}"
        f" and {tmp_path / 'XJ' / '巡查日志.csv'}\n"
        "提示 / hint: a file replaces the earlier version of the same name, so one would replace "
        "the other: put the unit code in each name (e.g. XHY_巡查日志.csv)\n"
    )
    assert not (tmp_path / "w.duckdb").exists()
    # The same file named twice is one file.
    same = str(tmp_path / "XHY" / "巡查日志.csv")
    result = pilot(tmp_path, "--quiet", "ingest", same, str(tmp_path / "XHY"))
    assert (result.returncode, result.stderr) == (0, "")
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    try:
        assert con.execute(
            "select count(*), count(distinct file_name) from raw.files"
        ).fetchone() == (1, 1)
    finally:
        con.close()


def test_ingest_good_files_exit_0_and_report_quarantine(tmp_path):
    result = pilot(tmp_path, "--quiet", "ingest", str(fixture("cases", "valid", "utf8.csv")))
    assert (result.returncode, result.stderr) == (0, "")
    result = pilot(tmp_path, "ingest", str(fixture("cases", "invalid", "unknown_unit.csv")))
    assert result.returncode == 0
    assert "1 行被隔离，详见 `pilot quality` / 1 row(s) quarantined: see `pilot quality`" in (
        result.stderr
    )


def test_quality_json_structure(tmp_path):
    ingest = pilot(
        tmp_path,
        "--quiet",
        "ingest",
        str(fixture("cases", "invalid", "unknown_unit.csv")),
        str(fixture("cases", "invalid", "missing_required_column.csv")),
    )
    assert ingest.stderr == MISSING_COLUMN + ADD_THE_COLUMN
    result = pilot(tmp_path, "quality", "--format", "json")
    assert (result.returncode, result.stderr) == (0, "")
    data = json.loads(result.stdout)
    assert sorted(data["files"], key=lambda f: f["file"]) == [
        {
            "file": "missing_required_column.csv",
            "ledger": "",
            "status": "failed",
            "rows_read": 0,
            "rows_loaded": 0,
            "rows_quarantined": 0,
            "rows_skipped": 0,
            "duplicate_of": None,
            "error": MISSING_COLUMN.removeprefix("错误 / error: ").rstrip(),
        },
        {
            "file": "unknown_unit.csv",
            "ledger": "cases",
            "status": "loaded",
            "rows_read": 2,
            "rows_loaded": 1,
            "rows_quarantined": 1,
            "rows_skipped": 0,
            "duplicate_of": None,
        },
    ]
    assert data["quarantine"] == [
        {
            "file": "unknown_unit.csv",
            "sheet": "",
            "row": 3,
            "ledger": "cases",
            "reasons": [
                {
                    "field": "unit",
                    "column": "单位",
                    "rule": "unknown_unit",
                    "value": "东花园",
                    "message_zh": "单位“东花园”无法识别，应填单位代码、全称或简称",
                    "message_en": "unknown unit '东花园': use the unit code, full name or short name",
                }
            ],
        }
    ]
    # --out writes the same JSON to a file; it is not for the printed table.
    saved = tmp_path / "质量.json"
    result = pilot(tmp_path, "quality", "--format", "json", "--out", str(saved))
    assert (result.returncode, result.stdout) == (0, f"已写出 / wrote {saved}\n")
    assert json.loads(saved.read_text(encoding="utf-8")) == data
    # Without --format, the file's extension says which.
    named = tmp_path / "质量副本.json"
    result = pilot(tmp_path, "quality", "--out", str(named))
    assert (result.returncode, json.loads(named.read_text(encoding="utf-8"))) == (0, data)
    result = pilot(tmp_path, "quality", "--out", str(tmp_path / "隔离行.xlsx"))
    assert result.returncode == 0
    assert openpyxl.load_workbook(tmp_path / "隔离行.xlsx").sheetnames
    result = pilot(tmp_path, "quality", "--out", str(tmp_path / "q.txt"))
    assert result.returncode == 1
    assert result.stderr.startswith(
        "错误 / error: --out 用于 xlsx 或 json 格式 / --out writes --format xlsx or json"
    )
    assert not (tmp_path / "q.txt").exists()


def test_quality_on_a_missing_warehouse_is_one_clear_error(tmp_path):
    result = pilot(tmp_path, "quality", "--format", "json")
    assert result.returncode == 1
    assert result.stderr == (
        f"错误 / error: 仓库文件不存在 / warehouse not found: {tmp_path / 'w.duckdb'}\n"
        "提示 / hint: run `pilot run` (or `pilot ingest` then `pilot build`) first\n"
    )


def test_a_missing_argument_or_bad_option_is_a_usage_message_not_an_internal_error(tmp_path):
    for args, says, zh in (
        (("ingest",), "Missing argument", "缺少必需的参数或选项 paths"),
        (("report", "--lang", "fr"), "Invalid value", "参数取值无效 --lang"),
        (("build", "--no-such-option"), "No such option", "没有这个选项 --no-such-option"),
        (("frobnicate",), "No such command", "命令用法有误"),
        (("build", "extra"), "unexpected extra argument", "命令用法有误"),
    ):
        result = pilot(tmp_path, *args)
        assert result.returncode == 2, (args, result.stderr)
        assert says in result.stderr, (args, result.stderr)
        assert "Usage:" in result.stderr
        assert "internal error" not in result.stderr
        # Said in Chinese too, on the last line, after click's English.
        assert result.stderr.endswith(f"错误：{zh}（用法见上；加 --help 查看帮助）\n"), (
            result.stderr
        )
        assert result.stdout == ""


def test_pilot_alone_shows_the_help_and_no_error_line(tmp_path):
    result = subprocess.run(
        [str(PILOT)], check=False, capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert result.returncode == 2
    assert "Usage:" in result.stdout and "ingest" in result.stdout
    assert "错误" not in result.stderr


def test_a_path_that_cannot_be_used_is_one_clear_error_naming_it(tmp_path):
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    not_a_db = tmp_path / "not_a_db.duckdb"
    not_a_db.write_text("hello")
    for args, message in (
        (
            ("templates", str(a_file)),
            f"错误 / error: 无法读写 / cannot read or write {a_file}: File exists\n",
        ),
        (
            ("demo", str(a_file / "demo")),
            f"错误 / error: 无法读写 / cannot read or write {a_file / 'demo'}: Not a directory\n",
        ),
        (
            ("--warehouse", str(not_a_db), "quality"),
            (
                f"错误 / error: 无法打开仓库文件 / cannot open the warehouse {not_a_db}: The file "
                f'"{not_a_db}" exists, but it is not a valid DuckDB database file!\n'
            ),
        ),
        (
            ("--warehouse", str(tmp_path), "quality"),
            (
                f"错误 / error: 无法打开仓库文件 / cannot open the warehouse {tmp_path}: "
                f'Could not read from file "{tmp_path}": Is a directory\n'
            ),
        ),
    ):
        result = pilot(tmp_path, *args)
        assert result.returncode == 1, (args, result.stderr)
        assert result.stderr.startswith(message), (args, result.stderr)
        assert "internal error" not in result.stderr


def test_run_with_a_report_folder_it_cannot_make_fails_before_the_ingest(tmp_path):
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    result = pilot(tmp_path, "run", "--out", str(a_file))
    assert result.returncode == 1
    assert result.stderr.startswith(f"错误 / error: 无法读写 / cannot read or write {a_file}: ")
    assert not (tmp_path / "w.duckdb").exists()


def test_build_before_any_ingest_says_so_and_records_no_failed_build(tmp_path):
    result = pilot(tmp_path, "build")
    assert result.returncode == 1
    assert result.stderr == (
        f"错误 / error: 尚未入库任何台账 / nothing ingested yet into {tmp_path / 'w.duckdb'}\n"
        "提示 / hint: run `pilot ingest FILES` first, or `pilot run` for the demo ledgers\n"
    )
    assert not (tmp_path / "w.duckdb").exists()
    assert not (tmp_path / "w.published").exists()
    # A warehouse made by hand, without the raw schema an ingest makes, gets the same answer.
    duckdb.connect(str(tmp_path / "w.duckdb")).close()
    result = pilot(tmp_path, "build")
    assert result.returncode == 1
    assert "nothing ingested yet" in result.stderr
    assert not (tmp_path / "w.published" / "last_build.json").exists()


def test_ingest_of_a_folder_without_ledgers_says_so(tmp_path):
    empty = tmp_path / "空文件夹"
    empty.mkdir()
    (empty / "说明.docx").write_bytes(b"not a ledger")
    result = pilot(tmp_path, "ingest", str(empty))
    assert result.returncode == 1
    assert result.stderr == (
        f"错误 / error: 没有找到台账文件 / no ledger files in: {empty}\n"
        "提示 / hint: ledgers are .csv, .txt, .xlsx, .xlsm, .xls files; name them or their "
        "folder\n"
    )


def test_file_names_and_reasons_are_printed_whole_and_as_written(tmp_path):
    folder = tmp_path / "台账"
    folder.mkdir()
    name = "XHY_[red]西花园路街道办事处案件台账（二〇一一年八月至二〇一二年七月）[1].csv"
    (folder / name).write_bytes(fixture("cases", "invalid", "unknown_unit.csv").read_bytes())
    # 80 columns, as when the output goes to a file: long names wrap, they do not end in "…".
    result = pilot(tmp_path, "ingest", str(folder), columns=80)
    assert result.returncode == 0, result.stderr
    assert "…" not in result.stderr
    rows = [line.split("│") for line in result.stderr.splitlines() if line.startswith("│")]
    assert "".join(r[1].strip() for r in rows) == name
    assert " ".join(r[2].strip() for r in rows).split() == ["已入库", "loaded"]
    result = pilot(tmp_path, "quality", columns=80)
    assert "…" not in result.stdout
    flat = re.sub(r"[\s│]", "", result.stdout)
    assert (
        "单位“东花园”无法识别，应填单位代码、全称或简称/unknownunit'东花园':usetheunitcode" in flat
    )


def test_options_a_command_does_not_have_are_refused_not_ignored(tmp_path):
    result = pilot(tmp_path, "status", "--format", "xlsx")
    assert result.returncode == 2
    assert "'xlsx' is not one of 'table', 'json'" in result.stderr
    result = pilot(tmp_path, "demo", str(tmp_path / "d"), "--years", "3")
    assert result.returncode == 1
    assert result.stderr.startswith(
        "错误 / error: --years 需与 --units 同用 / --years is for scaled ledgers: give --units too"
    )
    assert not (tmp_path / "d").exists()


def test_a_new_version_of_a_ledger_says_how_many_rows_it_withdrew(tmp_path):
    ledger = tmp_path / "XHY_巡查日志.csv"
    text = fixture("patrols", "valid", "officer_separators_and_times.csv").read_text("utf-8")
    ledger.write_text(text, encoding="utf-8")
    first = pilot(tmp_path, "ingest", str(ledger))
    assert first.returncode == 0, first.stderr
    assert "withdrawn" not in first.stderr
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    try:
        (loaded,) = con.execute("select count(*) from raw.patrols").fetchone()
    finally:
        con.close()
    assert loaded > 0
    ledger.write_text(text.splitlines()[0] + "\n", encoding="utf-8")  # the header alone
    second = pilot(tmp_path, "ingest", str(ledger))
    assert second.returncode == 0, second.stderr
    assert (
        f"XHY_巡查日志.csv: 替换上一版本，撤下其 {loaded} 行 / replaces its earlier version: "
        f"{loaded} row(s) withdrawn, 0 loaded\n"
    ) in second.stderr


def test_quality_names_sheets_not_read_and_columns_not_stored_or_not_used(tmp_path):
    csv_file = tmp_path / "XHY_案件台账.csv"
    csv_file.write_text(
        "案件编号,单位,发现日期,事项编码,住址,身份证,备用,结案时间,罚款(元)\n"
        "U1,XHY,2011-08-15,SR01,站前街12号,640105198001011231,x,2011-08-20,200\n",
        encoding="utf-8",
    )
    workbook = openpyxl.Workbook()
    ledger = workbook.active
    ledger.title = "案件"
    ledger.append(["案件编号", "单位", "发现日期", "事项编码"])
    ledger.append(["U2", "XJ", "2011-08-16", "SR01"])
    workbook.create_sheet("说明").append(["本表由各单位每月报送"])
    xlsx_file = tmp_path / "XJ_案件台账.xlsx"
    workbook.save(xlsx_file)
    result = pilot(tmp_path, "ingest", str(csv_file), str(xlsx_file))
    assert result.returncode == 0
    # Columns the contract does not know load nothing into the metrics: said when ingested,
    # with the header each one resembles.
    assert (
        "XHY_案件台账.csv: 未识别的列 备用、结案时间（应为 结案日期？）、罚款(元)（应为 罚款金额(元)？），"
        "其数据不计入指标 / columns not in the contract, their data used by no metric: 备用, "
        "结案时间 (meant 结案日期?), 罚款(元) (meant 罚款金额(元)?)\n"
    ) in result.stderr
    # A personal column is not stored; one that looks like a contract column is named, as its
    # ID numbers are then lost to the repeat-party counts.
    assert (
        "XHY_案件台账.csv: 个人信息列 身份证（应为 身份证号？） 未入库 / personal-data columns not "
        "stored: 身份证 (meant 身份证号?)\n"
    ) in result.stderr
    data = json.loads(pilot(tmp_path, "quality", "--format", "json").stdout)
    keys = ("sheets_not_read", "personal_columns_dropped", "columns_not_used")
    notes = {f["file"]: {k: f[k] for k in keys if k in f} for f in data["files"]}
    assert notes == {
        "XHY_案件台账.csv": {
            "personal_columns_dropped": ["住址", "身份证"],
            "columns_not_used": ["备用", "结案时间", "罚款(元)"],
        },
        "XJ_案件台账.xlsx": {"sheets_not_read": ["说明"]},
    }
    table = pilot(tmp_path, "quality").stdout
    assert "  个人信息列，未入库 / personal-data columns, not stored: 住址, 身份证\n" in table
    assert "  未读取的工作表（无台账表头）/ sheets not read (no ledger header): 说明\n" in table
    assert (
        "  未识别的列，不计入指标 / columns not in the contract, not used by any metric: 备用, "
        "结案时间, 罚款(元)\n"
    ) in table
    pilot(tmp_path, "quality", "--out", str(tmp_path / "q.xlsx"))
    files = openpyxl.load_workbook(tmp_path / "q.xlsx").worksheets[0]
    rows = list(files.iter_rows(values_only=True))
    header = list(rows[0])
    by_file = {row[0]: dict(zip(header, row)) for row in rows[1:]}
    assert by_file["XHY_案件台账.csv"][
        "未识别的列（不计入指标） columns not in the contract (not used)"
    ] == ("备用、结案时间、罚款(元)")
    assert by_file["XJ_案件台账.xlsx"]["未读取的工作表 sheets not read"] == "说明"


def test_a_device_named_as_a_ledger_is_refused_not_read_forever(tmp_path):
    result = pilot(tmp_path, "ingest", "/dev/zero")
    assert result.returncode == 1
    assert result.stderr == "错误 / error: 不是普通文件 / not a regular file: /dev/zero\n"


def test_demo_never_overwrites_a_ledger_outside_its_own_folder_unless_forced(tmp_path):
    folder = tmp_path / "台账"
    folder.mkdir()
    filled = folder / "XHY_案件台账.xlsx"
    filled.write_bytes(b"a clerk's filled ledger")
    result = pilot(tmp_path, "demo", str(folder))
    assert result.returncode == 1
    assert result.stderr.startswith(
        f"错误 / error: 文件已存在，未覆盖 / not overwriting existing file(s): {filled}\n"
    )
    assert [p.name for p in folder.iterdir()] == [filled.name]
    result = pilot(tmp_path, "demo", str(folder), "--force")
    assert result.returncode == 0, result.stderr
    assert filled.read_bytes().startswith(b"PK")
    assert len(list(folder.iterdir())) == 9


def _scaled_dates(folder: Path, headers: tuple[str, ...]) -> list[date]:
    """The valid dates the scaled CSV ledgers in folder hold under headers (scale's forms)."""
    days = []
    for path in sorted(folder.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                for header in headers:
                    text = row.get(header) or ""
                    m = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", text)
                    if m and not text.endswith("-02-30"):  # impossible on purpose
                        days.append(date(int(m[1]), int(m[2]), int(m[3])))
    return days


def test_scaled_years_reaching_past_today_are_refused_naming_the_most(tmp_path):
    # Ingest quarantines a date after the day it runs. The years start on the pilot's first day,
    # and a case found on the last of them is closed up to 19 days later.
    start, today = Settings().pilot_start, date.today()
    most = max(y for y in range(1, 200) if start + timedelta(days=365 * y - 1 + 19) <= today)
    out = tmp_path / "scaled"
    result = pilot(tmp_path, "demo", str(out), "--units", "1", "--years", str(most + 1))
    assert result.returncode == 1
    assert result.stderr == (
        f"错误 / error: --years 最多为 {most}：年数再多会生成晚于今天（{today}）的日期，"
        f"入库时会被隔离 / --years can be at most {most}: more years would write dates after "
        f"today ({today}), which the ingest quarantines\n"
        f"提示 / hint: scaled ledgers start on the pilot's first day, {start} (dbt var "
        f"pilot_start): use --years {most} or fewer\n"
    )
    assert not out.exists()
    result = pilot(tmp_path, "demo", str(out), "--units", "1", "--years", str(most))
    assert result.returncode == 0, result.stderr
    # A deadline may lie ahead (the ingest allows a year); no other date may.
    days = _scaled_dates(out / "ledgers", ("发现日期", "结案日期", "日期"))
    assert start <= min(days) and max(days) <= today
    assert max(days) > today - timedelta(days=365)


def test_export_takes_its_format_from_the_file_name_unless_told(tmp_path):
    from test_export import build_warehouse

    build_warehouse(tmp_path / "w.duckdb")
    result = pilot(tmp_path, "export", "outputs", "--out", str(tmp_path / "产出.xlsx"))
    assert result.returncode == 0, result.stderr
    sheet = openpyxl.load_workbook(tmp_path / "产出.xlsx").active
    assert [c.value for c in sheet[1]][:4] == [
        "unit_code",
        "period_start",
        "period_end",
        "output_code",
    ]
    result = pilot(tmp_path, "export", "outputs", "--out", str(tmp_path / "产出.json"))
    assert json.loads((tmp_path / "产出.json").read_text(encoding="utf-8"))[0]["unit_code"] == "XHY"
    # Told a format its name contradicts: refused, nothing written.
    result = pilot(
        tmp_path, "export", "outputs", "--format", "csv", "--out", str(tmp_path / "m.xlsx")
    )
    assert (result.returncode, result.stderr) == (
        1,
        (
            "错误 / error: 文件扩展名与格式不符 / m.xlsx is not a .csv file (--format csv)\n"
            "提示 / hint: name the file *.csv, or pass the --format its name says\n"
        ),
    )
    assert not (tmp_path / "m.xlsx").exists()
    # A name that says no format: csv, as before.
    result = pilot(tmp_path, "export", "outputs", "--out", str(tmp_path / "产出.txt"))
    assert (tmp_path / "产出.txt").read_text(encoding="utf-8-sig").startswith("unit_code,")


@pytest.mark.parametrize(
    "raised",
    [KeyboardInterrupt(), RuntimeError("Query interrupted"), "duckdb"],
    ids=["in Python", "in a DuckDB fetch", "in a DuckDB query"],
)
def test_ctrl_c_is_aborted_with_status_130_wherever_it_lands(monkeypatch, capsys, raised):
    import duckdb

    from pipeline import cli

    if raised == "duckdb":
        raised = duckdb.InterruptException("INTERRUPT Error: Interrupted!")

    def interrupted(**_):
        raise raised

    monkeypatch.setattr(cli, "app", interrupted)
    with pytest.raises(SystemExit) as stop:
        cli.main()
    assert stop.value.code == 130
    assert capsys.readouterr().err == "已取消 / aborted\n"


def test_an_unexpected_error_is_status_1_and_2_stays_for_usage_mistakes(monkeypatch, capsys):
    from pipeline import cli

    def broken(**_):
        raise ValueError("something unforeseen")

    monkeypatch.setattr(cli, "app", broken)
    monkeypatch.delenv("PILOT_DEBUG", raising=False)
    with pytest.raises(SystemExit) as stop:
        cli.main()
    assert stop.value.code == 1
    assert capsys.readouterr().err == (
        "内部错误 / internal error: ValueError: something unforeseen\n"
        "提示 / hint: set PILOT_DEBUG=1 to see the traceback, and report it\n"
    )


def test_every_command_lists_warehouse_and_quiet_in_its_help(tmp_path):
    for command in sorted(COMMANDS):
        result = pilot(tmp_path, command, "--help")
        assert result.returncode == 0, (command, result.stderr)
        for option in ("--warehouse", "--quiet"):
            assert option in result.stdout, (command, option)
        # A flag takes no value, so its help shows no metavar (Click 8.2+ would show <bool>).
        assert "<bool>" not in result.stdout, command
        assert re.search(r"--quiet\s+-q\s+只显示错误", result.stdout), command
    assert "<bool>" not in pilot(tmp_path, "--help").stdout


def test_warehouse_and_quiet_after_the_command_mean_what_they_mean_before_it(tmp_path):
    ledger = str(fixture("cases", "valid", "utf8.csv"))
    after = tmp_path / "after.duckdb"
    result = pilot(
        tmp_path, "ingest", ledger, "--warehouse", str(after), "--quiet", warehouse_first=False
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert after.exists() and not (tmp_path / "w.duckdb").exists()
    # -q too, and the same file named in both places is no contradiction.
    result = pilot(tmp_path, "ingest", ledger, "--warehouse", str(tmp_path / "w.duckdb"), "-q")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    for args in (
        ("status", "--format", "json", "--warehouse", str(after)),
        ("export", "metrics", "--warehouse", str(after)),
        ("run", "--warehouse", str(after), "--out", str(after)),
    ):
        result = pilot(tmp_path, *args, warehouse_first=False)
        assert result.returncode != 2 and "No such option" not in result.stderr, (args, result)
    status = pilot(
        tmp_path, "status", "--format", "json", "--warehouse", str(after), warehouse_first=False
    )
    assert json.loads(status.stdout)["warehouse"] == str(after)


def test_warehouse_after_the_command_beats_the_environment(tmp_path):
    env = {**os.environ, "PILOT_WAREHOUSE": str(tmp_path / "env.duckdb")}
    result = subprocess.run(
        [str(PILOT), "status", "--format", "json", "--warehouse", str(tmp_path / "w.duckdb")],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["warehouse"] == str(tmp_path / "w.duckdb")


def test_two_different_warehouses_before_and_after_the_command_are_refused(tmp_path):
    other = tmp_path / "other.duckdb"
    result = pilot(
        tmp_path, "ingest", str(fixture("cases", "valid", "utf8.csv")), "--warehouse", str(other)
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "Usage: pilot ingest [OPTIONS] {paths}...\n"
        "Try 'pilot ingest --help' for help.\n"
        "\n"
        f"Error: Invalid value for '--warehouse': 命令前后给了两个不同的仓库文件 / two different "
        f"warehouses: {tmp_path / 'w.duckdb'} before the command, {other} after it\n"
        "错误：参数取值无效 --warehouse（用法见上；加 --help 查看帮助）\n"
    )
    assert not (tmp_path / "w.duckdb").exists() and not other.exists()


def test_quiet_export_prints_the_data_asked_for_and_no_note(tmp_path):
    from test_export import build_warehouse

    build_warehouse(tmp_path / "w.duckdb")
    told = tmp_path / "产出.csv"
    result = pilot(tmp_path, "export", "outputs", "--out", str(told))
    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        "",
        f"已导出 / written: {told}\n",
    )
    quiet = tmp_path / "产出_quiet.csv"
    result = pilot(tmp_path, "export", "outputs", "--out", str(quiet), "--quiet")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert quiet.read_bytes() == told.read_bytes()
    # Without --out the export is the output: --quiet does not silence it.
    result = pilot(tmp_path, "--quiet", "export", "outputs", "--format", "json")
    assert (result.returncode, result.stderr) == (0, "")
    assert json.loads(result.stdout)[0]["unit_code"] == "XHY"


def test_quiet_quality_and_status_print_the_tables_asked_for_and_no_note(tmp_path):
    result = pilot(
        tmp_path, "--quiet", "ingest", str(fixture("cases", "invalid", "unknown_unit.csv"))
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    for args in (
        ("quality", "--format", "json", "--out", str(tmp_path / "q.json")),
        ("quality", "--out", str(tmp_path / "q.xlsx")),
    ):
        result = pilot(tmp_path, *args, "--quiet")
        assert (result.returncode, result.stdout, result.stderr) == (0, "", ""), args
    assert json.loads((tmp_path / "q.json").read_text(encoding="utf-8"))["files"]
    assert (tmp_path / "q.xlsx").exists()
    result = pilot(tmp_path, "quality", "--quiet")
    assert (result.returncode, result.stderr) == (0, "")
    assert "unknown_unit.csv  [loaded]  cases  读取 2，入库 1，隔离 1，跳过 0\n" in result.stdout
    result = pilot(tmp_path, "status", "--quiet")
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.startswith(f"仓库 / warehouse: {tmp_path / 'w.duckdb'}\n")


def test_quiet_demo_and_templates_write_their_files_and_print_nothing(tmp_path):
    result = pilot(tmp_path, "demo", str(tmp_path / "demo"), "--quiet")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert len(list((tmp_path / "demo").iterdir())) == 9
    result = pilot(tmp_path, "--quiet", "templates", str(tmp_path / "templates"))
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert len(list((tmp_path / "templates").iterdir())) == 3


def test_quiet_report_and_summary_write_their_files_and_print_nothing(built_warehouse, tmp_path):
    warehouse = ("--warehouse", str(built_warehouse))
    site = tmp_path / "site"
    result = pilot(tmp_path, "report", *warehouse, "--out", str(site), warehouse_first=False)
    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        f"报告 / report: {site / 'index.html'}\n",
        "",
    )
    quiet_site = tmp_path / "quiet_site"
    result = pilot(
        tmp_path, "report", *warehouse, "--out", str(quiet_site), "-q", warehouse_first=False
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert (quiet_site / "index.html").exists()
    told = tmp_path / "s.md"
    result = pilot(tmp_path, "summary", *warehouse, "--out", str(told), warehouse_first=False)
    from pipeline.summary import cjk_font

    no_font = (
        "提示 / note: 本机没有中文字体，图中的文字改用英文（可安装 Noto Sans CJK SC 或文泉驿微米黑）/ "
        "no Chinese font here: the charts' labels are in English (install e.g. Noto Sans CJK SC "
        "or WenQuanYi Micro Hei)\n"
    )
    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        f"工作经验材料 / summary: {told}\n",
        no_font if cjk_font() is None else "",
    )
    quiet = tmp_path / "quiet" / "s.md"  # the same name: the text links to s_files/
    result = pilot(
        tmp_path, "summary", *warehouse, "--out", str(quiet), "--quiet", warehouse_first=False
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert quiet.read_text(encoding="utf-8") == told.read_text(encoding="utf-8")


def test_withdraw_takes_a_loaded_file_out_all_or_none_and_says_what_to_do(tmp_path):
    ledger = tmp_path / "XHY_巡查日志.csv"
    ledger.write_text(
        fixture("patrols", "valid", "officer_separators_and_times.csv").read_text("utf-8"),
        encoding="utf-8",
    )
    assert pilot(tmp_path, "ingest", str(ledger)).returncode == 0

    def raw_rows() -> int:
        con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
        try:
            return con.execute("select count(*) from raw.patrols").fetchone()[0]
        finally:
            con.close()

    loaded = raw_rows()
    assert loaded > 0
    typo = pilot(tmp_path, "withdraw", "XHY_巡查日記.csv")
    assert typo.returncode == 1
    assert "XHY_巡查日記.csv: 没有这个已入库的文件 / no loaded file of this name" in typo.stderr
    assert "did you mean: XHY_巡查日志.csv?" in typo.stderr
    # One name that is not loaded: nothing is withdrawn, not even the one that is.
    assert pilot(tmp_path, "withdraw", ledger.name, "nothing.csv").returncode == 1
    assert raw_rows() == loaded

    done = pilot(tmp_path, "withdraw", ledger.name, "--reason", "录错了单位")
    assert done.returncode == 0, done.stderr
    assert f"已撤回 / withdrawn: {ledger.name}（{loaded} 行台账" in done.stdout
    assert "run `pilot build`" in done.stderr
    assert raw_rows() == 0
    quality = json.loads(pilot(tmp_path, "quality", "--format", "json").stdout)
    assert [f["status"] for f in quality["files"] if f["file"] == ledger.name] == ["withdrawn"]
    twice = pilot(tmp_path, "withdraw", ledger.name)
    assert twice.returncode == 1
    assert "not in force (status withdrawn)" in twice.stderr
