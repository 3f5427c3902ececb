"""The demo ledgers: valid under the contract, deterministic, and adding up to the published figures."""

from __future__ import annotations

import csv
import re
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.contract import ACTIONS, CASES, OUTCOMES, OUTPUTS, PATROLS, SOURCES, TOTAL_MARKERS
from pipeline.demo import generate_demo
from pipeline.errors import PilotError
from pipeline.scale import generate_scaled
from pipeline.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "data" / "reference"
COMMITTED_DEMO = ROOT / "data" / "demo"
UNITS = ("XHY", "XJ", "ZBB")
LEDGERS = (CASES, PATROLS, OUTPUTS)
PERIOD = (date(2011, 8, 1), date(2012, 7, 31))


def _reference(name: str) -> list[dict[str, str]]:
    with (REFERENCE / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _parse_date(value: object) -> date:
    """Read a date the way the contract accepts it from the demo: a date cell or one of three texts."""
    if isinstance(value, datetime):
        return value.date()
    text = str(value)
    m = re.fullmatch(r"(\d{4})(?:-|/|\.|年)(\d{1,2})(?:-|/|\.|月)(\d{1,2})日?", text)
    assert m, f"date not in an accepted form: {text!r}"
    return date(int(m[1]), int(m[2]), int(m[3]))


def _read(path: Path, ledger) -> list[dict[str, object]]:
    wb = openpyxl.load_workbook(path)
    ws = wb[ledger.title]
    header = [c.value for c in ws[2]]
    assert header == [c.header for c in ledger.columns]
    names = [c.name for c in ledger.columns]
    rows = []
    for cells in ws.iter_rows(min_row=3):
        values = [c.value for c in cells]
        if all(v is None for v in values) or values[0] in TOTAL_MARKERS:
            continue
        row = dict(zip(names, values))
        row["_cells"] = dict(zip(names, cells))
        rows.append(row)
    return rows


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    generate_demo(out)
    return out


@pytest.fixture(scope="module")
def ledgers(demo_dir) -> dict[str, list[dict[str, object]]]:
    data: dict[str, list[dict[str, object]]] = {lg.name: [] for lg in LEDGERS}
    for unit in UNITS:
        for lg in LEDGERS:
            for row in _read(demo_dir / f"{unit}_{lg.title}.xlsx", lg):
                row["_unit"] = unit
                data[lg.name].append(row)
    return data


def test_nine_workbooks_with_title_header_and_instructions(tmp_path):
    paths = generate_demo(tmp_path)
    assert sorted(p.name for p in paths) == sorted(
        f"{u}_{lg.title}.xlsx" for u in UNITS for lg in LEDGERS
    )
    wb = openpyxl.load_workbook(tmp_path / "XHY_案件台账.xlsx")
    ws = wb["案件台账"]
    assert ws["A1"].value == "西花园路街道综合执法大队案件台账（2011年8月—2012年7月）"
    assert "A1:P1" in {str(r) for r in ws.merged_cells.ranges}
    assert wb.sheetnames == ["案件台账", "填表说明"]
    outputs = openpyxl.load_workbook(tmp_path / "XJ_宣传及专项活动台账.xlsx")["宣传及专项活动台账"]
    assert outputs.cell(row=outputs.max_row, column=1).value == "合计"


def test_determinism(tmp_path):
    first = generate_demo(tmp_path / "a")
    second = generate_demo(tmp_path / "b")
    for a, b in zip(first, second):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_committed_demo_is_current(demo_dir):
    for path in sorted(demo_dir.glob("*.xlsx")):
        committed = COMMITTED_DEMO / path.name
        assert committed.exists(), f"{committed} missing: run `pilot demo data/demo`"
        assert committed.read_bytes() == path.read_bytes(), (
            f"{committed.name} is stale: regenerate with `pilot demo data/demo`"
        )


def test_published_case_figures(ledgers):
    cases = ledgers["cases"]
    actions = Counter(r["action"] for r in cases)
    assert actions["整改通知"] == 34
    disputes = [r for r in cases if r["item_code"].startswith("JF")]
    assert len(disputes) == 15
    assert all(r["action"] == "调解" for r in disputes)
    assert actions["调解"] == 15
    outcomes = Counter(r["outcome"] for r in disputes)
    assert outcomes["调解成功"] > outcomes["调解不成"] > 0
    assert set(outcomes) <= {"调解成功", "调解不成", "办理中"}
    family_planning = [
        r for r in cases if r["action"] == "移交" and r["referred_to"] in ("人口计生局", "计生局")
    ]
    assert len(family_planning) == 4
    assert all(r["item_code"].startswith("JS") for r in family_planning)
    # Every referral to the family-planning bureau under any of its names is one of the four.
    js_aliases = next(d for d in _reference("departments.csv") if d["dept_code"] == "JS")
    js_names = {js_aliases["dept_name"], *js_aliases["aliases"].split("|")}
    assert sum(1 for r in cases if r["action"] == "移交" and r["referred_to"] in js_names) == 4
    assert actions["立案处罚"] > 0
    assert actions["劝导教育"] + actions["现场纠正"] > len(cases) / 2


def test_published_output_figures(ledgers):
    types = _reference("output_types.csv")
    code_of = {}
    for t in types:
        for label in (t["output_name"], *t["aliases"].split("|")):
            code_of[label] = t["output_code"]
    totals = Counter()
    for r in ledgers["outputs"]:
        assert isinstance(r["quantity"], int)
        totals[code_of[r["output_type"]]] += r["quantity"]
    assert 1800 <= totals["LEAFLET"] <= 1899
    assert 200 <= totals["BANNER"] <= 209
    assert totals["BLACKBOARD"] == 12
    assert totals["BOARD_MADE"] == 6
    assert 10 <= totals["BOARD_SHOW"] <= 19
    assert 450 <= totals["CONSULT"] <= 459
    assert 170 <= totals["SIGNBOARD"] <= 179
    assert totals["PAVING"] == 23
    assert totals["TRAINING"] == 5


def test_volumes_and_growth(ledgers):
    assert 300 <= len(ledgers["cases"]) <= 500
    assert 900 <= len(ledgers["patrols"]) <= 1100
    for name in ("cases", "patrols"):
        dates = [
            _parse_date(r["found_date"] if name == "cases" else r["date"]) for r in ledgers[name]
        ]
        first_quarter = sum(1 for d in dates if d < date(2011, 11, 1))
        last_quarter = sum(1 for d in dates if d >= date(2012, 5, 1))
        assert last_quarter > first_quarter
    by_unit = Counter((r["_unit"], r["item_code"][:2]) for r in ledgers["cases"])
    assert by_unit["XHY", "SR"] > by_unit["XJ", "SR"]
    assert by_unit["XJ", "GT"] > by_unit["XHY", "GT"]
    assert by_unit["ZBB", "GT"] > by_unit["XHY", "GT"]


def _unit_spellings() -> dict[str, set[str]]:
    return {
        u["unit_code"]: {u["unit_code"], u["unit_name"], u["short_name"]}
        for u in _reference("units.csv")
    }


def _grids() -> dict[str, set[str]]:
    grids: dict[str, set[str]] = {}
    for g in _reference("grids.csv"):
        grids.setdefault(g["unit_code"], set()).add(g["grid_code"])
    return grids


def _valid_id_number(text: str) -> bool:
    if not re.fullmatch(r"640105\d{11}[\dX]", text):
        return False
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(ch) * w for ch, w in zip(text[:17], weights))
    return "10X98765432"[total % 11] == text[17]


