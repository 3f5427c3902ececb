"""CSV ledgers read by DuckDB's own reader give exactly what the Python reader gives.

The fast path (Ingestor._stage_csv) hands the rows below the header to DuckDB's read_csv; any file
it cannot take exactly (a cell spanning lines, a blank line, a row wider than the header) goes
through the Python reader. Both must load, quarantine and number every row the same way.
"""

from __future__ import annotations

import errno
import hashlib
import hmac
import json

import duckdb
import pytest
from helpers_ingest import FIXTURES, make_settings, query, run

from pipeline import ingest as ingest_module
from pipeline import readers, validate
from pipeline.errors import LedgerError
from pipeline.ingest import Ingestor
from pipeline.privacy import hmac_pads

HEADER = "案件编号,单位,网格,发现日期,来源,事项编码,案由,当事人,身份证号,联系电话,处理方式,移交部门,整改期限,结案日期,处理结果,罚款金额(元)"

# Values as clerks type them: padded with ASCII and full-width spaces, quoted with commas and
# doubled quotes, short rows, a total row, an unknown column and a personal one.
MESSY = (
    "西夏区综合执法案件台账（2011年）,,,\n"
    "填报单位：西花园路街道\n"
    f"{HEADER},备注2,户主姓名\n"
    ' F001 ,\u3000XHY\u3000,,2011-08-15,巡查发现,SR01,"占道经营, 劝离",张三,,,劝导教育,,,,已整改,,补记,张三\n'
    'F002,兴泾镇,,2011/8/16,群众举报,GT01,"门前""三包""",李四,11010519491231002X,13800138000,'
    "整改通知,,2011-08-30,,逾期未整改,,,\n"
    "F003,XJZ,,2011年8月17日,,ZZ99,案由,王五,1101051949123100,,罚款,,,2011-08-10,,５００元\n"
    "F004,XHY,,20110230,巡查发现,SR01,短行\n"
    "F001,XHY,,2011-08-18,巡查发现,SR01,同一编号,赵六,,,劝导教育,,,,已整改,,,\n"
    "合计,,,,,,,,,,,,,,,,,\n"
)

# The header in two rows, as saved from a sheet whose 当事人信息 is merged over the three party
# columns: Excel writes the merged cell's text once; other tools write it in every cell.
_SUB_HEADER = ",,,,,,,当事人,身份证号,联系电话" + "," * 8
TWO_ROW_HEADER = MESSY.replace(
    f"{HEADER},",
    HEADER.replace("当事人,身份证号,联系电话", "当事人信息,,") + ",",
).replace("户主姓名\n", f"户主姓名\n{_SUB_HEADER}\n")
TWO_ROW_HEADER_WRITTEN_OUT = TWO_ROW_HEADER.replace(
    "当事人信息,,", "当事人信息,当事人信息,当事人信息"
)
# A column's header merged over the columns of its details: 当事人 over 姓名, 身份证号, 联系电话.
GROUP_NAMED_AS_A_COLUMN = TWO_ROW_HEADER.replace("当事人信息,,", "当事人,,").replace(
    ",当事人,身份证号,联系电话,", ",姓名,身份证号,联系电话,"
)
GROUP_NAMED_AS_A_COLUMN_WRITTEN_OUT = GROUP_NAMED_AS_A_COLUMN.replace(
    "当事人,,", "当事人,当事人,当事人"
)
# A row of groups merged over the header, none of them a column: Excel writes each group's text
# in its first column.
GROUP_ROW = MESSY.replace(
    f"{HEADER},", "案件信息,,,,,,,当事人信息,,,处理情况,,,,,,,\n" + f"{HEADER},"
)
# The same with 备注2 and 户主姓名 merged down beside the groups: their names are on the upper row.
GROUP_ROW_NAMING_COLUMNS = MESSY.replace(
    f"{HEADER},备注2,户主姓名",
    "案件信息,,,,,,,当事人信息,,,处理情况,,,,,,备注2,户主姓名\n" + f"{HEADER},,",
)

