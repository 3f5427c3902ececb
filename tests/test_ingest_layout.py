"""Workbook layouts as clerks make them: formulas, hidden rows, merged titles, many sheets, .xls."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile

import openpyxl
import pytest
import xlwt
from helpers_ingest import fixture, loaded, make_settings, quarantine_reasons, query, run
from helpers_privacy import leaks

from pipeline.contract import CASES, PATROLS
from pipeline.ingest import group_row, sub_header
from pipeline.quality import quality
from pipeline.readers import Sheet

PATROL_HEADER = [c.header for c in PATROLS.columns]


@pytest.fixture
def settings(tmp_path, monkeypatch):
    return make_settings(tmp_path, monkeypatch)


def _patrol(pid, issues=1, resolved=1, **extra) -> list:
    values = {
        "patrol_id": pid,
        "unit": "XHY",
        "date": dt.date(2011, 8, 15),
        "start_time": dt.time(8, 30),
        "end_time": dt.time(11, 0),
        "officers": "A01、A02",
        "issues_found": issues,
        "resolved_on_spot": resolved,
        **extra,
    }
    return [values.get(c.name) for c in PATROLS.columns]


def _counts(report) -> list[tuple]:
    return [
        (s.sheet, s.ledger, s.status, s.header_row, s.rows_read, s.rows_loaded)
        + (s.rows_quarantined, s.rows_skipped)
        for s in report.sheets
    ]


def _with_cached_values(path, values: dict[str, str]) -> None:
    """Give formula cells the result Excel would have saved (openpyxl writes none)."""
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    xml = members["xl/worksheets/sheet1.xml"].decode()
    for ref, value in values.items():
        xml, n = re.subn(
            rf'(<c r="{ref}"[^>]*>)(<f>[^<]*</f>)<v\s*/?>(</v>)?', rf"\1\2<v>{value}</v>", xml
        )
        assert n == 1, ref
    members["xl/worksheets/sheet1.xml"] = xml.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)


# --------------------------------------------------------------------------- formulas


def test_formula_with_a_saved_result_loads_the_result(settings, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(PATROL_HEADER)
    ws.append(_patrol("P001", issues=3, resolved="=H2-1"))
    path = tmp_path / "formula_with_cached_value.xlsx"
    wb.save(path)
    _with_cached_values(path, {"I2": "2"})
    report = run(settings, path).files[0]
    assert _counts(report) == [("Sheet", "patrols", "read", 1, 1, 1, 0, 0)]
    assert loaded(settings, "patrols", "issues_found", "resolved_on_spot") == [(2, "3", "2")]


def test_an_excel_error_value_is_quarantined_naming_the_cell_and_the_error(settings, tmp_path):
    # calamine reads #DIV/0! and #N/A as empty: the clerk would be told a value is missing
    # from a cell that shows an error, and an error in an ID column would read as no ID.
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(PATROL_HEADER)
    ws.append(_patrol("P001", issues=3, resolved=None))
    ws.append(_patrol("P002", issues=2, resolved=1))
    ws.append(_patrol(None, issues=1, resolved=1))
    for ref, error in (("I2", "#DIV/0!"), ("A4", "#N/A")):
        ws[ref] = error
        ws[ref].data_type = "e"
    path = tmp_path / "excel_error_values.xlsx"
    wb.save(path)
    report = run(settings, path).files[0]
    assert _counts(report) == [("Sheet", "patrols", "read", 1, 3, 1, 2, 0)]
    rows = query(settings, "select source_row, reasons from raw.quarantine order by 1")
    reasons = [(r["source_row"], json.loads(r["reasons"])) for r in rows]
    assert [(n, [(x["rule"], x["field"], x["value"]) for x in rs]) for n, rs in reasons] == [
        (2, [("excel_error", "resolved_on_spot", "#DIV/0!")]),
        (4, [("excel_error", "patrol_id", "#N/A")]),
    ]
    assert reasons[0][1][0]["message_zh"] == (
        "当场处理数（单元格 I2）是 Excel 错误值“#DIV/0!”；请在 Excel 或 WPS 中改正该单元格后重新提交"
    )


def test_formula_without_a_saved_result_is_quarantined_naming_the_cell(settings, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(PATROL_HEADER)
    ws.append(_patrol("P001", issues=3, resolved="=H2-1"))
    ws.append(_patrol("P002", issues=2, resolved=1))
    ws.append(_patrol('="P"&"003"', issues=None, resolved=None))
    path = tmp_path / "formula_without_cached_value.xlsx"
    wb.save(path)
    report = run(settings, path).files[0]
    assert _counts(report) == [("Sheet", "patrols", "read", 1, 3, 1, 2, 0)]
    assert loaded(settings, "patrols", "patrol_id") == [(3, "P002")]
    rows = query(settings, "select source_row, reasons, row_values from raw.quarantine order by 1")
    reasons = [(r["source_row"], json.loads(r["reasons"])) for r in rows]
    assert [(n, [(x["rule"], x["field"], x["value"]) for x in rs]) for n, rs in reasons] == [
        (2, [("formula_no_value", "resolved_on_spot", "=H2-1")]),
        (4, [("formula_no_value", "patrol_id", '="P"&"003"')]),
    ]
    first = reasons[0][1][0]
    assert first["message_zh"] == (
        "当场处理数（单元格 I2）是公式“=H2-1”，文件中没有保存计算结果；"
        "请在 Excel 或 WPS 中打开并保存后重新提交"
    )
    assert first["message_en"] == (
        "当场处理数 (resolved_on_spot) (cell I2) is the formula '=H2-1' saved without its "
        "result: open and save the file in Excel or WPS, then submit it again"
    )
    assert json.loads(rows[0]["row_values"])["resolved_on_spot"] == "=H2-1"


def test_a_row_of_only_unsaved_formulas_is_not_taken_for_blank(settings, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(PATROL_HEADER)
    ws.append(_patrol("P001"))
    ws.append(["=A2"])
    path = tmp_path / "formula_only_row.xlsx"
    wb.save(path)
    report = run(settings, path).files[0]
    assert _counts(report) == [("Sheet", "patrols", "read", 1, 2, 1, 1, 0)]


# --------------------------------------------------------------------------- layout


def test_hidden_rows_are_read_like_the_others(settings, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(PATROL_HEADER)
    for n in range(1, 4):
        ws.append(_patrol(f"P00{n}"))
    ws.row_dimensions[3].hidden = True
    path = tmp_path / "hidden_row.xlsx"
    wb.save(path)
    run(settings, path)
    assert loaded(settings, "patrols", "patrol_id") == [(2, "P001"), (3, "P002"), (4, "P003")]


def test_title_merged_over_two_rows_and_a_note_above_the_header(settings, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "巡查日志"
    ws["A1"] = "西花园路街道综合执法大队\n巡查日志（2011年8月）"
    ws.merge_cells("A1:J2")
    ws["A3"] = "填报单位：西花园路街道综合执法大队"
    ws.merge_cells("A3:E3")
    ws["H3"] = "填报日期：2011年8月31日"
    ws.append(PATROL_HEADER)
    ws.append(_patrol("P001"))
    path = tmp_path / "merged_title_two_rows.xlsx"
    wb.save(path)
    report = run(settings, path).files[0]
    assert _counts(report) == [("巡查日志", "patrols", "read", 4, 1, 1, 0, 0)]
    assert loaded(settings, "patrols", "patrol_id", "date", "start_time") == [
        (5, "P001", "2011-08-15", "08:30")
    ]


def _header_of_groups(ws, cells: list[tuple[str, list[str]]]) -> None:
    """A header on rows 2 and 3: each cell of row 2 merged across the names it has below it, or
    down over both rows when it has none."""
    col = 1
    for top, names in cells:
        ws.cell(2, col, top)
        if names:
            ws.merge_cells(
                start_row=2, start_column=col, end_row=2, end_column=col + len(names) - 1
            )
            for name in names:
                ws.cell(3, col, name)
                col += 1
        else:
            ws.merge_cells(start_row=2, start_column=col, end_row=3, end_column=col)
            col += 1


def _two_row_header(ws, groups: dict[str, list[str]], tail: list[str]) -> None:
    """A header as clerks' templates lay it out: each of `groups` merged over the names below
    it, every other header merged down over both rows."""
    singles = ["案件编号", "单位", "发现日期", "事项编码"]
    _header_of_groups(
        ws, [(h, []) for h in singles] + list(groups.items()) + [(h, []) for h in tail]
    )


def _assert_party_hashed_and_not_stored(settings) -> None:
    """C001's ID number read and hashed; every column has its header (nothing reported as a
    column without one, or unknown); no name, ID or phone number of the two parties stored."""
    ((hashed,),) = [
        tuple(r.values())
        for r in query(settings, "select party_id_hash from raw.cases where case_id = 'C001'")
    ]
    assert re.fullmatch("[0-9a-f]{64}", hashed)
    assert query(settings, "select unknown_columns from raw.sheets") == [{"unknown_columns": "[]"}]
    stored = json.dumps(
        [query(settings, f"select * from raw.{t}") for t in ("cases", "quarantine", "sheets")],
        ensure_ascii=False,
        default=str,
    )
    assert leaks(stored, ("张三", "李四", "11010519491231002X", "13912345678")) == []


def test_a_second_header_row_under_a_merged_header_joins_the_header(settings, tmp_path):
    """当事人信息 merged over 当事人, 身份证号 and 联系电话: the row beneath is header, not data."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "案件"
    ws["A1"] = "西花园路街道案件台账（2011年）"
    ws.merge_cells("A1:H1")
    _two_row_header(ws, {"当事人信息": ["当事人", "身份证号", "联系电话"]}, ["处理方式"])
    ws.append(["C001", "XHY", "2011-08-15", "SR01", "张三", "11010519491231002X"])
    ws.append(["C002", "XHY", "2011-08-16", "SR01", "李四", None, "13912345678", "劝导教育"])
    path = tmp_path / "merged_party_header.xlsx"
    wb.save(path)
    report = run(settings, path).files[0]
    assert _counts(report) == [("案件", "cases", "read", 2, 2, 2, 0, 0)]
    assert [
        r[1:4] for r in loaded(settings, "cases", "case_id", "party_name_masked", "action")
    ] == [
        ("C001", "张某", None),
        ("C002", "李某", "劝导教育"),
    ]
    _assert_party_hashed_and_not_stored(settings)


