"""Sealing sensitive values with the key file's data-encryption keys (AES-256-GCM).

The first user is the change history: an old resident ID or phone is kept sealed, so the
database holds no sensitive value in plain text, and only a reader with the right to the
full value gets it opened. Encryption of the live records with blind-index search is the
security work's (CONTRACT.md: `rotate-keys`); it will use the same cipher.

A sealed value is `<key id>:<base64(nonce | ciphertext | tag)>`; the field's name is
bound in as associated data, so a value cannot be moved to another field unnoticed.
Retired keys stay in the key file, decrypt-only, so older values still open.

The same keys authenticate the audit trail: `mac` is an HMAC-SHA256 under a key derived
(HKDF) from a data key, `<key id>:<hex>`, so whoever can write to the database but has
not the key file cannot forge an entry or a link of the chain (server/services/auditchain.py).

`blind_index` is the keyed hash that finds a sealed value by its exact text without
opening anything: hex HMAC-SHA256 of `<field>:<value>` under the key file's
`blind_index` key (its own key, never a data key). The first user is the archive of
deleted customers (their resident ID); encryption at rest of the live records will use
it the same way.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.orm import Session

from server.keys import load_key_file

_INFO_KEY = "field_cipher"


class FieldCipher:
    def __init__(self, keys: dict[str, bytes], active: str, blind_index_keys: dict[str, bytes] | None = None) -> None:
        self._keys = {kid: AESGCM(key) for kid, key in keys.items()}
        self._mac_keys = {kid: _derive(key, b"branch-crm audit mac v1") for kid, key in keys.items()}
        self._index_keys = dict(blind_index_keys or {})
        self.active = active

    @classmethod
    def from_key_file(cls, path: Path) -> FieldCipher:
        data = load_key_file(path)
        keys = {kid: base64.b64decode(k["encryption"]) for kid, k in data["keys"].items()}
        index_keys = {kid: base64.b64decode(k["blind_index"]) for kid, k in data["keys"].items()
                      if k.get("blind_index")}
        return cls(keys, data["active"], index_keys)

    def seal(self, value: str, field: str) -> str:
        nonce = os.urandom(12)
        sealed = self._keys[self.active].encrypt(nonce, value.encode(), field.encode())
        return f"{self.active}:{base64.b64encode(nonce + sealed).decode()}"

    def open(self, sealed: str, field: str) -> str:
        kid, _, data = sealed.partition(":")
        raw = base64.b64decode(data)
        return self._keys[kid].decrypt(raw[:12], raw[12:], field.encode()).decode()

    def blind_index(self, field: str, value: str) -> str:
        """The keyed hash that finds `value` of `field` by exact match: hex HMAC-SHA256 of
        `<field>:<value>` under the active key's `blind_index` key. The field is bound in,
        so equal values of two fields do not match each other. Exact means byte for byte:
        the caller passes the value in its stored normal form (a resident ID upper-case,
        without spaces: `shared.validators.normalise_id_number`). A stored index is the
        active key's: after `rotate-keys` makes another key active, look up with
        `blind_indexes` (every key's) until the stored ones are rewritten."""
        return self._index(self.active, field, value)

    def blind_indexes(self, field: str, value: str) -> list[str]:
        """`blind_index` under every key of the file that has an index key, the active first."""
        kids = [self.active, *sorted(k for k in self._index_keys if k != self.active)]
        return [self._index(kid, field, value) for kid in kids if kid in self._index_keys]

    def _index(self, kid: str, field: str, value: str) -> str:
        key = self._index_keys.get(kid)
        if key is None:
            raise RuntimeError(f"key {kid} of the key file has no blind_index key")
        return hmac.new(key, f"{field}:{value}".encode(), hashlib.sha256).hexdigest()

    def mac(self, data: bytes) -> str:
        """`<active key id>:<hex HMAC-SHA256>` of `data`."""
        return f"{self.active}:{hmac.new(self._mac_keys[self.active], data, hashlib.sha256).hexdigest()}"

    def mac_matches(self, data: bytes, value: str | None) -> bool:
        """Whether `value` is `mac(data)` under the key it names (any key of the file)."""
        kid, _, digest = (value or "").partition(":")
        key = self._mac_keys.get(kid)
        if key is None:
            return False
        return hmac.compare_digest(hmac.new(key, data, hashlib.sha256).hexdigest(), digest)


def _derive(key: bytes, info: bytes) -> bytes:
    """A key of its own for another purpose (HKDF-SHA256): the data key itself never MACs."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(key)


def attach(factory: Any, cipher: FieldCipher) -> None:
    """Give every session of `factory` (a sessionmaker) the cipher."""
    info = dict(factory.kw.get("info") or {})
    info[_INFO_KEY] = cipher
    factory.configure(info=info)


def factory_cipher(factory: Any) -> FieldCipher | None:
    """The cipher a sessionmaker gives its sessions (`attach`), if any."""
    cipher = (factory.kw.get("info") or {}).get(_INFO_KEY)
    return cipher if isinstance(cipher, FieldCipher) else None


def cipher_of(db: Session) -> FieldCipher:
    cipher = db.info.get(_INFO_KEY)
    if cipher is None:
        raise RuntimeError("no field cipher: build the sessionmaker with the key file (crypto.attach)")
    return cipher  # type: ignore[no-any-return]
