"""Generated ledgers: every row accounted for, every valid row loaded with its values intact."""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from pathlib import Path

import openpyxl
from helpers_ingest import make_settings, query, run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.contract import CASES

HEADER = ["案件编号", "单位", "发现日期", "事项编码", "案由", "罚款金额(元)"]
UNITS = {"XHY": "XHY", "西花园": "XHY", "兴泾镇": "XJ", "zbb": "ZBB", "镇北堡镇": "ZBB"}
ITEMS = ["SR01", "SR05", "GT02", "WS01", "ZA03", "JF01"]
FULL = str.maketrans("0123456789", "０１２３４５６７８９")
# Broken cells: (column, value); each makes the row fail exactly one rule.
BROKEN = [
    ("单位", "东花园"),
    ("发现日期", "八月中旬"),
    ("发现日期", "11.8.15"),
    ("发现日期", "2011-02-30"),
    ("事项编码", "ZZ99"),
    ("罚款金额(元)", "-5"),
    ("罚款金额(元)", "二百"),
    ("案件编号", None),
]


def _date_text(day: dt.date, form: int) -> str:
    return [
        day.isoformat(),
        f"{day.year}/{day.month}/{day.day}",
        f"{day.year}.{day.month}.{day.day}",
        f"{day.year}年{day.month}月{day.day}日",
        day.strftime("%Y%m%d"),
        day.isoformat().translate(FULL),
    ][form]


valid_rows = st.fixed_dictionaries(
    {
        "unit": st.sampled_from(sorted(UNITS)),
        "day": st.dates(dt.date(2011, 8, 1), dt.date(2012, 7, 31)),
        "date_form": st.integers(0, 7),  # 6 and 7: a date cell or a serial number in a workbook
        "item": st.sampled_from(ITEMS),
        "summary": st.text(
            st.sampled_from("占道经营乱倒垃圾噪声扰民摊点广告牌西花园"), max_size=12
        ),
        "fine": st.none() | st.integers(0, 5000),
    }
)
# A row: ("valid", values) | ("broken", values, broken index) | ("blank",) | ("total",)
row_kinds = st.one_of(
    valid_rows.map(lambda v: ("valid", v)),
    st.tuples(st.just("broken"), valid_rows, st.integers(0, len(BROKEN) - 1)),
    st.just(("blank",)),
    st.just(("total",)),
)
ledgers = st.fixed_dictionaries(
    {
        "format": st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "xlsx"]),
        "titles": st.integers(0, 2),
        # the last row is data, so no format can drop trailing blank rows
        "rows": st.lists(row_kinds, max_size=12).map(lambda rows: [*rows, ("total",)]),
    }
)


def _cells(row: tuple, n: int, workbook: bool) -> list:
    if row[0] == "blank":
        return [None] * len(HEADER)
    if row[0] == "total":
        return ["合计", None, None, None, None, 100]
    v = row[1]
    form = v["date_form"] if workbook else v["date_form"] % 6
    if form == 6:
        date = v["day"]
    elif form == 7:
        date = (v["day"] - dt.date(1899, 12, 30)).days
    else:
        date = _date_text(v["day"], form)
    cells = [f"C{n:03d}", v["unit"], date, v["item"], v["summary"] or None, v["fine"]]
    if row[0] == "broken":
        column, value = BROKEN[row[2]]
        cells[HEADER.index(column)] = value
    return cells


def _write(ledger: dict, folder: Path) -> Path:
    workbook = ledger["format"] == "xlsx"
    body = [_cells(row, n, workbook) for n, row in enumerate(ledger["rows"])]
    titles = [["西花园路街道综合执法大队 案件台账"], ["填报日期：2012年8月"]][: ledger["titles"]]
    if workbook:
        path = folder / "generated.xlsx"
        wb = openpyxl.Workbook()
        for cells in [*titles, HEADER, *body]:
            wb.active.append(cells)
        wb.save(path)
        return path
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    for cells in [*titles, HEADER, *body]:
        writer.writerow(["" if c is None else c for c in cells])
    path = folder / "generated.csv"
    path.write_bytes(text.getvalue().encode(ledger["format"]))
    return path


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ledger=ledgers)
def test_generated_ledgers_account_for_every_row(monkeypatch, ledger):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = _write(ledger, folder)
        s = make_settings(folder, monkeypatch)
        report = run(s, path).files[0]
        assert report.status == "loaded", report.error
        kinds = [row[0] for row in ledger["rows"]]
        counts = tuple(
            report.total(a)
            for a in ("rows_read", "rows_loaded", "rows_quarantined", "rows_skipped")
        )
        assert counts[0] == counts[1] + counts[2] + counts[3]
        assert counts == (
            len(kinds),
            kinds.count("valid"),
            kinds.count("broken"),
            kinds.count("blank") + kinds.count("total"),
        )
        assert report.sheets[0].header_row == ledger["titles"] + 1
        got = query(
            s,
            "select source_row, case_id, unit_code, found_date, item_code, summary, fine_yuan "
            "from raw.cases order by source_row",
        )
        expected = [
            {
                "source_row": ledger["titles"] + 2 + n,
                "case_id": f"C{n:03d}",
                "unit_code": UNITS[row[1]["unit"]],
                "found_date": row[1]["day"].isoformat(),
                "item_code": row[1]["item"],
                "summary": row[1]["summary"] or None,
                "fine_yuan": None if row[1]["fine"] is None else f"{row[1]['fine']}.00",
            }
            for n, row in enumerate(ledger["rows"])
            if row[0] == "valid"
        ]
        assert got == expected
        quarantined = query(s, "select source_row from raw.quarantine order by source_row")
        assert [q["source_row"] for q in quarantined] == [
            ledger["titles"] + 2 + n for n, row in enumerate(ledger["rows"]) if row[0] == "broken"
        ]


def test_contract_header_is_what_the_generator_writes():
    headers = {c.header for c in CASES.columns}
    assert set(HEADER) <= headers
