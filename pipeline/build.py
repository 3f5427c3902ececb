"""Running dbt (seeds, models, tests) in-process against the warehouse of the settings."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .errors import BuildError, PilotError
from .settings import Settings

# dbt statuses of a node that did not do its job; "skipped" nodes follow from these.
_FAILED = {"error", "fail", "runtime error"}
# "Runtime Error in test x (path)": dbt's heading above the actual reason.
_DBT_FRAMING = re.compile(r"^[A-Za-z ]*Error in [a-z_ ]+\S+ \(.*\)$")


@dataclass(frozen=True)
class NodeOutcome:
    """One seed, model, data test or unit test of a dbt build and how it ended."""

    name: str
    resource_type: str
    status: str
    message: str | None = None
    failures: int | None = None


@dataclass(frozen=True)
class BuildResult:
    """What `dbt build` did, node by node."""

    nodes: tuple[NodeOutcome, ...]
    elapsed_seconds: float
    # True when the incremental fact tables were rebuilt whole (see build()).
    full_refresh: bool = False
    # The incremental models, as (schema, table), and the column they are built by (meta
    # publish_by in dbt_project.yml): publish() copies only their changed rows.
    publish_by: Mapping[tuple[str, str], str] = field(default_factory=dict)
    # Every relation, as (schema, table), that a model or seed of the build made: after an
    # incremental build, publish() keeps the snapshot's copy of the others, which it left as
    # they were.
    made: frozenset[tuple[str, str]] = frozenset()
    # The snapshot the warehouse's tables equalled as the build began, if any: an incremental
    # publish starts from it.
    published_before: str | None = None

    def with_status(self, *statuses: str) -> tuple[NodeOutcome, ...]:
        return tuple(n for n in self.nodes if n.status in statuses)

    @property
    def warnings(self) -> tuple[NodeOutcome, ...]:
        return self.with_status("warn")


@contextmanager
def _environ(values: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for the duration of a dbt call, then put the old ones back."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def _release_warehouse() -> None:
    """Close the DuckDB database dbt-duckdb keeps open in this process after a run.

    Left open, the next `duckdb.connect` of the same file with other settings (as
    `pipeline.warehouse.connect` does) fails with "different configuration".
    """
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:
        return
    with DuckDBConnectionManager._LOCK:
        env = DuckDBConnectionManager._ENV
        if env is not None:
            env.close()
            DuckDBConnectionManager._ENV = None


def _skip_slow_optional_imports() -> None:
    """Keep dbt's import from loading rfc3987_syntax, 3 to 4 seconds of every build.

    dbt imports jsonschema, which imports rfc3987_syntax when it is installed (it comes with
    Jupyter) and so builds a Lark grammar for IRI validation at import time
    (python-jsonschema/jsonschema#1428). dbt validates no IRI formats; jsonschema's import of
    it is optional and suppresses ImportError. Left alone when something already imported it.
    """
    sys.modules.setdefault("rfc3987_syntax", None)


def dbt_dir(settings: Settings) -> Path:
    """dbt's own files for a warehouse (target/, logs/): beside it, named after it.

    dbt's partial parsing is valid for one profile, and the profile names the warehouse file:
    kept in the project, the parse of one warehouse was thrown away by a build of another and
    redone whole (about 5 s), and two builds of two warehouses wrote the same files at once.
    """
    return settings.warehouse.with_name(settings.warehouse.stem + ".dbt")


# The selector of an incremental build, in selectors.yml.
INCREMENTAL_SELECTOR = "pilot_incremental"


def dbt_args(
    settings: Settings,
    select: str | Sequence[str] | None = None,
    unit_tests: bool = False,
    full_refresh: bool = False,
) -> list[str]:
    """The command line of `dbt build` for these settings.

    dbt unit tests check the models' SQL on fixed inputs, not the data, so a build leaves them
    out unless asked (`unit_tests=True`, as the project's own test suite does), as dbt advises
    for production builds. `full_refresh` rebuilds incremental models whole; without it (and
    without `select`), only the nodes that read the ledgers run.
    """
    root = str(settings.root)
    args = [
        "build",
        "--project-dir",
        root,
        "--profiles-dir",
        root,
        "--no-use-colors",
        "--no-send-anonymous-usage-stats",
        "--no-version-check",
        # Library code does not print; failures come back in the BuildError.
        "--log-level",
        "none",
        # No manifest.json (written twice, 1.4 MB for this project) or run_results.json: about
        # a second of every build, and nothing here reads them. Partial parsing keeps its own
        # file (partial_parse.msgpack); `dbt build` run by hand still writes them.
        "--no-write-json",
        "--target-path",
        str(dbt_dir(settings) / "target"),
        "--log-path",
        str(dbt_dir(settings) / "logs"),
        # dbt's file log is at debug level unless told: every query and every event of every
        # node, about a tenth of a build's node time. Warnings and errors are still written.
        "--log-level-file",
        "warn",
    ]
    if select:
        # Only tests whose every parent is selected: a partial build must not fail on
        # relationships to models it did not build.
        args += ["--select", *([select] if isinstance(select, str) else select)]
        args += ["--indirect-selection", "buildable"]
    if full_refresh:
        args.append("--full-refresh")
    elif not select:
        # An incremental build is one of the same project files as the last whole build that
        # passed (build()), reference tables included: it leaves out the seeds, the models
        # made of them alone and their data tests (selectors.yml), which would come out as that
        # build left them.
        args += ["--selector", INCREMENTAL_SELECTOR]
    if not unit_tests:
        args += ["--exclude-resource-type", "unit_test"]
    return args


def _outcome(result) -> NodeOutcome:
    node = result.node
    status = str(getattr(result.status, "value", result.status)).lower()
    return NodeOutcome(
        name=node.name,
        resource_type=str(getattr(node.resource_type, "value", node.resource_type)),
        status=status,
        message=result.message,
        failures=result.failures,
    )


def _publish_keys(results) -> dict[tuple[str, str], str]:
    """The incremental models of a build and the column each is built by (meta publish_by)."""
    keys = {}
    for result in results:
        node = getattr(result, "node", None)
        if node is None or node.resource_type != "model":
            continue
        column = (node.config.meta or {}).get("publish_by")
        if column and node.config.materialized == "incremental":
            keys[(node.schema, node.alias)] = column
    return keys


def _made(results) -> frozenset[tuple[str, str]]:
    """The relations, as (schema, table), that the models and seeds of a build made or changed."""
    return frozenset(
        (result.node.schema, result.node.alias)
        for result in results
        if getattr(result, "node", None) is not None
        and result.node.resource_type in ("model", "seed")
    )


def _first_reason(node: NodeOutcome) -> str:
    """The line of a node's message that says what went wrong, without dbt's framing."""
    if node.status == "fail" and node.failures is not None and node.resource_type != "unit_test":
        return f"{node.failures} failing row(s)"
    for line in (node.message or "").splitlines():
        line = line.strip()
        if line and not _DBT_FRAMING.match(line):
            return line
    return node.status


def _describe(failed: Sequence[NodeOutcome], skipped: int) -> str:
    lines = [f"dbt build 失败 / dbt build failed: {len(failed)} node(s) did not pass"]
    lines += [f"- {node.resource_type} {node.name}: {_first_reason(node)}" for node in failed]
    if skipped:
        lines.append(f"({skipped} node(s) skipped because of these)")
    return "\n".join(lines)


def build(
    settings: Settings,
    select: str | Sequence[str] | None = None,
    on_node: Callable[[NodeOutcome], None] | None = None,
    unit_tests: bool = False,
) -> BuildResult:
    """Run `dbt build` (seeds, models, tests) on settings.warehouse; raise BuildError on failure.

    `select` is passed to `--select`; `on_node`, if given, is called as each node finishes
    (for progress display by the caller); `unit_tests` adds the dbt unit tests.

    The fact tables are incremental by file (macros/pilot_incremental_by_file.sql): a build adds
    the rows of newly loaded files and drops those of superseded ones. The large aggregates are
    incremental by reporting unit (macros/pilot_incremental_by_unit.sql): a build recomputes
    the units whose files changed. Both are rebuilt whole (--full-refresh) unless the last
    build on this warehouse passed and was of the same project files (models, macros,
    reference data): a changed definition changes every row, and a build that failed or was
    stopped may have left some tables built and others not. So the stamp is taken away before
    dbt runs and put back only when the whole build passed.
    """
    project = project_fingerprint(settings)
    stamp, published = _build_state(settings)
    full_refresh = bool(select) or stamp != project
    if stamp is not None or published is not None:
        set_facts_stamp(settings, None)
    _skip_slow_optional_imports()
    from dbt.cli.main import dbtRunner

    callbacks = []
    if on_node is not None:

        def report(event) -> None:
            if event.info.name == "NodeFinished":
                info = event.data.node_info
                on_node(
                    NodeOutcome(
                        name=info.node_name,
                        resource_type=info.resource_type,
                        status=str(info.node_status).lower(),
                    )
                )

        callbacks.append(report)

    settings.warehouse.parent.mkdir(parents=True, exist_ok=True)
    with _environ(settings.dbt_env()):
        try:
            outcome = dbtRunner(callbacks=callbacks).invoke(
                dbt_args(settings, select, unit_tests, full_refresh)
            )
        finally:
            _release_warehouse()

    if isinstance(outcome.exception, KeyboardInterrupt):
        # Ctrl-C inside dbt: the user stopped it; the project is not at fault.
        raise outcome.exception
    if (
        outcome.exception is not None
        and "could not set lock on file" in str(outcome.exception).lower()
    ):
        from .warehouse import busy_error

        raise busy_error(settings.warehouse) from outcome.exception
    if outcome.exception is not None or outcome.result is None:
        raise BuildError(
            f"dbt build 无法运行 / dbt build could not run: {outcome.exception}",
            hint="check dbt_project.yml, profiles.yml and the models for the error above",
        )
    run = outcome.result
    nodes = tuple(_outcome(r) for r in run.results)
    result = BuildResult(
        nodes=nodes,
        elapsed_seconds=float(run.elapsed_time or 0.0),
        full_refresh=full_refresh,
        publish_by=_publish_keys(run.results),
        made=_made(run.results),
        published_before=published,
    )
    failed = result.with_status(*_FAILED)
    if failed or not outcome.success:
        # The stamp stays away: the next build is whole.
        raise BuildError(
            _describe(failed, len(result.with_status("skipped"))),
            hint="fix the reference data or the models named above, then run `pilot build`",
        )
    if not select:
        set_facts_stamp(settings, project)
    return result


def build_and_publish(
    settings: Settings,
    on_node: Callable[[NodeOutcome], None] | None = None,
    on_wait: Callable[[], None] | None = None,
) -> BuildResult:
    """Build under the writer lock and publish the reporting snapshot only if all of it passed.

    When nothing a build reads has changed since the published snapshot was built (no ingest
    changed the raw schema, no model, macro, test or seed changed), dbt is not run at all.

    A failed build raises BuildError and leaves the previous snapshot (and so every report and
    export made from it) as it was.
    """
    from .lock import writer_lock
    from .publish import publish, record_build
    from .warehouse import nothing_ingested

    if not settings.warehouse.exists():
        raise nothing_ingested(settings)
    with writer_lock(settings, on_wait=on_wait):
        # None when no ingest has made the raw schema: without it, one error, not dbt's 145.
        fingerprint = inputs_fingerprint(settings)
        if fingerprint is None:
            raise nothing_ingested(settings)
        if fingerprint == published_fingerprint(settings):
            return BuildResult(nodes=(), elapsed_seconds=0.0)
        try:
            result = build(settings, on_node=on_node)
            publish(settings, result)
        except PilotError as exc:
            # Also a publish that failed: the build's tables are not what readers see.
            record_build(settings, "failed", exc.message)
            raise
        except KeyboardInterrupt:
            record_build(settings, "interrupted")
            raise
        record_build(settings, "passed")
        fingerprint_file(settings).write_text(fingerprint, encoding="utf-8")
    return result


# The files and folders of the dbt project, relative to its root, besides its reference data
# (the seeds, in settings.reference_dir): what a copy of the project for other reference data
# (the tests', the benchmark's) takes from the repository.
DBT_PROJECT_PARTS = (
    "dbt_project.yml",
    "profiles.yml",
    "selectors.yml",
    "models",
    "macros",
    "tests/dbt",
)
# What a build reads besides the raw schema: the dbt project, its models, macros, tests and seeds.
_PROJECT_INPUTS = (*DBT_PROJECT_PARTS, "data/reference")


def _hash_project(digest, settings: Settings) -> None:
    for name in _PROJECT_INPUTS:
        top = settings.root / name
        paths = sorted(p for p in top.rglob("*") if p.is_file()) if top.is_dir() else [top]
        for path in paths:
            if path.exists():
                digest.update(str(path.relative_to(settings.root)).encode() + b"\0")
                digest.update(path.read_bytes())


def project_fingerprint(settings: Settings) -> str:
    """A hash of the project files a build reads: dbt project, models, macros, tests, seeds."""
    import hashlib

    digest = hashlib.sha256()
    _hash_project(digest, settings)
    return digest.hexdigest()


# The project fingerprint of the last whole build that passed, kept in the warehouse beside the
# incremental fact tables that build made (see build()); a copy of the warehouse keeps it.
_STAMP_SCHEMA = "pilot_build"


def facts_stamp(settings: Settings) -> str | None:
    """The project fingerprint the incremental fact tables were last built whole by, if any."""
    return _build_state(settings)[0]


def _build_state(settings: Settings) -> tuple[str | None, str | None]:
    """The facts stamp, and the name of the snapshot the warehouse's tables equal (written by
    publish.publish()), each None if there is none."""
    from .warehouse import connect

    if not settings.warehouse.exists():
        return None, None
    con = connect(settings, read_only=True)
    try:
        kept = {
            table
            for (table,) in con.execute(
                "select table_name from duckdb_tables() where database_name = current_database() "
                "and schema_name = ?",
                [_STAMP_SCHEMA],
            ).fetchall()
        }
        state = []
        for table, column in (("stamp", "facts_project"), ("published", "snapshot")):
            row = None
            if table in kept:
                row = con.execute(f"select {column} from {_STAMP_SCHEMA}.{table}").fetchone()
            state.append(row[0] if row else None)
        return state[0], state[1]
    finally:
        con.close()


def set_facts_stamp(settings: Settings, project: str | None) -> None:
    """Record (or, with None, forget) the project the fact tables were built whole by."""
    from .warehouse import connect

    con = connect(settings)
    try:
        con.execute(f"create schema if not exists {_STAMP_SCHEMA}")
        con.execute(f"create or replace table {_STAMP_SCHEMA}.stamp (facts_project varchar)")
        if project is not None:
            con.execute(f"insert into {_STAMP_SCHEMA}.stamp values (?)", [project])
        else:
            # A build is about to change the tables: no snapshot equals them any more
            # (publish() copies only the changed rows into a copy of the one that did).
            record_published(con, None)
    finally:
        con.close()


def record_published(con, snapshot: str | None) -> None:
    """Remember (or, with None, forget) the snapshot the warehouse's tables equal, on an open
    writable connection to the warehouse; _build_state() reads it."""
    con.execute(f"create schema if not exists {_STAMP_SCHEMA}")
    con.execute(f"create or replace table {_STAMP_SCHEMA}.published (snapshot varchar)")
    if snapshot is not None:
        con.execute(f"insert into {_STAMP_SCHEMA}.published values (?)", [snapshot])


def forget_builds(settings: Settings) -> None:
    """Make the next build run dbt, with the fact tables rebuilt whole, as after a project change.

    For raw rows changed behind the ingest's back (benchmarks/replicate.py), which neither the
    build's input fingerprint nor the facts' file IDs would show.
    """
    fingerprint_file(settings).unlink(missing_ok=True)
    set_facts_stamp(settings, None)


def fingerprint_file(settings: Settings):
    """Where the fingerprint of the published build's inputs is kept."""
    from .publish import publish_dir

    return publish_dir(settings) / "build_inputs.sha256"


def inputs_fingerprint(settings: Settings, con=None) -> str | None:
    """A hash of everything a build reads: project files and the raw schema's file history.

    Every ingest that changes the raw schema adds a row to raw.files (loaded, duplicate,
    superseded, failed); a file found unchanged adds none. None when the warehouse has no raw
    schema yet. `con`: a connection to the warehouse already open (left open), else one is
    opened read-only for the purpose.
    """
    import hashlib

    from .warehouse import connect, has_raw_files

    digest = hashlib.sha256(str(settings.warehouse).encode())
    _hash_project(digest, settings)
    if con is None:
        if not settings.warehouse.exists():
            return None
        with closing(connect(settings, read_only=True)) as own:
            return inputs_fingerprint(settings, own)
    if not has_raw_files(con):
        return None
    history = con.execute(
        "select count(*), cast(max(ingested_at) as varchar), "
        "count(*) filter (status = 'loaded') from raw.files"
    ).fetchone()
    digest.update(repr(history).encode())
    return digest.hexdigest()


def published_fingerprint(settings: Settings) -> str | None:
    """The fingerprint of the inputs of the snapshot now published, if its build passed."""
    from .publish import LAST_BUILD, current, publish_dir, read_json

    pointer = current(settings)
    last = read_json(publish_dir(settings) / LAST_BUILD)
    path = fingerprint_file(settings)
    if not pointer or not last or last.get("status") != "passed" or not path.exists():
        return None
    if not (publish_dir(settings) / pointer["snapshot"]).exists():
        return None
    return path.read_text(encoding="utf-8")
