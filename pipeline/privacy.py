"""Personal data: the per-installation secret, and the keys SQL hashes ID numbers with.

The hash itself is validate's id_hash macro (HMAC-SHA256 of the 18-digit form).
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path


def load_secret(path: Path) -> bytes:
    """Read the installation's secret, creating it on first use (outside git and the warehouse)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return bytes.fromhex(path.read_text().strip())


def hmac_pads(secret: bytes) -> tuple[bytes, bytes]:
    """HMAC-SHA256's inner and outer padded keys (RFC 2104), for validate's id_hash:
    sha256(outer || sha256(inner || message))."""
    key = hashlib.sha256(secret).digest() if len(secret) > 64 else secret
    key = key.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)
