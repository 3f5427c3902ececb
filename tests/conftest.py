"""Shared fixtures: a warehouse built from code (raw rows written here, then the dbt project run)."""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path

import duckdb
import pytest

from pipeline.build import DBT_PROJECT_PARTS, build
from pipeline.settings import PROJECT_ROOT, Settings
from pipeline.warehouse import ensure_raw_schema, quote_ident

# The generic data tests of the project; dbt names a test <test>_<model>_<columns>.
GENERIC_TESTS = (
    "unique",
    "not_null",
    "not_null_columns",
    "unique_combination_of_columns",
    "relationships",
    "accepted_values",
)


def data_tests_on(tests: set[str], models: set[str]) -> set[str]:
    """The names among `tests` of data tests on one of `models`."""
    return {
        test
        for test in tests
        if any(test.startswith(f"{kind}_{model}_") for kind in GENERIC_TESTS for model in models)
    }


# Hand-written units and grids, so that per-10k rates and grid coverage are hand-computable
# whatever the shipped reference files say. ZBB has no grids: its coverage must be null.
UNITS_CSV = """\
unit_code,unit_name,short_name,unit_type,population,population_kind,population_year,population_note,area_km2,pilot_start
XHY,西花园路街道办事处,西花园,街道,40000,总人口,2011,test,10,2011-08-01
XJ,兴泾镇,兴泾,镇,25000,户籍人口,2011,test,28.85,2011-08-01
ZBB,镇北堡镇,镇北堡,镇,20000,常住人口,2011,test,,2011-08-01
"""
GRIDS_CSV = """\
unit_code,grid_code,grid_name
XHY,XHY-01,第一网格
XHY,XHY-02,第二网格
XHY,XHY-03,第三网格
XHY,XHY-04,第四网格
XJ,XJ-01,第一网格
XJ,XJ-02,第二网格
"""

# Ledgers as ingest leaves them in the raw schema, one CSV block per raw table; an empty cell
# is a null. f-cases-xhy-v1 was superseded by v2 (XHY-001 corrected, XHY-099 dropped), and
# f-cases-xj-copy is the same content ingested again: none of their rows may count.
FILES_CSV = """\
file_id,file_name,ledger,status,duplicate_of,supersedes,rows_read,rows_loaded
f-cases-xhy-v1,西花园案件台账.xlsx,cases,superseded,,,2,2
f-cases-xhy-v2,西花园案件台账.xlsx,cases,loaded,,f-cases-xhy-v1,9,9
f-cases-xj,兴泾案件台账.csv,cases,loaded,,,4,4
f-cases-xj-copy,兴泾案件台账 (1).csv,cases,duplicate,f-cases-xj,,1,0
f-patrols-old,巡查日志.xlsx,patrols,superseded,,,1,1
f-patrols,巡查日志.xlsx,patrols,loaded,,f-patrols-old,6,6
f-outputs-old,宣传台账.xlsx,outputs,superseded,,,1,1
f-outputs,宣传台账.xlsx,outputs,loaded,,f-outputs-old,6,6
"""

# XHY-001 is a notice complied with on time, XHY-002 one complied with late; XHY-004 is
# found in August and closed in September.
CASES_CSV = """\
file_id,case_id,unit_code,found_date,item_code,action,referred_to,deadline,closed_date,outcome,fine_yuan
f-cases-xhy-v1,XHY-001,XHY,2011-08-03,SR01,立案处罚,,,2011-08-04,已处罚,9999
f-cases-xhy-v1,XHY-099,XHY,2011-08-04,SR01,劝导教育,,,2011-08-04,已整改,
f-cases-xhy-v2,XHY-001,XHY,2011-08-03,SR01,整改通知,,2011-08-10,2011-08-09,已整改,
f-cases-xhy-v2,XHY-002,XHY,2011-08-15,SR07,整改通知,,2011-08-20,2011-08-25,已整改,
f-cases-xhy-v2,XHY-003,XHY,2011-08-20,JF01,调解,,,2011-08-21,调解成功,
f-cases-xhy-v2,XHY-004,XHY,2011-08-30,SR01,劝导教育,,,2011-09-02,已整改,
f-cases-xhy-v2,XHY-005,XHY,2011-09-05,ZA03,立案处罚,,,2011-09-10,已处罚,200
f-cases-xhy-v2,XHY-006,XHY,2011-09-12,JS01,移交,JS,,2011-09-12,已移交,
f-cases-xhy-v2,XHY-007,XHY,2011-10-03,JF02,调解,,,,调解不成,
f-cases-xhy-v2,XHY-008,XHY,2011-10-10,SR02,现场纠正,,,2011-10-10,已整改,
f-cases-xhy-v2,XHY-009,XHY,2011-10-11,WS01,立案处罚,,,2011-10-20,已处罚,500.50
f-cases-xj,XJ-001,XJ,2011-08-05,GT04,移交,GT,,2011-08-06,已移交,
f-cases-xj,XJ-002,XJ,2011-08-25,JF05,调解,,,2011-09-01,调解成功,
f-cases-xj,XJ-003,XJ,2011-09-09,JS04,移交,JS,,2011-09-09,已移交,
f-cases-xj,XJ-004,XJ,2011-10-28,SR01,整改通知,,2011-11-05,,办理中,
f-cases-xj-copy,XJ-001,XJ,2011-08-05,GT04,移交,GT,,2011-08-06,已移交,
"""

