"""Clerk templates: what a clerk types through them ingests without quarantine."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from pipeline.clerk_templates import (
    FIRST_DATA_ROW,
    HEADER_ROW,
    INSTRUCTIONS_SHEET,
    REFERENCE_SHEET,
    REQUIRED_FILL,
    TEMPLATE_ROWS,
    write_templates,
)
from pipeline.cli import app
from pipeline.contract import ACTIONS, CASES, LEDGERS, OUTCOMES, OUTPUTS, PATROLS, SOURCES
from pipeline.errors import PilotError
from pipeline.ingest import ingest
from pipeline.reference import read_table
from pipeline.settings import Settings

TITLES = {"cases": "案件台账", "patrols": "巡查日志", "outputs": "宣传及专项活动台账"}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(warehouse=tmp_path / "wh.duckdb", secret_file=tmp_path / "secret.key")


def id_number(first17: str) -> str:
    """An 18-digit ID number with its check digit (GB 11643)."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(first17, weights, strict=True))
    return first17 + "10X98765432"[total % 11]


def drop_down(wb: openpyxl.Workbook, name: str) -> list[str]:
    """The values a defined name (a drop-down source) refers to."""
    sheet_name, cells = wb.defined_names[name].attr_text.split("!")
    sheet = wb[sheet_name.strip("'")]
    return [row[0].value for row in sheet[cells.replace("$", "")] if row[0].value is not None]


def column_letters(ledger) -> dict[str, str]:
    return {c.name: openpyxl.utils.get_column_letter(i) for i, c in enumerate(ledger.columns, 1)}


def cases_rows(wb, unit: str) -> list[dict]:
    grids = [
        g for g, u in zip(drop_down(wb, "list_grids"), grid_units(wb), strict=True) if u == unit
    ]
    depts = drop_down(wb, "list_departments")
    items = drop_down(wb, "list_items")
    disputes = [i for i in items if i.startswith("JF")]
    base = {"unit": unit, "grid": grids[0] if grids else None, "source": SOURCES[0]}
    return [
        {
            **base,
            "case_id": "2011-001",
            "found_date": dt.date(2011, 8, 15),
            "item_code": items[0],
            "summary": "占道经营，当事人电话13912345678",
            "party_name": "张三",
            "party_id_no": id_number("64010619800101123"),
            "phone": "13912345678",
            "action": ACTIONS[0],
            "closed_date": dt.date(2011, 8, 15),
            "outcome": OUTCOMES[0],
        },
        {
            **base,
            "case_id": "2011-002",
            "found_date": dt.date(2011, 9, 1),
            "item_code": items[1],
            "action": "移交",
            "referred_to": depts[-1],
            "closed_date": dt.date(2011, 9, 2),
            "outcome": "已移交",
        },
        {
            **base,
            "case_id": "2011-003",
            "found_date": dt.date(2011, 10, 3),
            "item_code": items[2],
            "party_name": "李四",
            "action": "整改通知",
            "deadline": dt.date(2011, 10, 10),
            "outcome": "办理中",
        },
        {
            **base,
            "case_id": "2011-004",
            "found_date": dt.date(2011, 11, 5),
            "item_code": items[3],
            "action": "立案处罚",
            "closed_date": dt.date(2011, 11, 20),
            "outcome": "已处罚",
            "fine_yuan": 200.5,
        },
        {
            **base,
            "case_id": "2011-005",
            "found_date": dt.date(2011, 12, 1),
            "item_code": disputes[0],
            "action": "调解",
            "outcome": "调解成功",
            "closed_date": dt.date(2011, 12, 1),
        },
    ]


def patrols_rows(wb, unit: str) -> list[dict]:
    grids = [
        g for g, u in zip(drop_down(wb, "list_grids"), grid_units(wb), strict=True) if u == unit
    ]
    return [
        {
            "patrol_id": f"2011-P{n:03d}",
            "unit": unit,
            "grid": grids[n % len(grids)] if grids else None,
            "date": dt.date(2011, 8, n),
            "start_time": dt.time(8, 30) if n != 3 else dt.time(22, 0),
            "end_time": dt.time(11, 30) if n != 3 else dt.time(1, 0),
            "officers": "队员01、队员02",
            "issues_found": n,
            "resolved_on_spot": n - 1,
            "note": "正常" if n == 1 else None,
        }
        for n in range(1, 4)
    ]


