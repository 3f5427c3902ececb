"""One measured step of the benchmark, run in its own process so its peak memory is its own.

usage: step.py STEP ROOT WAREHOUSE [PATH...]
STEP: duckdb-load (DuckDB alone: read_csv as text into a table), ingest, build, report, refresh
(ingest PATH... then build: what `pilot run` does before its report), rebuild (build with the
incremental fact tables rebuilt whole).
ROOT is a project folder (models, macros, data/reference) as benchmarks/bench.py lays it out.
"""

from __future__ import annotations

import sys
from pathlib import Path


def main(argv: list[str]) -> None:
    step, root, warehouse, *paths = argv
    if step == "duckdb-load":
        import duckdb

        con = duckdb.connect(warehouse)
        con.execute(
            "create table t as select * from read_csv(?, all_varchar = true, header = true)",
            [paths[0]],
        )
        con.close()
        return
    from pipeline.settings import Settings

    root_path = Path(root)
    settings = Settings.from_env(
        warehouse,
        root=root_path,
        reference_dir=root_path / "data" / "reference",
        reports_dir=root_path / "reports",
    )
    if step == "refresh":
        from pipeline.build import build_and_publish
        from pipeline.ingest import ingest

        result = ingest(settings, [Path(p) for p in paths])
        changed = sum(1 for f in result.files if f.status != "unchanged")
        build = build_and_publish(settings)
        print(
            f"files_changed={changed} dbt_nodes={len(build.nodes)} full_refresh={build.full_refresh}"
        )
    elif step == "ingest":
        from pipeline.ingest import ingest

        result = ingest(settings, [Path(p) for p in paths])
        bad = [f for f in result.files if f.status == "failed"]
        if bad:
            raise SystemExit(f"ingest failed: {bad[0].path.name}: {bad[0].error}")
        read = sum(f.total("rows_read") for f in result.files)
        accounted = sum(
            f.total("rows_loaded") + f.total("rows_quarantined") + f.total("rows_skipped")
            for f in result.files
        )
        print(f"rows_read={read} accounted={accounted}")
        if read != accounted:
            raise SystemExit("rows not accounted for")
    elif step == "build":
        from pipeline.build import build_and_publish

        build_and_publish(settings)
    elif step == "rebuild":
        # A whole build of what is loaded: as if the project had changed since the last build.
        from pipeline.build import build_and_publish, forget_builds

        forget_builds(settings)
        result = build_and_publish(settings)
        print(f"full_refresh={result.full_refresh} dbt_nodes={len(result.nodes)}")
    elif step == "report":
        from pipeline.report import write_report

        write_report(settings, out_dir=Path(paths[0]))
    else:
        raise SystemExit(f"unknown step {step}")


if __name__ == "__main__":
    main(sys.argv[1:])
