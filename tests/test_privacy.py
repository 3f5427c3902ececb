"""Personal data never published: masking at ingest, and a scan of everything the pipeline writes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from helpers_privacy import PLANTED, PRIVACY_FIXTURES, artefact_text, demo_personal_values, leaks

from pipeline.errors import PilotError
from pipeline.ingest import ingest
from pipeline.privacy import load_secret
from pipeline.settings import PROJECT_ROOT, Settings

PILOT = [sys.executable, "-m", "pipeline.cli"]
DEMO = PROJECT_ROOT / "data" / "demo"


def text_columns(path: Path) -> str:
    """Every text value of every table of a DuckDB file, as one string."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        columns = con.execute(
            "select schema_name, table_name, column_name from duckdb_columns() "
            "where data_type = 'VARCHAR' and database_name = current_database() "
            "and schema_name not in ('information_schema', 'pg_catalog')"
        ).fetchall()
        parts = []
        for schema, table, column in columns:
            ident = f'"{schema}"."{table}"'
            col = f'"{column}"'
            rows = con.execute(f"select {col} from {ident} where {col} is not null").fetchall()
            parts += [r[0] for r in rows]
        return "\n".join(parts)
    finally:
        con.close()


def test_masking_rules_at_ingest(tmp_path, monkeypatch):
    monkeypatch.setenv("PILOT_SECRET_FILE", str(tmp_path / "secret.key"))
    settings = Settings.from_env(tmp_path / "wh.duckdb")
    result = ingest(settings, [PRIVACY_FIXTURES])
    assert {
        f.path.name: (f.total("rows_loaded"), f.total("rows_quarantined")) for f in result.files
    } == {
        "cases_with_personal_data.csv": (2, 1),
        # 当事人信息 merged over 当事人, 身份证号, 联系电话 and 家庭住址 on the row below
        "cases_with_two_row_header.csv": (1, 0),
        "patrols_with_personal_data.csv": (1, 0),
        "outputs_with_personal_data.csv": (1, 0),
        "cases_quarantined_with_personal_data_in_other_columns.csv": (0, 1),
        "outputs_quarantined_with_personal_data.csv": (0, 1),
    }
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        cases = con.execute(
            "select case_id, summary, party_name_masked, length(party_id_hash), extra_columns "
            "from raw.cases order by case_id"
        ).fetchall()
        (note,) = con.execute("select note from raw.patrols").fetchone()
        place, out_note = con.execute("select place, note from raw.outputs").fetchone()
        unknown = con.execute(
            "select unknown_columns from raw.sheets join raw.files using (file_id) "
            "where file_name = 'cases_with_personal_data.csv'"
        ).fetchone()[0]
        quarantined = dict(
            con.execute(
                "select source_file, [reasons, row_values] from raw.quarantine "
                "where source_file like '%quarantined%'"
            ).fetchall()
        )
    finally:
        con.close()
    assert cases == [
        (
            "P001",
            "张某在站前街[门牌][门牌][门牌]门前占道经营，身份证[身份证号]，电话[电话]",
            "张某",
            64,
            '{"备注栏": "联系[电话]"}',
        ),
        ("P002", "李某在兴民村[门牌]建房，证件[身份证号]，手机[电话]", "李某", 64, None),
        ("T001", None, "张某", 64, None),
    ]
    assert note == "张三在站前街[门牌]占道，电话[电话]"  # no party column: the name stays
    assert (place, out_note) == ("站前街[门牌]", "联系人电话[电话]，身份证[身份证号]")
    # The unknown column 家庭住址 is reported, its values never stored.
    assert json.loads(unknown) == ["家庭住址", "备注栏"]
    # A quarantined row, shown to clerks by `pilot quality` and the report, keeps no more than a
    # loaded one: numbers, door numbers and the party's name are masked in every cell and in
    # the values its reasons quote, also where a clerk typed them into the wrong column.
    reasons, values = (
        json.loads(v)
        for v in quarantined["cases_quarantined_with_personal_data_in_other_columns.csv"]
    )
    assert [(r["column"], r["value"]) for r in reasons] == [
        ("来源", "群众举报 [电话]"),
        ("移交部门", "派出所(身份证[身份证号])"),
    ]
    assert "“群众举报 [电话]”" in reasons[0]["message_zh"]
    assert (values["source"], values["referred_to"], values["party_name"]) == (
        "群众举报 [电话]",
        "派出所（身份证[身份证号]）",
        "李某",
    )
    assert json.loads(values["extra_columns"]) == {"备注栏": "住站前街[门牌][门牌][门牌]的李某"}
    reasons, values = (
        json.loads(v) for v in quarantined["outputs_quarantined_with_personal_data.csv"]
    )
    assert (values["place"], values["note"]) == ("兴民村[门牌]", "联系电话[电话]")
    stored = text_columns(settings.warehouse)
    assert leaks(stored, tuple(v for v in PLANTED if v not in ("张三",))) == []