# Officer names must never reach marts or reporting. XHY-P2 crosses midnight (2.5 hours) and
# names its grid rather than coding it; XHY-P4 starts on 31 October and ends in November.
OFFICER_NAMES = ("队员甲", "队员乙", "队员丙")
PATROLS_CSV = """\
file_id,patrol_id,unit_code,grid,date,start_time,end_time,officers,officer_count,issues_found,resolved_on_spot
f-patrols-old,XHY-P9,XHY,XHY-04,2011-08-02,08:00,18:00,队员甲,1,9,0
f-patrols,XHY-P1,XHY,XHY-01,2011-08-02,08:00,11:30,队员甲、队员乙,2,2,1
f-patrols,XHY-P2,XHY,第二网格,2011-08-10,22:30,01:00,队员甲、队员乙、队员丙,3,1,1
f-patrols,XHY-P3,XHY,XHY-01,2011-09-15,09:00,10:00,队员丙,1,0,0
f-patrols,XHY-P4,XHY,XHY-03,2011-10-31,23:00,02:00,队员甲、队员丙,2,3,2
f-patrols,XJ-P1,XJ,XJ-01,2011-08-20,14:00,17:45,队员乙、队员甲,2,4,4
f-patrols,XJ-P2,XJ,,2011-09-20,08:15,09:00,队员丙,1,0,0
"""

OUTPUTS_CSV = """\
file_id,activity_id,unit_code,date,output_code,quantity,quantity_approx
f-outputs-old,XHY-A1,XHY,2011-08-08,LEAFLET,5000,false
f-outputs,XHY-A1,XHY,2011-08-08,LEAFLET,1800,true
f-outputs,XHY-A2,XHY,2011-08-08,BANNER,20,false
f-outputs,XHY-A3,XHY,2011-09-01,LEAFLET,200,false
f-outputs,XHY-A4,XHY,2011-10-05,TRAINING,1,false
f-outputs,XJ-A1,XJ,2011-09-10,BANNER,15,false
f-outputs,XJ-A2,XJ,2011-10-15,SIGNBOARD,30,false
"""

# A row ingest rejected; its masked values must not reach reporting.
QUARANTINE_CSV = """\
file_id,source_file,source_sheet,source_row,ledger,reasons,row_values
f-cases-xj,兴泾案件台账.csv,Sheet1,9,cases,发现日期无效 / invalid found_date: 11.8.15,"{""当事人"": ""马某""}"
"""


def make_dbt_project(dest: Path, reference: Mapping[str, str] | None = None) -> Path:
    """Copy the dbt project to `dest` with the shipped reference data, some files replaced;
    tests build a copy so they can change reference data."""
    for part in DBT_PROJECT_PARTS:
        source = PROJECT_ROOT / part
        target = dest / part
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copy2(source, target)
    shutil.copytree(PROJECT_ROOT / "data" / "reference", dest / "data" / "reference")
    for name, text in {"units.csv": UNITS_CSV, "grids.csv": GRIDS_CSV, **(reference or {})}.items():
        (dest / "data" / "reference" / name).write_text(text, encoding="utf-8")
    return dest


def read_csv_block(text: str) -> tuple[tuple[str, ...], list[tuple[str | None, ...]]]:
    """Header and rows of a CSV block of this module; empty cells become None."""
    header, *rows = csv.reader(io.StringIO(text))
    return tuple(header), [tuple(cell or None for cell in row) for row in rows]


def insert_rows(
    con: duckdb.DuckDBPyConnection, table: str, columns: Iterable[str], rows: Iterable[tuple]
) -> None:
    """Insert rows into raw.<table> with bind parameters."""
    columns = tuple(columns)
    names = ", ".join(quote_ident(c) for c in columns)
    marks = ", ".join("?" for _ in columns)
    con.executemany(f"insert into raw.{quote_ident(table)} ({names}) values ({marks})", list(rows))


def write_raw_fixture(warehouse: Path) -> None:
    """Write the ledgers of this module into the raw schema of `warehouse`."""
    con = duckdb.connect(str(warehouse))
    try:
        ensure_raw_schema(con)
        columns, rows = read_csv_block(FILES_CSV)
        insert_rows(con, "files", ("load_id", *columns), [("load-1", *row) for row in rows])
        columns, rows = read_csv_block(QUARANTINE_CSV)
        insert_rows(con, "quarantine", ("load_id", *columns), [("load-1", *row) for row in rows])
        for table, block in (
            ("cases", CASES_CSV),
            ("patrols", PATROLS_CSV),
            ("outputs", OUTPUTS_CSV),
        ):
            columns, rows = read_csv_block(block)
            # Lineage as ingest writes it: the file, its sheet and the row number in the sheet.
            lineage = ("load_id", "source_file", "source_sheet", "source_row")
            insert_rows(
                con,
                table,
                lineage + columns,
                [("load-1", row[0], "Sheet1", n + 3, *row) for n, row in enumerate(rows)],
            )
    finally:
        con.close()


@pytest.fixture(scope="session")
def built_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings of a warehouse holding the fixture ledgers, built once per session by dbt."""
    root = make_dbt_project(tmp_path_factory.mktemp("dbt_project"))
    settings = Settings(root=root, warehouse=root / "data" / "warehouse.duckdb")
    write_raw_fixture(settings.warehouse)
    build(settings)
    return settings


@pytest.fixture(scope="session")
def built_warehouse(built_settings: Settings) -> Path:
    """Path of the built fixture warehouse (read it, do not write to it)."""
    return built_settings.warehouse