def test_names_of_personal_data_under_a_merged_header_are_not_stored(settings, tmp_path):
    """Sub-headers the contract does not know (姓名, 电话) still say the column is personal."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = "案件台账"
    _two_row_header(ws, {"当事人信息": ["姓名", "证件号码", "电话"]}, ["处理方式"])
    ws.append(["C001", "XHY", "2011-08-15", "SR01", "张三", "11010519491231002X", "13912345678"])
    path = tmp_path / "merged_personal_header.xlsx"
    wb.save(path)
    report = run(settings, path).files[0]
    assert (report.total("rows_read"), report.total("rows_loaded")) == (1, 1)
    (files,) = quality(settings)["files"]
    assert files["personal_columns_dropped"] == ["姓名", "证件号码", "电话"]
    assert loaded(settings, "cases", "extra_columns") == [(4, None)]


def test_a_row_under_the_header_holding_values_is_data_not_a_header(settings, tmp_path):
    """Only a row of header names joins the header: one without its ID is quarantined, not lost."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = "案件台账"
    _two_row_header(ws, {"当事人信息": ["当事人", "身份证号"]}, [])
    ws.append([None, "XHY", "2011-08-15", "SR01", "当事人"])
    ws.append(["C002", "XHY", "2011-08-15", "SR01", "王五"])
    path = tmp_path / "row_under_sub_header.xlsx"
    wb.save(path)
    report = run(settings, path).files[0]
    assert _counts(report) == [("Sheet", "cases", "read", 2, 2, 1, 1, 0)]
    assert [(r[0], r[1], r[2]) for r in quarantine_reasons(settings)] == [
        (4, "required", "case_id")
    ]


