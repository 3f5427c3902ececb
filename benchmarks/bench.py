"""Benchmark: pilot beside DuckDB alone and beside a pandas script, each step in its own process.

Prints one table: seconds, ratio to the baseline and peak memory (max RSS) of every step.
Defaults finish in a few minutes on two cores; --full runs the sizes of issue 9 (1,000,000-row
ingest, 10M cases / 3M patrols over 2,000 units for build and report).

    .venv/bin/python benchmarks/bench.py [--rows N] [--units N] [--years Y] [--cases N]
        [--patrols N] [--full] [--work DIR] [--only a,b,c,d,e] [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
STEP = str(Path(__file__).resolve().parent / "step.py")
PEER = str(Path(__file__).resolve().parent / "pandas_metrics.py")
sys.path.insert(0, str(ROOT))


@dataclass
class Measure:
    name: str
    seconds: float
    peak_mib: float
    note: str = ""
    failed: bool = False


# A step running longer than this is stopped and shown as stopped (--step-timeout).
STEP_TIMEOUT = None


def measure(name: str, argv: list[str], env: dict | None = None, note: str = "") -> Measure:
    """Run one step as a child process; its own peak RSS comes from wait4.

    A step that fails or runs past STEP_TIMEOUT is recorded as such, so the table is still printed.
    """
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            argv, env={**os.environ, **(env or {})}, stdout=out, stderr=err, cwd=ROOT
        )
        stopped = False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if STEP_TIMEOUT and time.perf_counter() - started > STEP_TIMEOUT:
                proc.kill()
                stopped = True
            time.sleep(0.2)
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        text = out.read().decode(errors="replace").strip()
        error = err.read().decode(errors="replace")
    m = Measure(
        name, seconds, usage.ru_maxrss / 1024, note or (text.splitlines()[-1] if text else "")
    )
    if stopped:
        m.failed, m.note = True, f"stopped after {STEP_TIMEOUT:.0f} s"
    elif status != 0:
        sys.stderr.write(error[-3000:])
        last = error.strip().splitlines()[-1] if error.strip() else f"exit status {status}"
        m.failed, m.note = True, f"failed: {last[:120]}"
    print(f"  {m.name}: {m.seconds:.1f} s, {m.peak_mib:.0f} MiB {m.note}", file=sys.stderr)
    return m


def project_copy(work: Path, reference: Path) -> Path:
    """A project folder whose data/reference is the scaled one; the dbt project linked."""
    from pipeline.build import DBT_PROJECT_PARTS

    root = work / "project"
    if root.exists():
        shutil.rmtree(root)
    (root / "data").mkdir(parents=True)
    for part in DBT_PROJECT_PARTS:
        (root / part).parent.mkdir(parents=True, exist_ok=True)
        (root / part).symlink_to(ROOT / part)
    shutil.copytree(reference, root / "data" / "reference")
    return root


def peer_argv(root: Path, reference: Path, out: Path, ledgers) -> list[str]:
    """The pandas script's command line: its periods start on the pilot start the project
    at `root` declares (dbt's var, read by Settings.pilot_start), as dbt's do."""
    from pipeline.settings import Settings

    pilot_start = Settings(root=root).pilot_start.isoformat()
    return [
        PYTHON,
        PEER,
        "--pilot-start",
        pilot_start,
        str(reference),
        str(out),
        *map(str, ledgers),
    ]


def to_gbk(src: Path, dst: Path) -> None:
    with (
        src.open(encoding="utf-8", newline="") as fin,
        dst.open("w", encoding="gbk", newline="") as fout,
    ):
        while chunk := fin.read(1 << 22):
            fout.write(chunk)


def new_case_file(ledger: Path, dest: Path, rows: int) -> None:
    """The header and first `rows` rows of a case ledger, their case IDs made new."""
    with ledger.open(encoding="utf-8", newline="") as fin:
        lines = [next(fin) for _ in range(rows + 1)]
    body = [line.replace("-AJ-", "-AJN-", 1) for line in lines[1:]]
    dest.write_text(lines[0] + "".join(body), encoding="utf-8", newline="")


def unit_case_file(ledger: Path, dest: Path) -> int:
    """One unit's new file: the header and the first unit's cases under new case IDs.

    Its dates lie inside the periods already built, as a clerk's late entries (补录) do.
    Returns the number of cases.
    """
    with ledger.open(encoding="utf-8", newline="") as fin:
        header = next(fin)
        first = next(fin)
        prefix = first.split("-AJ-", 1)[0] + "-AJ-"
        body = [first] + [line for line in fin if line.startswith(prefix)]
    dest.write_text(
        header + "".join(line.replace("-AJ-", "-AJU-", 1) for line in body),
        encoding="utf-8",
        newline="",
    )
    return len(body)


def step(*args: str) -> list[str]:
    return [PYTHON, STEP, *args]


def best_of(runs: list[Measure]) -> Measure:
    """The fastest of repeated runs of one step (its peak memory the highest of them).

    The machine is shared: other work slows a run, never speeds it up, so the fastest run is
    the one least disturbed. A failed run is shown instead of any time.
    """
    failed = [m for m in runs if m.failed]
    if failed:
        return failed[0]
    best = min(runs, key=lambda m: m.seconds)
    note = best.note if len(runs) == 1 else f"best of {len(runs)}; {best.note}".rstrip("; ")
    return Measure(best.name, best.seconds, max(m.peak_mib for m in runs), note)


def compare_ingest(work: Path, rows: int, env: dict, repeat: int = 1) -> list[tuple]:
    from pipeline.scale import generate_scaled

    data = generate_scaled(work / "ingest", units=200, years=3, cases=rows, patrols=0, outputs=0)
    root = project_copy(work / "ingest", data.reference_dir)
    utf8 = data.files[0]
    gbk = utf8.with_name("cases_gbk.csv")
    to_gbk(utf8, gbk)
    rows_out = []
    for label, path in ((f"(a) {rows:,}-row case CSV, UTF-8", utf8), ("(b) same, GBK", gbk)):
        bases, ours = [], []
        # Alternated, each run on new databases, so both sides see the same spells of load.
        for _ in range(repeat):
            for f in work.glob("ingest/*.duckdb*"):
                f.unlink()
            bases.append(
                measure(
                    "duckdb read_csv",
                    step("duckdb-load", str(root), str(work / "ingest" / "duck.duckdb"), str(utf8)),
                )
            )
            ours.append(
                measure(
                    "pilot ingest",
                    step("ingest", str(root), str(work / "ingest" / "wh.duckdb"), str(path)),
                    env,
                )
            )
        rows_out.append(
            (label, "DuckDB alone (UTF-8 file)", best_of(bases), "pilot ingest", best_of(ours))
        )
    return rows_out


def save_state(folder: Path, state: Path) -> None:
    """Copy the warehouse `folder/wh.*` (file, dbt's files, snapshots) to `state`."""
    state.mkdir()
    for path in folder.glob("wh.*"):
        (shutil.copytree if path.is_dir() else shutil.copy2)(path, state / path.name)


def restore_state(state: Path, folder: Path) -> None:
    """Put back the warehouse saved by save_state."""
    for path in folder.glob("wh.*"):
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    for path in state.iterdir():
        (shutil.copytree if path.is_dir() else shutil.copy2)(path, folder / path.name)


def compare_scale(
    work: Path, units: int, years: int, cases: int, patrols: int, env: dict, repeat: int = 1
) -> list[tuple]:
    from pipeline.scale import generate_scaled

    data = generate_scaled(work / "scale", units=units, years=years, cases=cases, patrols=patrols)
    root = project_copy(work / "scale", data.reference_dir)
    wh = str(work / "scale" / "wh.duckdb")
    for f in (work / "scale").glob("wh.*"):
        f.unlink()
    ledgers = [str(p) for p in data.files]
    label = f"(c)/(e) {cases:,} cases, {patrols:,} patrols, {units:,} units"
    peer_args = peer_argv(root, data.reference_dir, work / "scale" / "peer.pkl", ledgers)
    peer = measure("pandas script", peer_args)
    ing = measure("pilot ingest", step("ingest", str(root), wh, *ledgers), env)
    bld = measure("pilot build", step("build", str(root), wh), env)
    rep = measure(
        "pilot report", step("report", str(root), wh, str(work / "scale" / "report")), env
    )
    size = sum(p.stat().st_size for p in (work / "scale" / "report").glob("*.html")) / 1024
    rep.note = f"pages {size:.0f} KiB"
    total = Measure(
        "pilot ingest+build", ing.seconds + bld.seconds, max(ing.peak_mib, bld.peak_mib)
    )
    # The analyst's rerun, the same ledgers again: the notebook recomputes everything; pilot
    # finds every file unchanged and the published metrics current, so dbt does not run.
    peer_again = measure("pandas script, again", peer_args)
    again = measure("pilot ingest + build, again", step("refresh", str(root), wh, *ledgers), env)
    # A clerk's new file: one unit's cases (the first unit's, under new IDs). The notebook
    # reads every ledger again; pilot ingests the one file and builds. The fact tables take
    # the new file's rows (incremental by file); the large aggregates recompute that unit and
    # the pilot total (incremental by unit).
    case_ledger = next(p for p in data.files if p.name.startswith("cases"))
    unit_file = work / "scale" / "cases_unit.csv"
    unit_cases = unit_case_file(case_ledger, unit_file)
    # Alternated `repeat` times, pilot's each from the same state (the warehouse, its dbt
    # files and snapshots as the rerun left them), so both sides see the same spells of load.
    state = work / "scale" / "state"
    save_state(work / "scale", state)
    peer_units, unit_news = [], []
    for run in range(repeat):
        if run:
            restore_state(state, work / "scale")
        peer_units.append(
            measure("pandas script, one unit's new file", [*peer_args, str(unit_file)])
        )
        unit_news.append(
            measure(
                "pilot ingest + build, one unit's new file",
                step("refresh", str(root), wh, str(unit_file)),
                env,
            )
        )
    shutil.rmtree(state)
    peer_unit, unit_new = best_of(peer_units), best_of(unit_news)
    # A file of 2,000 cases spread over every unit (the case ledger's first rows under new
    # IDs): every unit's aggregates are recomputed.
    extra = work / "scale" / "cases_new.csv"
    new_case_file(case_ledger, extra, 2000)
    peer_new = measure("pandas script, one new file", [*peer_args, str(unit_file), str(extra)])
    new = measure(
        "pilot ingest + build, one new file", step("refresh", str(root), wh, str(extra)), env
    )
    whole = measure("pilot build, facts rebuilt whole", step("rebuild", str(root), wh), env)
    return [
        (label, "pandas script (all of rpt_unit_metrics)", peer, "pilot ingest + build", total),
        (label, "", None, "pilot ingest", ing),
        (label, "", None, "pilot build", bld),
        (label, "", None, "pilot report", rep),
        (label + ", rerun", "pandas script again", peer_again, "pilot ingest + build again", again),
        (
            label + f", one unit's new file ({unit_cases:,} cases)",
            "pandas script again",
            peer_unit,
            "pilot ingest + build (facts and aggregates incremental)",
            unit_new,
        ),
        (
            label + ", one new 2,000-case file over every unit",
            "pandas script again",
            peer_new,
            "pilot ingest + build (facts incremental, every unit recomputed)",
            new,
        ),
        (label, "", None, "pilot build of the same, rebuilt whole", whole),
    ]


def compare_demo(work: Path, env: dict) -> list[tuple]:
    wh = work / "demo" / "wh.duckdb"
    wh.parent.mkdir(parents=True, exist_ok=True)
    for f in wh.parent.glob("wh.*"):
        f.unlink()
    pilot = str(Path(PYTHON).parent / "pilot")
    run = [pilot, "--warehouse", str(wh), "--quiet", "run", "--out", str(work / "demo" / "report")]
    cold = measure("pilot run (cold)", run, env)
    warm = measure("pilot run (warm, nothing changed)", run, env)
    return [("(d) pilot run on the demo", "cold", cold, "warm", warm)]


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem = next(
        int(line.split()[1]) // 1024 // 1024
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return f"{os.cpu_count()} cores (nproc), {mem} GiB memory, {cpu}, Python {platform.python_version()}"


def table(rows: list[tuple]) -> str:
    lines = [
        "| comparison | baseline | s | peak MiB | pilot step | s | peak MiB | ratio | note |",
        "|---|---|---:|---:|---|---:|---:|---:|---|",
    ]
    for label, bname, base, oname, ours in rows:
        ratio = ""
        if base is not None and not base.failed and not ours.failed:
            ratio = f"{ours.seconds / base.seconds:.2f}x"
        base_cells = "| | |" if base is None else f"| {base.seconds:.1f} | {base.peak_mib:.0f} |"
        lines.append(
            f"| {label} | {bname} {base_cells} {oname} | {ours.seconds:.1f} | "
            f"{ours.peak_mib:.0f} | {ratio} | {ours.note} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000, help="rows of the ingest comparison")
    parser.add_argument("--units", type=int, default=200)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--cases", type=int, default=500_000)
    parser.add_argument("--patrols", type=int, default=150_000)
    parser.add_argument("--full", action="store_true", help="1M-row ingest; 10M/3M over 2000 units")
    parser.add_argument(
        "--only", default="a,c,d", help="comparisons to run: a (and b), c (and e), d"
    )
    parser.add_argument(
        "--work", type=Path, default=None, help="working folder (default: a temp dir)"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="runs of each ingest step (a, b) and of the one-unit step (c); the table shows "
        "the fastest",
    )
    parser.add_argument(
        "--step-timeout", type=float, default=None, help="stop a step after this many seconds"
    )
    args = parser.parse_args()
    global STEP_TIMEOUT
    STEP_TIMEOUT = args.step_timeout
    if args.full:
        args.rows, args.units, args.years, args.cases, args.patrols = (
            1_000_000,
            2000,
            5,
            10_000_000,
            3_000_000,
        )
    work = args.work or Path(tempfile.mkdtemp(prefix="pilot-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    secret = work / "secret.key"
    env = {"PILOT_SECRET_FILE": str(secret), "DO_NOT_TRACK": "1"}
    only = set(args.only.split(","))
    rows: list[tuple] = []
    started = time.perf_counter()
    if "a" in only:
        rows += compare_ingest(work, args.rows, env, args.repeat)
    if "d" in only:
        rows += compare_demo(work, env)
    if "c" in only:
        rows += compare_scale(
            work, args.units, args.years, args.cases, args.patrols, env, args.repeat
        )
    print(f"machine: {machine()}")
    print(f"run: {time.strftime('%Y-%m-%d %H:%M')}, {time.perf_counter() - started:.0f} s in all\n")
    print(table(rows))
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
