"""Taking a loaded ledger file back out of the warehouse (`pilot withdraw`).

A clerk who ingested the wrong file (a test copy, last year's ledger, another brigade's) had no
way back short of a new warehouse: a file leaves only when a newer file of the same name
supersedes it. Withdrawing deletes the file's ledger rows and quarantined rows, marks it
`withdrawn` in raw.files (its history stays, and `pilot quality` lists it so), and records when
and why in raw.withdrawals. The next `pilot build` takes its rows out of the fact tables, as
for a superseded file.
"""

from __future__ import annotations

import difflib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import PilotError
from .lock import writer_lock
from .settings import Settings
from .warehouse import (
    connect,
    delete_file_rows,
    ensure_raw_schema,
    has_raw_files,
    nothing_ingested,
)


@dataclass(frozen=True)
class Withdrawal:
    file_name: str
    file_id: str
    rows_withdrawn: int
    rows_quarantined: int


def _find(con, given: str) -> tuple[str, str]:
    """The loaded file that `given` names: its file name (or a path to it) or its file id."""
    name = Path(given).name
    found = con.execute(
        "select file_id, file_name from raw.files where status = 'loaded' "
        "and (file_name = ? or file_id = ?)",
        [name, given],
    ).fetchall()
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise PilotError(
            f"{given}: 有 {len(found)} 个已入库文件同名 / {len(found)} loaded files match",
            hint="name the file by its file id, as `pilot quality --format json` lists it",
        )
    earlier = con.execute(
        "select status from raw.files where file_name = ? or file_id = ? "
        "order by ingested_at desc limit 1",
        [name, given],
    ).fetchone()
    if earlier is not None:
        raise PilotError(
            f"{given}: 该文件不在库中（状态 {earlier[0]}）/ the file is not in force "
            f"(status {earlier[0]}): nothing to withdraw",
            hint="`pilot quality` lists the files in force and what happened to the others",
        )
    loaded = [
        n
        for (n,) in con.execute(
            "select file_name from raw.files where status = 'loaded'"
        ).fetchall()
    ]
    close = difflib.get_close_matches(name, loaded, n=3, cutoff=0.5)
    raise PilotError(
        f"{given}: 没有这个已入库的文件 / no loaded file of this name",
        hint=(f"did you mean: {', '.join(close)}? " if close else "")
        + "`pilot quality` lists the files in force",
    )


def withdraw(
    settings: Settings,
    files: Sequence[str],
    reason: str | None = None,
    on_wait: Callable[[], None] | None = None,
) -> list[Withdrawal]:
    """Withdraw the named loaded files, all or none; return what each had loaded.

    Run `pilot build` after it: until then the published metrics still count the files.
    """
    if not files:
        raise PilotError("没有指定要撤回的文件 / no file named to withdraw")
    if not settings.warehouse.exists():
        raise nothing_ingested(settings)
    with writer_lock(settings, on_wait=on_wait):
        con = connect(settings)
        try:
            if not has_raw_files(con):
                raise nothing_ingested(settings)
            ensure_raw_schema(con)  # raw.withdrawals, in a warehouse made before it existed
            # Every name is checked before anything is deleted: all or none.
            targets = list(dict.fromkeys(_find(con, given) for given in files))
            load_id = uuid.uuid4().hex
            done = []
            con.execute("begin")
            try:
                con.execute("insert into raw.loads values (?, now(), null, 'withdraw')", [load_id])
                for file_id, file_name in targets:
                    rows, quarantined = delete_file_rows(con, file_id, "withdrawn")
                    con.execute(
                        "insert into raw.withdrawals values (?, ?, ?, ?, ?, ?, now())",
                        [file_id, load_id, file_name, rows, quarantined, reason],
                    )
                    done.append(Withdrawal(file_name, file_id, rows, quarantined))
                con.execute("update raw.loads set finished_at = now() where load_id = ?", [load_id])
                con.execute("commit")
            except BaseException:
                con.execute("rollback")
                raise
        finally:
            con.close()
    return done
