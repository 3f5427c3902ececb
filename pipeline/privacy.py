"""Personal data: the per-installation secret and the keyed hash of ID numbers."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def load_secret(path: Path) -> bytes:
    """Read the installation's secret, creating it on first use (outside git and the warehouse)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return bytes.fromhex(path.read_text().strip())


def id18(id_no: str) -> str:
    """An ID number in its 18-digit form, so that a person's old 15-digit number hashes the same."""
    id_no = id_no.upper()
    if len(id_no) != 15:
        return id_no
    body = id_no[:6] + "19" + id_no[6:]
    return body + _CHECK[sum(int(d) * w for d, w in zip(body, _WEIGHTS)) % 11]


def hash_id(secret: bytes, id_no: str) -> str:
    """Keyed hash of an ID number: repeat parties stay countable, the person stays unknown."""
    return hmac.new(secret, id18(id_no).encode(), hashlib.sha256).hexdigest()


def hmac_pads(secret: bytes) -> tuple[bytes, bytes]:
    """HMAC-SHA256's inner and outer padded keys (RFC 2104), so SQL can compute what hash_id does:
    sha256(outer || sha256(inner || message))."""
    key = hashlib.sha256(secret).digest() if len(secret) > 64 else secret
    key = key.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)
