"""Values as clerks type them: date, time and number cells, numbers for IDs, every alias."""

from __future__ import annotations

import csv
import datetime as dt
import json

import openpyxl
import pytest
from helpers_ingest import ROOT, fixture, loaded, make_settings, quarantine_reasons, query, run

from pipeline.contract import CASES, OUTPUTS, PATROLS
from pipeline.quality import quality

REFERENCE = ROOT / "data" / "reference"
SERIAL_2011_08_15 = (dt.date(2011, 8, 15) - dt.date(1899, 12, 30)).days  # 40770


@pytest.fixture
def settings(tmp_path, monkeypatch):
    return make_settings(tmp_path, monkeypatch)


def _sheet(path, ledger, rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([c.header for c in ledger.columns])
    for values in rows:
        ws.append([values.get(c.name) for c in ledger.columns])
    wb.save(path)
    return path


def _reference(name: str) -> list[dict]:
    with (REFERENCE / f"{name}.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


# --------------------------------------------------------------------------- dates and times


def test_dates_as_cells_serial_numbers_and_text_in_a_workbook(settings, tmp_path):
    forms = [
        dt.date(2011, 8, 15),  # a date cell
        dt.datetime(2011, 8, 15, 14, 30),  # a date-and-time cell
        SERIAL_2011_08_15,  # the date cell's number, its format lost
        float(SERIAL_2011_08_15) + 0.6,  # ... with a time of day
        str(SERIAL_2011_08_15),  # typed as text
        "2011.8.15",
        "２０１１/８/１５",
        20110815,  # typed as a number
    ]
    rows = [
        {"case_id": f"D{n}", "unit": "XHY", "found_date": v, "item_code": "SR01"}
        for n, v in enumerate(forms)
    ]
    report = run(settings, _sheet(tmp_path / "date_cells.xlsx", CASES, rows)).files[0]
    assert (report.total("rows_loaded"), report.total("rows_quarantined")) == (len(forms), 0)
    assert {r[1] for r in loaded(settings, "cases", "found_date")} == {"2011-08-15"}


def test_impossible_and_two_digit_dates_in_a_workbook_name_the_value(settings, tmp_path):
    rows = [
        {"case_id": "D1", "unit": "XHY", "found_date": "11.8.15", "item_code": "SR01"},
        {"case_id": "D2", "unit": "XHY", "found_date": "2011年2月30日", "item_code": "SR01"},
    ]
    run(settings, _sheet(tmp_path / "bad_dates.xlsx", CASES, rows))
    assert [(r[0], r[1], r[3]) for r in quarantine_reasons(settings)] == [
        (2, "date_two_digit_year", "11.8.15"),
        (3, "date_impossible", "2011年2月30日"),
    ]


def test_dates_before_the_pilot_or_after_the_run_are_quarantined_naming_the_cell(
    settings, tmp_path
):
    """1911.8.3 and 2101-08-03 are real calendar dates no ledger of the pilot can hold."""
    today = dt.date.today()
    tomorrow = today + dt.timedelta(days=1)
    case = {"unit": "XHY", "item_code": "SR01"}
    rows = [
        {"case_id": "W1", "found_date": "1911.8.3"} | case,
        {"case_id": "W2", "found_date": dt.date(2101, 8, 3)} | case,  # a date cell
        {"case_id": "W3", "found_date": "2011-07-31"} | case,  # the eve of the pilot
        {"case_id": "W4", "found_date": tomorrow.isoformat()} | case,
        # the pilot's first day and the day of the run are in the window
        {"case_id": "W5", "found_date": "2011-08-01"} | case,
        {"case_id": "W6", "found_date": today, "closed_date": today} | case,
        # a deadline lies ahead of the day it was set: a month on is fine, a century is not
        {"case_id": "W7", "found_date": today, "deadline": today + dt.timedelta(days=30)} | case,
        {"case_id": "W8", "found_date": "2011-08-15", "deadline": "2101.8.3"} | case,
        {"case_id": "W9", "found_date": "2011-08-15", "closed_date": tomorrow} | case,
    ]
    report = run(settings, _sheet(tmp_path / "implausible_dates.xlsx", CASES, rows)).files[0]
    assert (report.total("rows_loaded"), report.total("rows_quarantined")) == (3, 6)
    assert [r[1] for r in loaded(settings, "cases", "case_id")] == ["W5", "W6", "W7"]
    try:
        year_on = today.replace(year=today.year + 1)
    except ValueError:  # 29 February
        year_on = today.replace(year=today.year + 1, day=28)
    later = f"{today}，是尚未到来的日期，请核对年份"
    before = "早于试点开始日期（2011-08-01），台账中不会有这样的日期，请核对年份"
    assert quarantine_reasons(settings) == [
        (2, "date_before_pilot", "found_date", "1911.8.3", f"发现日期“1911.8.3”{before}"),
        (3, "date_in_future", "found_date", "2101-08-03", f"发现日期“2101-08-03”晚于{later}"),
        (4, "date_before_pilot", "found_date", "2011-07-31", f"发现日期“2011-07-31”{before}"),
        (5, "date_in_future", "found_date", f"{tomorrow}", f"发现日期“{tomorrow}”晚于{later}"),
        (
            9,
            "date_in_future",
            "deadline",
            "2101.8.3",
            f"整改期限“2101.8.3”晚于{year_on}，是尚未到来的日期，请核对年份",
        ),
        (10, "date_in_future", "closed_date", f"{tomorrow}", f"结案日期“{tomorrow}”晚于{later}"),
    ]
    (row,) = [q for q in quality(settings)["quarantine"] if q["row"] == 2]
    assert row["reasons"][0]["message_en"] == (
        "发现日期 (found_date) '1911.8.3' is before the pilot began (2011-08-01), so no ledger "
        "holds it: check the year"
    )


def test_patrol_and_output_dates_keep_to_the_pilot_window(settings, tmp_path):
    patrols = tmp_path / "patrol_dates.csv"
    patrols.write_text(
        "巡查编号,单位,日期,开始时间,结束时间,巡查人员\n"
        "P1,XHY,2010-08-15,08:00,10:00,A01\n"
        "P2,XHY,2011-08-15,08:00,10:00,A01\n",
        encoding="utf-8",
    )
    outputs = tmp_path / "output_dates.csv"
    outputs.write_text(
        "活动编号,单位,日期,产出类型,数量\nA1,XHY,2011-08-15,横幅,3\nA2,XHY,21010803,横幅,3\n",
        encoding="utf-8",
    )
    run(settings, patrols, outputs)
    assert loaded(settings, "patrols", "patrol_id") == [(3, "P2")]
    assert loaded(settings, "outputs", "activity_id") == [(2, "A1")]
    got = query(settings, "select source_file, source_row, reasons from raw.quarantine order by 1")
    assert [
        (r["source_file"], r["source_row"], [(x["rule"], x["field"], x["value"]) for x in rs])
        for r in got
        for rs in [json.loads(r["reasons"])]
    ] == [
        ("output_dates.csv", 3, [("date_in_future", "date", "21010803")]),
        ("patrol_dates.csv", 2, [("date_before_pilot", "date", "2010-08-15")]),
    ]


def test_the_window_starts_on_the_pilot_start_dbt_declares(tmp_path):
    """Python reads the pilot's first day from dbt_project.yml, where dbt's models read it."""
    from pipeline.settings import Settings

    assert Settings().pilot_start == dt.date(2011, 8, 1)
    (tmp_path / "dbt_project.yml").write_text(
        "name: pilot\nvars:\n  pilot_start: '2012-01-01'\n", encoding="utf-8"
    )
    assert Settings(root=tmp_path).pilot_start == dt.date(2012, 1, 1)


def test_times_as_time_cells_day_fractions_and_text(settings, tmp_path):
    forms = [
        (dt.time(8, 30), dt.time(11, 45)),  # time cells
        (0.3541666666666667, 0.5),  # the cells' numbers, format lost: 08:30, 12:00
        ("8:30", "12:00:00"),
        ("０８：３０", "23:59"),
        (dt.datetime(1899, 12, 30, 22, 0), dt.time(1, 30)),  # Excel's day-zero datetime
    ]
    rows = [
        {
            "patrol_id": f"P{n}",
            "unit": "XHY",
            "date": "2011-08-15",
            "start_time": start,
            "end_time": end,
            "officers": "A01",
        }
        for n, (start, end) in enumerate(forms)
    ]
    run(settings, _sheet(tmp_path / "time_cells.xlsx", PATROLS, rows))
    assert loaded(settings, "patrols", "start_time", "end_time") == [
        (2, "08:30", "11:45"),
        (3, "08:30", "12:00"),
        (4, "08:30", "12:00"),
        (5, "08:30", "23:59"),
        (6, "22:00", "01:30"),
    ]


# --------------------------------------------------------------------------- numbers for text


def test_id_and_phone_typed_as_numbers(settings, tmp_path):
    """A 15-digit ID and an 11-digit phone survive as numbers; an 18-digit ID does not."""
    rows = [
        # Excel keeps 15 significant digits: the 18-digit number has lost its last three
        {
            "case_id": "N1",
            "unit": "XHY",
            "found_date": "2011-08-15",
            "item_code": "SR01",
            "party_name": "张三",
            "party_id_no": 640105198001011231,
            "phone": 13912345678,
        },
        {
            "case_id": "N2",
            "unit": "XHY",
            "found_date": "2011-08-15",
            "item_code": "SR01",
            "party_id_no": 640105800101123,
            "phone": 13912345678,
        },
        {
            "case_id": "N3",
            "unit": "XHY",
            "found_date": "2011-08-15",
            "item_code": "SR01",
            "party_id_no": "640105800101123",
        },
    ]
    run(settings, _sheet(tmp_path / "id_typed_as_number.xlsx", CASES, rows))
    hashes = loaded(settings, "cases", "case_id", "party_id_hash")
    assert [h[1] for h in hashes] == ["N2", "N3"]
    assert hashes[0][2] == hashes[1][2]  # the number and the text are the same person
    ((row, reasons, values),) = [
        tuple(r.values())
        for r in query(settings, "select source_row, reasons, row_values from raw.quarantine")
    ]
    assert row == 2
    assert [(r["rule"], r["value"], r["message_zh"]) for r in json.loads(reasons)] == [
        (
            "id_stored_as_number",
            "6.4****************17",
            (
                "身份证号“6.4****************17”在 Excel 中以数字保存，末几位已丢失，无法恢复；"
                "请将该列设为文本后重新录入"
            ),
        )
    ]
    # the phone number came through as its 11 digits, then was masked
    assert json.loads(values)["phone"] == "139******78"


def test_id_in_scientific_notation_from_an_excel_csv(settings):
    run(settings, fixture("cases", "invalid", "id_number_in_scientific_notation.csv"))
    assert quarantine_reasons(settings) == [
        (
            3,
            "id_stored_as_number",
            "party_id_no",
            "6.4******17",
            (
                "身份证号“6.4******17”在 Excel 中以数字保存，末几位已丢失，无法恢复；"
                "请将该列设为文本后重新录入"
            ),
        )
    ]
    (row,) = quality(settings)["quarantine"]
    assert row["reasons"][0]["message_en"] == (
        "ID number '6.4******17' was stored by Excel as a number and has lost its last digits, "
        "which cannot be recovered: format the column as text and retype it"
    )


CUT_MESSAGE_ZH = (
    "身份证号“640*************00”末三位为000，像是 Excel 以数字保存后只留下前15位的号码"
    "（校验位可能碰巧相符），不能用来识别当事人；请将该列设为文本，按证件重新录入；"
    "若证件号码确实以000结尾，请将此格留空"
)


def test_an_id_cut_to_15_digits_whose_check_digit_happens_to_pass_is_not_trusted(settings):
    """Excel keeps 15 digits of a number: 640105198001104987 typed into a number cell and saved
    as CSV reads 640105198001105000, whose check digit 0 is the one its first 17 call for."""
    run(settings, fixture("cases", "invalid", "id_number_cut_to_15_digits.csv"))
    assert [r[:2] for r in loaded(settings, "cases", "case_id")] == [(2, "K001")]
    assert quarantine_reasons(settings) == [
        (3, "id_maybe_stored_as_number", "party_id_no", "640*************00", CUT_MESSAGE_ZH)
    ]
    (row,) = quality(settings)["quarantine"]
    assert row["reasons"][0]["message_en"] == (
        "ID number '640*************00' ends in 000, as one does that Excel stored as a number "
        "and kept only the first 15 digits of (its check digit can match by chance), so it "
        "cannot identify the party: format the column as text and retype the number from the "
        "card; if the card's number really ends in 000, leave the cell empty"
    )


def test_an_id_cut_short_is_never_counted_as_a_repeat_party(settings, tmp_path):
    """Numbers cut to the same 15 digits are different people, or the same one: neither is
    known, so none of them is hashed, whether the cell was a number or text."""
    base = {"unit": "XHY", "found_date": "2011-08-15", "item_code": "SR01"}
    rows = [
        {"case_id": "N1", "party_id_no": 640105198001104987} | base,  # a number cell
        {"case_id": "N2", "party_id_no": "640105198001105000"} | base,  # its digits as text
        {"case_id": "N3", "party_id_no": "６４０１０５１９８００１１０５０００"} | base,
        {"case_id": "N4", "party_id_no": "640105198001011000"} | base,  # check digit fails
        {"case_id": "N5", "party_id_no": "640105198001011231"} | base,
    ]
    report = run(settings, _sheet(tmp_path / "ids_cut_short.xlsx", CASES, rows)).files[0]
    assert (report.total("rows_loaded"), report.total("rows_quarantined")) == (1, 4)
    ((case_id, hashed),) = [
        tuple(r.values()) for r in query(settings, "select case_id, party_id_hash from raw.cases")
    ]
    assert case_id == "N5" and len(hashed) == 64
    assert [(r[0], r[1]) for r in quarantine_reasons(settings)] == [
        (2, "id_stored_as_number"),
        (3, "id_maybe_stored_as_number"),
        (4, "id_maybe_stored_as_number"),
        (5, "invalid_id_no"),
    ]


# --------------------------------------------------------------------------- quantities


def test_approximate_quantities_with_a_trailing_measure_word(settings):
    run(settings, fixture("outputs", "valid", "approximate_with_measure_word.csv"))
    assert loaded(settings, "outputs", "output_code", "quantity", "quantity_approx") == [
        (2, "LEAFLET", "1800", "true"),
        (3, "BANNER", "200", "true"),
        (4, "BLACKBOARD", "12", "false"),
        (5, "CONSULT", "450", "true"),
        (6, "BOARD_MADE", "6", "false"),
    ]


def test_quantities_as_number_cells(settings, tmp_path):
    rows = [
        {"activity_id": f"A{n}", "unit": "XHY", "date": "2011-08-15", "output_type": "横幅"}
        | {"quantity": q}
        for n, q in enumerate((200, 200.0, 12.5, "1800余"))
    ]
    run(settings, _sheet(tmp_path / "quantity_cells.xlsx", OUTPUTS, rows))
    assert loaded(settings, "outputs", "activity_id", "quantity", "quantity_approx") == [
        (2, "A0", "200", "false"),
        (3, "A1", "200", "false"),
        (4, "A2", "12.5", "false"),
        (5, "A3", "1800", "true"),
    ]


# --------------------------------------------------------------------------- aliases


def test_every_alias_in_the_reference_tables_resolves(settings, tmp_path):
    units = [
        (spelling, u["unit_code"])
        for u in _reference("units")
        for spelling in (
            u["unit_code"],
            u["unit_code"].lower(),
            u["unit_name"],
            u["short_name"],
            u["short_name"] + u["unit_type"],
            u["unit_name"].removesuffix("办事处"),
        )
    ]
    depts = [
        (spelling, d["dept_code"])
        for d in _reference("departments")
        for spelling in (d["dept_code"], d["dept_name"], *d["aliases"].split("|"))
    ]
    outputs = [
        (spelling, o["output_code"], o["measure"])
        for o in _reference("output_types")
        for spelling in (o["output_code"], o["output_name"], *o["aliases"].split("|"))
    ]
    cases = tmp_path / "every_alias_cases.csv"
    with cases.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["案件编号", "单位", "发现日期", "事项编码", "处理方式", "移交部门"])
        for n, (unit, _) in enumerate(units):
            out.writerow([f"U{n:03d}", unit, "2011-08-15", "SR01", "", ""])
        for n, (dept, _) in enumerate(depts):
            out.writerow([f"R{n:03d}", "XHY", "2011-08-15", "SR01", "移交", dept])
    outs = tmp_path / "every_alias_outputs.csv"
    with outs.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["活动编号", "单位", "日期", "产出类型", "数量", "计量单位"])
        for n, (name, _, measure) in enumerate(outputs):
            out.writerow([f"O{n:03d}", "XHY", "2011-08-15", name, f"3{measure}", measure])
    report = run(settings, cases, outs)
    assert [f.total("rows_quarantined") for f in report.files] == [0, 0]
    got_units = query(
        settings, "select unit_code from raw.cases where case_id like 'U%' order by 1"
    )
    assert [r["unit_code"] for r in got_units] == sorted(code for _, code in units)
    got_depts = query(
        settings, "select case_id, referred_to from raw.cases where case_id like 'R%' order by 1"
    )
    assert [r["referred_to"] for r in got_depts] == [code for _, code in depts]
    got_outputs = query(settings, "select output_code from raw.outputs order by activity_id")
    assert [r["output_code"] for r in got_outputs] == [code for _, code, _ in outputs]
    assert len(units) == 18 and len(depts) >= 30 and len(outputs) >= 40
