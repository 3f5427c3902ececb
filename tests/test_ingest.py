"""Ingest against the input contract (ledgers.md): every rule, masking, accounting, idempotence."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import openpyxl
import pytest
from helpers_ingest import (
    ROOT,
    all_fixtures,
    fixture,
    loaded,
    make_settings,
    quarantine_reasons,
    query,
    run,
    table_counts,
)

from pipeline.contract import CASES
from pipeline.quality import quality

# Every fixture file and what ingesting it alone gives: (rows read, loaded, quarantined, skipped).
EXPECTED_COUNTS = {
    "cases/valid/blank_and_total_rows.csv": (7, 2, 0, 5),
    "cases/valid/column_header_merged_over_columns.csv": (2, 2, 0, 0),
    "cases/valid/date_forms.csv": (7, 7, 0, 0),
    "cases/valid/department_alias.csv": (3, 3, 0, 0),
    "cases/valid/english_and_variant_headers.csv": (2, 2, 0, 0),
    "cases/valid/gbk_encoded.csv": (1, 1, 0, 0),
    "cases/valid/grid_code_and_name.csv": (4, 4, 0, 0),
    "cases/valid/group_row_over_header.csv": (2, 2, 0, 0),
    "cases/valid/group_row_over_two_row_header.csv": (2, 2, 0, 0),
    "cases/valid/id_15_digit.csv": (1, 1, 0, 0),
    "cases/valid/personal_data.csv": (2, 2, 0, 0),
    "cases/valid/repeat_party_other_file.csv": (2, 2, 0, 0),
    "cases/valid/source_blank_defaults_to_other.csv": (2, 2, 0, 0),
    "cases/valid/title_lines_above_header.csv": (2, 2, 0, 0),
    "cases/valid/two_row_header_merged_party.csv": (2, 2, 0, 0),
    "cases/valid/unit_aliases.csv": (7, 7, 0, 0),
    "cases/valid/unknown_extra_column.csv": (2, 2, 0, 0),
    "cases/valid/utf8.csv": (1, 1, 0, 0),
    "cases/valid/utf8_bom.csv": (1, 1, 0, 0),
    "cases/valid/utf8_bytes_also_valid_gb18030.csv": (2, 2, 0, 0),
    "cases/valid/gbk_bytes_also_valid_utf8.csv": (1, 1, 0, 0),
    "cases/valid/utf16_unicode_text_from_excel.txt": (2, 2, 0, 0),
    "cases/valid/utf16_without_bom.csv": (2, 2, 0, 0),
    "cases/invalid/utf16_truncated.txt": None,
    "cases/invalid/html_saved_as_xls.xls": None,
    "cases/invalid/password_protected.xlsx": None,
    "cases/invalid/id_number_in_scientific_notation.csv": (2, 1, 1, 0),
    "cases/invalid/id_number_cut_to_15_digits.csv": (2, 1, 1, 0),
    "outputs/valid/approximate_with_measure_word.csv": (5, 5, 0, 0),
    "cases/invalid/bad_source.csv": (2, 1, 1, 0),
    "cases/invalid/closed_before_found.csv": (2, 1, 1, 0),
    "cases/invalid/duplicate_case_id.csv": (3, 2, 1, 0),
    "cases/invalid/duplicate_of_loaded_case.csv": (2, 2, 0, 0),  # alone: nothing loaded before
    "cases/invalid/garbage_date.csv": (2, 1, 1, 0),
    "cases/invalid/grid_not_of_unit.csv": (2, 1, 1, 0),
    "cases/invalid/impossible_date.csv": (3, 1, 2, 0),
    "cases/invalid/invalid_id_checksum.csv": (2, 1, 1, 0),
    "cases/invalid/missing_required_column.csv": None,  # the file fails
    "cases/invalid/negative_fine.csv": (2, 1, 1, 0),
    "cases/invalid/personal_data_in_bad_row.csv": (1, 0, 1, 0),
    "cases/invalid/referral_without_department.csv": (2, 1, 1, 0),
    "cases/invalid/required_columns_empty.csv": (2, 1, 1, 0),
    "cases/invalid/two_digit_year.csv": (2, 1, 1, 0),
    "cases/invalid/undecodable_bytes.csv": None,
    "cases/invalid/unknown_department.csv": (2, 1, 1, 0),
    "cases/invalid/unknown_item_code.csv": (2, 1, 1, 0),
    "cases/invalid/unknown_unit.csv": (2, 1, 1, 0),
    "patrols/valid/officer_separators_and_times.csv": (3, 3, 0, 0),
    "patrols/invalid/bad_time.csv": (2, 1, 1, 0),
    "patrols/invalid/issues_not_a_whole_number.csv": (3, 1, 2, 0),
    "patrols/invalid/officers_empty.csv": (3, 1, 2, 0),
    "patrols/invalid/resolved_exceeds_found.csv": (2, 1, 1, 0),
    "outputs/valid/quantity_forms.csv": (6, 6, 0, 0),
    "outputs/invalid/measure_column_mismatch.csv": (2, 1, 1, 0),
    "outputs/invalid/measure_word_mismatch.csv": (2, 1, 1, 0),
    "outputs/invalid/negative_quantity.csv": (2, 1, 1, 0),
    "outputs/invalid/unknown_output_type.csv": (2, 1, 1, 0),
}

ID_18 = "640105198001011231"
ID_15 = "640105800101123"  # the same person's old number
ID_18_OTHER = "640105197512304568"
HASH = re.compile(r"[0-9a-f]{64}")


@pytest.fixture
def settings(tmp_path, monkeypatch):
    return make_settings(tmp_path, monkeypatch)


def _key(path) -> str:
    return "/".join(path.parts[-3:])


# --------------------------------------------------------------------------- accounting


def test_every_fixture_has_expected_counts():
    assert sorted(_key(p) for p in all_fixtures()) == sorted(EXPECTED_COUNTS)


@pytest.mark.parametrize("path", all_fixtures(), ids=_key)
def test_rows_read_equal_loaded_plus_quarantined_plus_skipped(settings, path):
    expected = EXPECTED_COUNTS[_key(path)]
    report = run(settings, path).files[0]
    if expected is None:
        assert report.status == "failed"
        assert query(settings, "select count(*) as n from raw.cases")[0]["n"] == 0
        return
    assert report.status == "loaded", report.error
    totals = tuple(
        report.total(a) for a in ("rows_read", "rows_loaded", "rows_quarantined", "rows_skipped")
    )
    assert totals == expected
    read, loaded_, quarantined, skipped = expected
    assert read == loaded_ + quarantined + skipped
    ledger = path.parts[-3]
    (f,) = query(settings, "select * from raw.files")
    assert (f["rows_read"], f["rows_loaded"], f["rows_quarantined"], f["rows_skipped"]) == expected
    (s,) = query(settings, "select * from raw.sheets")
    assert (s["rows_read"], s["rows_loaded"], s["rows_quarantined"], s["rows_skipped"]) == expected
    assert query(settings, f"select count(*) as n from raw.{ledger}")[0]["n"] == loaded_
    assert query(settings, "select count(*) as n from raw.quarantine")[0]["n"] == quarantined


def test_blank_and_total_rows_are_skipped_not_loaded(settings):
    run(settings, fixture("cases", "valid", "blank_and_total_rows.csv"))
    assert loaded(settings, "cases", "case_id") == [(2, "T001"), (4, "T002")]


def test_header_on_row_three_under_title_lines(settings):
    report = run(settings, fixture("cases", "valid", "title_lines_above_header.csv")).files[0]
    assert report.sheets[0].header_row == 3
    assert query(settings, "select header_row from raw.sheets") == [{"header_row": 3}]
    assert loaded(settings, "cases", "case_id", "found_date") == [
        (4, "H001", "2011-08-15"),
        (5, "H002", "2011-08-16"),
    ]


def test_unknown_column_is_kept_and_reported(settings):
    report = run(settings, fixture("cases", "valid", "unknown_extra_column.csv")).files[0]
    assert report.sheets[0].unknown_columns == ["现场照片"]
    assert query(settings, "select unknown_columns from raw.sheets") == [
        {"unknown_columns": '["现场照片"]'}
    ]
    assert loaded(settings, "cases", "case_id", "extra_columns") == [
        (2, "X001", '{"现场照片": "有"}'),
        (3, "X002", None),
    ]


def test_english_aliases_spaces_full_width_and_bracketed_unit_in_headers(settings):
    run(settings, fixture("cases", "valid", "english_and_variant_headers.csv"))
    assert loaded(settings, "cases", "case_id", "unit_code", "found_date", "fine_yuan") == [
        (2, "E001", "XHY", "2011-08-15", "1200.00"),
        (3, "E002", "XHY", "2011-08-16", "50.50"),
    ]


def test_a_header_whose_id_column_was_renamed_is_named_with_the_columns_it_lacks(
    settings, tmp_path
):
    # Without its ID column a row is not taken as a ledger's header, but one carrying three or
    # more of a ledger's headers is a header with columns missing, not "no header at all".
    cases = tmp_path / "cases.csv"
    cases.write_text("案件号,单位,发现日期,事项编码\nK1,XHY,2011-08-15,SR01\n", encoding="utf-8")
    patrols = tmp_path / "patrols.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["巡查日志"])
    wb.active.append(["巡查编号", "单位", "网格", "日期", "起始时间", "结束", "人员"])
    wb.save(patrols)
    first, second = run(settings, cases, patrols).files
    assert first.status == second.status == "failed"
    assert first.error == (
        "cases.csv: 第 1 行的表头缺少必填列 / header on row 1 lacks required column(s): "
        "案件编号（case_id）"
    )
    assert first.hint == (
        "rename the header 案件号 → 案件编号, or add the column with its Chinese header (see the "
        "ledger template)"
    )
    assert second.error == (
        "patrols.xlsx [Sheet]: 第 2 行的表头缺少必填列 / header on row 2 lacks required "
        "column(s): 开始时间（start_time）、结束时间（end_time）、巡查人员（officers）"
    )
    assert second.hint.startswith("rename the header 起始时间 → 开始时间, 结束 → 结束时间")


def test_a_header_written_twice_is_an_error_naming_both_columns(settings, tmp_path):
    # Column D, hidden and empty, and column E, the one the clerk fills in.
    path = tmp_path / "XHY_案件台账.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "案件台账"
    ws.append(["案件编号", "单位", "事项编码", "发现日期", "发现日期"])
    ws.append(["K1", "XHY", "SR01", None, "2011-08-15"])
    ws.column_dimensions["D"].hidden = True
    wb.save(path)
    report = run(settings, path).files[0]
    assert (report.status, report.hint) == (
        "failed",
        "delete or rename one of them; a hidden column counts too",
    )
    assert report.error == (
        "XHY_案件台账.xlsx [案件台账]: 第 1 行的表头“发现日期”出现两次（D 列和 E 列）/ the header "
        "发现日期 (found_date) appears twice on row 1, in columns D and E"
    )


def test_an_asterisk_marking_a_required_column_is_not_part_of_its_header(settings, tmp_path):
    path = tmp_path / "XHY_案件台账.csv"
    path.write_text(
        "*案件编号,*单位,发现日期*,事项编码＊,罚款金额（元）*\nK1,XHY,2011-08-15,SR01,200\n",
        encoding="utf-8",
    )
    report = run(settings, path).files[0]
    assert (report.status, report.sheets[0].unknown_columns) == ("loaded", [])
    assert loaded(settings, "cases", "case_id", "item_code", "fine_yuan") == [
        (2, "K1", "SR01", "200.00")
    ]


def test_missing_required_column_fails_the_file_naming_the_column(settings):
    report = run(settings, fixture("cases", "invalid", "missing_required_column.csv")).files[0]
    message = (
        "missing_required_column.csv: 第 1 行的表头缺少必填列 / "
        "header on row 1 lacks required column(s): 事项编码（item_code）"
    )
    assert (report.status, report.error) == ("failed", message)
    assert quality(settings)["files"] == [
        {
            "file": "missing_required_column.csv",
            "ledger": "",
            "status": "failed",
            "rows_read": 0,
            "rows_loaded": 0,
            "rows_quarantined": 0,
            "rows_skipped": 0,
            "duplicate_of": None,
            "error": message,
        }
    ]


# --------------------------------------------------------------------------- accepted values


def test_unit_code_full_name_and_short_forms_resolve_to_the_code(settings):
    run(settings, fixture("cases", "valid", "unit_aliases.csv"))
    assert loaded(settings, "cases", "case_id", "unit_code") == [
        (2, "U001", "XHY"),
        (3, "U002", "XHY"),
        (4, "U003", "XHY"),
        (5, "U004", "XHY"),
        (6, "U005", "XHY"),
        (7, "U006", "XHY"),
        (8, "U007", "XHY"),
    ]


def test_grid_by_code_any_case_or_by_name_with_full_width_brackets(settings):
    run(settings, fixture("cases", "valid", "grid_code_and_name.csv"))
    assert loaded(settings, "cases", "case_id", "grid") == [
        (2, "G001", "XHY-01"),
        (3, "G002", "XHY-02"),
        (4, "G003", "XHY-03"),
        (5, "G004", None),
    ]


def test_every_accepted_date_form_is_the_same_day(settings):
    run(settings, fixture("cases", "valid", "date_forms.csv"))
    assert loaded(settings, "cases", "found_date") == [(n, "2011-08-15") for n in range(2, 9)]


def test_blank_source_defaults_to_other(settings):
    run(settings, fixture("cases", "valid", "source_blank_defaults_to_other.csv"))
    assert loaded(settings, "cases", "case_id", "source") == [
        (2, "S001", "其他"),
        (3, "S002", "群众举报"),
    ]


def test_department_alias_resolves_to_its_code(settings):
    run(settings, fixture("cases", "valid", "department_alias.csv"))
    assert loaded(settings, "cases", "case_id", "action", "referred_to") == [
        (2, "R001", "移交", "GA"),
        (3, "R002", "移交", "CG"),
        (4, "R003", "移交", "WS"),
    ]


def test_patrol_officers_separators_times_and_counts(settings):
    run(settings, fixture("patrols", "valid", "officer_separators_and_times.csv"))
    cols = (
        "patrol_id",
        "grid",
        "start_time",
        "end_time",
        "officers",
        "officer_count",
        "issues_found",
        "resolved_on_spot",
        "note",
    )
    assert loaded(settings, "patrols", *cols) == [
        (2, "P001", "XHY-01", "08:30", "11:30", "张三、李四", "2", "3", "2", None),
        (3, "P002", "XHY-02", "08:00", "12:00", "张三、李四、王五", "3", "0", "0", None),
        # ends before it starts: crossed midnight, kept as written
        (
            4,
            "P003",
            None,
            "22:00",
            "01:30",
            "张三、李四、王五、赵六",
            "4",
            "1",
            "1",
            "夜间巡查，群众来电[电话]",
        ),
    ]


def test_output_quantity_forms_and_approximate_flag(settings):
    run(settings, fixture("outputs", "valid", "quantity_forms.csv"))
    assert loaded(settings, "outputs", "output_code", "quantity", "quantity_approx", "measure") == [
        (2, "LEAFLET", "34", "false", "份"),  # ３４
        (3, "LEAFLET", "1800", "false", None),  # 1,800
        (4, "LEAFLET", "1800", "true", None),  # 1800余 (宣传单 is an alias)
        (5, "LEAFLET", "1800", "true", None),  # 约1800
        (6, "LEAFLET", "1800", "false", None),  # 1800份: the type's own measure word
        (7, "BANNER", "2", "false", "条"),
    ]


# --------------------------------------------------------------------------- every rule

RULE_CASES = [
    (
        "cases",
        "required_columns_empty.csv",
        [
            (3, "required", "case_id", None, "案件编号为必填项"),
            (3, "required", "unit", None, "单位为必填项"),
            (3, "required", "found_date", None, "发现日期为必填项"),
            (3, "required", "item_code", None, "事项编码为必填项"),
        ],
    ),
    (
        "cases",
        "unknown_unit.csv",
        [
            (3, "unknown_unit", "unit", "东花园", "单位“东花园”无法识别，应填单位代码、全称或简称"),
        ],
    ),
    (
        "cases",
        "grid_not_of_unit.csv",
        [
            (3, "unknown_grid", "grid", "XJ-01", "网格“XJ-01”不是本单位的网格"),
        ],
    ),
    (
        "cases",
        "two_digit_year.csv",
        [
            (
                3,
                "date_two_digit_year",
                "found_date",
                "11.8.15",
                "发现日期“11.8.15”只有两位年份，不予推测，请写四位年份",
            ),
        ],
    ),
    (
        "cases",
        "impossible_date.csv",
        [
            (
                3,
                "date_impossible",
                "found_date",
                "2011-02-30",
                "发现日期“2011-02-30”不是真实存在的日期",
            ),
            (
                4,
                "date_impossible",
                "found_date",
                "20110230",
                "发现日期“20110230”不是真实存在的日期",
            ),
        ],
    ),
    (
        "cases",
        "garbage_date.csv",
        [
            (
                3,
                "date_format",
                "found_date",
                "八月中旬",
                (
                    "发现日期“八月中旬”不是可识别的日期，可写作 2011-08-15、2011/8/15、2011.8.15、"
                    "2011年8月15日 或 20110815"
                ),
            ),
        ],
    ),
    (
        "cases",
        "bad_source.csv",
        [
            (
                3,
                "enum",
                "source",
                "电话",
                "来源“电话”不是可选值（巡查发现、群众举报、部门转办、上级交办、其他）",
            ),
        ],
    ),
    (
        "cases",
        "unknown_item_code.csv",
        [
            (3, "unknown_item", "item_code", "SR99", "事项编码“SR99”不在委托执法事项目录中"),
        ],
    ),
    (
        "cases",
        "referral_without_department.csv",
        [
            (
                3,
                "referral_needs_department",
                "referred_to",
                None,
                "处理方式为“移交”时须填写移交部门",
            ),
        ],
    ),
    (
        "cases",
        "unknown_department.csv",
        [
            (
                3,
                "unknown_department",
                "referred_to",
                "消防队",
                "移交部门“消防队”无法识别，应填部门名称或简称",
            ),
        ],
    ),
    (
        "cases",
        "closed_before_found.csv",
        [
            (
                3,
                "closed_before_found",
                "closed_date",
                "2011-08-10",
                "结案日期“2011-08-10”早于发现日期（2011-08-15）",
            ),
        ],
    ),
    (
        "cases",
        "negative_fine.csv",
        [
            (3, "negative", "fine_yuan", "-200", "罚款金额(元)“-200”不能为负数"),
        ],
    ),
    (
        "cases",
        "invalid_id_checksum.csv",
        [
            # the number is masked even in the reason
            (
                3,
                "invalid_id_no",
                "party_id_no",
                "640*************32",
                (
                    "身份证号“640*************32”不是有效的18位（含校验位）或15位号码；"
                    "若在 Excel 中以数字录入，请设为文本后重新录入"
                ),
            ),
        ],
    ),
    (
        "cases",
        "duplicate_case_id.csv",
        [
            # same unit written another way (西花园) is still the same unit
            (
                4,
                "duplicate_in_file",
                "case_id",
                "Q001",
                "案件编号“Q001”在本单位重复：本表第4行与第2行相同",
            ),
        ],
    ),
    (
        "patrols",
        "bad_time.csv",
        [
            (
                3,
                "time_format",
                "start_time",
                "25:00",
                "开始时间“25:00”不是有效时间，应写作 时:分（如 08:30）",
            ),
            (
                3,
                "time_format",
                "end_time",
                "8点半",
                "结束时间“8点半”不是有效时间，应写作 时:分（如 08:30）",
            ),
        ],
    ),
    (
        "patrols",
        "resolved_exceeds_found.csv",
        [
            (
                3,
                "resolved_exceeds_found",
                "resolved_on_spot",
                "3",
                "当场处理数“3”大于发现问题数（2）",
            ),
        ],
    ),
    (
        "patrols",
        "officers_empty.csv",
        [
            (3, "required", "officers", None, "巡查人员为必填项"),
            (4, "required", "officers", None, "巡查人员为必填项"),
        ],
    ),
    (
        "patrols",
        "issues_not_a_whole_number.csv",
        [
            (3, "not_integer", "issues_found", "若干", "发现问题数“若干”不是整数"),
            (4, "not_integer", "issues_found", "2.5", "发现问题数“2.5”不是整数"),
        ],
    ),
    (
        "outputs",
        "measure_word_mismatch.csv",
        [
            (
                3,
                "quantity_measure_mismatch",
                "quantity",
                "1800条",
                "数量“1800条”所写的计量单位与该产出类型的计量单位“份”不符",
            ),
        ],
    ),
    (
        "outputs",
        "measure_column_mismatch.csv",
        [
            (3, "measure_mismatch", "measure", "条", "计量单位“条”与该产出类型的计量单位“份”不符"),
        ],
    ),
    (
        "outputs",
        "unknown_output_type.csv",
        [
            (
                3,
                "unknown_output_type",
                "output_type",
                "气球",
                "产出类型“气球”无法识别，应填产出类型名称或别名",
            ),
        ],
    ),
    (
        "outputs",
        "negative_quantity.csv",
        [
            (3, "negative", "quantity", "-5", "数量“-5”不能为负数"),
        ],
    ),
]


@pytest.mark.parametrize(("ledger", "name", "expected"), RULE_CASES, ids=lambda v: str(v)[:40])
def test_rule_quarantines_the_row_with_its_exact_reason(settings, ledger, name, expected):
    run(settings, fixture(ledger, "invalid", name))
    assert quarantine_reasons(settings) == expected
    # quality() reports the same reasons, with file, sheet, row and ledger
    reported = [
        (q["row"], r["rule"], r["field"], r["value"], r["message_zh"])
        for q in quality(settings)["quarantine"]
        for r in q["reasons"]
    ]
    assert reported == expected
    assert {(q["file"], q["sheet"], q["ledger"]) for q in quality(settings)["quarantine"]} == {
        (name, "", ledger)
    }


@pytest.mark.parametrize(
    ("ledger", "name", "message_en"),
    [
        (
            "cases",
            "unknown_unit.csv",
            "unknown unit '东花园': use the unit code, full name or short name",
        ),
        (
            "cases",
            "two_digit_year.csv",
            "发现日期 (found_date) '11.8.15' has a two-digit year, which is not guessed: write four digits",
        ),
        (
            "cases",
            "referral_without_department.csv",
            "移交部门 (referred_to) is required when 处理方式 (action) is 移交",
        ),
        (
            "patrols",
            "resolved_exceeds_found.csv",
            "当场处理数 (resolved_on_spot) '3' exceeds 发现问题数 (issues_found) 2",
        ),
        (
            "outputs",
            "measure_column_mismatch.csv",
            "measure '条' does not match the output type's measure '份'",
        ),
    ],
)
def test_english_message(settings, ledger, name, message_en):
    run(settings, fixture(ledger, "invalid", name))
    (row,) = quality(settings)["quarantine"]
    assert [r["message_en"] for r in row["reasons"]] == [message_en]


def test_duplicate_of_a_case_already_loaded_names_where_it_was_loaded(settings):
    run(settings, fixture("cases", "valid", "unit_aliases.csv"))
    report = run(settings, fixture("cases", "invalid", "duplicate_of_loaded_case.csv")).files[0]
    assert (report.total("rows_loaded"), report.total("rows_quarantined")) == (1, 1)
    assert quarantine_reasons(settings) == [
        (
            2,
            "duplicate_loaded",
            "case_id",
            "U001",
            "案件编号“U001”在本单位已存在（已入库：unit_aliases.csv 第2行）",
        ),
    ]


def test_same_case_id_in_another_unit_is_not_a_duplicate(settings, tmp_path):
    other = tmp_path / "xj_cases.csv"
    other.write_text(
        "案件编号,单位,发现日期,事项编码\nU001,兴泾镇,2011-08-15,SR01\n", encoding="utf-8"
    )
    run(settings, fixture("cases", "valid", "unit_aliases.csv"))
    report = run(settings, other).files[0]
    assert (report.total("rows_loaded"), report.total("rows_quarantined")) == (1, 0)


# --------------------------------------------------------------------------- personal data


def test_cases_hold_masked_name_keyed_hash_and_masked_summary(settings):
    run(settings, fixture("cases", "valid", "personal_data.csv"))
    rows = loaded(settings, "cases", "case_id", "party_name_masked", "party_id_hash", "summary")
    assert [(r[0], r[1], r[2]) for r in rows] == [(2, "M001", "张某"), (3, "M002", "李某")]
    assert [r[4] for r in rows] == [
        "张某（身份证[身份证号]，电话[电话]）在站前街占道经营",
        "李某夜间噪声扰民，联系[电话]",
    ]
    hashes = [r[3] for r in rows]
    assert all(HASH.fullmatch(h) for h in hashes)
    assert hashes[0] != hashes[1]
    columns = [
        r["column_name"]
        for r in query(
            settings,
            "select column_name from information_schema.columns "
            "where table_schema = 'raw' and table_name = 'cases'",
        )
    ]
    assert not {"phone", "party_name", "party_id_no"} & set(columns)
    dump = json.dumps(query(settings, "select * from raw.cases"), ensure_ascii=False, default=str)
    for secret in ("张老三", "李四", ID_18, ID_18_OTHER, "13912345678", "5012345"):
        assert secret not in dump


def test_same_id_hashes_the_same_across_files_and_15_digit_form(settings):
    run(
        settings,
        fixture("cases", "valid", "personal_data.csv"),
        fixture("cases", "valid", "repeat_party_other_file.csv"),
        fixture("cases", "valid", "id_15_digit.csv"),
    )
    hashes = {
        r["case_id"]: r["party_id_hash"]
        for r in query(settings, "select case_id, party_id_hash from raw.cases")
    }
    assert hashes["M001"] == hashes["M101"] == hashes["M102"] == hashes["I001"]
    assert hashes["M002"] != hashes["M001"]


def test_quarantined_row_values_hold_no_raw_personal_data(settings):
    run(settings, fixture("cases", "invalid", "personal_data_in_bad_row.csv"))
    (row,) = query(settings, "select row_values, reasons from raw.quarantine")
    values = json.loads(row["row_values"])
    assert {k: values[k] for k in ("party_name", "party_id_no", "phone", "summary")} == {
        "party_name": "王某",
        "party_id_no": "640*************68",
        "phone": "139******78",
        "summary": "王某（身份证[身份证号]，电话[电话]）乱倒垃圾",
    }
    everything = json.dumps(query(settings, "select * from raw.quarantine"), ensure_ascii=False)
    for secret in ("王五", ID_18_OTHER, "13912345678"):
        assert secret not in everything


# --------------------------------------------------------------------------- idempotence


def _copy(src, dst_dir, name):
    dst = dst_dir / name
    shutil.copyfile(src, dst)
    return dst


def test_same_file_again_changes_nothing(settings, tmp_path):
    path = _copy(fixture("cases", "invalid", "unknown_unit.csv"), tmp_path, "cases.csv")
    assert run(settings, path).files[0].status == "loaded"
    before = table_counts(settings)
    again = run(settings, path).files[0]
    assert again.status == "unchanged"
    assert (
        table_counts(settings)
        == before
        == {
            "cases": 1,
            "patrols": 0,
            "outputs": 0,
            "quarantine": 1,
            "files": 1,
            "sheets": 1,
        }
    )


def test_same_content_under_another_name_is_a_duplicate(settings, tmp_path):
    first = _copy(fixture("cases", "valid", "utf8.csv"), tmp_path, "8月案件.csv")
    second = _copy(first, tmp_path, "8月案件 - 副本.csv")
    run(settings, first)
    report = run(settings, second).files[0]
    assert (report.status, report.duplicate_of) == ("duplicate", "8月案件.csv")
    assert query(settings, "select count(*) as n from raw.cases") == [{"n": 1}]
    assert [(f["file"], f["status"], f["duplicate_of"]) for f in quality(settings)["files"]] == [
        ("8月案件.csv", "loaded", None),
        ("8月案件 - 副本.csv", "duplicate", "8月案件.csv"),
    ]
    # and the duplicate again is unchanged, not a second duplicate
    assert run(settings, second).files[0].status == "unchanged"


def test_corrected_version_replaces_the_rows_of_the_earlier_one(settings, tmp_path):
    path = _copy(fixture("cases", "invalid", "unknown_unit.csv"), tmp_path, "cases.csv")
    first = run(settings, path).files[0]
    path.write_text(
        "案件编号,单位,发现日期,事项编码\nQ001,XHY,2011-08-15,SR01\nQ002,西花园,2011-08-15,SR01\n",
        encoding="utf-8",
    )
    second = run(settings, path).files[0]
    assert (second.status, second.supersedes) == ("loaded", first.file_id)
    assert loaded(settings, "cases", "case_id", "file_id") == [
        (2, "Q001", second.file_id),
        (3, "Q002", second.file_id),
    ]
    assert query(settings, "select count(*) as n from raw.quarantine") == [{"n": 0}]
    assert query(settings, "select file_id, status from raw.files order by ingested_at") == [
        {"file_id": first.file_id, "status": "superseded"},
        {"file_id": second.file_id, "status": "loaded"},
    ]


def test_a_file_of_the_same_name_holding_another_unit_is_refused_not_taken_as_a_correction(
    settings, tmp_path
):
    # Templates made without --unit give every unit the same file names.
    xhy, xj = tmp_path / "XHY", tmp_path / "XJ"
    xhy.mkdir()
    xj.mkdir()
    (xhy / "案件台账.csv").write_text(
        "案件编号,单位,发现日期,事项编码\nA1,XHY,2011-08-15,SR01\nA2,XHY,2011-08-16,SR01\n",
        encoding="utf-8",
    )
    (xj / "案件台账.csv").write_text(
        "案件编号,单位,发现日期,事项编码\nB1,XJ,2011-08-15,SR01\n", encoding="utf-8"
    )
    first = run(settings, xhy / "案件台账.csv").files[0]
    second = run(settings, xj / "案件台账.csv").files[0]
    assert (second.status, second.supersedes, second.withdrawn) == ("failed", None, 0)
    assert second.error == (
        "案件台账.csv: 与已入库的同名文件不是同一单位 / a file of this name holding XHY rows is "
        "already loaded; this one holds XJ rows, so it is not a corrected version of it"
    )
    assert second.hint == (
        "give each unit's ledger a name of its own, e.g. XJ_案件台账.csv; a corrected version "
        "keeps its file's name"
    )
    # The first unit's rows stay, and its file stays the version in force.
    assert loaded(settings, "cases", "case_id", "file_id") == [
        (2, "A1", first.file_id),
        (3, "A2", first.file_id),
    ]
    assert query(settings, "select status from raw.files order by ingested_at") == [
        {"status": "loaded"},
        {"status": "failed"},
    ]
    # A correction that keeps one of the file's units still replaces it.
    (xhy / "案件台账.csv").write_text(
        "案件编号,单位,发现日期,事项编码\nA1,XHY,2011-08-15,SR01\nB1,XJ,2011-08-15,SR01\n",
        encoding="utf-8",
    )
    third = run(settings, xhy / "案件台账.csv").files[0]
    assert (third.status, third.supersedes, third.withdrawn) == ("loaded", first.file_id, 2)


def test_a_file_that_cannot_be_read_fails_alone_and_the_load_finishes(
    settings, tmp_path, monkeypatch
):
    source = fixture("cases", "valid", "utf8.csv")
    for name in ("a.csv", "b.csv", "c.csv"):
        (tmp_path / name).write_text(
            source.read_text(encoding="utf-8").replace("C001", f"C00{name[0]}"), encoding="utf-8"
        )
    locked = tmp_path / "b.csv"
    read_bytes = Path.read_bytes

    def refuse(self):
        if self == locked:
            raise PermissionError(13, "Permission denied", str(self))
        return read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", refuse)
    result = run(settings, tmp_path)
    assert [(f.path.name, f.status) for f in result.files] == [
        ("a.csv", "loaded"),
        ("b.csv", "failed"),
        ("c.csv", "loaded"),
    ]
    assert result.files[1].error == "b.csv: 无法读取文件 / cannot read the file: Permission denied"
    assert query(settings, "select count(*) as n from raw.loads where finished_at is null") == [
        {"n": 0}
    ]
    assert [(f["file"], f["status"]) for f in quality(settings)["files"]] == [
        ("a.csv", "loaded"),
        ("b.csv", "failed"),
        ("c.csv", "loaded"),
    ]


def test_a_total_row_spaced_with_a_full_width_space_is_skipped_and_a_row_without_id_repeats_none(
    settings, tmp_path
):
    path = tmp_path / "XHY_案件台账.csv"
    path.write_text(
        "案件编号,单位,发现日期,事项编码\n"
        "K1,XHY,2011-08-15,SR01\n"
        ",,,\n"  # blank: skipped
        ",XHY,2011-08-16,SR01\n"  # no ID
        ",XHY,2011-08-17,SR01\n"  # no ID either
        "合\u3000计,,,\n",  # 合计 padded as Chinese typing pads two characters
        encoding="utf-8",
    )
    sheet = run(settings, path).files[0].sheets[0]
    assert (sheet.rows_read, sheet.rows_loaded, sheet.rows_quarantined, sheet.rows_skipped) == (
        5,
        1,
        2,
        2,
    )
    reasons = query(settings, "select source_row, reasons from raw.quarantine order by source_row")
    assert [(r["source_row"], [x["rule"] for x in json.loads(r["reasons"])]) for r in reasons] == [
        (4, ["required"]),
        (5, ["required"]),
    ]


# --------------------------------------------------------------------------- encodings


def test_utf8_bom_and_gbk_load_identical_values(tmp_path, monkeypatch):
    names = ("utf8.csv", "utf8_bom.csv", "gbk_encoded.csv")
    raw = {n: fixture("cases", "valid", n).read_bytes() for n in names}
    assert raw["utf8_bom.csv"].startswith(b"\xef\xbb\xbf")
    with pytest.raises(UnicodeDecodeError):
        raw["gbk_encoded.csv"].decode("utf-8")
    values = []
    for n in names:
        s = make_settings(tmp_path, monkeypatch, name=n)
        run(s, fixture("cases", "valid", n))
        values.append(query(s, "select * exclude (load_id, file_id, source_file) from raw.cases"))
    assert values[0] == values[1] == values[2]
    assert values[0][0]["summary"] == "站前街占道经营"
    assert (values[0][0]["unit_code"], values[0][0]["grid"], values[0][0]["referred_to"]) == (
        "XHY",
        "XHY-01",
        "CG",
    )


def test_undecodable_bytes_fail_the_file_naming_file_and_offset(settings):
    report = run(settings, fixture("cases", "invalid", "undecodable_bytes.csv")).files[0]
    assert report.status == "failed"
    assert report.error == (
        "undecodable_bytes.csv: 无法识别文件编码（第 3 行，第 76 字节）/ cannot decode the file "
        "at line 3 (byte offset 76): not UTF-8, UTF-16 or GBK/GB18030"
    )
    data = fixture("cases", "invalid", "undecodable_bytes.csv").read_bytes()
    assert data[76:77] == b"\xff"


# --------------------------------------------------------------------------- xlsx


def _case_row(**values) -> list:
    return [values.get(c.name) for c in CASES.columns]


def _workbook(path):
    """A clerk's workbook: merged title, header on row 2, blank and total rows, instructions."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "案件台账"
    ws.append(["西花园路街道综合执法队 案件台账（2011年8月）"])
    ws.merge_cells("A1:P1")
    ws.append([c.header for c in CASES.columns])
    ws.append(
        _case_row(
            case_id="X001",
            unit="XHY",
            grid="XHY-01",
            found_date=dt.datetime(2011, 8, 15),
            source="巡查发现",
            item_code="SR01",
            summary="占道经营",
            party_name="张老三",
            party_id_no=ID_18,
            phone=13912345678,
            action="整改通知",
            deadline=dt.datetime(2011, 8, 20),
            closed_date=dt.datetime(2011, 8, 18),
            outcome="已整改",
        )
    )
    ws["I3"].number_format = "@"  # the ID typed into a text-formatted cell
    serial = (dt.date(2011, 8, 16) - dt.date(1899, 12, 30)).days
    ws.append(
        _case_row(
            case_id="X002",
            unit="西花园",
            found_date=serial,
            item_code="ZA03",
            action="立案处罚",
            closed_date="2011年8月20日",
            outcome="已处罚",
            fine_yuan=200,
        )
    )
    ws.append([])
    ws.append(_case_row(case_id="合计", fine_yuan=200))
    notes = wb.create_sheet("填表说明")
    notes.append(["1. 案件编号每年从001开始编号"])
    notes.append(["2. 身份证号请设为文本格式"])
    wb.save(path)
    return path