@pytest.mark.parametrize(
    "below, joined",
    [
        ([None, None, None, None, "当事人", "身份证号", "联系电话"], True),
        # merged cells written out in every cell they cover; names the contract does not know
        (["案件编号", "单位", None, None, "姓名", "证件号码", "当事人信息"], True),
        (["case_id", "unit", "found_date", "item_code"], True),
        # a row of values, even one without its ID, is data
        ([None, "XHY", "2011-08-15", "SR01", "张三"], False),
        ([None, None, None, None, "张三", "11010519491231002X"], False),
        ([None, None, None, None, "当事人", "身份证号", "联系电话", None, "联系人：张三"], False),
        ([None, None, None, None, None, None, None, "劝导教育"], False),
    ],
)
def test_only_a_row_of_header_names_is_taken_for_the_header_s_second_row(below, joined):
    header = [
        "案件编号",
        "单位",
        "发现日期",
        "事项编码",
        "当事人信息",
        None,
        None,
        "处理方式",
        None,
    ]
    sheet = Sheet("", [header, below], [1, 2])
    assert (sub_header(sheet, CASES, 0) is not None) is joined


@pytest.mark.parametrize(
    "below, joined",
    [
        ([None, None, None, None, "姓名", "身份证号", "联系电话"], True),
        ([None, None, None, None, "当事人", "证件号码", "电话"], True),
        # 当事人 merged down over its column, the two beside it named on the lower row only
        ([None, None, None, None, None, "身份证号", "联系电话"], True),
        # values, and a name beside the table (right of 处理方式), are no header
        ([None, None, None, None, "张三", "11010519491231002X"], False),
        ([None, None, None, None, "姓名", "张三"], False),
        ([None, None, None, None, "姓名", "身份证号", "联系电话", None, "联系人：张三"], False),
    ],
)
def test_under_a_column_header_merged_across_only_header_names_join_it(below, joined):
    header = ["案件编号", "单位", "发现日期", "事项编码", "当事人", None, None, "处理方式", None]
    sheet = Sheet("", [header, below], [1, 2])
    assert (sub_header(sheet, CASES, 0) is not None) is joined


