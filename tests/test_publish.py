"""Safe publishing: readers never block the build, failed builds publish nothing, one writer."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest
from conftest import make_dbt_project

from pipeline.build import build_and_publish
from pipeline.errors import BuildError, WarehouseError
from pipeline.export import export
from pipeline.ingest import ingest
from pipeline.publish import current, open_reporting, publish_dir
from pipeline.report import write_report
from pipeline.settings import PROJECT_ROOT, Settings

PILOT = [sys.executable, "-m", "pipeline.cli"]
DEMO = PROJECT_ROOT / "data" / "demo"
REFERENCE = PROJECT_ROOT / "data" / "reference"
# Pilot-year totals of the demo ledgers over all units (see test_end_to_end for the figures).
DEMO_CASES, DEMO_PATROLS = 360, 1000


def env_for(tmp: Path, **extra: str) -> dict[str, str]:
    # A command these tests kill (SIGKILL) cannot remove its temp folders: they stay in the
    # test's own folder, not in the machine's /tmp.
    temp = tmp / "process-tmp"
    temp.mkdir(exist_ok=True)
    return {
        **os.environ,
        "PILOT_SECRET_FILE": str(tmp / "secret.key"),
        "COLUMNS": "300",
        "TMPDIR": str(temp),
        **extra,
    }


def pilot(tmp: Path, *args: str, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*PILOT, "--warehouse", str(tmp / "wh.duckdb"), "--quiet", *args],
        check=False,
        capture_output=True,
        text=True,
        env=env_for(tmp, **extra),
        cwd=PROJECT_ROOT,
    )


def start(tmp: Path, *args: str, **extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [*PILOT, "--warehouse", str(tmp / "wh.duckdb"), "--quiet", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env_for(tmp, **extra),
        cwd=PROJECT_ROOT,
    )


def pilot_totals(tmp: Path) -> tuple[int, int]:
    result = pilot(tmp, "export", "metrics", "--period", "all", "--format", "json")
    assert result.returncode == 0, result.stderr
    row = next(r for r in json.loads(result.stdout) if r["unit_code"] == "ALL")
    return row["cases_found"], row["patrols"]


def loaded_files(tmp: Path) -> list[str]:
    data = json.loads(pilot(tmp, "quality", "--format", "json").stdout)
    return sorted(f["file"] for f in data["files"] if f["status"] == "loaded")


def test_a_reader_of_the_published_data_does_not_block_pilot_run(tmp_path):
    assert pilot(tmp_path, "run", "--out", str(tmp_path / "r")).returncode == 0
    first = current(Settings.from_env(tmp_path / "wh.duckdb"))
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent("""
            import sys, time
            from pipeline.publish import open_reporting
            from pipeline.settings import Settings
            con = open_reporting(Settings.from_env(sys.argv[1]))
            print(con.execute("select count(*) from reporting.rpt_unit_metrics").fetchone()[0])
            sys.stdout.flush()
            time.sleep(900)
        """),
            str(tmp_path / "wh.duckdb"),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=env_for(tmp_path),
        cwd=PROJECT_ROOT,
    )
    try:
        assert int(reader.stdout.readline()) > 0  # the reader holds the snapshot open
        extra = tmp_path / "more"
        extra.mkdir()
        (extra / "extra_cases.csv").write_text(
            "案件编号,单位,发现日期,事项编码,处理方式\nEXTRA-1,XHY,2012-07-30,SR01,劝导教育\n",
            encoding="utf-8",
        )
        result = pilot(tmp_path, "run", str(extra), "--out", str(tmp_path / "r"))
        assert result.returncode == 0, result.stderr
        assert reader.poll() is None  # still reading, never interrupted
    finally:
        reader.kill()
        reader.wait()
    second = current(Settings.from_env(tmp_path / "wh.duckdb"))
    assert second["snapshot"] != first["snapshot"]
    assert pilot_totals(tmp_path) == (DEMO_CASES + 1, DEMO_PATROLS)


HOLD_LOCK = """
import sys, time
from pipeline.lock import writer_lock
from pipeline.settings import Settings
with writer_lock(Settings.from_env(sys.argv[1])):
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def hold_lock(tmp: Path, seconds: float) -> subprocess.Popen:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(tmp / "wh.duckdb"), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=PROJECT_ROOT,
    )
    assert holder.stdout.readline().strip() == "locked"
    return holder


