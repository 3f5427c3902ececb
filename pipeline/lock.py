"""One writer at a time: an OS file lock beside the warehouse, released even by kill -9."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import WarehouseError
from .settings import Settings

DEFAULT_WAIT_SECONDS = 60.0
WAIT_ENV = "PILOT_LOCK_WAIT"


def lock_path(settings: Settings) -> Path:
    return settings.warehouse.with_name(settings.warehouse.name + ".lock")


def _try_lock(handle) -> bool:
    if sys.platform == "win32":
        import msvcrt

        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


def _unlock(handle) -> None:
    if sys.platform == "win32":
        import msvcrt

        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


@contextmanager
def writer_lock(
    settings: Settings,
    wait_seconds: float | None = None,
    on_wait: Callable[[], None] | None = None,
) -> Iterator[None]:
    """Hold the warehouse's writer lock; wait for another writer a bounded time, then give up."""
    if wait_seconds is None:
        wait_seconds = float(os.environ.get(WAIT_ENV, DEFAULT_WAIT_SECONDS))
    path = lock_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        deadline = time.monotonic() + wait_seconds
        waited = False
        while not _try_lock(handle):
            if time.monotonic() >= deadline:
                raise WarehouseError(
                    f"仓库正忙：另一个 pilot 进程正在写入 / warehouse busy: another pilot "
                    f"command is writing {settings.warehouse}",
                    hint=f"wait for it to finish and try again (waited {wait_seconds:g} s; "
                    f"set {WAIT_ENV} to wait longer)",
                )
            if not waited and on_wait is not None:
                on_wait()
            waited = True
            time.sleep(0.2)
        try:
            yield
        finally:
            _unlock(handle)