def test_a_csv_saved_from_a_sheet_with_a_two_row_header(settings):
    path = fixture("cases", "valid", "two_row_header_merged_party.csv")
    report = run(settings, path).files[0]
    assert _counts(report) == [("", "cases", "read", 2, 2, 2, 0, 0)]
    assert loaded(settings, "cases", "case_id", "party_name_masked") == [
        (4, "Q001", "张某"),
        (5, "Q002", "李某"),
    ]


def test_a_column_header_merged_over_columns_names_the_one_the_contract_does_not(
    settings, tmp_path
):
    """当事人 merged over 姓名, 身份证号 and 联系电话: 姓名, the one column under it that names
    no contract column, is 当事人; the row beneath is header, not data, and the ID number under
    it is read."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "案件"
    ws["A1"] = "西花园路街道案件台账（2011年）"
    ws.merge_cells("A1:H1")
    _two_row_header(ws, {"当事人": ["姓名", "身份证号", "联系电话"]}, ["处理方式"])
    ws.append(["C001", "XHY", "2011-08-15", "SR01", "张三", "11010519491231002X", "13912345678"])
    ws.append(["C002", "XHY", "2011-08-16", "SR01", "李四", None, None, "劝导教育"])
    path = tmp_path / "party_merged_over_its_details.xlsx"
    wb.save(path)
    report = run(settings, path).files[0]
    assert _counts(report) == [("案件", "cases", "read", 2, 2, 2, 0, 0)]
    assert loaded(settings, "cases", "case_id", "party_name_masked", "action") == [
        (4, "C001", "张某", None),
        (5, "C002", "李某", "劝导教育"),
    ]
    _assert_party_hashed_and_not_stored(settings)


def test_a_column_header_merged_over_two_columns_it_could_be_is_an_error(settings, tmp_path):
    """当事人 over 姓名 and 住址, neither a contract column: which holds the party is not guessed."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "案件"
    ws["A1"] = "案件台账"
    _two_row_header(ws, {"当事人": ["姓名", "身份证号", "联系电话", "住址"]}, ["处理方式"])
    ws.append(["C001", "XHY", "2011-08-15", "SR01", "张三", None, None, "西花园路1号"])
    path = tmp_path / "party_over_name_and_address.xlsx"
    wb.save(path)
    report = run(settings, path).files[0]
    assert report.status == "failed"
    assert report.error == (
        "party_over_name_and_address.xlsx [案件]: 第 2 行的表头“当事人”跨 E–H 列，第 3 行其下"
        "有不止一列可能是它：姓名（E 列）、住址（H 列） / the header 当事人 (party_name) on row 2 "
        "spans columns E to H, and more than one column under it on row 3 could be it: "
        "姓名 (column E), 住址 (column H)"
    )
    assert report.hint == (
        "write 当事人 on row 3 over the column that holds it, in place of the name there"
    )
    assert query(settings, "select count(*) as n from raw.cases") == [{"n": 0}]


def test_a_csv_saved_from_a_sheet_with_a_column_header_merged_over_columns(settings):
    path = fixture("cases", "valid", "column_header_merged_over_columns.csv")
    report = run(settings, path).files[0]
    assert _counts(report) == [("", "cases", "read", 2, 2, 2, 0, 0)]
    rows = loaded(settings, "cases", "case_id", "party_name_masked", "party_id_hash")
    assert [r[:3] for r in rows] == [(4, "G001", "张某"), (5, "G002", "李某")]
    assert re.fullmatch("[0-9a-f]{64}", rows[0][3]) and rows[1][3] is None


