"""The fact tables are built incrementally by file, and give what a whole build gives.

A build after an ingest adds the rows of newly loaded files to fct_cases, fct_patrols and
fct_outputs and drops those of superseded files; a changed project (models, macros, reference
data) rebuilds them whole.
"""

from __future__ import annotations

import json
import shutil

import duckdb
from conftest import data_tests_on, make_dbt_project

from pipeline.build import build_and_publish, dbt_dir, facts_stamp, set_facts_stamp
from pipeline.ingest import ingest
from pipeline.settings import PROJECT_ROOT, Settings

DEMO = PROJECT_ROOT / "data" / "demo"
HEADER = (
    "案件编号,单位,网格,发现日期,来源,事项编码,案由,当事人,身份证号,联系电话,"
    "处理方式,移交部门,整改期限,结案日期,处理结果,罚款金额(元)"
)
FIRST = [
    "K001,XHY,XHY-01,2011-09-01,巡查发现,SR01,占道经营,,,,劝导教育,,,2011-09-01,已整改,",
    "K002,XHY,XHY-02,2011-09-02,群众举报,SR01,占道经营,,,,整改通知,,2011-09-09,2011-09-08,已整改,",
    "K003,XHY,,2011-09-03,巡查发现,SR01,占道经营,,,,立案处罚,,,2011-09-20,已处罚,200",
]
# The clerk's next version of the same file: K002 changed, K003 gone, K004 new.
SECOND = [
    FIRST[0],
    "K002,XHY,XHY-02,2011-09-02,群众举报,SR01,占道经营,,,,整改通知,,2011-09-09,,逾期未整改,",
    "K004,XHY,XHY-03,2011-10-05,巡查发现,SR01,占道经营,,,,现场纠正,,,2011-10-05,已整改,",
]
SCHEMAS = ("marts", "intermediate", "reporting")


def _write(path, rows):
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def _contents(warehouse, scope: bool = False) -> dict[str, list[tuple]]:
    """Every table and view of the built schemas, rows sorted; with `scope`, also the units
    the last build recomputed."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        names = con.execute(
            "select schema_name, table_name from duckdb_tables() "
            "where schema_name in (?, ?, ?) union all "
            "select schema_name, view_name from duckdb_views() "
            "where schema_name in (?, ?, ?) and not internal order by all",
            [*SCHEMAS, *SCHEMAS],
        ).fetchall()
        got = {
            f"{s}.{t}": sorted(con.execute(f'select * from "{s}"."{t}"').fetchall(), key=repr)
            for s, t in names
        }
    finally:
        con.close()
    # What a build recomputed differs by design; what it recorded for the next must not.
    built = got.pop("intermediate.int_build_scope", None)
    if built is not None:
        got["intermediate.int_build_scope"] = [r for r in built if scope or r[0] != "rebuild_unit"]
    return got


def _published(settings) -> tuple[int, dict[str, list[tuple]]]:
    """How many publishes in a row were incremental, and the published snapshot's contents,
    checked equal to the warehouse's."""
    from pipeline.publish import current, publish_dir

    pointer = current(settings)
    snapshot = _contents(publish_dir(settings) / pointer["snapshot"], scope=True)
    warehouse = _contents(settings.warehouse, scope=True)
    assert snapshot.keys() == warehouse.keys()
    for name in warehouse:
        assert snapshot[name] == warehouse[name], name
    return pointer["incremental"], snapshot


