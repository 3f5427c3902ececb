"""Reference tables (units, grids, catalogue, departments, output types) and their aliases."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .errors import ReferenceDataError

REQUIRED = {
    "units": ("unit_code", "unit_name", "short_name", "unit_type", "population"),
    "catalogue": ("item_code", "category_code", "item_name"),
    "departments": ("dept_code", "dept_name", "aliases"),
    "output_types": ("output_code", "output_name", "measure", "aliases"),
}
OPTIONAL = {"grids": ("unit_code", "grid_code", "grid_name")}


def read_table(reference_dir: Path, name: str) -> pd.DataFrame:
    """Read one reference CSV as text; a missing file or column is a clear error."""
    path = reference_dir / f"{name}.csv"
    columns = REQUIRED.get(name) or OPTIONAL[name]
    if not path.exists():
        if name in OPTIONAL:
            return pd.DataFrame({c: pd.Series(dtype="str") for c in columns})
        raise ReferenceDataError(
            f"参考表缺失 / reference table missing: {path}",
            hint="copy the starting tables into data/reference/",
        )
    table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ReferenceDataError(
            f"参考表 {path.name} 缺少列 / reference table {path.name} lacks column(s): "
            + ", ".join(missing)
        )
    return table.apply(lambda col: col.str.strip())


def _split_aliases(text: str) -> list[str]:
    return [a.strip() for a in (text or "").split("|") if a.strip()]


def unit_aliases(units: pd.DataFrame) -> pd.DataFrame:
    """Every spelling clerks use for a unit: code, full name, short name and their variants."""
    rows = []
    for unit in units.itertuples(index=False):
        names = {unit.unit_code, unit.unit_name, unit.short_name}
        names.add(unit.unit_name.removesuffix("办事处"))
        names.add(unit.short_name + unit.unit_type)
        names.update(_split_aliases(getattr(unit, "aliases", "")))
        rows += [(n.upper(), unit.unit_code) for n in names if n]
    return pd.DataFrame(rows, columns=["alias", "unit_code"]).drop_duplicates()


def department_aliases(departments: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for dept in departments.itertuples(index=False):
        names = {dept.dept_code, dept.dept_name, *_split_aliases(dept.aliases)}
        rows += [(n.upper(), dept.dept_code) for n in names]
    return pd.DataFrame(rows, columns=["alias", "dept_code"]).drop_duplicates()


def output_aliases(output_types: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for out in output_types.itertuples(index=False):
        names = {out.output_code, out.output_name, *_split_aliases(out.aliases)}
        rows += [(n.upper(), out.output_code, out.measure) for n in names]
    return pd.DataFrame(rows, columns=["alias", "output_code", "measure"]).drop_duplicates()


def load_reference(reference_dir: Path) -> dict[str, pd.DataFrame]:
    """The lookup tables validation joins against, keyed by temp-table name."""
    units = read_table(reference_dir, "units")
    catalogue = read_table(reference_dir, "catalogue")
    grids = read_table(reference_dir, "grids")
    return {
        "ref_unit_alias": unit_aliases(units),
        "ref_item": catalogue[["item_code"]].assign(item_code=catalogue.item_code.str.upper()),
        "ref_dept_alias": department_aliases(read_table(reference_dir, "departments")),
        "ref_output_alias": output_aliases(read_table(reference_dir, "output_types")),
        "ref_grid": grids[["unit_code", "grid_code", "grid_name"]],
    }
