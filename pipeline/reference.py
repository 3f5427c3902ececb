"""Reference tables (units, grids, catalogue, departments, output types) and their aliases."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from .errors import ReferenceDataError

if TYPE_CHECKING:
    import pandas as pd

REQUIRED = {
    "units": ("unit_code", "unit_name", "short_name", "unit_type", "population"),
    "catalogue": ("item_code", "category_code", "item_name"),
    "departments": ("dept_code", "dept_name", "aliases"),
    "output_types": ("output_code", "output_name", "measure", "aliases"),
}
OPTIONAL = {"grids": ("unit_code", "grid_code", "grid_name")}


def _table_path(reference_dir: Path, name: str) -> Path | None:
    """The reference CSV's path, or None for a missing optional table; a missing one is an error."""
    path = reference_dir / f"{name}.csv"
    if not path.exists():
        if name in OPTIONAL:
            return None
        raise ReferenceDataError(
            f"参考表缺失 / reference table missing: {path}",
            hint="copy the starting tables into data/reference/",
        )
    return path


def _check_columns(path: Path, name: str, header) -> None:
    columns = REQUIRED.get(name) or OPTIONAL[name]
    missing = [c for c in columns if c not in header]
    if missing:
        raise ReferenceDataError(
            f"参考表 {path.name} 缺少列 / reference table {path.name} lacks column(s): "
            + ", ".join(missing)
        )


def read_table(reference_dir: Path, name: str) -> pd.DataFrame:
    """Read one reference CSV as text; a missing file or column is a clear error."""
    import pandas as pd

    path = _table_path(reference_dir, name)
    if path is None:
        return pd.DataFrame({c: pd.Series(dtype="str") for c in OPTIONAL[name]})
    table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    _check_columns(path, name, table.columns)
    return table.apply(lambda col: col.str.strip())


def read_rows(reference_dir: Path, name: str) -> list[dict[str, str]]:
    """read_table's rows as dicts of stripped text, without pandas (the ingest's path: importing
    pandas cost a third of a second of every `pilot ingest`)."""
    path = _table_path(reference_dir, name)
    if path is None:
        return []
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        header = next(reader, [])
        _check_columns(path, name, header)
        # read_csv skips blank lines; a short row's missing cells are empty text.
        return [
            {h: (row[i].strip() if i < len(row) else "") for i, h in enumerate(header)}
            for row in reader
            if row
        ]


def _split_aliases(text: str) -> list[str]:
    return [a.strip() for a in (text or "").split("|") if a.strip()]


def unit_aliases(units: list[dict[str, str]]) -> list[tuple[str, str]]:
    """Every spelling clerks use for a unit: code, full name, short name and their variants."""
    rows = []
    for unit in units:
        names = {unit["unit_code"], unit["unit_name"], unit["short_name"]}
        names.add(unit["unit_name"].removesuffix("办事处"))
        names.add(unit["short_name"] + unit["unit_type"])
        names.update(_split_aliases(unit.get("aliases", "")))
        rows += [(n.upper(), unit["unit_code"]) for n in names if n]
    return list(dict.fromkeys(rows))


def department_aliases(departments: list[dict[str, str]]) -> list[tuple[str, str]]:
    rows = []
    for dept in departments:
        names = {dept["dept_code"], dept["dept_name"], *_split_aliases(dept["aliases"])}
        rows += [(n.upper(), dept["dept_code"]) for n in names]
    return list(dict.fromkeys(rows))


def output_aliases(output_types: list[dict[str, str]]) -> list[tuple[str, str, str]]:
    rows = []
    for out in output_types:
        names = {out["output_code"], out["output_name"], *_split_aliases(out["aliases"])}
        rows += [(n.upper(), out["output_code"], out["measure"]) for n in names]
    return list(dict.fromkeys(rows))


class RefTable(NamedTuple):
    """A lookup table as text columns and rows of text."""

    columns: tuple[str, ...]
    rows: list[tuple[str, ...]]


def load_reference(reference_dir: Path) -> dict[str, RefTable]:
    """The lookup tables validation joins against, keyed by temp-table name."""
    units = read_rows(reference_dir, "units")
    catalogue = read_rows(reference_dir, "catalogue")
    grids = read_rows(reference_dir, "grids")
    return {
        "ref_unit_alias": RefTable(("alias", "unit_code"), unit_aliases(units)),
        "ref_item": RefTable(("item_code",), [(r["item_code"].upper(),) for r in catalogue]),
        "ref_dept_alias": RefTable(
            ("alias", "dept_code"), department_aliases(read_rows(reference_dir, "departments"))
        ),
        "ref_output_alias": RefTable(
            ("alias", "output_code", "measure"),
            output_aliases(read_rows(reference_dir, "output_types")),
        ),
        "ref_grid": RefTable(
            ("unit_code", "grid_code", "grid_name"),
            [(r["unit_code"], r["grid_code"], r["grid_name"]) for r in grids],
        ),
    }