def test_a_build_after_an_ingest_adds_and_drops_files_as_a_whole_build_would(tmp_path, monkeypatch):
    monkeypatch.setenv("PILOT_SECRET_FILE", str(tmp_path / "secret.key"))
    root = make_dbt_project(tmp_path / "project")
    settings = Settings(
        root=root, warehouse=tmp_path / "wh.duckdb", reference_dir=root / "data" / "reference"
    )
    ledgers = tmp_path / "ledgers"
    ledgers.mkdir()
    cases = _write(ledgers / "XHY_案件补录.csv", FIRST)
    ingest(settings, [cases, DEMO / "XHY_巡查日志.xlsx", DEMO / "XHY_宣传及专项活动台账.xlsx"])
    first = build_and_publish(settings)
    assert first.full_refresh  # no fact tables yet
    assert any(n.resource_type == "seed" for n in first.nodes)

    # A new version of one file (it supersedes the first) and new files of all three ledgers.
    _write(cases, SECOND)
    ingest(
        settings,
        [
            cases,
            DEMO / "XJ_案件台账.xlsx",
            DEMO / "XJ_巡查日志.xlsx",
            DEMO / "XJ_宣传及专项活动台账.xlsx",
        ],
    )
    incremental = build_and_publish(settings)
    assert incremental.nodes and not incremental.full_refresh
    # The reference tables are the same (or the build would be whole): the seeds are not
    # loaded again, and the models made of them alone are not made again (selectors.yml);
    # every data test of the models that read the ledgers still runs.
    kinds = {n.resource_type for n in incremental.nodes}
    assert "seed" not in kinds and "model" in kinds

    def named(result, kind):
        return {n.name for n in result.nodes if n.resource_type == kind}

    left_out = named(first, "model") - named(incremental, "model")
    assert left_out and all(m.startswith(("dim_", "rpt_summary_", "rpt_events")) for m in left_out)
    assert named(incremental, "test") == named(first, "test") - data_tests_on(
        named(first, "test"), left_out
    )
    # Its publish keeps the snapshot's copy of the tables it did not make (checked equal to
    # the warehouse's below).
    assert ("marts", "fct_cases") in incremental.made
    assert ("marts", "dim_units") in first.made and ("marts", "dim_units") not in incremental.made
    # A build writes no manifest.json; dbt parse does.
    assert (dbt_dir(settings) / "target" / "partial_parse.msgpack").exists()
    assert not (dbt_dir(settings) / "target" / "manifest.json").exists()
    from dbt.cli.main import dbtRunner

    for key, value in settings.dbt_env().items():
        monkeypatch.setenv(key, value)
    parsed = dbtRunner().invoke(["parse", "--project-dir", str(root), "--profiles-dir", str(root)])
    assert parsed.success, parsed.exception
    manifest = json.loads((root / "target" / "manifest.json").read_text(encoding="utf-8"))
    materialized = {
        node["name"]: node["config"]["materialized"]
        for node in manifest["nodes"].values()
        if node["name"] in ("fct_cases", "fct_patrols", "fct_outputs")
    }
    assert materialized == dict.fromkeys(("fct_cases", "fct_patrols", "fct_outputs"), "incremental")
    got = _contents(settings.warehouse)
    assert _published(settings)[0] == 1

    # The same raw data built whole, in a copy of the warehouse.
    whole = Settings(
        root=root, warehouse=tmp_path / "whole.duckdb", reference_dir=root / "data" / "reference"
    )
    shutil.copy(settings.warehouse, whole.warehouse)
    set_facts_stamp(whole, None)  # as if its fact tables were built by another project
    assert build_and_publish(whole).full_refresh
    want = _contents(whole.warehouse)

    assert got.keys() == want.keys() and "marts.fct_cases" in got
    for name in want:
        assert got[name] == want[name], name
    fct = {r[1]: r for r in got["marts.fct_cases"] if r[0] == "XHY" and r[1].startswith("K")}
    assert sorted(fct) == ["K001", "K002", "K004"]
    assert len(got["marts.fct_patrols"]) > 0 and len(got["marts.fct_outputs"]) > 0


def test_a_changed_project_rebuilds_the_facts_whole(tmp_path, monkeypatch):
    monkeypatch.setenv("PILOT_SECRET_FILE", str(tmp_path / "secret.key"))
    root = make_dbt_project(tmp_path / "project")
    settings = Settings(
        root=root, warehouse=tmp_path / "wh.duckdb", reference_dir=root / "data" / "reference"
    )
    ingest(settings, [_write(tmp_path / "XHY_案件补录.csv", FIRST)])
    assert build_and_publish(settings).full_refresh
    stamp = facts_stamp(settings)
    ingest(settings, [DEMO / "XJ_案件台账.xlsx"])
    assert not build_and_publish(settings).full_refresh  # only data changed
    assert facts_stamp(settings) == stamp

    # A reclassified item changes rows already in fct_cases: they must be computed again.
    catalogue = root / "data" / "reference" / "catalogue.csv"
    lines = catalogue.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    at = header.index("category_code")
    row = next(i for i, line in enumerate(lines) if line.split(",")[0] == "SR01")
    cells = lines[row].rstrip("\n").split(",")
    moved_to = next(line.split(",")[at] for line in lines[1:] if line.split(",")[at] != cells[at])
    cells[at] = moved_to
    lines[row] = ",".join(cells) + "\n"
    catalogue.write_text("".join(lines), encoding="utf-8")
    assert build_and_publish(settings).full_refresh
    assert facts_stamp(settings) != stamp
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        categories = con.execute(
            "select distinct category_code from marts.fct_cases where item_code = 'SR01'"
        ).fetchall()
    finally:
        con.close()
    assert categories == [(moved_to,)]