def outputs_rows(wb, unit: str) -> list[dict]:
    types = drop_down(wb, "list_output_types")
    ref = wb[REFERENCE_SHEET]
    measure_of = {
        row[0].value: row[1].value
        for row in ref[
            wb.defined_names["list_output_types_table"].attr_text.split("!")[1].replace("$", "")
        ]
    }
    return [
        {
            "activity_id": f"2011-A{n:03d}",
            "unit": unit,
            "date": dt.date(2011, 8, 8 + n),
            "campaign": "整脏治乱",
            "output_type": otype,
            "quantity": 10 * (n + 1) if n != 1 else 12.5,
            "measure": measure_of[otype] if n % 2 == 0 else None,
            "place": "社区广场",
        }
        for n, otype in enumerate(types)
    ]


def grid_units(wb) -> list[str]:
    ref = wb[REFERENCE_SHEET]
    cells = wb.defined_names["list_grids_table"].attr_text.split("!")[1].replace("$", "")
    return [row[-1].value for row in ref[cells] if row[0].value is not None]


ROWS = {"cases": cases_rows, "patrols": patrols_rows, "outputs": outputs_rows}


def fill(path: Path, ledger, unit: str | None = None) -> int:
    """Type valid rows into the template as a clerk would, choosing from its drop-downs."""
    wb = openpyxl.load_workbook(path)
    sheet = wb[ledger.title]
    unit = unit or drop_down(wb, "list_units")[0]
    rows = ROWS[ledger.name](wb, unit)
    letters = column_letters(ledger)
    for r, row in enumerate(rows, start=FIRST_DATA_ROW):
        for name, value in row.items():
            if value is not None:
                sheet[f"{letters[name]}{r}"] = value
    wb.save(path)
    return len(rows)


def assert_ingested_cleanly(result, expected_rows: dict[str, int]) -> None:
    assert not result.failed, [f.error for f in result.failed]
    for report in result.files:
        by_sheet = {s.sheet: s for s in report.sheets}
        ledger = next(lg for lg in LEDGERS.values() if lg.title in by_sheet)
        assert report.status == "loaded", report.path.name
        assert by_sheet[INSTRUCTIONS_SHEET].status == "not_a_ledger"
        assert by_sheet[REFERENCE_SHEET].status == "not_a_ledger"
        data = by_sheet[ledger.title]
        assert data.status == "read" and data.ledger == ledger.name
        assert data.header_row == HEADER_ROW
        assert data.unknown_columns == []
        assert data.rows_quarantined == 0, report.path.name
        assert data.rows_loaded == expected_rows[ledger.name], report.path.name
        assert data.rows_read == data.rows_loaded + data.rows_skipped


def test_filled_templates_ingest_without_quarantine(settings, tmp_path):
    paths = write_templates(settings, tmp_path / "templates")
    assert [p.name for p in paths] == [
        "案件台账_模板.xlsx",
        "巡查日志_模板.xlsx",
        "宣传及专项活动台账_模板.xlsx",
    ]
    expected = {lg.name: fill(p, lg) for lg, p in zip(LEDGERS.values(), paths, strict=True)}
    assert expected == {"cases": 5, "patrols": 3, "outputs": 11}
    result = ingest(settings, paths)
    assert_ingested_cleanly(result, expected)


def test_unit_templates_offer_only_that_unit_and_ingest_untouched_and_filled(settings, tmp_path):
    paths = write_templates(settings, tmp_path / "xj", unit="xj")
    assert [p.name for p in paths] == [
        "XJ_案件台账.xlsx",
        "XJ_巡查日志.xlsx",
        "XJ_宣传及专项活动台账.xlsx",
    ]
    wb = openpyxl.load_workbook(paths[0])
    assert drop_down(wb, "list_units") == ["兴泾镇"]
    assert set(grid_units(wb)) == {"兴泾镇"}
    assert wb[CASES.title].cell(row=1, column=1).value.startswith("案件台账（兴泾镇）")
    # Untouched, the template's rows are blank rows: nothing loaded, nothing quarantined.
    untouched = ingest(settings, paths)
    assert_ingested_cleanly(untouched, {"cases": 0, "patrols": 0, "outputs": 0})
    expected = {lg.name: fill(p, lg) for lg, p in zip(LEDGERS.values(), paths, strict=True)}
    assert_ingested_cleanly(ingest(settings, paths), expected)


