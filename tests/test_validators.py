"""Tests for handlers.validators: certificate numbers, phones, ages, names, credit codes."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.validators import (
    Certificate,
    InvalidAnswer,
    UnrecognisedFormat,
    age_on,
    credit_check_char,
    id_check_char,
    parse_age,
    parse_certificate,
    parse_chinese_number,
    parse_credit_code,
    parse_name,
    parse_phone,
)

TODAY = date(2025, 6, 1)


def make_id(birth: date, region: str = "120105", seq: str = "123") -> str:
    """A made-up ID number with a correct GB 11643 check character (no real person's)."""
    body = f"{region}{birth:%Y%m%d}{seq}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(body, weights))
    return body + "10X98765432"[total % 11]


def make_cert(birth: date, category: int = 4, grade: int = 2, seq: str = "123") -> str:
    return f"{make_id(birth, seq=seq)}{category}{grade}"


def wrong_check(id_number: str) -> str:
    other = "0" if id_number[-1] != "0" else "1"
    return id_number[:-1] + other


def test_a_valid_number_is_split_into_its_parts():
    number = make_cert(date(1985, 3, 7), category=4, grade=2)
    expected = Certificate(number, number[:18], date(1985, 3, 7), "肢体", "二级")
    assert parse_certificate(number, today=TODAY) == expected


def test_the_helper_agrees_with_the_module_check_char():
    id_number = make_id(date(1990, 12, 31))
    assert id_check_char(id_number[:17]) == id_number[17]


@pytest.mark.parametrize(("category", "name"), [(1, "视力"), (2, "听力"), (3, "言语"),
                                                (4, "肢体"), (5, "智力"), (6, "精神"),
                                                (7, "多重")])
def test_every_category_code_has_its_name(category, name):
    cert = parse_certificate(make_cert(date(1970, 1, 1), category=category, grade=1),
                             today=TODAY)
    assert (cert.category, cert.grade) == (name, "一级")


@pytest.mark.parametrize(("grade", "name"), [(1, "一级"), (2, "二级"), (3, "三级"), (4, "四级")])
def test_every_grade_code_has_its_name(grade, name):
    cert = parse_certificate(make_cert(date(1970, 1, 1), grade=grade), today=TODAY)
    assert cert.grade == name


def find_seq_with_x(birth: date) -> str:
    return next(f"{n:03d}" for n in range(1000) if make_id(birth, seq=f"{n:03d}")[-1] == "X")


def test_spaces_dashes_full_width_digits_and_lower_case_x_are_accepted():
    birth = date(1992, 2, 29)
    id_number = make_id(birth, seq=find_seq_with_x(birth))
    number = id_number + "51"
    typed = f"{id_number[:6]} {id_number[6:14]}-{id_number[14:17]}x 5１".replace("1", "１", 2)
    assert parse_certificate(typed, today=TODAY).number == number


def test_a_label_around_the_number_is_ignored():
    number = make_cert(date(1980, 5, 5))
    assert parse_certificate(f"我的证号是：{number}。", today=TODAY).number == number


def test_a_bad_check_digit_is_refused_with_a_hint():
    number = wrong_check(make_id(date(1985, 3, 7))) + "42"
    with pytest.raises(InvalidAnswer) as caught:
        parse_certificate(number, today=TODAY)
    assert type(caught.value) is InvalidAnswer
    assert "校验" in caught.value.hint


@pytest.mark.parametrize("birth", ["19850230", "19851301", "18991231", "20300101"])
def test_an_impossible_birth_date_is_refused(birth):
    body = f"120105{birth}123"
    number = body + id_check_char(body) + "42"
    with pytest.raises(InvalidAnswer) as caught:
        parse_certificate(number, today=TODAY)
    assert "出生日期" in caught.value.hint


@pytest.mark.parametrize(("category", "grade"), [(0, 1), (8, 1), (9, 2), (4, 0), (4, 5)])
def test_a_bad_category_or_grade_is_refused(category, grade):
    number = make_cert(date(1985, 3, 7), category=category, grade=grade)
    with pytest.raises(InvalidAnswer) as caught:
        parse_certificate(number, today=TODAY)
    assert type(caught.value) is InvalidAnswer
    assert "类别" in caught.value.hint


@pytest.mark.parametrize("text", ["12010519850307", "1234567", "1" * 25])
def test_a_wrong_length_says_how_long_it_should_be(text):
    with pytest.raises(InvalidAnswer) as caught:
        parse_certificate(text, today=TODAY)
    assert type(caught.value) is InvalidAnswer
    assert caught.value.hint == (f"证号是20位，您发来的是{len(text)}位。证号在残疾人证第一页，"
                                 "请核对后再发一次，或回复“人工”。")


def test_no_number_at_all_gets_the_general_hint():
    with pytest.raises(InvalidAnswer) as caught:
        parse_certificate("不知道", today=TODAY)
    assert caught.value.hint == "证号是20位，在残疾人证第一页。请再发一次，或回复“人工”。"


def test_an_id_number_alone_is_routed_to_staff():
    with pytest.raises(UnrecognisedFormat) as caught:
        parse_certificate(make_id(date(1985, 3, 7)), today=TODAY)
    assert "身份证" in caught.value.hint


@pytest.mark.parametrize("text", [
    "1201051985030712341",            # 19
    "120105198503071234421",          # 21
    "1201051985030712344211",         # 22
    "TJ12010519850307",               # starts with letters
    "CDPF 1201 0519 8503 07",
    "12010519850307123A42",           # a letter where only X can be
])
def test_other_formats_are_routed_to_staff(text):
    with pytest.raises(UnrecognisedFormat):
        parse_certificate(text, today=TODAY)


def test_unrecognised_format_is_an_invalid_answer():
    assert issubclass(UnrecognisedFormat, InvalidAnswer)


@given(birth=st.dates(min_value=date(1900, 1, 1), max_value=TODAY),
       seq=st.integers(0, 999), category=st.integers(1, 7), grade=st.integers(1, 4))
def test_generated_valid_numbers_round_trip(birth, seq, category, grade):
    number = make_cert(birth, category, grade, seq=f"{seq:03d}")
    cert = parse_certificate(number, today=TODAY)
    assert (cert.number, cert.id_number, cert.birth_date) == (number, number[:18], birth)
    assert parse_certificate(cert.number.lower(), today=TODAY) == cert


@given(st.text(max_size=40))
def test_random_text_raises_nothing_but_invalid_answer(text):
    try:
        parse_certificate(text, today=TODAY)
    except InvalidAnswer as exc:
        assert exc.hint
    # a valid number by chance is fine too


@given(st.text(alphabet="0123456789Xx -", min_size=15, max_size=26))
def test_random_digit_strings_raise_nothing_but_invalid_answer(text):
    try:
        parse_certificate(text, today=TODAY)
    except InvalidAnswer as exc:
        assert exc.hint


@pytest.mark.parametrize(("born", "today", "age"), [
    (date(1990, 6, 1), date(2025, 6, 1), 35),
    (date(1990, 6, 2), date(2025, 6, 1), 34),
    (date(2000, 2, 29), date(2025, 2, 28), 24),
    (date(2000, 2, 29), date(2025, 3, 1), 25),
])
def test_age_on(born, today, age):
    assert age_on(born, today) == age


@pytest.mark.parametrize(("text", "expected"), [
    ("13812345678", "13812345678"),
    ("138 1234 5678", "13812345678"),
    ("138-1234-5678", "13812345678"),
    ("+86 138 1234 5678", "13812345678"),
    ("8613812345678", "13812345678"),
    ("１３８１２３４５６７８", "13812345678"),
    ("022-26123456", "022-26123456"),
    ("022 2612 3456", "022-26123456"),
    ("(022)26123456", "022-26123456"),
    ("（022）2612-3456", "022-26123456"),
    ("02226123456", "022-26123456"),
    ("26123456", "022-26123456"),
    ("2612-3456", "022-26123456"),
])
def test_parse_phone_normalises(text, expected):
    assert parse_phone(text) == expected


@pytest.mark.parametrize(("text", "hint_part"), [
    ("1381234567", "手机号是11位，您发来的是10位"),
    ("12812345678", "请发一个手机号"),
    ("010-12345678", "天津"),
    ("022-1234567", "022加8位数字"),
    ("12345678", "请发一个手机号"),
    ("不告诉你", "请发一个手机号"),
    ("", "请发一个手机号"),
])
def test_parse_phone_refuses_with_a_hint(text, hint_part):
    with pytest.raises(InvalidAnswer) as caught:
        parse_phone(text)
    assert hint_part in caught.value.hint


@pytest.mark.parametrize(("text", "expected"), [
    ("35", 35), ("35岁", 35), ("三十五", 35), ("三十五岁", 35), ("３５", 35), ("今年35岁", 35),
    ("16", 16), ("八十", 80), ("二十", 20), ("十八岁", 18), (" 40 ", 40), ("35周岁", 35),
])
def test_parse_age(text, expected):
    assert parse_age(text) == expected


@pytest.mark.parametrize("text", ["15", "81", "十五", "九十", "一百"])
def test_parse_age_outside_the_range_is_refused(text):
    with pytest.raises(InvalidAnswer) as caught:
        parse_age(text)
    assert "16到80" in caught.value.hint or "数字" in caught.value.hint


@pytest.mark.parametrize("text", ["不知道", "三十多", "35.5", "abc", ""])
def test_parse_age_refuses_non_numbers(text):
    with pytest.raises(InvalidAnswer) as caught:
        parse_age(text)
    assert caught.value.hint == "请用数字告诉我您的年龄，例如：35"


@pytest.mark.parametrize(("text", "expected"), [
    ("一", 1), ("十", 10), ("十五", 15), ("三十五", 35), ("壹拾贰", 12), ("两", 2), ("九十九", 99),
    ("零", 0), ("", None), ("百", None), ("十十", None), ("三五", None),
])
def test_parse_chinese_number(text, expected):
    assert parse_chinese_number(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("张三", "张三"), ("  李小明 ", "李小明"), ("我叫王芳", "王芳"),
    ("阿依古丽·买买提", "阿依古丽·买买提"), ("阿依古丽•买买提", "阿依古丽·买买提"),
    ("Ali Hassan", "Ali Hassan"), ("欧阳娜娜。", "欧阳娜娜"),
])
def test_parse_name(text, expected):
    assert parse_name(text) == expected


