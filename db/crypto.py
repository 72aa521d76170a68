"""Field-level encryption for personal data (phone, certificate number) at rest.

AES-256-GCM with a random 12-byte nonce per value; a keyed HMAC (subkey from HKDF) lets a
value be looked up without decrypting. The column types `Encrypted` and `EncryptedText` use the
cipher that start-up registers with `set_field_cipher`; importing this module has no side
effects.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import String, Text
from sqlalchemy.types import TypeDecorator

PREFIX = "v1:"
NONCE_BYTES = 12
TAG_BYTES = 16
KEY_BYTES = 32


class DecryptionError(ValueError):
    """A token could not be decrypted: tampered with, truncated, or made with another key."""


KEY_ALPHABET = re.compile(r"[A-Za-z0-9+/]*={0,2}|[A-Za-z0-9_-]*={0,2}")
KEY_HELP = ("32 random bytes in standard base64 (A-Z a-z 0-9 + /, 44 characters ending in "
            "\"=\"; URL-safe - _ is accepted too), as FieldCipher.generate_key() prints")


def decode_key(key: str) -> bytes:
    """The 32 raw bytes of a key in standard (or URL-safe) base64; ValueError saying why not."""
    text = key.strip()
    if not text or not KEY_ALPHABET.fullmatch(text):
        raise ValueError(f"must be {KEY_HELP}; got {len(text)} characters outside that alphabet"
                         if text else f"missing: must be {KEY_HELP}")
    try:
        body = text.rstrip("=").replace("-", "+").replace("_", "/")
        raw = base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"must be {KEY_HELP}; this is not valid base64") from None
    if len(raw) != KEY_BYTES:
        raise ValueError(f"must be {KEY_HELP}; this decodes to {len(raw)} bytes")
    return raw


class FieldCipher:
    """Encrypts and decrypts single text values; hashes them for equality look-ups."""

    def __init__(self, key: str) -> None:
        raw = decode_key(key)
        self._aead = AESGCM(raw)
        self._search_key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                                info=b"search").derive(raw)

    def __repr__(self) -> str:
        return "FieldCipher(<key hidden>)"

    @staticmethod
    def generate_key() -> str:
        """A new random 32-byte key in standard base64 (what the configuration check expects)."""
        return base64.b64encode(os.urandom(KEY_BYTES)).decode("ascii")

    def encrypt(self, plaintext: str) -> str:
        """"v1:" + base64(nonce + ciphertext + tag); a new nonce every call."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode("utf-8"), None)
        return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def decrypt(self, token: str) -> str:
        """The plaintext of a token from `encrypt`; DecryptionError if it does not verify."""
        if not isinstance(token, str) or not token.startswith(PREFIX):
            raise DecryptionError("not an encrypted field value (expected the 'v1:' prefix)")
        body = token[len(PREFIX):]
        try:
            blob = base64.b64decode(body.encode("ascii"), altchars=b"-_", validate=True)
        except (binascii.Error, ValueError, UnicodeEncodeError) as exc:
            raise DecryptionError("encrypted field value is not valid base64") from exc
        if len(blob) < NONCE_BYTES + TAG_BYTES:
            raise DecryptionError("encrypted field value is too short")
        try:
            plain = self._aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], None)
        except InvalidTag as exc:
            raise DecryptionError("encrypted field value was tampered with or the key is "
                                  "wrong") from exc
        return plain.decode("utf-8")

    def keyed_hash(self, value: str) -> str:
        """HMAC-SHA256 of the value under the search subkey, as hex (stable per key)."""
        return hmac.new(self._search_key, value.encode("utf-8"), hashlib.sha256).hexdigest()


_cipher: FieldCipher | None = None


def set_field_cipher(cipher: FieldCipher | None) -> None:
    """Register the cipher `Encrypted` columns use (None unregisters it, for tests)."""
    global _cipher
    _cipher = cipher


def field_cipher() -> FieldCipher:
    """The registered cipher; RuntimeError if start-up has not registered one."""
    if _cipher is None:
        raise RuntimeError("no field cipher registered: call "
                           "db.crypto.set_field_cipher(FieldCipher(key)) at start-up")
    return _cipher


class Encrypted(TypeDecorator[str]):
    """A String column stored encrypted: `Encrypted(128)`; the length is the stored token's."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        """Encrypt on the way into the database."""
        return None if value is None else field_cipher().encrypt(value)

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        """Decrypt on the way out."""
        return None if value is None else field_cipher().decrypt(value)


class EncryptedText(TypeDecorator[str]):
    """A Text column stored encrypted (message texts, the last prompt). Rows written before
    the column was encrypted hold clear text without the prefix and are read as they are."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        """Encrypt on the way into the database."""
        return None if value is None else field_cipher().encrypt(value)

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        """Decrypt on the way out; an old clear value passes unchanged."""
        if value is None or not value.startswith(PREFIX):
            return value
        return field_cipher().decrypt(value)