def test_a_withdrawn_file_leaves_the_facts_as_a_whole_build_without_it(tmp_path, monkeypatch):
    from pipeline.withdraw import withdraw

    monkeypatch.setenv("PILOT_SECRET_FILE", str(tmp_path / "secret.key"))
    root = make_dbt_project(tmp_path / "project")
    settings = Settings(
        root=root, warehouse=tmp_path / "wh.duckdb", reference_dir=root / "data" / "reference"
    )
    wrong = _write(tmp_path / "XHY_案件补录.csv", FIRST)
    ingest(settings, [wrong, DEMO / "XJ_案件台账.xlsx"])
    build_and_publish(settings)

    (done,) = withdraw(settings, [str(wrong)], reason="测试用的副本")
    assert (done.file_name, done.rows_withdrawn, done.rows_quarantined) == (wrong.name, 3, 0)
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        assert con.execute(
            "select count(*) from raw.cases where file_id = ?", [done.file_id]
        ).fetchone() == (0,)
        assert con.execute(
            "select status from raw.files where file_id = ?", [done.file_id]
        ).fetchone() == ("withdrawn",)
        assert con.execute(
            "select file_name, rows_withdrawn, reason from raw.withdrawals"
        ).fetchall() == [(wrong.name, 3, "测试用的副本")]
    finally:
        con.close()

    incremental = build_and_publish(settings)  # the ledgers changed: dbt runs
    assert incremental.nodes and not incremental.full_refresh
    got = _contents(settings.warehouse)
    assert _published(settings)[0] == 1
    assert not [r for r in got["marts.fct_cases"] if r[1].startswith("K00")]
    assert got["marts.fct_cases"]  # XJ's cases stay
    whole = Settings(
        root=root, warehouse=tmp_path / "whole.duckdb", reference_dir=root / "data" / "reference"
    )
    shutil.copy(settings.warehouse, whole.warehouse)
    set_facts_stamp(whole, None)
    assert build_and_publish(whole).full_refresh
    want = _contents(whole.warehouse)
    for name in want:
        assert got[name] == want[name], name

    # The same file ingested again is loaded again, not found "unchanged".
    (again,) = ingest(settings, [wrong]).files
    assert (again.status, again.total("rows_loaded")) == ("loaded", 3)


def _rebuilt_units(warehouse) -> set[str]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute(
            "select unit_code from intermediate.int_build_scope where entry = 'rebuild_unit'"
        ).fetchall()
    finally:
        con.close()
    return {r[0] for r in rows}


def _duplicates_found(tmp_path, settings, model: str, units: list[str]) -> int:
    """In a copy of the warehouse, double one row of each unit in `model`; the failures of its
    uniqueness test in an incremental run of its data tests."""
    from dbt.cli.main import dbtRunner

    from pipeline.build import _environ, dbt_args

    copy = Settings(
        root=settings.root,
        warehouse=tmp_path / "doubled.duckdb",
        reference_dir=settings.reference_dir,
    )
    shutil.copy(settings.warehouse, copy.warehouse)
    con = duckdb.connect(str(copy.warehouse))
    try:
        for unit in units:
            con.execute(
                f"insert into reporting.{model} select * from reporting.{model} "
                "where unit_code = ? limit 1",
                [unit],
            )
    finally:
        con.close()
    with _environ(copy.dbt_env()):
        run = dbtRunner().invoke(["test", *dbt_args(copy, select=model)[1:]])
    assert run.result is not None, run.exception
    (unique,) = [r for r in run.result.results if "unique_combination" in r.node.name]
    return unique.failures


def test_a_file_of_one_unit_recomputes_that_unit_and_the_total_as_a_whole_build_would(
    tmp_path, monkeypatch
):
    """The aggregates built by unit: a file within the periods already built recomputes only its
    unit and the pilot total; the tables are still those a whole build makes."""
    import pipeline.publish
    from pipeline.withdraw import withdraw

    monkeypatch.setenv("PILOT_SECRET_FILE", str(tmp_path / "secret.key"))
    # XHY and ALL hold half the rows of the demo's aggregates: publish them by unit all the same.
    monkeypatch.setattr(pipeline.publish, "MAX_CHANGED_SHARE", 1.0)
    root = make_dbt_project(tmp_path / "project")
    settings = Settings(
        root=root, warehouse=tmp_path / "wh.duckdb", reference_dir=root / "data" / "reference"
    )
    ingest(settings, sorted(DEMO.glob("*.xlsx")))
    assert build_and_publish(settings).full_refresh
    before = _contents(settings.warehouse)
    every_unit = _rebuilt_units(settings.warehouse)
    assert {"XHY", "XJ", "ZBB", "ALL"} <= every_unit

    # Three more XHY cases, dated inside the periods already built.
    late = _write(tmp_path / "XHY_案件补录.csv", FIRST)
    ingest(settings, [late])
    assert not build_and_publish(settings).full_refresh
    assert _rebuilt_units(settings.warehouse) == {"XHY", "ALL"}
    got = _contents(settings.warehouse)
    assert got != before
    # Published by copying the snapshot before and replacing the changed rows.
    incremental, published = _published(settings)
    assert incremental == 1 and published["marts.fct_cases"] != before["marts.fct_cases"]
    # The data tests of the aggregates read the recomputed units' rows: a key doubled in XHY
    # fails, one doubled in XJ (not recomputed, tested by the build before) is not seen.
    assert _duplicates_found(tmp_path, settings, "rpt_unit_metrics", ["XHY", "XJ"]) == 1

    whole = Settings(
        root=root, warehouse=tmp_path / "whole.duckdb", reference_dir=root / "data" / "reference"
    )
    shutil.copy(settings.warehouse, whole.warehouse)
    set_facts_stamp(whole, None)
    assert build_and_publish(whole).full_refresh
    assert _rebuilt_units(whole.warehouse) == every_unit
    want = _contents(whole.warehouse)
    assert got.keys() == want.keys()
    for name in want:
        assert got[name] == want[name], name

    # Withdrawn again: the facts and every metric go back to what they were (the quality
    # tables now list the withdrawn file).
    withdraw(settings, [str(late)])
    assert not build_and_publish(settings).full_refresh
    assert _rebuilt_units(settings.warehouse) == {"XHY", "ALL"}
    after = _contents(settings.warehouse)
    assert _published(settings)[0] == 2
    quality = {name for name in before if "quality" in name}
    assert quality and after.keys() == before.keys()
    for name in before.keys() - quality:
        assert after[name] == before[name], name


