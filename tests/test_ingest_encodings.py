"""Encodings clerks' files arrive in: each decoded to the same values, none into mojibake."""

from __future__ import annotations

import pytest
from helpers_ingest import fixture, loaded, make_settings, query, run

from pipeline.readers import decode_text


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
            "utf16_truncated.txt: 无法识别文件编码（第 176 字节）/ cannot decode the file at byte "
            "offset 176: not UTF-8, UTF-16 or GBK/GB18030"
        ),
    )
    assert len(path.read_bytes()) == 177