def test_cases_pass_the_contract(ledgers):
    items = {r["item_code"] for r in _reference("catalogue.csv")}
    departments = set()
    for d in _reference("departments.csv"):
        departments |= {d["dept_name"], *d["aliases"].split("|")}
    units, grids = _unit_spellings(), _grids()
    ids = Counter((r["_unit"], r["case_id"]) for r in ledgers["cases"])
    assert max(ids.values()) == 1
    for r in ledgers["cases"]:
        unit = r["_unit"]
        assert r["unit"] in units[unit]
        assert r["grid"] is None or r["grid"] in grids[unit]
        found = _parse_date(r["found_date"])
        assert PERIOD[0] <= found <= PERIOD[1]
        assert r["source"] in SOURCES
        assert r["item_code"] in items
        assert r["action"] in ACTIONS
        assert r["outcome"] in OUTCOMES
        if r["action"] == "移交":
            assert r["referred_to"] in departments
            assert r["outcome"] in ("已移交", "办理中")
        else:
            assert r["referred_to"] is None
        if r["action"] == "整改通知":
            assert _parse_date(r["deadline"]) >= found
            assert r["outcome"] in ("已整改", "逾期未整改", "办理中")
        else:
            assert r["deadline"] is None
        if r["action"] == "立案处罚":
            assert r["fine_yuan"] > 0 and r["outcome"] in ("已处罚", "办理中")
        else:
            assert r["fine_yuan"] is None
        if r["action"] in ("劝导教育", "现场纠正"):
            assert r["outcome"] in ("已整改", "办理中")
        if r["closed_date"] is not None:
            assert _parse_date(r["closed_date"]) >= found
        if r["party_name"] is not None:
            assert re.fullmatch(r".某某", r["party_name"])
        for col in ("party_id_no", "phone"):
            if r[col] is not None:
                assert isinstance(r[col], str) and r["_cells"][col].data_type == "s"
        if r["party_id_no"] is not None:
            assert _valid_id_number(r["party_id_no"]), r["party_id_no"]
        if r["phone"] is not None:
            assert re.fullmatch(r"1[3-9]\d{9}", r["phone"])