def test_unknown_unit_is_a_clear_error(settings, tmp_path):
    with pytest.raises(PilotError) as caught:
        write_templates(settings, tmp_path, unit="ABC")
    assert caught.value.message == "单位代码“ABC”不在单位参考表中 / unknown unit code 'ABC'"
    assert caught.value.hint == "use one of: XHY, XJ, ZBB"


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory) -> dict[str, openpyxl.Workbook]:
    out = tmp_path_factory.mktemp("templates")
    paths = write_templates(Settings(), out)
    return {
        lg.name: openpyxl.load_workbook(p) for lg, p in zip(LEDGERS.values(), paths, strict=True)
    }


@pytest.mark.parametrize("ledger", LEDGERS.values(), ids=list(LEDGERS))
def test_ledger_sheet_layout(workbooks, ledger):
    wb = workbooks[ledger.name]
    assert wb.sheetnames == [ledger.title, INSTRUCTIONS_SHEET, REFERENCE_SHEET]
    sheet = wb[ledger.title]
    headers = [
        sheet.cell(row=HEADER_ROW, column=c).value for c in range(1, len(ledger.columns) + 1)
    ]
    assert headers == [c.header for c in ledger.columns]
    last = openpyxl.utils.get_column_letter(len(ledger.columns))
    assert [str(r) for r in sheet.merged_cells.ranges] == [f"A1:{last}1"]
    assert sheet.cell(row=1, column=1).value.startswith(TITLES[ledger.name])
    assert sheet.freeze_panes == f"B{FIRST_DATA_ROW}"
    letters = column_letters(ledger)
    for col in ledger.columns:
        header = sheet[f"{letters[col.name]}{HEADER_ROW}"]
        assert (header.fill.fgColor.rgb == REQUIRED_FILL.fgColor.rgb) == col.required, col.name
        assert header.comment.text.startswith("【必填】" if col.required else "【选填】")
        assert sheet.column_dimensions[letters[col.name]].width >= 10
        cell = sheet[f"{letters[col.name]}{FIRST_DATA_ROW + 10}"]
        expected = {"date": "yyyy-mm-dd", "time": "hh:mm", "text": "@", "enum": "@"}
        if col.kind in expected:
            assert cell.number_format == expected[col.kind], col.name


def test_id_and_phone_columns_are_text(workbooks):
    sheet = workbooks["cases"][CASES.title]
    letters = column_letters(CASES)
    for name in ("case_id", "party_id_no", "phone"):
        assert sheet[f"{letters[name]}{FIRST_DATA_ROW}"].number_format == "@"


def validations(wb, ledger) -> dict[str, object]:
    """The data validation on each column, keyed by the column's alias."""
    by_letter = {v: k for k, v in column_letters(ledger).items()}
    found = {}
    for dv in wb[ledger.title].data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            assert (
                rng.min_row == FIRST_DATA_ROW and rng.max_row == FIRST_DATA_ROW + TEMPLATE_ROWS - 1
            )
            found[by_letter[openpyxl.utils.get_column_letter(rng.min_col)]] = dv
    return found


def test_drop_downs_and_checks_sit_on_the_right_columns(workbooks):
    cases = validations(workbooks["cases"], CASES)
    assert {k: (v.type, v.formula1) for k, v in cases.items() if v.type == "list"} == {
        "unit": ("list", "list_units"),
        "grid": ("list", "list_grids"),
        "source": ("list", "list_sources"),
        "item_code": ("list", "list_items"),
        "action": ("list", "list_actions"),
        "referred_to": ("list", "list_departments"),
        "outcome": ("list", "list_outcomes"),
    }
    assert {k for k, v in cases.items() if v.type == "date"} == {
        "found_date",
        "deadline",
        "closed_date",
    }
    assert cases["closed_date"].formula1 == "MAX(DATE(2011,8,1),$D3)"
    assert (cases["fine_yuan"].type, cases["fine_yuan"].operator, cases["fine_yuan"].formula1) == (
        "decimal",
        "greaterThanOrEqual",
        "0",
    )
    assert cases["case_id"].type == "custom" and "COUNTIF" in cases["case_id"].formula1
    assert not {"summary", "party_name", "party_id_no", "phone"} & set(cases)

    patrols = validations(workbooks["patrols"], PATROLS)
    assert {k for k, v in patrols.items() if v.type == "time"} == {"start_time", "end_time"}
    assert patrols["issues_found"].type == "whole" and patrols["issues_found"].formula1 == "0"
    assert (patrols["resolved_on_spot"].type, patrols["resolved_on_spot"].formula2) == (
        "whole",
        "$H3",
    )
    assert patrols["date"].type == "date"

    outputs = validations(workbooks["outputs"], OUTPUTS)
    assert (outputs["output_type"].formula1, outputs["measure"].formula1) == (
        "list_output_types",
        "list_measures",
    )
    assert (outputs["quantity"].type, outputs["quantity"].errorStyle) == ("decimal", "warning")
    assert outputs["date"].type == "date"


