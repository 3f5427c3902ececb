"""The ingest's shortcuts give what the long way gives.

ISO dates skip the date regexes, ASCII cells skip folding, rows keeping every rule skip the list
of reasons, UTF-8 files GB18030 cannot read skip the plausibility scan, and rows are masked and
hashed in the validation pass. Each is checked against the long way here.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from helpers_ingest import ROOT, make_settings, query, run

from pipeline import readers, reference, validate

_YMD = re.compile(validate._YMD, re.ASCII)


def _parse_date_oracle(text: str) -> dt.date | None:
    """parse_date as its regex branches define it, in Python."""
    try:
        if m := _YMD.fullmatch(text):
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        if re.fullmatch(r"\d{8}", text, re.ASCII):
            return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None
    if re.fullmatch(r"\d{5}(\.\d+)?", text, re.ASCII):
        return dt.date(1899, 12, 30) + dt.timedelta(days=int(float(text)))
    return None


DATES = [
    "2011-08-15",
    "2011-02-30",
    "2011-13-01",
    "2011-00-10",
    "0012-05-05",
    "9999-12-31",
    "1900-02-29",
    "2000-02-29",
    "infinity",
    "-infinity",
    "epoch",
    "-011-08-15",
    "+011-08-15",
    "2011-8-15",
    "2011-08-5",
    "2011/08/15",
    "2011.8.15",
    "2011年8月15日",
    "2011 - 08 - 15",
    "2011-08-15 08:30",
    "2011-08-15T08:30:00",
    "2011-08-15x",
    "２０１１-08-15",
    "20110815",
    "20110230",
    "40770",
    "40770.5",
    "11-08-15",
    "",
]


@pytest.fixture
def con():
    con = duckdb.connect()
    validate.install(con)
    yield con
    con.close()


def test_parse_date_takes_iso_text_as_its_regexes_do(con):
    got = dict(con.execute("select s, parse_date(s) from unnest(?) t(s)", [DATES]).fetchall())
    assert got == {s: _parse_date_oracle(s) for s in DATES}


def test_fold_leaves_ascii_alone_and_folds_full_width(con):
    values = ["abc", "SR01", "a b", "ＳＲ０１", "\u3000XHY\u3000", "西夏区", "模拟０１", "\u3000"]
    got = con.execute(
        "select list(fold(s) order by i) from unnest(?) with ordinality t(s, i)", [values]
    ).fetchone()[0]
    assert got == ["abc", "SR01", "a b", "SR01", "XHY", "西夏区", "模拟01", None]


HEADER = "案件编号,单位,网格,发现日期,来源,事项编码,案由,当事人,身份证号,联系电话,处理方式,移交部门,整改期限,结案日期,处理结果,罚款金额(元)"


def test_a_row_keeping_every_rule_has_an_empty_list_and_a_bad_one_every_reason(
    tmp_path, monkeypatch
):
    path = tmp_path / "two.csv"
    path.write_text(
        f"{HEADER}\n"
        "F001,XHY,,2011-08-15,巡查发现,SR01,案由,,,,劝导教育,,,,已整改,\n"
        "F002,XHY,,2011-02-30,巡查发现,ZZ99,案由,,,,移交,,,2011-02-01,已整改,-5\n",
        encoding="utf-8",
    )
    settings = make_settings(tmp_path, monkeypatch)
    result = run(settings, path)
    assert (result.files[0].total("rows_loaded"), result.files[0].total("rows_quarantined")) == (
        1,
        1,
    )
    (row,) = query(settings, "select reasons from raw.quarantine")
    rules = [(r["field"], r["rule"]) for r in json.loads(row["reasons"])]
    assert rules == [
        ("found_date", "date_impossible"),
        ("item_code", "unknown_item"),
        ("referred_to", "referral_needs_department"),
        ("fine_yuan", "negative"),
    ]


def test_each_rule_form_gives_the_condition_it_is_broken_under(con):
    """The reasons list is built only when an OR of these conditions holds: each must be true
    exactly when its rule gives a reason, null inputs included."""
    rules = [
        "req('f', v)",
        "case when v > 1 then reason('r', 'f', cast(v as varchar), null) end",
        (
            "case when v is null then null when v > 1 then reason('a', 'f', null, null)\n"
            "    else reason('b', 'f', null, null) end"
        ),
    ]
    for rule in rules:
        got = con.execute(
            f"select list(({validate._broken_when(rule)}) = (({rule}) is not null)) "
            "from unnest([null, 0, 1, 2]) t(v)"
        ).fetchone()[0]
        assert got == [True] * 4, rule
    with pytest.raises(ValueError, match="unknown form"):
        validate._broken_when("coalesce(reason('r', 'f', null, null), null)")


def test_an_id_check_character_is_tested_against_the_one_its_digits_call_for(con):
    got = con.execute(
        "select list(id_problem(s, id_check(s)) order by i) from unnest(?) with ordinality t(s, i)",
        [["11010519491231002X", "110105194912310021", "110105491231002", "1.10105E+17", None]],
    ).fetchone()[0]
    assert got == [None, "invalid_id_no", None, "invalid_id_no", None]


def test_an_id_no_digits_can_read_is_quarantined_not_hashed(tmp_path, monkeypatch):
    """Hashing runs in the validation pass, which also sees invalid numbers: it must skip them."""
    path = tmp_path / "ids.csv"
    path.write_text(
        f"{HEADER}\n"
        "F001,XHY,,2011-08-15,巡查发现,SR01,案由,张三,abcdefghijklmno,,劝导教育,,,,已整改,\n"
        "F002,XHY,,2011-08-15,巡查发现,SR01,案由,李四,110105491231002,,劝导教育,,,,已整改,\n",
        encoding="utf-8",
    )
    settings = make_settings(tmp_path, monkeypatch)
    report = run(settings, path).files[0]
    assert (report.status, report.total("rows_loaded"), report.total("rows_quarantined")) == (
        "loaded",
        1,
        1,
    )
    (row,) = query(settings, "select reasons from raw.quarantine")
    assert [r["rule"] for r in json.loads(row["reasons"])] == ["invalid_id_no"]
    (loaded,) = query(settings, "select case_id, party_id_hash from raw.cases")
    assert loaded["case_id"] == "F002"
    assert re.fullmatch("[0-9a-f]{64}", loaded["party_id_hash"])


def _decode_scanning_all(data: bytes) -> tuple[str, str]:
    """_decode before the shortcut: the whole UTF-8 text is scanned first."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030"), "gb18030"
    if readers._IMPLAUSIBLE.search(text):
        try:
            gb_text = data.decode("gb18030")
        except UnicodeDecodeError:
            return text, "utf-8"
        if not readers._IMPLAUSIBLE.search(gb_text):
            return gb_text, "gb18030"
    return text, "utf-8"