def test_patrols_pass_the_contract(ledgers):
    units, grids = _unit_spellings(), _grids()
    officers_seen = set()
    crossing_midnight = 0
    prefixes = {"XHY": "西花园队员", "XJ": "兴泾队员", "ZBB": "镇北堡队员"}
    for r in ledgers["patrols"]:
        unit = r["_unit"]
        assert r["unit"] in units[unit]
        assert r["grid"] in grids[unit]
        assert PERIOD[0] <= _parse_date(r["date"]) <= PERIOD[1]
        for col in ("start_time", "end_time"):
            assert re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", r[col])
        crossing_midnight += r["end_time"] < r["start_time"]
        crew = r["officers"].split("、")
        assert 1 <= len(crew) <= 3
        for officer in crew:
            assert re.fullmatch(prefixes[unit] + r"0[1-9]", officer)
        officers_seen |= set(crew)
        assert 0 <= r["resolved_on_spot"] <= r["issues_found"]
    assert len(officers_seen) == 27
    assert 0 < crossing_midnight < len(ledgers["patrols"]) * 0.1
    for unit in UNITS:
        patrolled = {r["grid"] for r in ledgers["patrols"] if r["_unit"] == unit}
        assert patrolled == grids[unit]


def test_outputs_pass_the_contract(ledgers):
    units = _unit_spellings()
    measures, labels = {}, set()
    for t in _reference("output_types.csv"):
        for label in (t["output_name"], *t["aliases"].split("|")):
            measures[label] = t["measure"]
            labels.add(label)
    for r in ledgers["outputs"]:
        assert r["unit"] in units[r["_unit"]]
        assert PERIOD[0] <= _parse_date(r["date"]) <= PERIOD[1]
        assert r["output_type"] in labels
        assert r["quantity"] >= 0
        assert r["measure"] is None or r["measure"] == measures[r["output_type"]]


@pytest.fixture
def start(monkeypatch) -> date:
    """Another pilot start: Settings.pilot_start reads it from dbt's var pilot_start."""
    start = date(2012, 3, 1)
    monkeypatch.setattr(Settings, "pilot_start", property(lambda self: start))
    return start


