"""The server's key file (CONTRACT.md): created 0600 by `init`, required by `serve`.

It holds the data-encryption and blind-index keys that encryption at rest of IDs,
phones and addresses will use; keys never live in the database or the repo.
"""
from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path
from typing import Any


class KeyFileError(RuntimeError):
    pass


def create_key_file(path: Path) -> bool:
    """Create the key file if absent; True when it was created."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    data = {
        "format": 1,
        "active": "k1",
        "keys": {"k1": {
            "encryption": base64.b64encode(secrets.token_bytes(32)).decode(),
            "blind_index": base64.b64encode(secrets.token_bytes(32)).decode(),
        }},
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, indent=2)
    return True


def load_key_file(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise KeyFileError(f"key file {path} not found: run `crm-server init` first or set CRM_KEY_FILE")
    try:
        data: dict[str, Any] = json.loads(path.read_text())
        active = data["keys"][data["active"]]
        for part in ("encryption", "blind_index"):
            if len(base64.b64decode(active[part])) != 32:
                raise ValueError(part)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise KeyFileError(f"key file {path} is unreadable or malformed") from exc
    if os.name == "posix" and path.stat().st_mode & 0o077:
        raise KeyFileError(f"key file {path} is readable by others: chmod 600 it")
    return data