def test_a_second_writer_waits_then_proceeds(tmp_path):
    holder = hold_lock(tmp_path, 8)
    try:
        # Not --quiet, which prints errors only: the note that it waits is the evidence here.
        result = subprocess.run(
            [*PILOT, "--warehouse", str(tmp_path / "wh.duckdb"), "ingest", str(DEMO)],
            check=False,
            capture_output=True,
            text=True,
            env=env_for(tmp_path),
            cwd=PROJECT_ROOT,
        )
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("另一个 pilot 进程正在写入仓库，等待中…")
    assert len(loaded_files(tmp_path)) == 9


def test_a_second_writer_gives_up_with_a_clear_message(tmp_path):
    holder = hold_lock(tmp_path, 60)
    try:
        result = subprocess.run(
            [*PILOT, "--warehouse", str(tmp_path / "wh.duckdb"), "ingest", str(DEMO)],
            check=False,
            capture_output=True,
            text=True,
            cwd=PROJECT_ROOT,
            env=env_for(tmp_path, PILOT_LOCK_WAIT="1"),
        )
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 1
    assert result.stderr == (
        "另一个 pilot 进程正在写入仓库，等待中… / another pilot command is writing the "
        "warehouse, waiting…\n"
        f"错误 / error: 仓库正忙：另一个 pilot 进程正在写入 / warehouse busy: another pilot "
        f"command is writing {tmp_path / 'wh.duckdb'}\n"
        "提示 / hint: wait for it to finish and try again (waited 1 s; set PILOT_LOCK_WAIT to "
        "wait longer)\n"
    )


def test_a_quiet_second_writer_says_only_that_it_gave_up(tmp_path):
    holder = hold_lock(tmp_path, 60)
    try:
        result = pilot(tmp_path, "ingest", str(DEMO), PILOT_LOCK_WAIT="1")
    finally:
        holder.kill()
        holder.wait()
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        f"错误 / error: 仓库正忙：另一个 pilot 进程正在写入 / warehouse busy: another pilot "
        f"command is writing {tmp_path / 'wh.duckdb'}\n"
        "提示 / hint: wait for it to finish and try again (waited 1 s; set PILOT_LOCK_WAIT to "
        "wait longer)\n"
    )


def test_a_failing_build_publishes_nothing_and_keeps_reports_and_exports(tmp_path, monkeypatch):
    monkeypatch.setenv("PILOT_SECRET_FILE", str(tmp_path / "secret.key"))
    shipped = {n: (REFERENCE / n).read_text(encoding="utf-8") for n in ("units.csv", "grids.csv")}
    root = make_dbt_project(tmp_path / "project", reference=shipped)
    settings = Settings(
        root=root,
        warehouse=tmp_path / "wh.duckdb",
        reference_dir=root / "data" / "reference",
        reports_dir=tmp_path / "reports",
    )
    ingest(settings, [DEMO])
    build_and_publish(settings)
    index = write_report(settings)
    report_before = index.read_bytes()
    export_before = export(settings, "metrics", period="all", fmt="json")
    snapshot_before = current(settings)

    units = root / "data" / "reference" / "units.csv"
    lines = units.read_text(encoding="utf-8").splitlines()
    units.write_text("\n".join([*lines, lines[1]]) + "\n", encoding="utf-8")  # XHY twice
    with pytest.raises(BuildError) as failure:
        build_and_publish(settings)
    assert failure.value.message.startswith("dbt build 失败 / dbt build failed:")
    assert "- test unique_dim_units_unit_code: 1 failing row(s)" in failure.value.message
    assert current(settings) == snapshot_before
    assert export(settings, "metrics", period="all", fmt="json") == export_before
    assert index.read_bytes() == report_before
    last = json.loads((publish_dir(settings) / "last_build.json").read_text(encoding="utf-8"))
    assert last["status"] == "failed"
    assert "unique_dim_units_unit_code" in last["message"]


