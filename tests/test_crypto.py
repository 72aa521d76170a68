"""Tests for db.crypto: FieldCipher and the Encrypted column type."""

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, insert, select, text

from db import crypto
from db.crypto import DecryptionError, Encrypted, FieldCipher, set_field_cipher

KEY = base64.urlsafe_b64encode(bytes(range(32))).decode()
OTHER_KEY = base64.urlsafe_b64encode(bytes(range(1, 33))).decode()
CIPHER = FieldCipher(KEY)


@pytest.fixture
def registered():
    set_field_cipher(CIPHER)
    yield CIPHER
    set_field_cipher(None)


def flip(token: str, position: int) -> str:
    blob = bytearray(base64.urlsafe_b64decode(token[3:]))
    blob[position % len(blob)] ^= 0x01
    return "v1:" + base64.urlsafe_b64encode(bytes(blob)).decode()


def test_round_trip():
    assert CIPHER.decrypt(CIPHER.encrypt("13812345678")) == "13812345678"


def test_token_format_is_v1_and_base64_of_nonce_ciphertext_and_tag():
    token = CIPHER.encrypt("张三")
    blob = base64.urlsafe_b64decode(token[3:])
    assert (token[:3], len(blob)) == ("v1:", 12 + len("张三".encode()) + 16)


def test_each_encryption_uses_a_new_nonce():
    assert CIPHER.encrypt("same") != CIPHER.encrypt("same")


def test_standard_and_urlsafe_base64_keys_are_the_same_key():
    raw = bytes([0xFB, 0xFF] * 16)  # bytes that differ between the two alphabets
    standard = FieldCipher(base64.b64encode(raw).decode())
    urlsafe = FieldCipher(base64.urlsafe_b64encode(raw).decode().rstrip("="))
    assert urlsafe.decrypt(standard.encrypt("x")) == "x"


@pytest.mark.parametrize("key", ["", "not base64!!", base64.b64encode(b"short").decode(),
                                 base64.b64encode(bytes(33)).decode()])
def test_a_bad_key_is_refused(key):
    with pytest.raises(ValueError):
        FieldCipher(key)


def test_generate_key_gives_a_usable_32_byte_key():
    key = FieldCipher.generate_key()
    assert len(base64.urlsafe_b64decode(key)) == 32
    assert FieldCipher(key).decrypt(FieldCipher(key).encrypt("ok")) == "ok"
    assert FieldCipher.generate_key() != key


def test_a_wrong_key_is_detected():
    with pytest.raises(DecryptionError, match="tampered with or the key is wrong"):
        FieldCipher(OTHER_KEY).decrypt(CIPHER.encrypt("13812345678"))


@pytest.mark.parametrize("token", ["", "13812345678", "v2:AAAA", "v1:", "v1:!!!!", "v1:AAAA",
                                   "v1:" + "A" * 38])
def test_malformed_tokens_are_refused(token):
    with pytest.raises(DecryptionError):
        CIPHER.decrypt(token)


def test_decryption_error_is_a_value_error():
    assert issubclass(DecryptionError, ValueError)


def test_keyed_hash_is_stable_per_key_and_differs_between_keys():
    first, again = CIPHER.keyed_hash("13812345678"), FieldCipher(KEY).keyed_hash("13812345678")
    other = FieldCipher(OTHER_KEY).keyed_hash("13812345678")
    assert (first == again, first != other, len(first), int(first, 16) >= 0) == (
        True, True, 64, True)
    assert CIPHER.keyed_hash("13812345679") != first


def test_repr_does_not_show_the_key():
    assert repr(CIPHER) == "FieldCipher(<key hidden>)"


@given(st.text())
def test_any_text_round_trips(plaintext):
    assert CIPHER.decrypt(CIPHER.encrypt(plaintext)) == plaintext


@given(plaintext=st.text(max_size=50), position=st.integers(min_value=0))
def test_any_flipped_bit_is_detected(plaintext, position):
    with pytest.raises(DecryptionError):
        CIPHER.decrypt(flip(CIPHER.encrypt(plaintext), position))


def test_encrypted_column_stores_ciphertext_and_reads_plaintext(registered):
    engine = create_engine("sqlite://")
    table = Table("person", MetaData(), Column("id", Integer, primary_key=True),
                  Column("phone", Encrypted(128)), Column("note", Encrypted(128)))
    table.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(table).values(id=1, phone="13812345678", note=None))
        stored = conn.execute(text("SELECT phone, note FROM person")).one()
        read = conn.execute(select(table.c.phone, table.c.note)).one()
    assert (stored.phone.startswith("v1:"), "13812345678" in stored.phone, stored.note) == (
        True, False, None)
    assert registered.decrypt(stored.phone) == "13812345678"
    assert tuple(read) == ("13812345678", None)


def test_encrypted_column_keeps_the_given_length():
    assert Encrypted(128).impl.length == 128


def test_using_the_column_without_a_registered_cipher_is_a_clear_error():
    set_field_cipher(None)
    with pytest.raises(RuntimeError, match="set_field_cipher"):
        Encrypted(64).process_bind_param("13812345678", None)
    with pytest.raises(RuntimeError, match="no field cipher registered"):
        crypto.field_cipher()


def test_none_passes_through_even_without_a_cipher():
    set_field_cipher(None)
    assert Encrypted(64).process_bind_param(None, None) is None