ENCODED = [
    b"a,b\n1,2\n",
    "案件编号,单位\n甲,乙\n".encode(),
    b"\xef\xbb\xbf" + "案件编号,单位\n".encode(),
    "案件编号,单位\n甲,乙\n".encode("gbk"),
    # Valid both as UTF-8 and as GB18030.
    "Мир\n".encode(),
    "ЖЖ\n".encode(),
    "Ӑ·\n".encode(),
    "é\n".encode(),
    "Ω".encode(),
    "案件".encode() + "Ж".encode(),
    # Chinese in UTF-8 that GB18030 also reads (as other characters): UTF-8 stays.
    "案件\n".encode(),
]


@pytest.mark.parametrize("data", ENCODED)
def test_decode_picks_the_encoding_the_whole_text_scan_picked(data):
    assert readers._decode(data, Path("x.csv")) == _decode_scanning_all(data)


def test_the_examples_cover_both_choices_for_bytes_valid_both_ways():
    both = []
    for data in ENCODED:
        try:
            data.decode("utf-8"), data.decode("gb18030")
        except UnicodeDecodeError:
            continue
        if not data.isascii():
            both.append(_decode_scanning_all(data)[1])
    assert set(both) == {"utf-8", "gb18030"}


def _reference_the_long_way(ref: Path) -> dict[str, set[tuple]]:
    """The lookup tables as pandas built them before the ingest stopped importing it."""
    units = reference.read_table(ref, "units")
    aliases = set()
    for u in units.itertuples(index=False):
        names = {u.unit_code, u.unit_name, u.short_name, u.unit_name.removesuffix("办事处")}
        names |= {u.short_name + u.unit_type, *reference._split_aliases(getattr(u, "aliases", ""))}
        aliases |= {(n.upper(), u.unit_code) for n in names if n}
    depts, outputs = (
        reference.read_table(ref, "departments"),
        reference.read_table(ref, "output_types"),
    )
    return {
        "ref_unit_alias": aliases,
        "ref_item": {(c.upper(),) for c in reference.read_table(ref, "catalogue").item_code},
        "ref_dept_alias": {
            (n.upper(), d.dept_code)
            for d in depts.itertuples(index=False)
            for n in {d.dept_code, d.dept_name, *reference._split_aliases(d.aliases)}
        },
        "ref_output_alias": {
            (n.upper(), o.output_code, o.measure)
            for o in outputs.itertuples(index=False)
            for n in {o.output_code, o.output_name, *reference._split_aliases(o.aliases)}
        },
        "ref_grid": set(
            reference.read_table(ref, "grids")[["unit_code", "grid_code", "grid_name"]].itertuples(
                index=False, name=None
            )
        ),
    }


