"""Exception types of the library; the CLI turns each into one message with a hint."""


class PilotError(Exception):
    """An error a user can act on. `hint` says what to do about it."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint


class LedgerError(PilotError):
    """A ledger file cannot be read at all (encoding, layout, missing required column)."""


class ReferenceDataError(PilotError):
    """A reference table is missing or malformed."""


class BuildError(PilotError):
    """dbt build failed: models or tests that did not pass."""


class WarehouseError(PilotError):
    """The warehouse file is missing, busy or not built yet."""


class WarehouseBusyError(WarehouseError):
    """The warehouse file is open in another process, which holds DuckDB's lock on it."""


def refuse_to_overwrite(paths, where: str) -> None:
    """Raise PilotError naming those of `paths` that exist; `where` says where to write instead.

    Templates and demo ledgers are named as clerks name their real ledgers (XHY_案件台账.xlsx).
    """
    existing = [p for p in paths if p.exists()]
    if existing:
        raise PilotError(
            "文件已存在，未覆盖 / not overwriting existing file(s): "
            + ", ".join(str(p) for p in existing),
            hint=f"write {where} to another folder, or add --force to replace these files "
            "(what was filled in them is lost)",
        )