def test_xlsx_workbook_with_title_row_and_instructions_sheet(settings, tmp_path):
    report = run(settings, _workbook(tmp_path / "title_row_above_header.xlsx")).files[0]
    assert report.status == "loaded"
    assert [
        (
            s.sheet,
            s.ledger,
            s.status,
            s.header_row,
            s.rows_read,
            s.rows_loaded,
            s.rows_quarantined,
            s.rows_skipped,
        )
        for s in report.sheets
    ] == [
        ("案件台账", "cases", "read", 2, 4, 2, 0, 2),
        ("填表说明", None, "not_a_ledger", None, 0, 0, 0, 0),
    ]
    assert query(settings, "select sheet, ledger, status from raw.sheets order by sheet") == [
        {"sheet": "填表说明", "ledger": None, "status": "not_a_ledger"},
        {"sheet": "案件台账", "ledger": "cases", "status": "read"},
    ]
    rows = query(
        settings,
        "select source_sheet, source_row, case_id, unit_code, found_date, "
        "deadline, closed_date, fine_yuan, party_name_masked, party_id_hash "
        "from raw.cases order by source_row",
    )
    assert [{k: v for k, v in r.items() if k != "party_id_hash"} for r in rows] == [
        {
            "source_sheet": "案件台账",
            "source_row": 3,
            "case_id": "X001",
            "unit_code": "XHY",
            "found_date": "2011-08-15",
            "deadline": "2011-08-20",
            "closed_date": "2011-08-18",
            "fine_yuan": None,
            "party_name_masked": "张某",
        },
        {
            "source_sheet": "案件台账",
            "source_row": 4,
            "case_id": "X002",
            "unit_code": "XHY",
            "found_date": "2011-08-16",
            "deadline": None,
            "closed_date": "2011-08-20",
            "fine_yuan": "200.00",
            "party_name_masked": None,
        },
    ]
    assert HASH.fullmatch(rows[0]["party_id_hash"]) and rows[1]["party_id_hash"] is None