CASES = {
    "two_row_header.csv": (TWO_ROW_HEADER.encode("utf-8"), True),
    "two_row_header_written_out.csv": (TWO_ROW_HEADER_WRITTEN_OUT.encode("gb18030"), True),
    "group_row_over_header.csv": (GROUP_ROW.encode("utf-8"), True),
    "group_row_naming_columns.csv": (GROUP_ROW_NAMING_COLUMNS.encode("gb18030"), True),
    "group_named_as_a_column.csv": (GROUP_NAMED_AS_A_COLUMN.encode("utf-8"), True),
    "group_named_as_a_column_written_out.csv": (
        GROUP_NAMED_AS_A_COLUMN_WRITTEN_OUT.encode("gb18030"),
        True,
    ),
    "messy.csv": (MESSY.encode("utf-8"), True),
    "messy_bom.csv": (b"\xef\xbb\xbf" + MESSY.encode("utf-8"), True),
    "messy_gbk.csv": (MESSY.encode("gb18030"), True),
    "messy_tabs.txt": (
        MESSY.replace('"占道经营, 劝离"', '"占道经营 劝离"').replace(",", "\t").encode("utf-8"),
        True,
    ),
    "no_final_newline.csv": (MESSY.rstrip("\n").encode("utf-8"), True),
    "crlf.csv": (MESSY.replace("\n", "\r\n").encode("utf-8"), True),
    # Lines ended by a lone carriage return (Excel for Mac's "CSV (Macintosh)"): read in Python.
    "mac_cr.csv": (MESSY.replace("\n", "\r").encode("utf-8"), False),
    # A cell spanning two lines: its row numbers are the Python reader's.
    "multiline_cell.csv": (
        MESSY.replace('"占道经营, 劝离"', '"占道经营\n劝离"').encode("utf-8"),
        False,
    ),
    # A blank line is a row the Python reader counts as skipped; DuckDB drops it.
    "blank_line.csv": (MESSY.replace("F004", "\nF004").encode("utf-8"), False),
    # A row wider than the header.
    "wide_row.csv": (MESSY.replace("已整改,,补记,张三", "已整改,,补记,张三,多,余").encode(), False),
}

LINEAGE_FREE = {
    "cases": "* exclude (load_id, file_id)",
    "quarantine": "* exclude (load_id, file_id)",
    "sheets": "* exclude (file_id)",
    "files": "file_name, status, ledger, rows_read, rows_loaded, rows_quarantined, rows_skipped",
}


def _contents(settings) -> dict[str, list[dict]]:
    return {
        table: query(settings, f"select {cols} from raw.{table} order by all")
        for table, cols in LINEAGE_FREE.items()
    }


def _ingest(settings, path, monkeypatch, fast: bool) -> list[bool]:
    """Ingest one file that must load; the list says whether each CSV went the fast way."""
    taken, result = _ingest_any(settings, path, monkeypatch, fast)
    assert all(f.status != "failed" for f in result.files), result.files[0].error
    return taken


def _ingest_any(settings, path, monkeypatch, fast: bool):
    """Ingest one file, with the fast way taken when it can be (fast) or never."""
    taken: list[bool] = []
    stage = Ingestor._stage_csv

    def spy(self, p, data):
        staged = stage(self, p, data) if fast else None
        taken.append(staged is not None)
        return staged

    monkeypatch.setattr(Ingestor, "_stage_csv", spy)
    result = run(settings, path)
    monkeypatch.undo()
    return taken, result