def date_checks(validation) -> tuple[str, str, str, str, str]:
    return (
        validation.type,
        validation.operator,
        validation.formula1,
        validation.formula2,
        validation.errorStyle or "stop",
    )


def test_date_checks_accept_what_ingest_accepts_from_the_pilot_start_to_today(workbooks):
    # Ingest quarantines a date before the pilot (dbt var pilot_start) or after the run's day,
    # and a deadline more than a year after it; TODAY() keeps a template right as time passes.
    cases = validations(workbooks["cases"], CASES)
    patrols = validations(workbooks["patrols"], PATROLS)
    outputs = validations(workbooks["outputs"], OUTPUTS)
    pilot_and_today = ("date", "between", "DATE(2011,8,1)", "TODAY()", "stop")
    assert date_checks(cases["found_date"]) == pilot_and_today
    assert date_checks(patrols["date"]) == pilot_and_today
    assert date_checks(outputs["date"]) == pilot_and_today
    assert date_checks(cases["deadline"]) == (
        "date",
        "between",
        "DATE(2011,8,1)",
        "EDATE(TODAY(),12)",
        "stop",
    )
    assert date_checks(cases["closed_date"]) == (
        "date",
        "between",
        "MAX(DATE(2011,8,1),$D3)",
        "TODAY()",
        "stop",
    )
    # The clerk is told the range, before typing and when a date falls outside it.
    assert cases["found_date"].error == (
        "发现日期应为 2011-08-01（试点开始）至今天之间的日期，如 2011-08-15。"
    )
    assert cases["deadline"].error == (
        "整改期限应为 2011-08-01（试点开始）至一年后的今天之间的日期，如 2011-08-15。"
    )
    assert cases["closed_date"].error == ("结案日期应为发现日期至今天之间的日期，如 2011-08-15。")
    assert (
        patrols["date"].error == "日期应为 2011-08-01（试点开始）至今天之间的日期，如 2011-08-15。"
    )
    assert cases["found_date"].prompt == (
        "发现或受理案件的日期。按 2011-08-15 的格式输入，"
        "可填 2011-08-01（试点开始）至今天之间的日期。"
    )
    assert cases["deadline"].prompt.endswith(
        "可填 2011-08-01（试点开始）至一年后的今天之间的日期。"
    )
    assert cases["closed_date"].prompt.endswith("可填发现日期至今天之间的日期。")


def test_date_checks_start_on_the_pilot_start_dbt_declares(tmp_path):
    (tmp_path / "dbt_project.yml").write_text(
        "name: pilot\nvars:\n  pilot_start: '2012-01-01'\n", encoding="utf-8"
    )
    settings = Settings(root=tmp_path, warehouse=tmp_path / "wh.duckdb")
    paths = write_templates(settings, tmp_path / "templates")
    cases = validations(openpyxl.load_workbook(paths[0]), CASES)
    assert cases["found_date"].formula1 == "DATE(2012,1,1)"
    assert cases["closed_date"].formula1 == "MAX(DATE(2012,1,1),$D3)"
    assert "2012-01-01（试点开始）" in cases["found_date"].error