def test_reference_tables_read_without_pandas_are_those_pandas_read(tmp_path):
    ref = tmp_path / "reference"
    shutil.copytree(ROOT / "data" / "reference", ref)
    # A BOM, padded cells, a quoted comma, a blank line, a lower-case code and no grids file.
    units = (ref / "units.csv").read_text(encoding="utf-8").splitlines()
    units[1] = " " + units[1].replace(",", " ,", 2)
    units.insert(2, "")
    (ref / "units.csv").write_text("\ufeff" + "\n".join(units) + "\n", encoding="utf-8")
    with (ref / "catalogue.csv").open("a", encoding="utf-8") as f:
        f.write('zz01,ZZ,其他,"事项,含逗号",城管局,true\n')
    for root, grids in ((ROOT / "data" / "reference", 6), (ref, 0)):
        if root == ref:
            (ref / "grids.csv").unlink()
        got = reference.load_reference(root)
        want = _reference_the_long_way(root)
        assert {name: set(t.rows) for name, t in got.items()} == want
        assert all(len(set(t.rows)) == len(t.rows) for t in got.values())
        assert len(got["ref_grid"].rows) >= grids
    assert ("ZZ01",) in want["ref_item"]


def test_a_csv_ingest_does_not_import_pandas(tmp_path):
    code = (
        "import sys, pipeline.ingest, pipeline.reference, pipeline.validate; "
        "print('pandas' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_accepted_values_joined_once_give_the_reasons_not_in_gave(tmp_path, monkeypatch):
    from pipeline.contract import ACTIONS, OUTCOMES, SOURCES

    # Each row: source, action, outcome. Empty source is taken as 其他; full-width text is folded.
    rows = [
        ("巡查发现", "劝导教育", "已整改"),
        ("", "现场纠正", ""),
        ("网上发现", "劝导教育", "已整改"),
        ("群众举报", "罚款", "办结"),
        ("其他 ", " 调解", "调解成功"),
        ("巡查发现", "", "已整改x"),
        ("ＡＢ", "移 交", "已处罚"),
    ]
    lines = [HEADER] + [
        f"E{i:03d},XHY,,2011-08-15,{src},SR01,案由,,,,{act},{'公安' if act == '移交' else ''},,,{out},"
        for i, (src, act, out) in enumerate(rows)
    ]
    path = tmp_path / "enums.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    settings = make_settings(tmp_path, monkeypatch)
    run(settings, path)
    got = {}
    for row in query(settings, "select source_row, reasons from raw.quarantine"):
        for r in json.loads(row["reasons"]):
            got.setdefault(row["source_row"] - 2, []).append((r["field"], r["value"], r["rule"]))
    # The long way: a value (folded, stripped) not in the contract's list breaks the rule.
    want = {}
    for i, values in enumerate(rows):
        for field, value, accepted in zip(
            ("source", "action", "outcome"), values, (SOURCES, ACTIONS, OUTCOMES), strict=True
        ):
            value = value.strip() or ("其他" if field == "source" else None)
            if value == "ＡＢ":
                value = "AB"
            if value is not None and value not in accepted:
                want.setdefault(i, []).append((field, value, "enum"))
    assert got == want
    assert set(want) == {2, 3, 5, 6}