@pytest.mark.parametrize("name", sorted(CASES))
def test_fast_and_python_readers_load_the_same(tmp_path, monkeypatch, name):
    data, fast_expected = CASES[name]
    path = tmp_path / name
    path.write_bytes(data)
    python = make_settings(tmp_path, monkeypatch, "python")
    assert _ingest(python, path, monkeypatch, fast=False) == [False]
    fast = make_settings(tmp_path, monkeypatch, "fast")
    assert _ingest(fast, path, monkeypatch, fast=True) == [fast_expected]
    got, want = _contents(fast), _contents(python)
    assert got == want
    # the rows are really there, with what the messy values mean
    (files,) = want["files"]
    assert files["rows_read"] == 6 + ("blank_line" in name)
    assert files["rows_loaded"] == 2 and files["rows_quarantined"] == 3
    assert files["rows_skipped"] == 1 + ("blank_line" in name)
    first = want["cases"][0]
    summary = (
        "占道经营\n劝离"
        if "multiline" in name
        else "占道经营 劝离"
        if "tabs" in name
        else "占道经营, 劝离"
    )
    assert (first["case_id"], first["unit_code"], first["summary"]) == ("F001", "XHY", summary)


def test_every_csv_fixture_loads_the_same_either_way(tmp_path, monkeypatch):
    paths = sorted(p for p in FIXTURES.glob("*/*/*") if p.suffix.lower() in (".csv", ".txt"))
    assert len(paths) > 10
    took_fast = 0
    for i, path in enumerate(paths):
        python = make_settings(tmp_path, monkeypatch, f"p{i}")
        _ingest_any(python, path, monkeypatch, fast=False)
        fast = make_settings(tmp_path, monkeypatch, f"f{i}")
        took_fast += sum(_ingest_any(fast, path, monkeypatch, fast=True)[0])
        assert _contents(fast) == _contents(python), path.name
    assert took_fast > len(paths) // 2


def test_a_large_file_keeps_its_row_numbers(tmp_path, monkeypatch):
    rows = 150_000
    body = "".join(f"R{i:06d},XHY,,2011-08-15,巡查发现,SR01,案由\n" for i in range(rows))
    # two bad rows far apart: their row numbers must be where they are in the file
    body = body.replace("R000010,XHY,,2011-08-15", "R000010,XHY,,2011-02-30")
    body = body.replace("R149990,XHY", "R149990,未知单位")
    path = tmp_path / "big.csv"
    path.write_text(f"{HEADER}\n{body}", encoding="utf-8")
    settings = make_settings(tmp_path, monkeypatch)
    assert _ingest(settings, path, monkeypatch, fast=True) == [True]
    assert query(settings, "select source_row from raw.quarantine order by 1") == [
        {"source_row": 12},
        {"source_row": 149992},
    ]
    (check,) = query(
        settings,
        "select count(*) as n, count(*) filter (where source_row = "
        "cast(substr(case_id, 2) as integer) + 2) as same from raw.cases",
    )
    assert check == {"n": rows - 2, "same": rows - 2}


@pytest.mark.parametrize(
    "name, data, in_place",
    [
        ("messy.csv", MESSY.encode("utf-8"), True),
        ("crlf_bom.csv", b"\xef\xbb\xbf" + MESSY.replace("\n", "\r\n").encode("utf-8"), True),
        # A quote above the header could open a cell spanning lines: the rows are copied.
        ("quoted_title.csv", ('"台账, 2011"\n' + MESSY).encode("utf-8"), False),
        ("bare_cr_title.csv", ("台账\r" + MESSY).encode("utf-8"), False),
        # DuckDB reads no GBK: the rows are copied as UTF-8.
        ("messy_gbk.csv", MESSY.encode("gb18030"), False),
    ],
)
@pytest.mark.parametrize("links", [True, False])
def test_a_utf8_file_is_read_in_place_past_the_lines_above_its_rows(
    tmp_path, monkeypatch, name, data, in_place, links
):
    """DuckDB reads a UTF-8 file through a hard link, skipping the title lines, or a copy of its
    rows where links fail (another file system): both load what the Python reader loads."""
    path = tmp_path / name
    path.write_bytes(data)
    python = make_settings(tmp_path, monkeypatch, "python")
    _ingest(python, path, monkeypatch, fast=False)
    linked: list[str] = []
    real_link = ingest_module.os.link

    def link(src, dst):
        if not links:
            raise OSError(errno.EXDEV, "cross-device link")
        linked.append(str(src))
        return real_link(src, dst)

    monkeypatch.setattr(ingest_module.os, "link", link)
    fast = make_settings(tmp_path, monkeypatch, "fast")
    assert _ingest(fast, path, monkeypatch, fast=True) == [True]
    assert linked == ([str(path)] if in_place and links else [])
    assert _contents(fast) == _contents(python)
    assert _contents(python)["files"][0]["rows_loaded"] == 2


