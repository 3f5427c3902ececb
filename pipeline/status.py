"""What state the warehouse is in: the published snapshot, what awaits a build, the last build."""

from __future__ import annotations

from .errors import WarehouseError
from .lock import lock_path
from .publish import LAST_BUILD, current, publish_dir, read_json
from .settings import Settings
from .warehouse import connect


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
        "busy": False,
    }
    if not settings.warehouse.exists():
        return info
    since = pointer["load_finished_at"] if pointer else None
    try:
        con = connect(settings, read_only=True)
    except WarehouseError:
        info["busy"] = lock_path(settings).exists()
        return info
    try:
        has_loads = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'raw' and table_name = 'loads'"
        ).fetchone()[0]
        if has_loads:
            loads, files = con.execute(
                """select count(distinct l.load_id), count(f.file_id)
                from raw.loads l left join raw.files f
                    on f.load_id = l.load_id and f.status = 'loaded'
                where l.finished_at is not null
                    and (cast(? as timestamp) is null or l.finished_at > cast(? as timestamp))""",
                [since, since],
            ).fetchone()
            info["waiting_to_build"] = {"loads": loads, "files_loaded": files}
    finally:
        con.close()
    return info
