"""Tests for bot.masking: masks for logs and stored message history."""

import hashlib
from typing import Any
import re
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.masking import mask_certificate, mask_id, mask_phone, mask_user, scrub


def make_id(birth: date, region: str = "120105", seq: str = "123") -> str:
    """A made-up ID number with a correct check character (no real person's)."""
    body = f"{region}{birth:%Y%m%d}{seq}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights)) % 11]


ID = make_id(date(1985, 3, 7))
CERT = ID + "42"
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@pytest.mark.parametrize(("phone", "masked"), [
    ("13812345678", "手机尾号5678"), ("+86 138-1234-5678", "手机尾号5678"),
    ("022-26123456", "电话尾号3456"), ("26123456", "电话尾号3456"),
])
def test_mask_phone(phone, masked):
    assert mask_phone(phone) == masked


def test_mask_certificate_and_id():
    # The last two characters (category, grade) are sensitive: the mask shows the ID's tail.
    assert (mask_certificate(CERT), mask_id(ID)) == (f"证号尾号{ID[-4:]}", f"身份证尾号{ID[-4:]}")


def test_mask_id_shows_an_upper_case_x():
    assert mask_id("12010519850307123x") == "身份证尾号123X"


@pytest.fixture
def keyed() -> Any:
    """The field cipher registered, as start-up does (the keyed hash needs it)."""
    from db.crypto import FieldCipher, set_field_cipher
    from tests.conftest import TEST_DATA_KEY

    cipher = FieldCipher(TEST_DATA_KEY)
    set_field_cipher(cipher)
    yield cipher
    set_field_cipher(None)


def test_mask_user_is_short_stable_and_never_the_whole_id(keyed):
    masked = mask_user("ZhangSanFeng")
    assert masked.startswith("Zh…") and len(masked) == 9
    assert mask_user("ZhangSanFeng") == mask_user("ZhangSanFeng")
    assert mask_user("ZhangSanFeng") != mask_user("ZhangSanFenG")


def test_mask_user_uses_the_keyed_hash_not_one_anyone_can_recompute(keyed):
    """An unkeyed hash can be reversed by hashing every id of the staff directory."""
    unkeyed = hashlib.sha256(b"ZhangSanFeng").hexdigest()[:6]
    assert unkeyed not in mask_user("ZhangSanFeng")
    assert mask_user("ZhangSanFeng") == "Zh…" + keyed.keyed_hash("ZhangSanFeng")[:6]


@pytest.mark.parametrize("userid", ["ab", "abcd", "a", ""])
def test_mask_user_hides_short_ids_entirely(keyed, userid):
    assert mask_user(userid) == "…" + keyed.keyed_hash(userid)[:6]


@pytest.mark.parametrize(("text", "expected"), [
    ("我的电话13812345678，谢谢", "我的电话手机尾号5678，谢谢"),
    ("电话：+86 138 1234 5678。", "电话：手机尾号5678。"),
    ("座机(022)2612-3456或26123456", "座机电话尾号3456或电话尾号3456"),
    (f"身份证 {ID} 好", f"身份证 身份证尾号{ID[-4:]} 好"),
    (f"证号{CERT}", f"证号证号尾号{ID[-4:]}"),
    (f"证号 {ID[:6]} {ID[6:14]} {ID[14:]} 42", f"证号 证号尾号{ID[-4:]}"),
    ("13812345678 13912345678", "手机尾号5678 手机尾号5678"),
    ("138 1234 5678 139 1234 5678", "手机尾号5678 手机尾号5678"),
    ("１３８１２３４５６７８", "手机尾号5678"),
    ("卡号6222021234567890123", "卡号号码尾号0123"),
])
def test_scrub_masks_numbers_in_free_text(text, expected):
    assert scrub(text) == expected


@pytest.mark.parametrize("text", [
    "我想找客服工作，回复1 3", "2024-03-15上午预约", "单位200人，已安排1人，工资80000元",
    "144,000.00 元", "第3项", "", "没有号码",
])
def test_scrub_leaves_ordinary_text_alone(text):
    assert scrub(text) == text


NOT_DIGITS = st.characters(blacklist_categories=("Nd", "Nl", "No", "Cs"))
SEPARATOR = st.sampled_from(["", " ", "-", "　"])


def digits_of(text: str) -> str:
    return "".join(str(int(c)) for c in text if c.isdecimal())


@st.composite
def phones(draw):
    number = draw(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
    sep = draw(SEPARATOR)
    written = f"{number[:3]}{sep}{number[3:7]}{sep}{number[7:]}"
    written = draw(st.sampled_from(["", "+86 ", "86"])) + written
    if draw(st.booleans()):
        written = written.translate(FULL_WIDTH)
    return number, written


@st.composite
def id_numbers(draw):
    birth = draw(st.dates(min_value=date(1920, 1, 1), max_value=date(2020, 12, 31)))
    number = make_id(birth, seq=f"{draw(st.integers(0, 999)):03d}")
    if draw(st.booleans()):
        number += draw(st.sampled_from(["11", "42", "73"]))
    sep = draw(SEPARATOR)
    written = f"{number[:6]}{sep}{number[6:14]}{sep}{number[14:]}"
    if draw(st.booleans()):
        written = written.lower().translate(FULL_WIDTH)
    return number.replace("X", ""), written


@given(before=st.text(NOT_DIGITS, max_size=20), after=st.text(NOT_DIGITS, max_size=20),
       phone=phones())
def test_a_generated_phone_never_survives_scrub(before, after, phone):
    number, written = phone
    out = scrub(before + written + after)
    assert number not in digits_of(out)
    assert len(digits_of(out)) <= 4


@given(before=st.text(NOT_DIGITS, max_size=20), after=st.text(NOT_DIGITS, max_size=20),
       id_number=id_numbers())
def test_a_generated_id_or_certificate_never_survives_scrub(before, after, id_number):
    number, written = id_number
    out = scrub(before + written + after)
    assert number[:14] not in digits_of(out)
    assert len(digits_of(out)) <= 4


@given(st.text(st.characters(codec="utf-8"), max_size=60)
       | st.text(alphabet="0123456789０１２Xx +-()　", max_size=60))
def test_scrub_leaves_no_run_of_eleven_digits(text):
    assert re.search("[0-9０-９]{11,}", scrub(text)) is None