@pytest.mark.parametrize(
    ("days_ago", "example"),
    [
        # The pilot's fifteenth day, as 2011-08-15 is the default pilot's.
        (None, dt.date(2012, 1, 15)),
        # A pilot begun less than two weeks ago: its fifteenth day is still to come.
        (3, dt.date.today()),
    ],
)
def test_example_dates_lie_in_the_range_the_date_checks_accept(tmp_path, days_ago, example):
    start = dt.date(2012, 1, 1) if days_ago is None else dt.date.today() - dt.timedelta(days_ago)
    (tmp_path / "dbt_project.yml").write_text(
        f"name: pilot\nvars:\n  pilot_start: '{start.isoformat()}'\n", encoding="utf-8"
    )
    settings = Settings(root=tmp_path, warehouse=tmp_path / "wh.duckdb")
    paths = dict(zip(LEDGERS, write_templates(settings, tmp_path / "templates"), strict=True))
    wb = openpyxl.load_workbook(paths["cases"])
    cases = validations(wb, CASES)
    day = example.isoformat()
    assert cases["found_date"].prompt == (
        f"发现或受理案件的日期。按 {day} 的格式输入，"
        f"可填 {start.isoformat()}（试点开始）至今天之间的日期。"
    )
    assert cases["closed_date"].error == f"结案日期应为发现日期至今天之间的日期，如 {day}。"
    instructions = [row[0] for row in wb[INSTRUCTIONS_SHEET].iter_rows(values_only=True)]
    assert f"三、日期按 {day} 的格式输入，时间按 08:30 的格式输入；" in "".join(
        str(line) for line in instructions
    )
    for ledger in LEDGERS.values():
        sheet = openpyxl.load_workbook(paths[ledger.name])[INSTRUCTIONS_SHEET]
        examples = {r[1]: r[5] for r in sheet.iter_rows(values_only=True)}
        dates = [examples[c.name] for c in ledger.columns if c.kind == "date" and examples[c.name]]
        assert dates and {d.date() for d in dates} == {example}, ledger.name


def test_reference_lists_come_from_the_reference_tables_and_contract(workbooks):
    wb = workbooks["cases"]
    ref = Settings().reference_dir
    assert drop_down(wb, "list_units") == list(read_table(ref, "units").unit_name)
    assert drop_down(wb, "list_items") == list(read_table(ref, "catalogue").item_code)
    assert drop_down(wb, "list_departments") == list(read_table(ref, "departments").dept_name)
    assert drop_down(wb, "list_output_types") == list(read_table(ref, "output_types").output_name)
    assert drop_down(wb, "list_sources") == list(SOURCES)
    assert drop_down(wb, "list_actions") == list(ACTIONS)
    assert drop_down(wb, "list_outcomes") == list(OUTCOMES)
    # Item names sit beside the codes so a clerk can find the code.
    names = [r[1].value for r in wb[REFERENCE_SHEET]["I2:J3"]]
    assert names == list(read_table(ref, "catalogue").item_name[:2])


@pytest.mark.parametrize("ledger", LEDGERS.values(), ids=list(LEDGERS))
def test_instructions_explain_every_column_with_an_example(workbooks, ledger):
    sheet = workbooks[ledger.name][INSTRUCTIONS_SHEET]
    rows = {
        r[0].value: r for r in sheet.iter_rows() if r[0].value in {c.header for c in ledger.columns}
    }
    assert list(rows) == [c.header for c in ledger.columns]
    for col in ledger.columns:
        row = rows[col.header]
        assert row[1].value == col.name
        assert row[2].value == ("必填" if col.required else "选填")
        assert row[4].value, col.name
        if col.required:
            assert row[5].value is not None, col.name


def test_cli_writes_templates(tmp_path):
    result = CliRunner().invoke(app, ["templates", str(tmp_path), "--unit", "ZBB"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["ZBB_案件台账.xlsx", "ZBB_巡查日志.xlsx", "ZBB_宣传及专项活动台账.xlsx"]
    )
    assert f"已生成 3 个台账模板 / wrote 3 ledger templates to {tmp_path}" in result.output


def test_templates_never_overwrite_a_filled_ledger_unless_forced(settings, tmp_path):
    filled = tmp_path / "ZBB_案件台账.xlsx"
    filled.write_bytes(b"a clerk's filled ledger")
    with pytest.raises(PilotError) as failure:
        write_templates(settings, tmp_path, unit="ZBB")
    assert failure.value.message == (
        f"文件已存在，未覆盖 / not overwriting existing file(s): {filled}"
    )
    assert "--force" in failure.value.hint
    # Nothing was written, not even the templates that had no file in the way.
    assert [p.name for p in tmp_path.iterdir()] == [filled.name]
    assert filled.read_bytes() == b"a clerk's filled ledger"

    result = CliRunner().invoke(app, ["templates", str(tmp_path), "--unit", "ZBB"])
    assert result.exit_code == 1
    assert filled.read_bytes() == b"a clerk's filled ledger"

    result = CliRunner().invoke(app, ["templates", str(tmp_path), "--unit", "ZBB", "--force"])
    assert result.exit_code == 0, result.output
    assert filled.read_bytes().startswith(b"PK")  # now the template workbook