def test_a_row_of_groups_over_the_header_is_header_not_data(settings, tmp_path):
    """案件信息 and 处理情况 merged over the columns they group: the header is the row below
    them, and the row of groups, like a title, is no row of the ledger."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "案件"
    ws["A1"] = "案件台账"
    ws.merge_cells("A1:G1")
    _header_of_groups(
        ws,
        [
            ("案件信息", ["案件编号", "单位", "发现日期", "事项编码"]),
            ("处理情况", ["处理方式", "处理结果", "结案日期"]),
        ],
    )
    ws.append(["C001", "XHY", "2011-08-15", "SR01", "劝导教育", "已整改", "2011-08-16"])
    ws.append(["C002", "XHY", "2011-08-16", "SR01", "现场纠正", "已整改", None])
    path = tmp_path / "groups_over_header.xlsx"
    wb.save(path)
    report = run(settings, path).files[0]
    assert _counts(report) == [("案件", "cases", "read", 3, 2, 2, 0, 0)]
    assert loaded(settings, "cases", "case_id", "action", "outcome", "closed_date") == [
        (4, "C001", "劝导教育", "已整改", "2011-08-16"),
        (5, "C002", "现场纠正", "已整改", None),
    ]
    assert query(settings, "select unknown_columns from raw.sheets") == [{"unknown_columns": "[]"}]


def test_a_row_of_groups_names_the_columns_merged_down_beside_them(settings, tmp_path):
    """序号 merged down beside 案件信息 and 处理情况: the header's own row leaves its cell empty,
    and it is read from the row of groups, an unknown column kept like any other."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "案件"
    ws["A1"] = "案件台账"
    ws.merge_cells("A1:H1")
    _header_of_groups(
        ws,
        [
            ("序号", []),
            ("案件信息", ["案件编号", "单位", "发现日期", "事项编码"]),
            ("处理情况", ["处理方式", "处理结果", "结案日期"]),
        ],
    )
    ws.append([1, "C001", "XHY", "2011-08-15", "SR01", "劝导教育", "已整改", "2011-08-16"])
    ws.append([2, "C002", "XHY", "2011-08-16", "SR01", "现场纠正", "已整改", None])
    path = tmp_path / "number_merged_down_beside_groups.xlsx"
    wb.save(path)
    report = run(settings, path).files[0]
    assert _counts(report) == [("案件", "cases", "read", 2, 2, 2, 0, 0)]
    assert report.sheets[0].unknown_columns == ["序号"]
    assert loaded(settings, "cases", "case_id", "action", "closed_date", "extra_columns") == [
        (4, "C001", "劝导教育", "2011-08-16", '{"序号": "1"}'),
        (5, "C002", "现场纠正", None, '{"序号": "2"}'),
    ]


def test_an_id_column_merged_down_beside_groups_completes_the_header(settings, tmp_path):
    """案件编号 merged down beside the groups over the other columns: neither row alone is a
    header (the upper lacks the other columns, the lower its ID), the two joined are."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "案件"
    ws["A1"] = "案件台账"
    ws.merge_cells("A1:G1")
    _header_of_groups(
        ws,
        [
            ("案件编号", []),
            ("案件信息", ["单位", "发现日期", "事项编码"]),
            ("当事人信息", ["当事人", "身份证号"]),
            ("处理方式", []),
        ],
    )
    ws.append(["C001", "XHY", "2011-08-15", "SR01", "张三", "11010519491231002X", "劝导教育"])
    path = tmp_path / "id_merged_down_beside_groups.xlsx"
    wb.save(path)
    report = run(settings, path).files[0]
    assert report.status == "loaded", report.error
    assert _counts(report) == [("案件", "cases", "read", 2, 1, 1, 0, 0)]
    assert loaded(settings, "cases", "case_id", "unit_code", "party_name_masked", "action") == [
        (4, "C001", "XHY", "张某", "劝导教育")
    ]
    assert report.sheets[0].unknown_columns == []


def test_a_csv_saved_from_a_sheet_with_a_row_of_groups_over_its_header(settings):
    path = fixture("cases", "valid", "group_row_over_header.csv")
    report = run(settings, path).files[0]
    assert _counts(report) == [("", "cases", "read", 2, 2, 2, 0, 0)]
    assert report.sheets[0].unknown_columns == ["序号"]
    assert loaded(settings, "cases", "case_id", "action", "extra_columns") == [
        (4, "K001", "劝导教育", '{"序号": "1"}'),
        (5, "K002", "现场纠正", '{"序号": "2"}'),
    ]


def test_a_row_of_groups_over_a_header_of_two_rows(settings):
    """序号 and 处理方式 merged down over the rows of groups and of columns, 当事人信息 over the
    party's columns on a third row: all three rows are the header."""
    path = fixture("cases", "valid", "group_row_over_two_row_header.csv")
    report = run(settings, path).files[0]
    assert _counts(report) == [("", "cases", "read", 1, 2, 2, 0, 0)]
    assert report.sheets[0].unknown_columns == ["序号"]
    rows = loaded(settings, "cases", "case_id", "party_name_masked", "action", "extra_columns")
    assert rows == [
        (4, "T001", "张某", "劝导教育", '{"序号": "1"}'),
        (5, "T002", "李某", "现场纠正", '{"序号": "2"}'),
    ]