# Rows that make MESSY longer than the decoded start of a large UTF-8 file (set small below).
PADDING = "".join(f"P{i:04d},XHY,,2011-08-15,巡查发现,SR01,填充行\n" for i in range(200))


@pytest.mark.parametrize(
    "name, data",
    [
        ("large.csv", (MESSY + PADDING).encode("utf-8")),
        ("large_bom.csv", b"\xef\xbb\xbf" + (MESSY + PADDING).encode("utf-8")),
        (
            "large_tabs.txt",
            (MESSY + PADDING).replace('"占道经营, 劝离"', "占道经营").replace(",", "\t").encode(),
        ),
        ("large_gbk.csv", (MESSY + PADDING).encode("gb18030")),
    ],
)
def test_a_large_file_decoded_from_its_start_loads_the_same(tmp_path, monkeypatch, name, data):
    """Only the start of a large UTF-8 file is decoded in Python: it loads as if all of it were."""
    monkeypatch.setattr(readers, "HEAD_BYTES", 2048)
    assert len(data) > 4 * readers.HEAD_BYTES
    assert (readers._utf8_head(data) is not None) == ("gbk" not in name)
    path = tmp_path / name
    path.write_bytes(data)
    python = make_settings(tmp_path, monkeypatch, "python")
    assert _ingest(python, path, monkeypatch, fast=False) == [False]
    monkeypatch.setattr(readers, "HEAD_BYTES", 2048)
    fast = make_settings(tmp_path, monkeypatch, "fast")
    assert _ingest(fast, path, monkeypatch, fast=True) == [True]
    got, want = _contents(fast), _contents(python)
    assert got == want
    assert want["files"][0]["rows_loaded"] == 202


def test_only_a_start_that_decodes_as_gb18030_has_the_whole_file_tried(monkeypatch):
    monkeypatch.setattr(readers, "HEAD_BYTES", 2048)
    text = MESSY + PADDING
    gbk = text.encode("gb18030")
    assert readers._gb18030(gbk) == text
    # A two-byte character cut by the end of the start is no failure.
    cut = b"x" * (readers.HEAD_BYTES - 1) + gbk
    assert cut[readers.HEAD_BYTES - 1 : readers.HEAD_BYTES + 1] == "西".encode("gb18030")
    assert readers._gb18030(cut) == "x" * (readers.HEAD_BYTES - 1) + text
    # A start that is GB18030 with bytes GB18030 cannot read further on: not GB18030.
    assert readers._gb18030(gbk + b"\xff\xff\n") is None
    assert readers._gb18030(text.encode("utf-8")) is None


def test_a_large_gbk_file_is_decoded_as_gb18030_once(tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "HEAD_BYTES", 2048)
    data = (MESSY + PADDING).encode("gb18030")
    calls = []
    real = readers._gb18030
    monkeypatch.setattr(readers, "_gb18030", lambda b: calls.append(len(b)) or real(b))
    monkeypatch.setattr(readers, "_decode", lambda b, p: calls.append("decode") or ("", "gb18030"))
    readers.csv_head(data, tmp_path / "gbk.csv", 5)
    # _utf8_head leaves a file whose start is not UTF-8 to _decode, without decoding it itself.
    assert calls == ["decode"]