def test_a_build_that_did_not_pass_makes_the_next_one_whole(tmp_path, monkeypatch):
    """A failed build may leave some aggregates recomputed and others not: the next is whole."""
    from pipeline.build import project_fingerprint
    from pipeline.errors import BuildError

    monkeypatch.setenv("PILOT_SECRET_FILE", str(tmp_path / "secret.key"))
    root = make_dbt_project(tmp_path / "project")
    settings = Settings(
        root=root, warehouse=tmp_path / "wh.duckdb", reference_dir=root / "data" / "reference"
    )
    ingest(settings, [_write(tmp_path / "XHY_案件补录.csv", FIRST)])
    assert build_and_publish(settings).full_refresh
    assert facts_stamp(settings) == project_fingerprint(settings)

    # A model that fails after the facts and int_build_scope were built.
    broken = root / "models" / "reporting" / "rpt_repeat_parties_unit_period.sql"
    text = broken.read_text(encoding="utf-8")
    broken.write_text(
        text.replace("from party_cases", "from party_cases where cast(unit_code as integer) > 0", 1)
    )
    ingest(settings, [DEMO / "XJ_案件台账.xlsx"])
    try:
        build_and_publish(settings)
    except BuildError:
        pass
    else:
        raise AssertionError("the broken model built")
    assert facts_stamp(settings) is None

    broken.write_text(text, encoding="utf-8")
    assert build_and_publish(settings).full_refresh
    assert facts_stamp(settings) == project_fingerprint(settings)
    assert _published(settings)[0] == 0


def test_a_publish_that_did_not_finish_makes_the_next_one_whole(tmp_path, monkeypatch):
    """An incremental publish starts from the snapshot the warehouse equalled; after a publish
    that failed, none does, and the next publish copies every table."""
    import pipeline.publish
    from pipeline.errors import WarehouseError

    monkeypatch.setenv("PILOT_SECRET_FILE", str(tmp_path / "secret.key"))
    root = make_dbt_project(tmp_path / "project")
    settings = Settings(
        root=root, warehouse=tmp_path / "wh.duckdb", reference_dir=root / "data" / "reference"
    )
    ingest(settings, [_write(tmp_path / "XHY_案件补录.csv", FIRST)])
    build_and_publish(settings)
    assert _published(settings)[0] == 0
    ingest(settings, [DEMO / "XJ_案件台账.xlsx"])
    build_and_publish(settings)
    assert _published(settings)[0] == 1
    published = pipeline.publish.current(settings)["snapshot"]

    def full_disk(*args):
        raise duckdb.IOException("IO Error: No space left on device")

    ingest(settings, [DEMO / "ZBB_案件台账.xlsx"])
    with monkeypatch.context() as patched:
        patched.setattr(pipeline.publish, "_update_schema", full_disk)
        try:
            build_and_publish(settings)
        except WarehouseError as exc:
            assert "No space left on device" in exc.message
        else:
            raise AssertionError("the publish passed")
    assert pipeline.publish.current(settings)["snapshot"] == published
    # The warehouse holds ZBB's cases, the snapshot does not: the next publish is whole.
    assert not build_and_publish(settings).full_refresh
    incremental, got = _published(settings)
    assert incremental == 0 and {r[0] for r in got["marts.fct_cases"]} >= {"XHY", "XJ", "ZBB"}