@pytest.mark.parametrize(
    "upper, lower, joined",
    [
        (["序号", "案件信息", None], [None, "案件编号", "单位"], ["序号", "案件编号", "单位"]),
        # a title, or a note, over a header whose first column has no name: not joined
        (["案件台账", None, None], [None, "案件编号", "单位"], None),
        (["填报单位：XHY", None, "2011年8月"], [None, "案件编号", "单位"], None),
        # a cell over two columns the row below leaves empty: not joined
        (["序号", None, "案件信息", None], [None, None, "案件编号", "单位"], None),
        # the lower row's own group (当事人信息) leaves cells empty under the upper row's
        (
            ["序号", "案件信息", "当事人情况", None, "处理方式"],
            [None, "案件编号", "当事人信息", None, None],
            ["序号", "案件编号", "当事人信息", None, "处理方式"],
        ),
        # a row of groups naming no column adds nothing to the header below it
        (["案件信息", None, "处理情况"], ["案件编号", "单位", "处理方式"], None),
    ],
)
def test_a_row_of_groups_joins_the_header_only_to_name_columns_merged_down(upper, lower, joined):
    sheet = Sheet("", [upper, lower], [1, 2])
    assert group_row(sheet, 0) == joined


def test_every_ledger_sheet_of_a_workbook_is_read(settings, tmp_path):
    wb = openpyxl.Workbook()
    aug = wb.active
    aug.title = "8月"
    aug.append(["巡查日志（8月）"])
    aug.append(PATROL_HEADER)
    aug.append(_patrol("P001"))
    aug.append(_patrol("P002"))
    sep = wb.create_sheet("9月")
    sep.append(PATROL_HEADER)
    sep.append(_patrol("P003", date=dt.date(2011, 9, 1)))
    sep.append(_patrol("P001", date=dt.date(2011, 9, 2)))  # the id of an August row again
    sep.append(["合计", None, None, None, None, None, None, 4, 4])
    outputs = wb.create_sheet("宣传")
    outputs.append(["活动编号", "单位", "日期", "产出类型", "数量"])
    outputs.append(["A001", "XHY", "2011-08-20", "横幅", "3条"])
    notes = wb.create_sheet("填表说明")
    notes.append(["巡查编号每年从001开始"])
    path = tmp_path / "several_ledger_sheets.xlsx"
    wb.save(path)
    report = run(settings, path).files[0]
    assert report.ledgers == "outputs,patrols"
    assert _counts(report) == [
        ("8月", "patrols", "read", 2, 2, 2, 0, 0),
        ("9月", "patrols", "read", 1, 3, 1, 1, 1),
        ("宣传", "outputs", "read", 1, 1, 1, 0, 0),
        ("填表说明", None, "not_a_ledger", None, 0, 0, 0, 0),
    ]
    assert query(
        settings,
        "select source_sheet, source_row, patrol_id from raw.patrols order by source_sheet, 2",
    ) == [
        {"source_sheet": "8月", "source_row": 3, "patrol_id": "P001"},
        {"source_sheet": "8月", "source_row": 4, "patrol_id": "P002"},
        {"source_sheet": "9月", "source_row": 2, "patrol_id": "P003"},
    ]
    ((sheet, row, reasons),) = [
        tuple(r.values())
        for r in query(settings, "select source_sheet, source_row, reasons from raw.quarantine")
    ]
    assert (sheet, row) == ("9月", 3)
    assert [r["message_zh"] for r in json.loads(reasons)] == [
        "巡查编号“P001”在本单位已存在（已入库：several_ledger_sheets.xlsx [8月] 第3行）"
    ]