def test_invalid_utf8_past_the_decoded_start_names_its_byte(tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "HEAD_BYTES", 2048)
    good = (MESSY + PADDING).encode("utf-8")
    data = good + "P9999,XHY,,2011-08-15,巡查发现,SR01,".encode() + b"\xff\xfe\n"
    path = tmp_path / "broken.csv"
    path.write_bytes(data)
    settings = make_settings(tmp_path, monkeypatch)
    taken, result = _ingest_any(settings, path, monkeypatch, fast=True)
    # DuckDB's reader refused the bytes, so the Python reader read the file: its error is the
    # one a file read whole in Python gets.
    assert taken == [False]
    (report,) = result.files
    assert report.status == "failed"
    with pytest.raises(LedgerError) as whole:
        readers.decode_text(data, path)
    line, offset = good.count(b"\n") + 1, data.index(b"\xff")
    assert f"cannot decode the file at line {line} (byte offset {offset})" in str(whole.value)
    assert str(report.error) == str(whole.value)
    assert query(settings, "select count(*) as n from raw.cases") == [{"n": 0}]


def test_records_longer_than_the_decoded_start_are_read_whole(tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "HEAD_BYTES", 2048)
    title = "台账说明：" + "很长的说明" * 1000
    data = f'"{title}"\n{HEADER}\n'.encode() + PADDING.encode()
    head = readers.csv_head(data, tmp_path / "long.csv", 30)
    whole = readers.csv_head(data, tmp_path / "long.csv", 30, whole=True)
    assert head.sheet.rows == whole.sheet.rows and head.ends == whole.ends
    assert head.sheet.rows[0] == [title] and head.sheet.rows[1][0] == "案件编号"
    assert head.utf8_offset == whole.utf8_offset


_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def hash_id(secret: bytes, id_no: str) -> str:
    """The keyed hash as Python's hmac computes it, of the 18-digit form of the number."""
    id_no = id_no.upper()
    if len(id_no) == 15:
        body = id_no[:6] + "19" + id_no[6:]
        id_no = body + "10X98765432"[sum(int(d) * w for d, w in zip(body, _WEIGHTS)) % 11]
    return hmac.new(secret, id_no.encode(), hashlib.sha256).hexdigest()


@pytest.mark.parametrize("secret", [bytes(range(32)), b"k" * 100])
def test_sql_id_hash_is_the_python_hash(secret):
    con = duckdb.connect()
    validate.install(con)
    con.execute("insert into id_key values (?, ?)", list(hmac_pads(secret)))
    for id_no in ("11010519491231002X", "11010519491231002x", "110105491231002"):
        (got,) = con.execute("select id_hash(?)", [id_no]).fetchone()
        assert got == hash_id(secret, id_no)
    # and hash_id is HMAC-SHA256 of the 18-digit form
    assert (
        hash_id(secret, "110105491231002")
        == hmac.new(secret, b"11010519491231002X", hashlib.sha256).hexdigest()
    )


def test_the_ingest_connection_reads_only_its_own_folder(tmp_path, monkeypatch):
    outside = tmp_path / "outside.csv"
    outside.write_text("a\n1\n", encoding="utf-8")
    seen: list[str] = []
    stage = Ingestor._stage_csv

    def probe(self, p, data):
        try:
            self.con.execute("select * from read_csv(?)", [str(outside)]).fetchall()
            seen.append("read")
        except duckdb.PermissionException:
            seen.append("refused")
        with pytest.raises(duckdb.Error):
            self.con.execute("set enable_external_access = true")
        return stage(self, p, data)

    monkeypatch.setattr(Ingestor, "_stage_csv", probe)
    path = tmp_path / "one.csv"
    path.write_text(f"{HEADER}\nF001,XHY,,2011-08-15,巡查发现,SR01,案由\n", encoding="utf-8")
    settings = make_settings(tmp_path, monkeypatch)
    assert run(settings, path).files[0].status == "loaded"
    assert seen == ["refused"]


