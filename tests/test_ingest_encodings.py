"""Encodings clerks' files arrive in: each decoded to the same values, none into mojibake."""

from __future__ import annotations

import openpyxl
import pytest
import xlwt
from helpers_ingest import fixture, loaded, make_settings, query, run

from pipeline.errors import LedgerError
from pipeline.readers import decode_text, read_file


@pytest.fixture
def settings(tmp_path, monkeypatch):
    return make_settings(tmp_path, monkeypatch)


def test_excel_unicode_text_is_utf16_with_bom_and_tabs(settings):
    path = fixture("cases", "valid", "utf16_unicode_text_from_excel.txt")
    assert path.read_bytes().startswith(b"\xff\xfe")
    report = run(settings, path).files[0]
    assert report.status == "loaded", report.error
    assert loaded(settings, "cases", "case_id", "unit_code", "found_date", "summary") == [
        (2, "W001", "XHY", "2011-08-15", "站前街占道经营"),
        (3, "W002", "XHY", "2011-08-16", "夜间噪声扰民"),
    ]


def test_utf16_without_bom_is_recognised_by_its_zero_bytes(settings):
    path = fixture("cases", "valid", "utf16_without_bom.csv")
    assert not path.read_bytes().startswith((b"\xff\xfe", b"\xfe\xff"))
    run(settings, path)
    assert loaded(settings, "cases", "case_id", "summary") == [
        (2, "N001", "站前街占道经营"),
        (3, "N002", "夜间噪声扰民"),
    ]


def test_utf16_big_endian_without_bom(tmp_path):
    text = "案件编号,单位,发现日期,事项编码\nB001,XHY,2011-08-15,SR01\n"
    assert decode_text(text.encode("utf-16-be"), tmp_path / "be.csv") == text


def test_utf8_whose_bytes_are_also_gb18030_stays_utf8(settings):
    path = fixture("cases", "valid", "utf8_bytes_also_valid_gb18030.csv")
    data = path.read_bytes()
    # the trap: GB18030 decodes these bytes too, into mojibake
    assert data.decode("gb18030").startswith("妗堜欢缂栧彿")
    run(settings, path)
    assert loaded(settings, "cases", "case_id", "summary") == [
        (2, "B001", "占道经营"),
        (3, "B002", "门前三包"),
    ]


def test_gbk_whose_bytes_are_also_utf8_stays_gbk(settings):
    path = fixture("cases", "valid", "gbk_bytes_also_valid_utf8.csv")
    data = path.read_bytes()
    # the trap: UTF-8 decodes these bytes too, into Cyrillic and Armenian letters
    assert data.decode("utf-8").endswith("С̯ռ·\n")
    run(settings, path)
    assert loaded(settings, "cases", "case_id", "summary") == [(2, "V001", "小摊占路")]


def test_every_encoding_loads_the_same_values(tmp_path, monkeypatch):
    text = (
        "案件编号,单位,发现日期,事项编码,案由\nE001,西花园,2011年8月15日,SR01,站前街“占道”经营…\n"
    )
    encodings = {
        "utf-8": text.encode("utf-8"),
        "utf-8-sig": text.encode("utf-8-sig"),
        "gbk": text.encode("gbk"),
        "gb18030": text.encode("gb18030"),
        "utf-16": text.encode("utf-16"),
        "utf-16-le": text.encode("utf-16-le"),
    }
    values = []
    for name, data in encodings.items():
        path = tmp_path / f"{name}.csv"
        path.write_bytes(data)
        s = make_settings(tmp_path, monkeypatch, name=name)
        run(s, path)
        values.append(query(s, "select case_id, unit_code, found_date, summary from raw.cases"))
    assert all(v == values[0] for v in values)
    assert values[0] == [
        {
            "case_id": "E001",
            "unit_code": "XHY",
            "found_date": "2011-08-15",
            "summary": "站前街“占道”经营…",
        }
    ]


def test_truncated_utf16_fails_naming_file_and_offset(settings):
    path = fixture("cases", "invalid", "utf16_truncated.txt")
    report = run(settings, path).files[0]
    assert (report.status, report.error) == (
        "failed",
        (
            "utf16_truncated.txt: 无法识别文件编码（第 3 行，第 176 字节）/ cannot decode the file "
            "at line 3 (byte offset 176): not UTF-8, UTF-16 or GBK/GB18030"
        ),
    )
    assert len(path.read_bytes()) == 177