@pytest.mark.parametrize("text", ["张", "12345", "这个要填什么？", "为什么要名字", "张三3",
                                  "不知道", "a" * 21, "", "···", "李@明"])
def test_parse_name_refuses_what_is_not_a_name(text):
    with pytest.raises(InvalidAnswer):
        parse_name(text)


@pytest.mark.parametrize("parse", [parse_phone, parse_age, parse_name])
@given(text=st.text(max_size=30) | st.text(alphabet="0123456789+-() 岁十三", max_size=5000))
def test_other_parsers_raise_nothing_but_invalid_answer(parse, text):
    try:
        parse(text)
    except InvalidAnswer as exc:
        assert exc.hint


# -- 统一社会信用代码 (GB 32100-2015) -----------------------------------------------------------
@pytest.mark.parametrize("code", ["91350100M000100Y43", "91110000600037341L",
                                  "91350100m000100y43", " 9135 0100-M000 100Y43 "])
def test_a_valid_credit_code_is_accepted_and_normalised(code):
    assert parse_credit_code(code) == code.upper().replace(" ", "").replace("-", "")


def test_the_check_character_follows_gb_32100():
    assert credit_check_char("91350100M000100Y4") == "3"
    assert credit_check_char("91110000600037341") == "L"


@pytest.mark.parametrize("code,hint", [
    ("91350100M000100Y44", "校验位不对"),  # one character off
    ("91350100M000100Y4", "18位"),  # too short
    ("91350100I000100Y43", "18位"),  # I is not in the character set
    ("9135AB00M000100Y43", "18位"),  # the division code must be digits
    ("不知道", "18位"),
])
def test_a_bad_credit_code_gets_a_hint(code, hint):
    with pytest.raises(InvalidAnswer) as caught:
        parse_credit_code(code)
    assert hint in caught.value.hint
