"""The one settings object: paths, warehouse file and language, declared once and passed on."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
WAREHOUSE_ENV = "PILOT_WAREHOUSE"
SECRET_ENV = "PILOT_SECRET_FILE"
# The reporting unit standing for all pilot units together (dbt var all_units_code).
ALL_UNITS_CODE = "ALL"


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

    def dbt_env(self) -> dict[str, str]:
        """Environment for dbt so that it opens the very file Python uses."""
        return {
            WAREHOUSE_ENV: str(self.warehouse),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DO_NOT_TRACK": "1",
        }
