"""Personal data: the per-installation secret, and the keys SQL hashes ID numbers with.

The hash itself is validate's id_hash macro (HMAC-SHA256 of the 18-digit form).
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

from .errors import PilotError

# The secret is 32 random bytes, written as 64 hex digits; one typed in by hand must be at
# least 16 bytes, or anyone could try every key and recompute the ID numbers' hashes.
MIN_SECRET_BYTES = 16
_SECRET_HINT = (
    "the file holds the key ID numbers are hashed with: restore it from your backup, or remove "
    "it to have a new one made (rows ingested before then will not match the new hashes)"
)


def load_secret(path: Path) -> bytes:
    """Read the installation's secret, creating it on first use (outside git and the warehouse)."""
    try:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
        text = path.read_text(encoding="ascii", errors="replace").strip()
    except OSError as exc:
        raise PilotError(
            f"无法读取或创建密钥文件 / cannot read or create the secret file {path}: "
            f"{exc.strerror or exc}",
            hint="set PILOT_SECRET_FILE to a file you can write, or unset it for the default",
        ) from exc
    try:
        secret = bytes.fromhex(text)
    except ValueError:
        raise PilotError(
            f"密钥文件内容无效 / the secret file {path} does not hold a key in hexadecimal digits",
            hint=_SECRET_HINT,
        ) from None
    if len(secret) < MIN_SECRET_BYTES:
        raise PilotError(
            f"密钥太短 / the secret in {path} is too short: {len(secret) * 8} bits, "
            f"at least {MIN_SECRET_BYTES * 8}",
            hint=_SECRET_HINT,
        )
    return secret


def hmac_pads(secret: bytes) -> tuple[bytes, bytes]:
    """HMAC-SHA256's inner and outer padded keys (RFC 2104), for validate's id_hash:
    sha256(outer || sha256(inner || message))."""
    key = hashlib.sha256(secret).digest() if len(secret) > 64 else secret
    key = key.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)