HEADER = "案件编号,单位,网格,发现日期,来源,事项编码,案由,当事人,身份证号,联系电话,处理方式,移交部门,整改期限,结案日期,处理结果,罚款金额(元)"
ROWS = [f"G00{n},XHY,,2011-08-1{n},巡查发现,SR01,占道经营" for n in range(1, 7)]


def test_a_gbk_cell_in_a_utf8_file_is_named_by_its_line_and_byte(settings, tmp_path):
    # GB18030 fails inside the UTF-8 header (byte 75): the error names where UTF-8 fails.
    data = (
        "\n".join([HEADER, *ROWS]) + "\n"
    ).encode() + "G007,XHY,,2011-08-17,巡查发现,SR01,".encode()
    assert data.decode("utf-8").count("\n") == 7 and len(data) == 537
    path = tmp_path / "gbk_cell_in_utf8_file.csv"
    path.write_bytes(data + "门前堆物".encode("gbk") + b"\n")
    report = run(settings, path).files[0]
    assert (report.status, report.error) == (
        "failed",
        (
            "gbk_cell_in_utf8_file.csv: 无法识别文件编码（第 8 行，第 537 字节）/ cannot decode the "
            "file at line 8 (byte offset 537): not UTF-8, UTF-16 or GBK/GB18030"
        ),
    )


def test_a_bad_byte_in_a_gbk_file_is_named_by_its_line_and_byte(settings, tmp_path):
    # UTF-8 fails at the first Chinese character: the error names where GB18030 fails.
    data = ("\r\n".join([HEADER, *ROWS[:2]]) + "\r\n").encode("gbk") + b"G003,XHY,,"
    assert len(data) == 231
    path = tmp_path / "bad_byte_in_gbk_file.csv"
    path.write_bytes(data + b"\xff2011-08-13\r\n")
    report = run(settings, path).files[0]
    assert report.error == (
        "bad_byte_in_gbk_file.csv: 无法识别文件编码（第 4 行，第 231 字节）/ cannot decode the "
        "file at line 4 (byte offset 231): not UTF-8, UTF-16 or GBK/GB18030"
    )


@pytest.mark.parametrize(
    "data",
    [b"", b"\xef\xbb\xbf", b"\xff\xfe", b"\r\n\r\n"],
    ids=["no_bytes", "utf8_bom_only", "utf16_bom_only", "blank_lines_only"],
)
def test_an_empty_csv_fails_saying_it_is_empty(settings, tmp_path, data):
    path = tmp_path / "empty_file.csv"
    path.write_bytes(data)
    report = run(settings, path).files[0]
    assert (report.status, report.error) == (
        "failed",
        "empty_file.csv: 文件为空 / the file is empty",
    )
    with pytest.raises(LedgerError) as raised:
        read_file(path)
    assert raised.value.hint == (
        "the file holds no rows: export the ledger from Excel or WPS again, "
        "or copy it again if it was cut short on the way"
    )


def _xlsx(path):
    wb = openpyxl.Workbook()
    wb.active.append(["案件编号", "单位", "发现日期", "事项编码"])
    wb.save(path)


def _xls(path):
    wb = xlwt.Workbook()
    wb.add_sheet("Sheet1").write(0, 0, "案件编号")
    wb.save(str(path))


@pytest.mark.parametrize(
    ("make", "kind", "name"),
    [(_xlsx, ".xlsx", "workbook_named_csv.csv"), (_xls, ".xls", "old_workbook_named_txt.txt")],
)
def test_a_workbook_named_csv_fails_saying_it_is_a_workbook(settings, tmp_path, make, kind, name):
    workbook = tmp_path / f"workbook{kind}"
    make(workbook)
    path = tmp_path / name
    path.write_bytes(workbook.read_bytes())
    suffix = path.suffix
    report = run(settings, path).files[0]
    assert (report.status, report.error) == (
        "failed",
        (
            f"{name}: 这是以 {suffix} 为扩展名保存的 Excel 工作簿（{kind}），不是 CSV 文件 / "
            f"this is an Excel workbook ({kind}) saved with a {suffix} name, not a CSV file"
        ),
    )
    with pytest.raises(LedgerError) as raised:
        read_file(path)
    assert raised.value.hint == (
        f"rename it to {path.stem}{kind}, or open it in Excel or WPS and save it as 'CSV UTF-8'"
    )
