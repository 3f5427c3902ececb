"""The one settings object: paths, warehouse file and language, declared once and passed on."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

from .errors import PilotError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
WAREHOUSE_ENV = "PILOT_WAREHOUSE"
SECRET_ENV = "PILOT_SECRET_FILE"
# The reporting unit standing for all pilot units together (dbt var all_units_code).
ALL_UNITS_CODE = "ALL"
# The dbt project file, in the project's root: it declares the vars dbt and Python share.
DBT_PROJECT_FILE = "dbt_project.yml"


@dataclass(frozen=True)
class Settings:
    """Where everything lives. dbt gets the same warehouse through PILOT_WAREHOUSE."""

    root: Path = PROJECT_ROOT
    warehouse: Path = field(default_factory=lambda: PROJECT_ROOT / "data" / "warehouse.duckdb")
    reference_dir: Path = PROJECT_ROOT / "data" / "reference"
    demo_dir: Path = PROJECT_ROOT / "data" / "demo"
    reports_dir: Path = PROJECT_ROOT / "reports"
    secret_file: Path = field(
        default_factory=lambda: Path.home() / ".config" / "pilot" / "secret.key"
    )
    lang: str = "zh"
    quiet: bool = False

    @classmethod
    def from_env(cls, warehouse: str | Path | None = None, **overrides) -> Settings:
        """Build settings from arguments, then the environment, then the defaults."""
        base = cls()
        chosen = warehouse or os.environ.get(WAREHOUSE_ENV) or base.warehouse
        secret = os.environ.get(SECRET_ENV) or base.secret_file
        return cls(
            warehouse=Path(chosen).expanduser().resolve(),
            secret_file=Path(secret).expanduser(),
            **overrides,
        )

    @property
    def pilot_start(self) -> dt.date:
        """The day the pilot began: dbt's var pilot_start, read where dbt reads it.

        The date spine and the whole-pilot period start on it, so a ledger date before it
        falls in no period; declared once, in dbt_project.yml, for dbt and the ingest alike.
        """
        value = str(dbt_var(self.root, "pilot_start"))
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise PilotError(
                f"dbt 变量 pilot_start 不是日期 / the dbt var pilot_start '{value}' is not a date",
                hint=f"write it as 2011-08-01 in {self.root / DBT_PROJECT_FILE}",
            ) from None

    def dbt_env(self) -> dict[str, str]:
        """Environment for dbt so that it opens the very file Python uses."""
        return {
            WAREHOUSE_ENV: str(self.warehouse),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DO_NOT_TRACK": "1",
        }


def dbt_var(root: Path, name: str) -> object:
    """A var the dbt project at `root` declares in its dbt_project.yml."""
    import yaml  # dbt's own dependency; only the few callers that need a var pay its import

    path = root / DBT_PROJECT_FILE
    try:
        project = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise PilotError(
            f"无法读取 dbt 项目文件 / cannot read the dbt project file {path}: {exc}",
            hint="run pilot from the project folder it was installed in",
        ) from exc
    value = (project.get("vars") or {}).get(name)
    if value is None:
        raise PilotError(
            f"dbt 项目文件缺少变量 / {path} declares no var {name}",
            hint=f"add {name} under vars: in {DBT_PROJECT_FILE}",
        )
    return value
