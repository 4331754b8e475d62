"""Sealing sensitive values with the key file's data-encryption keys (AES-256-GCM).

The first user is the change history: an old resident ID or phone is kept sealed, so the
database holds no sensitive value in plain text, and only a reader with the right to the
full value gets it opened. Encryption of the live records with blind-index search is the
security work's (CONTRACT.md: `rotate-keys`); it will use the same cipher.

A sealed value is `<key id>:<base64(nonce | ciphertext | tag)>`; the field's name is
bound in as associated data, so a value cannot be moved to another field unnoticed.
Retired keys stay in the key file, decrypt-only, so older values still open.
"""
from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.orm import Session

from server.keys import load_key_file

_INFO_KEY = "field_cipher"


class FieldCipher:
    def __init__(self, keys: dict[str, bytes], active: str) -> None:
        self._keys = {kid: AESGCM(key) for kid, key in keys.items()}
        self.active = active

    @classmethod
    def from_key_file(cls, path: Path) -> FieldCipher:
        data = load_key_file(path)
        keys = {kid: base64.b64decode(k["encryption"]) for kid, k in data["keys"].items()}
        return cls(keys, data["active"])

    def seal(self, value: str, field: str) -> str:
        nonce = os.urandom(12)
        sealed = self._keys[self.active].encrypt(nonce, value.encode(), field.encode())
        return f"{self.active}:{base64.b64encode(nonce + sealed).decode()}"

    def open(self, sealed: str, field: str) -> str:
        kid, _, data = sealed.partition(":")
        raw = base64.b64decode(data)
        return self._keys[kid].decrypt(raw[:12], raw[12:], field.encode()).decode()


def attach(factory: Any, cipher: FieldCipher) -> None:
    """Give every session of `factory` (a sessionmaker) the cipher."""
    info = dict(factory.kw.get("info") or {})
    info[_INFO_KEY] = cipher
    factory.configure(info=info)


def cipher_of(db: Session) -> FieldCipher:
    cipher = db.info.get(_INFO_KEY)
    if cipher is None:
        raise RuntimeError("no field cipher: build the sessionmaker with the key file (crypto.attach)")
    return cipher  # type: ignore[no-any-return]