# Excel shows one row per record, however many lines its cells span: a merged title exported
# as one cell of two lines is row 1, and the header under it row 2.
SPANNING = (
    '"西花园路街道综合执法大队\n案件台账",,,\r\n'
    "案件编号,单位,发现日期,事项编码,案由\r\n"
    "M001,XHY,2011-08-15,SR01,占道经营\r\n"
    "M002,西湖街道,2011-08-16,SR01,无此单位\r\n"
    "M003,XHY,2011-08-17,SR02,门前堆物\r\n"
    "M001,XHY,2011-08-18,SR01,编号重复\r\n"
)


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
@pytest.mark.parametrize("body_cell_spans_lines", [False, True], ids=["body_one_line", "body_two"])
@pytest.mark.parametrize("fast", [False, True], ids=["python", "fast"])
def test_rows_are_numbered_as_excel_shows_them_when_cells_span_lines(
    tmp_path, monkeypatch, encoding, body_cell_spans_lines, fast
):
    text = SPANNING.replace("门前堆物", '"门前堆物\n已劝离"') if body_cell_spans_lines else SPANNING
    path = tmp_path / "title_cell_spanning_lines.csv"
    path.write_bytes(text.encode(encoding))
    settings = make_settings(tmp_path, monkeypatch)
    taken, result = _ingest_any(settings, path, monkeypatch, fast)
    # Only a cell spanning lines below the header keeps a file from DuckDB's reader.
    assert taken == [fast and not body_cell_spans_lines]
    (report,) = result.files
    assert report.status == "loaded", report.error
    assert report.sheets[0].header_row == 2
    assert query(settings, "select source_row, case_id from raw.cases order by 1") == [
        {"source_row": 3, "case_id": "M001"},
        {"source_row": 5, "case_id": "M003"},
    ]
    quarantined = query(settings, "select source_row, reasons from raw.quarantine order by 1")
    assert [
        (q["source_row"], [(r["rule"], r["message_zh"]) for r in json.loads(q["reasons"])])
        for q in quarantined
    ] == [
        (4, [("unknown_unit", "单位“西湖街道”无法识别，应填单位代码、全称或简称")]),
        (6, [("duplicate_in_file", "案件编号“M001”在本单位重复：本表第6行与第3行相同")]),
    ]


@pytest.mark.parametrize("fast", [False, True], ids=["python", "fast"])
def test_a_header_under_a_title_spanning_lines_is_named_by_its_excel_row(
    tmp_path, monkeypatch, fast
):
    text = '"西花园路街道综合执法大队\n案件台账"\n案件编号,单位,发现日期,案由\nQ001,XHY,2011-08-15,占道\n'
    path = tmp_path / "missing_column_under_title.csv"
    path.write_bytes(text.encode("gb18030"))
    _, result = _ingest_any(make_settings(tmp_path, monkeypatch), path, monkeypatch, fast)
    assert result.files[0].error == (
        "missing_column_under_title.csv: 第 2 行的表头缺少必填列 / "
        "header on row 2 lacks required column(s): 事项编码（item_code）"
    )


def test_both_csv_readers_number_records_not_lines(tmp_path):
    data = '"标题\n第二行"\r\n案件编号,案由\r\nA1,"两\r\n行"\r\n\r\nA2,"三\r行\n止"\r\nA3,一行'.encode()
    path = tmp_path / "cells_spanning_lines.csv"
    path.write_bytes(data)
    (sheet,) = readers.read_csv(path)
    assert [r[0] if r else None for r in sheet.rows] == [
        "标题\n第二行",
        "案件编号",
        "A1",
        None,
        "A2",
        "A3",
    ]
    assert sheet.row_numbers == [1, 2, 3, 4, 5, 6]
    head = readers.csv_head(data, path, 4)
    assert head.sheet.row_numbers == [1, 2, 3, 4]