HOLD_OPEN = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print("open", flush=True)
time.sleep(float(sys.argv[2]))
"""


def hold_open(path: Path, seconds: float) -> subprocess.Popen:
    """Another process reading the warehouse file itself, as a notebook or `pilot quality` does."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_OPEN, str(path), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "open"
    return holder


def test_a_build_blocked_by_a_reader_says_the_warehouse_is_busy_not_that_the_project_is_broken(
    tmp_path,
):
    assert pilot(tmp_path, "ingest", str(DEMO)).returncode == 0
    warehouse = tmp_path / "wh.duckdb"
    holder = hold_open(warehouse, 120)
    try:
        result = subprocess.run(
            [*PILOT, "--warehouse", str(warehouse), "--quiet", "build"],
            check=False,
            capture_output=True,
            text=True,
            cwd=PROJECT_ROOT,
            env=env_for(tmp_path),
        )
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 1
    assert result.stderr == (
        f"错误 / error: 仓库正被另一进程使用 / warehouse busy: {warehouse}\n"
        "提示 / hint: another pilot command or a notebook holds it; close it and try again\n"
    )
    last = json.loads((tmp_path / "wh.published" / "last_build.json").read_text(encoding="utf-8"))
    assert (last["status"], last["message"]) == (
        "failed",
        f"仓库正被另一进程使用 / warehouse busy: {warehouse}",
    )


def test_publishing_waits_out_a_short_read_of_the_warehouse_and_no_more(tmp_path, monkeypatch):
    from pipeline import publish as publishing

    warehouse = tmp_path / "wh.duckdb"
    duckdb.connect(str(warehouse)).close()
    settings = Settings.from_env(warehouse)
    holder = hold_open(warehouse, 1.5)
    try:
        started = time.monotonic()
        publishing._connect_when_free(settings).close()
        assert time.monotonic() - started > 0.5  # it waited for the reader to let go
    finally:
        holder.kill()
        holder.wait()
    monkeypatch.setattr(publishing, "BUSY_WAIT_SECONDS", 0.5)
    holder = hold_open(warehouse, 60)
    try:
        with pytest.raises(WarehouseError) as busy:
            publishing._connect_when_free(settings)
    finally:
        holder.kill()
        holder.wait()
    assert busy.value.message == f"仓库正被另一进程使用 / warehouse busy: {warehouse}"


def test_a_snapshot_that_cannot_be_written_is_an_error_recorded_as_the_builds(
    tmp_path, monkeypatch
):
    from pipeline import publish as publishing

    monkeypatch.setenv("PILOT_SECRET_FILE", str(tmp_path / "secret.key"))
    settings = Settings.from_env(tmp_path / "wh.duckdb")
    ingest(settings, [DEMO])
    build_and_publish(settings)
    before = current(settings)
    (tmp_path / "wh.published" / "build_inputs.sha256").unlink()

    def full_disk(*args):
        raise duckdb.IOException("IO Error: No space left on device")

    # The build is incremental: its publish updates a copy of the snapshot before.
    monkeypatch.setattr(publishing, "_copy_schema", full_disk)
    monkeypatch.setattr(publishing, "_update_schema", full_disk)
    with pytest.raises(WarehouseError) as failure:
        build_and_publish(settings)
    folder = tmp_path / "wh.published"
    assert failure.value.message.startswith(
        "无法写出发布快照 / cannot write the published snapshot "
    )
    assert failure.value.message.endswith(": No space left on device")
    assert failure.value.hint == (
        f"check that you may write to {folder} and that its disk has room; "
        "reports still read the snapshot published before"
    )
    assert current(settings) == before
    assert sorted(p.name for p in folder.glob("snapshot-*")) == [before["snapshot"]]
    last = json.loads((folder / "last_build.json").read_text(encoding="utf-8"))
    assert (last["status"], last["message"]) == ("failed", failure.value.message)