def test_the_demo_covers_the_first_year_from_the_pilot_start_dbt_declares(tmp_path, start):
    # Ingest quarantines a date before the pilot start.
    generate_demo(tmp_path / "demo")
    title = openpyxl.load_workbook(tmp_path / "demo" / "XHY_案件台账.xlsx")["案件台账"]["A1"].value
    assert title == "西花园路街道综合执法大队案件台账（2012年3月—2013年2月）"
    found, closed = [], []
    for unit in UNITS:
        for lg in LEDGERS:
            for r in _read(tmp_path / "demo" / f"{unit}_{lg.title}.xlsx", lg):
                found.append(_parse_date(r.get("found_date") or r["date"]))
                if r.get("closed_date") is not None:
                    closed.append(_parse_date(r["closed_date"]))
    # The whole first year, and nothing closed after it.
    assert start <= min(found) < date(2012, 4, 1)
    assert date(2013, 2, 1) <= max(found) <= date(2013, 2, 28)
    assert min(closed) >= start and max(closed) <= date(2013, 2, 28)


def test_scaled_ledgers_start_on_the_pilot_start_dbt_declares(tmp_path, start):
    scaled = generate_scaled(tmp_path / "scaled", units=2, years=1)
    with (scaled.reference_dir / "units.csv").open(encoding="utf-8", newline="") as fh:
        assert {r["pilot_start"] for r in csv.DictReader(fh)} == {"2012-03-01"}
    days = []
    for path in scaled.files:
        with path.open(encoding="utf-8", newline="") as fh:
            for r in csv.DictReader(fh):
                text = r.get("发现日期") or r["日期"]
                if not text.endswith("-02-30"):  # the impossible dates scale writes on purpose
                    days.append(_parse_date(text))
    assert start <= min(days) < date(2012, 4, 1)
    assert date(2013, 2, 1) <= max(days) <= start + timedelta(days=364)


def _recent_project(root: Path) -> Settings:
    """A project copy whose dbt var pilot_start is this month's first day: its first year is
    still running."""
    start = date.today().replace(day=1)
    root.mkdir()
    (root / "dbt_project.yml").write_text(
        f"name: pilot\nvars:\n  pilot_start: '{start.isoformat()}'\n", encoding="utf-8"
    )
    return Settings(root=root, warehouse=root / "wh.duckdb")


def test_a_demo_reaching_past_today_is_refused_before_writing(tmp_path):
    # The demo is the pilot's first twelve months; ingest quarantines a date after its day.
    start = _recent_project(tmp_path / "project").pilot_start
    end = date(start.year + 1, start.month, 1) - timedelta(days=1)
    today = date.today()
    out = tmp_path / "demo"
    with pytest.raises(PilotError) as raised:
        generate_demo(out, pilot_start=start)
    assert raised.value.message == (
        f"示例台账为试点的前 12 个月（{start} 至 {end}），现在生成会有晚于今天（{today}）的日期，"
        f"入库时会被隔离 / the demo ledgers hold the pilot's first 12 months ({start} to {end}): "
        f"written now they would hold dates after today ({today}), which the ingest quarantines"
    )
    assert raised.value.hint == (
        f"the demo starts on the pilot's first day, {start} (dbt var pilot_start): "
        f"write it on {end} or later"
    )
    assert not out.exists()


def test_a_demo_whose_first_year_ends_today_is_written(tmp_path):
    start = date(2011, 8, 1)
    with pytest.raises(PilotError):
        generate_demo(tmp_path / "early", pilot_start=start, today=date(2012, 7, 30))
    assert not (tmp_path / "early").exists()
    assert len(generate_demo(tmp_path / "demo", pilot_start=start, today=date(2012, 7, 31))) == 9


def test_pilot_demo_refuses_a_first_year_still_running(tmp_path, monkeypatch):
    # `pilot demo` takes the pilot start from the project's dbt var (Settings.pilot_start).
    start = _recent_project(tmp_path / "project").pilot_start
    monkeypatch.setattr(Settings, "pilot_start", property(lambda self: start))
    result = CliRunner().invoke(app, ["demo", str(tmp_path / "demo")])
    assert result.exit_code != 0
    assert isinstance(result.exception, PilotError)
    assert "晚于今天" in result.exception.message
    assert not (tmp_path / "demo").exists()