def run(tmp: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PILOT_SECRET_FILE": str(tmp / "secret.key"), "COLUMNS": "200"}
    result = subprocess.run(
        [*PILOT, "--warehouse", str(tmp / "wh.duckdb"), "--quiet", *args],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT_ROOT,
    )
    assert result.returncode == 0, (args, result.stderr)
    return result


@pytest.fixture(scope="module")
def everything(tmp_path_factory):
    """Every artefact the pipeline writes from the demo plus planted ledgers, and what it printed."""
    tmp = tmp_path_factory.mktemp("leaks")
    out = tmp / "out"
    out.mkdir()
    # The free-text name in the patrol note has no party column to mask it by; leave it out.
    ledgers = tmp / "ledgers"
    ledgers.mkdir()
    for f in PRIVACY_FIXTURES.glob("*.csv"):
        if not f.name.startswith("patrols"):
            (ledgers / f.name).write_bytes(f.read_bytes())
    printed = [run(tmp, "run", str(DEMO), str(ledgers), "--out", str(out / "site")).stdout]
    printed.append(run(tmp, "report", "--out", str(out / "site_en"), "--lang", "en").stdout)
    for fmt in ("md", "html", "docx"):
        printed.append(
            run(tmp, "summary", "--format", fmt, "--out", str(out / f"summary.{fmt}")).stdout
        )
    for what in ("metrics", "outputs", "referrals"):
        for fmt in ("csv", "json", "xlsx"):
            printed.append(
                run(
                    tmp,
                    "export",
                    what,
                    "--period",
                    "month",
                    "--format",
                    fmt,
                    "--out",
                    str(out / f"{what}.{fmt}"),
                ).stdout
            )
    printed.append(run(tmp, "quality").stdout)
    printed.append(run(tmp, "quality", "--format", "json").stdout)
    printed.append(
        run(tmp, "quality", "--format", "xlsx", "--out", str(out / "quality.xlsx")).stdout
    )
    printed.append(run(tmp, "status").stdout)
    return tmp, out, "\n".join(printed)


def test_the_scan_finds_personal_data_where_it_is():
    values = demo_personal_values()
    assert len(values) > 300  # names, ID numbers and phones of the demo's cases
    ledger = next((DEMO).glob("*案件台账.xlsx"))
    assert len(leaks(artefact_text(ledger), values)) > 100
    planted = "".join(p.read_text(encoding="utf-8") for p in PRIVACY_FIXTURES.glob("*.csv"))
    assert leaks(planted, PLANTED) == list(PLANTED)


def test_nothing_published_carries_personal_data(everything):
    _, out, printed = everything
    values = PLANTED + demo_personal_values()
    files = [p for p in out.rglob("*") if p.is_file()]
    assert len(files) > 20
    found = {str(p.relative_to(out)): leaks(artefact_text(p), values) for p in files}
    assert {k: v for k, v in found.items() if v} == {}
    assert leaks(printed, values) == []


def test_the_warehouse_and_snapshot_hold_no_personal_data(everything):
    tmp, _, _ = everything
    values = tuple(v for v in PLANTED if v != "张三") + demo_personal_values()
    published = tmp / "wh.published"
    for path in [tmp / "wh.duckdb", *published.glob("snapshot-*.duckdb")]:
        assert leaks(text_columns(path), values) == [], path


def test_a_new_secret_is_64_random_hex_digits_readable_by_its_owner_only(tmp_path):
    path = tmp_path / "config" / "secret.key"
    secret = load_secret(path)
    assert len(secret) == 32
    assert path.read_text() == secret.hex()
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_secret(path) == secret


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "密钥太短 / the secret in {path} is too short: 0 bits, at least 128"),
        ("ab", "密钥太短 / the secret in {path} is too short: 8 bits, at least 128"),
        (
            "my secret passphrase",
            "密钥文件内容无效 / the secret file {path} does not hold a key in hexadecimal digits",
        ),
    ],
)
def test_a_secret_anyone_could_guess_is_refused(tmp_path, content, message):
    path = tmp_path / "secret.key"
    path.write_text(content)
    with pytest.raises(PilotError) as failure:
        load_secret(path)
    assert failure.value.message == message.format(path=path)
    assert "restore it from your backup" in failure.value.hint


def test_a_secret_typed_in_as_32_hex_digits_is_accepted(tmp_path):
    path = tmp_path / "secret.key"
    path.write_text("00112233445566778899aabbccddeeff\n")
    assert load_secret(path) == bytes.fromhex("00112233445566778899aabbccddeeff")


def test_a_secret_file_that_is_a_folder_is_one_clear_error(tmp_path):
    with pytest.raises(PilotError) as failure:
        load_secret(tmp_path)
    assert failure.value.message.startswith(
        f"无法读取或创建密钥文件 / cannot read or create the secret file {tmp_path}: "
    )


def test_ingest_with_an_empty_secret_file_loads_nothing(tmp_path):
    secret = tmp_path / "secret.key"
    secret.write_text("")
    ledger = Path(__file__).parent / "fixtures" / "cases" / "valid" / "personal_data.csv"
    env = {**os.environ, "PILOT_SECRET_FILE": str(secret), "COLUMNS": "200"}
    warehouse = tmp_path / "w.duckdb"
    result = subprocess.run(
        [*PILOT, "--warehouse", str(warehouse), "-q", "ingest", str(ledger)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.startswith(f"错误 / error: 密钥太短 / the secret in {secret} is too short")
    if warehouse.exists():
        con = duckdb.connect(str(warehouse), read_only=True)
        try:
            tables = con.execute(
                "select table_name from duckdb_tables() where schema_name = 'raw'"
            ).fetchall()
            for (table,) in tables:
                assert con.execute(f'select count(*) from raw."{table}"').fetchone() == (0,), table
        finally:
            con.close()
