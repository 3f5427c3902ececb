"""What state the warehouse is in: the published snapshot, what awaits a build, the last build."""

from __future__ import annotations

from .build import inputs_fingerprint, published_fingerprint
from .errors import WarehouseBusyError
from .publish import LAST_BUILD, current, publish_dir, read_json
from .settings import Settings
from .warehouse import connect, has_raw_files, has_raw_table


def status(settings: Settings) -> dict:
    """Facts for `pilot status`; never takes the writer lock, never blocks a writer for long."""
    pointer = current(settings)
    info: dict = {
        "warehouse": str(settings.warehouse),
        "warehouse_exists": settings.warehouse.exists(),
        "warehouse_bytes": settings.warehouse.stat().st_size if settings.warehouse.exists() else 0,
        "published": pointer,
        "last_build": read_json(publish_dir(settings) / LAST_BUILD),
        "waiting_to_build": None,
        "build_due": None,
        "busy": False,
    }
    if not settings.warehouse.exists():
        return info
    # Files ingested after the newest one the snapshot was built from: also those of a load
    # that was interrupted (each file is committed on its own, so they are in the warehouse).
    since = (
        (pointer.get("files_ingested_until") or pointer["load_finished_at"]) if pointer else None
    )
    # A snapshot published before any withdrawal has none: every withdrawal awaits a build.
    withdrawals_since = pointer.get("withdrawals_until") if pointer else None
    try:
        con = connect(settings, read_only=True)
    except WarehouseBusyError:
        # Held by a writer: the counts must wait. Any other failure (not a DuckDB file) is
        # the error it is.
        info["busy"] = True
        return info
    try:
        if has_raw_files(con):
            loads, files = con.execute(
                """select count(distinct load_id), count(*) from raw.files
                where status = 'loaded'
                    and (cast(? as timestamp) is null or ingested_at > cast(? as timestamp))""",
                [since, since],
            ).fetchone()
            withdrawn = 0
            if has_raw_table(con, "withdrawals"):
                (withdrawn,) = con.execute(
                    """select count(*) from raw.withdrawals
                    where cast(? as timestamp) is null or withdrawn_at > cast(? as timestamp)""",
                    [withdrawals_since, withdrawals_since],
                ).fetchone()
            info["waiting_to_build"] = {
                "loads": loads,
                "files_loaded": files,
                "files_withdrawn": withdrawn,
            }
        # What `pilot build` itself decides: the ledgers or the project (models, macros,
        # reference tables) changed since the published build. Read on the same connection: a
        # second one could find a writer holding the warehouse.
        fingerprint = inputs_fingerprint(settings, con)
    finally:
        con.close()
    info["build_due"] = (
        None if fingerprint is None else fingerprint != published_fingerprint(settings)
    )
    return info