def _kill_once_written(
    proc: subprocess.Popen,
    warehouse: Path,
    at_least: int,
    sig: int = signal.SIGKILL,
    returncode: int = -signal.SIGKILL,
) -> None:
    """Kill `proc` once the warehouse's write-ahead log holds `at_least` bytes: mid-work on a fast
    machine or a slow one (a fixed delay let a quiet machine finish the work first)."""
    wal = warehouse.with_name(warehouse.name + ".wal")
    deadline = time.monotonic() + 300
    while True:
        try:
            if wal.stat().st_size >= at_least:
                break
        except FileNotFoundError:
            pass
        assert proc.poll() is None, "the process ended before it had written enough to be killed"
        assert time.monotonic() < deadline, "the process wrote too little in 300 s"
        time.sleep(0.005)
    proc.send_signal(sig)
    proc.wait()
    assert proc.returncode == returncode, "the process ended before it could be killed"


def _case_ledgers(folder: Path, files: int, rows: int) -> int:
    folder.mkdir()
    for f in range(files):
        lines = ["案件编号,单位,发现日期,事项编码,处理方式"]
        lines += [
            f"K{f:02d}-{r:05d},XHY,2011-09-{r % 28 + 1:02d},SR01,劝导教育" for r in range(rows)
        ]
        (folder / f"cases_{f:02d}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return files * rows


def test_kill_during_ingest_then_ingest_again_loses_and_doubles_nothing(tmp_path):
    expected = _case_ledgers(tmp_path / "ledgers", files=16, rows=4000)
    # Each file's 4,000 rows put about 0.8 MB in the log: killed after two or three of 16.
    _kill_once_written(
        start(tmp_path, "ingest", str(tmp_path / "ledgers")), tmp_path / "wh.duckdb", 2_000_000
    )
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    try:
        (before,) = con.execute("select count(*) from raw.files where status = 'loaded'").fetchone()
    finally:
        con.close()
    assert 0 < before < 16  # the kill landed mid-ingest
    result = pilot(tmp_path, "ingest", str(tmp_path / "ledgers"))
    assert result.returncode == 0, result.stderr
    files = json.loads(pilot(tmp_path, "quality", "--format", "json").stdout)["files"]
    loaded = [f for f in files if f["status"] == "loaded"]
    assert sorted(f["file"] for f in loaded) == [f"cases_{i:02d}.csv" for i in range(16)]
    assert sum(f["rows_loaded"] for f in loaded) == expected
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    try:
        assert con.execute(
            "select count(*), count(distinct case_id) from raw.cases"
        ).fetchone() == (
            expected,
            expected,
        )
    finally:
        con.close()


def test_sigterm_during_ingest_rolls_back_and_leaves_no_temp_folder(tmp_path):
    _case_ledgers(tmp_path / "ledgers", files=16, rows=4000)
    temp = tmp_path / "tmp"
    temp.mkdir()
    proc = start(tmp_path, "ingest", str(tmp_path / "ledgers"), TMPDIR=str(temp))
    # `kill` unwinds as Ctrl-C does: exit status 128 + 15, the file being read rolled back.
    _kill_once_written(proc, tmp_path / "wh.duckdb", 2_000_000, signal.SIGTERM, 143)
    assert list(temp.iterdir()) == []
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    try:
        files, rows = con.execute(
            "select count(*), coalesce(sum(rows_loaded), 0) from raw.files where status = 'loaded'"
        ).fetchone()
        assert con.execute("select count(*) from raw.cases").fetchone() == (rows,)
    finally:
        con.close()
    assert 0 < files < 16


def test_kill_during_build_then_a_normal_run_counts_right(tmp_path):
    assert pilot(tmp_path, "ingest", str(DEMO)).returncode == 0
    # Killed at dbt's first write, once it has imported and parsed: mid-build, before publishing.
    _kill_once_written(start(tmp_path, "build"), tmp_path / "wh.duckdb", 1)
    assert current(Settings.from_env(tmp_path / "wh.duckdb")) is None  # nothing published
    result = pilot(tmp_path, "run", "--out", str(tmp_path / "r"))
    assert result.returncode == 0, result.stderr
    assert pilot_totals(tmp_path) == (DEMO_CASES, DEMO_PATROLS)
    assert len(loaded_files(tmp_path)) == 9


def test_open_reporting_before_any_build_says_what_to_do(tmp_path):
    settings = Settings.from_env(tmp_path / "wh.duckdb")
    publish_dir(settings).mkdir()
    (publish_dir(settings) / "last_build.json").write_text(
        json.dumps({"status": "failed", "finished_at": "x", "message": "m"}), encoding="utf-8"
    )
    with pytest.raises(Exception) as failure:
        open_reporting(settings)
    assert failure.value.message == (
        f"尚无已发布的数据 / nothing published yet for {settings.warehouse}: the last build failed"
    )


def test_readers_and_the_warehouse_cannot_reach_other_files(tmp_path, monkeypatch):
    monkeypatch.setenv("PILOT_SECRET_FILE", str(tmp_path / "secret.key"))
    secret_file = tmp_path / "not_for_sql.csv"
    secret_file.write_text("a\n1\n", encoding="utf-8")
    settings = Settings.from_env(tmp_path / "wh.duckdb")
    ingest(settings, [DEMO / "XHY_案件台账.xlsx"])
    from pipeline.warehouse import connect

    for read_only in (False, True):
        con = connect(settings, read_only=read_only)
        try:
            for sql in (
                "select * from read_csv(?)",
                "attach ? as other",
            ):
                with pytest.raises(duckdb.PermissionException):
                    con.execute(sql, [str(secret_file)])
            with pytest.raises(duckdb.Error):
                con.execute("set enable_external_access = true")
        finally:
            con.close()


def test_a_build_with_nothing_changed_runs_no_dbt_and_a_changed_input_does(tmp_path, monkeypatch):
    monkeypatch.setenv("PILOT_SECRET_FILE", str(tmp_path / "secret.key"))
    shipped = {n: (REFERENCE / n).read_text(encoding="utf-8") for n in ("units.csv", "grids.csv")}
    root = make_dbt_project(tmp_path / "project", reference=shipped)
    settings = Settings(
        root=root, warehouse=tmp_path / "wh.duckdb", reference_dir=root / "data" / "reference"
    )
    ingest(settings, [DEMO / "XHY_案件台账.xlsx"])
    assert build_and_publish(settings).nodes  # cold: dbt ran
    first = current(settings)
    assert build_and_publish(settings).nodes == ()  # warm: nothing read by a build changed
    assert current(settings) == first
    ingest(settings, [DEMO / "XJ_案件台账.xlsx"])
    assert build_and_publish(settings).nodes  # a new ledger
    events = root / "data" / "reference" / "events.csv"
    events.write_text(
        events.read_text(encoding="utf-8") + "2012-01-01,NEW,新事件,New\n", encoding="utf-8"
    )
    assert build_and_publish(settings).nodes  # a changed reference table
    assert export(settings, "metrics", period="all", fmt="json").count('"cases_found": 270') == 1


def status_of(tmp: Path) -> dict:
    result = pilot(tmp, "status", "--format", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_status_counts_every_file_since_the_snapshot_and_says_whether_a_build_is_due(tmp_path):
    assert pilot(tmp_path, "ingest", str(DEMO)).returncode == 0
    info = status_of(tmp_path)
    assert (info["published"], info["waiting_to_build"], info["build_due"]) == (
        None,
        {"loads": 1, "files_loaded": 9, "files_withdrawn": 0},
        True,
    )
    assert pilot(tmp_path, "build").returncode == 0
    info = status_of(tmp_path)
    assert (info["last_build"]["status"], info["waiting_to_build"], info["build_due"]) == (
        "passed",
        {"loads": 0, "files_loaded": 0, "files_withdrawn": 0},
        False,
    )
    # A load stopped by Ctrl-C keeps the files it committed, one transaction each, but is
    # never marked finished: its files still await a build.
    extra = tmp_path / "more"
    extra.mkdir()
    (extra / "extra_cases.csv").write_text(
        "案件编号,单位,发现日期,事项编码,处理方式\nEXTRA-1,XHY,2012-07-30,SR01,劝导教育\n",
        encoding="utf-8",
    )
    assert pilot(tmp_path, "ingest", str(extra)).returncode == 0
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    con.execute(
        "update raw.loads set finished_at = null where load_id = "
        "(select load_id from raw.files where file_name = 'extra_cases.csv')"
    )
    con.close()
    info = status_of(tmp_path)
    assert (info["waiting_to_build"], info["build_due"]) == (
        {"loads": 1, "files_loaded": 1, "files_withdrawn": 0},
        True,
    )
    table = pilot(tmp_path, "status").stdout
    assert (
        "需要构建 / build due: 是：台账或项目（模型、参考表）在快照之后有变化 / yes: the ledgers or "
        "the project (models, reference tables) changed since the snapshot"
    ) in table
    assert pilot(tmp_path, "build").returncode == 0
    assert status_of(tmp_path)["waiting_to_build"] == {
        "loads": 0,
        "files_loaded": 0,
        "files_withdrawn": 0,
    }
    # A withdrawn file awaits a build too: the published metrics still count it.
    assert pilot(tmp_path, "withdraw", "extra_cases.csv").returncode == 0
    info = status_of(tmp_path)
    assert (info["waiting_to_build"]["files_withdrawn"], info["build_due"]) == (1, True)
    assert "撤回 1 个文件 / 1 file(s) withdrawn" in pilot(tmp_path, "status").stdout
    assert pilot(tmp_path, "build").returncode == 0
    info = status_of(tmp_path)
    assert (info["waiting_to_build"]["files_withdrawn"], info["build_due"]) == (0, False)


def test_status_opens_the_warehouse_once(tmp_path, monkeypatch):
    # A second opening could find a writer holding the warehouse after the first let go.
    import pipeline.status
    import pipeline.warehouse

    monkeypatch.setenv("PILOT_SECRET_FILE", str(tmp_path / "secret.key"))
    settings = Settings(root=PROJECT_ROOT, warehouse=tmp_path / "wh.duckdb")
    ingest(settings, [DEMO / "XHY_案件台账.xlsx"])
    opened = []
    real = pipeline.warehouse.connect

    def counting(*args, **kwargs):
        opened.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline.warehouse, "connect", counting)
    monkeypatch.setattr(pipeline.status, "connect", counting)
    info = pipeline.status.status(settings)
    assert (info["waiting_to_build"]["files_loaded"], info["build_due"]) == (1, True)
    assert opened == [{"read_only": True}]


def test_status_of_a_file_that_is_not_a_warehouse_is_that_error_not_a_busy_writer(tmp_path):
    (tmp_path / "wh.duckdb").write_text("not a database\n", encoding="utf-8")
    (tmp_path / "wh.duckdb.lock").touch()  # left by an earlier command, as every writer leaves it
    result = subprocess.run(
        [*PILOT, "--warehouse", str(tmp_path / "wh.duckdb"), "status"],
        check=False,
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=env_for(tmp_path),
    )
    assert result.returncode == 1
    assert result.stderr.startswith(
        f"错误 / error: 无法打开仓库文件 / cannot open the warehouse {tmp_path / 'wh.duckdb'}: "
    )
    assert "a writer is active" not in result.stdout