def test_xlsx_missing_required_column_names_sheet_and_row(settings, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "案件台账"
    ws.append(["案件台账"])
    ws.append(["案件编号", "单位", "事项编码"])
    ws.append(["X001", "XHY", "SR01"])
    wb.save(tmp_path / "no_found_date.xlsx")
    report = run(settings, tmp_path / "no_found_date.xlsx").files[0]
    assert (report.status, report.error) == (
        "failed",
        (
            "no_found_date.xlsx [案件台账]: 第 2 行的表头缺少必填列 / "
            "header on row 2 lacks required column(s): 发现日期（found_date）"
        ),
    )


def test_no_reader_skips_bad_rows_silently():
    """Rows are accounted for by validation, never dropped by a reader's ignore_errors."""
    sources = (ROOT / "pipeline").glob("*.py")
    assert [p.name for p in sources if "ignore_errors" in p.read_text(encoding="utf-8")] == []


def test_cells_under_no_header_are_reported_not_read_and_a_party_column_is_not_stored(
    settings, tmp_path
):
    # A second header row names the party's details under one merged 当事人信息 cell: the
    # columns beside it have no header of their own, and a clerk typed a note beside the table.
    path = tmp_path / "XHY_案件台账.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "案件台账"
    ws.append(["案件编号", "单位", "发现日期", "事项编码", "当事人信息", None, None])
    ws.append(["K1", "XHY", "2011-08-15", "SR01", "王五", "110105194912310021", "13912345678"])
    ws.append(["K2", "XHY", "2011-08-16", "SR01", None, None, None, None, "待核实"])
    wb.save(path)
    sheet = run(settings, path).files[0].sheets[0]
    assert (sheet.rows_read, sheet.rows_loaded) == (2, 2)
    assert sheet.unknown_columns == [
        "当事人信息",
        "（无表头的 F 列，1 格）",
        "（无表头的 G 列，1 格）",
        "（无表头的 I 列，1 格）",
    ]
    stored = query(settings, "select extra_columns from raw.cases order by source_row")
    assert stored == [{"extra_columns": None}, {"extra_columns": None}]
    notes = quality(settings)["files"][0]
    assert notes["personal_columns_dropped"] == ["当事人信息"]
    assert notes["columns_not_used"] == [
        "（无表头的 F 列，1 格）",
        "（无表头的 G 列，1 格）",
        "（无表头的 I 列，1 格）",
    ]


def test_a_quantity_followed_by_no_measure_word_is_not_a_number(settings, tmp_path):
    path = tmp_path / "XHY_宣传及专项活动台账.csv"
    path.write_text(
        "活动编号,单位,日期,产出类型,数量\n"
        "H1,XHY,2011-08-15,宣传资料,2千\n"
        "H2,XHY,2011-08-15,宣传资料,1e+20\n"
        "H3,XHY,2011-08-15,宣传资料,1800余份\n",
        encoding="utf-8",
    )
    run(settings, path)
    rows = query(settings, "select source_row, reasons from raw.quarantine order by 1")
    assert [
        (r["source_row"], [(x["rule"], x["message_zh"]) for x in json.loads(r["reasons"])])
        for r in rows
    ] == [
        (2, [("not_number", "数量“2千”不是数字")]),
        (3, [("not_number", "数量“1e+20”不是数字")]),
    ]
    assert loaded(settings, "outputs", "quantity", "quantity_approx") == [(4, "1800", "true")]