# --------------------------------------------------------------------------- .xls


def _xls(path):
    """A legacy workbook as Excel 2003 wrote them: title, date and time cells, numbers."""
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("巡查日志")
    ws.write(0, 0, "巡查日志（2011年8月）")
    for col, header in enumerate(PATROL_HEADER):
        ws.write(1, col, header)
    date = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    time = xlwt.easyxf(num_format_str="hh:mm")
    row = _patrol("P001", issues=3, resolved=2)
    for col, value in enumerate(row):
        if isinstance(value, dt.date):
            ws.write(2, col, dt.datetime.combine(value, dt.time()), date)
        elif isinstance(value, dt.time):
            ws.write(2, col, value, time)
        elif value is not None:
            ws.write(2, col, value)
    serial = (dt.date(2011, 8, 16) - dt.date(1899, 12, 30)).days
    for col, value in enumerate(["P002", "西花园", None, serial, 0.875, 0.0625, "A03 A04", 0, 0]):
        ws.write(3, col, value)
    wb.save(str(path))
    return path


def test_legacy_xls_is_read(settings, tmp_path):
    path = _xls(tmp_path / "legacy_excel_2003.xls")
    assert path.read_bytes().startswith(b"\xd0\xcf\x11\xe0")
    report = run(settings, path).files[0]
    assert _counts(report) == [("巡查日志", "patrols", "read", 2, 2, 2, 0, 0)]
    cols = ("patrol_id", "unit_code", "date", "start_time", "end_time", "officers")
    assert loaded(settings, "patrols", *cols, "issues_found") == [
        (3, "P001", "XHY", "2011-08-15", "08:30", "11:00", "A01、A02", "3"),
        (4, "P002", "XHY", "2011-08-16", "21:00", "01:30", "A03、A04", "0"),
    ]


def test_workbook_with_the_wrong_suffix_is_read_by_its_content(settings, tmp_path):
    xls = _xls(tmp_path / "legacy.xls")
    renamed = tmp_path / "legacy_named_xlsx.xlsx"
    renamed.write_bytes(xls.read_bytes())
    report = run(settings, renamed).files[0]
    assert (report.status, report.total("rows_loaded")) == ("loaded", 2)


def test_html_saved_as_xls_is_rejected_clearly(settings):
    report = run(settings, fixture("cases", "invalid", "html_saved_as_xls.xls")).files[0]
    assert (report.status, report.error) == (
        "failed",
        (
            "html_saved_as_xls.xls: 这是以 .xls 为扩展名保存的网页（HTML）文件，不是 Excel 工作簿 / "
            "this is a web page (HTML) saved with an .xls name, not an Excel workbook"
        ),
    )


def test_a_workbook_with_an_opening_password_is_named_as_such(settings):
    # Saved with a password to open (an encrypted package in an OLE file): not a file to
    # re-save as .xlsx, which the hint for an unreadable workbook would say.
    report = run(settings, fixture("cases", "invalid", "password_protected.xlsx")).files[0]
    assert report.status == "failed"
    assert report.error == (
        "password_protected.xlsx: 工作簿设有打开密码，无法读取 / the workbook is protected by a "
        "password and cannot be read"
    )
    assert report.hint == (
        "open it in Excel or WPS, remove the password (文件 > 信息 > 保护工作簿 > 用密码进行加密, "
        "leave it empty) and save it again"
    )


def test_a_file_that_is_no_workbook_at_all_is_rejected(settings, tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"\x00\x01 not a workbook")
    report = run(settings, path).files[0]
    assert (report.status, report.error) == (
        "failed",
        "broken.xlsx: 不是可读取的 Excel 文件 / not a readable Excel workbook",
    )


def test_a_damaged_xlsx_names_the_file(settings, tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("hello.txt", "not a workbook")
    path = tmp_path / "damaged.xlsx"
    path.write_bytes(buffer.getvalue())
    report = run(settings, path).files[0]
    assert report.status == "failed"
    assert report.error.startswith(
        "damaged.xlsx: 不是可读取的 Excel 文件 / not a readable Excel workbook ("
    )
