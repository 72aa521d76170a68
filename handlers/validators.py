"""Parse and check what a resident types: certificate number, phone, age and name."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

CATEGORIES = {"1": "视力", "2": "听力", "3": "言语", "4": "肢体", "5": "智力", "6": "精神",
              "7": "多重"}
GRADES = {"1": "一级", "2": "二级", "3": "三级", "4": "四级"}
MIN_AGE, MAX_AGE = 16, 80

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_DASHES = "-‐‑‒–—―－_"
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "壹": 1, "二": 2, "贰": 2, "貳": 2, "两": 2, "兩": 2,
              "三": 3, "叁": 3, "參": 3, "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6,
              "陸": 6, "七": 7, "柒": 7, "八": 8, "捌": 8, "九": 9, "玖": 9}
_CN_TEN = "十拾"
_NAME_DOTS = "•・･‧∙⋅●.．"
_NOT_NAMES = frozenset({"不知道", "不清楚", "没有", "不想说", "不告诉你", "保密", "你好", "您好",
                        "谢谢", "好的", "是的", "同意", "不同意", "可以", "不用", "算了"})
_QUESTION = re.compile(r"[?？]|什么|怎么|为什么|为啥|干嘛|哪|吗$|呢$")

HINT_CERT = "证号是20位，在残疾人证第一页。请再发一次，或回复“人工”。"
HINT_OTHER_FORMAT = ("这个号码和第二代残疾人证号（20位：身份证号＋类别＋等级）的格式不一样，"
                     "可能是其他版本的证件。我会请工作人员帮您核对，也可以检查后再发一次。")
HINT_PHONE = "请发一个手机号（11位），或天津的固定电话（如022-12345678）。"


class InvalidAnswer(Exception):
    """The answer does not fit the step; `.hint` is shown and the step asked again."""

    def __init__(self, hint: str) -> None:
        super().__init__(hint)
        self.hint = hint


class UnrecognisedFormat(InvalidAnswer):
    """Looks like a certificate number of another format: route it to staff to check."""


@dataclass(frozen=True)
class Certificate:
    """A second-generation 残疾人证号, split into its parts."""

    number: str
    id_number: str
    birth_date: date
    category: str
    grade: str


def id_check_char(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits of an ID number."""
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def _fold(text: str) -> str:
    """Full-width → half-width, upper case, without spaces or dashes."""
    text = unicodedata.normalize("NFKC", text).upper()
    return "".join(c for c in text if not c.isspace() and c not in _DASHES)


def parse_certificate(text: str, *, today: date | None = None) -> Certificate:
    """Check a 20-character second-generation 残疾人证号 and split it into its parts."""
    code = "".join(re.findall(r"[0-9A-Z]", _fold(text)))
    digits = sum(c.isdigit() for c in code)
    if digits < 6:
        raise InvalidAnswer(HINT_CERT)
    if re.fullmatch(r"\d{17}[\dX]", code):
        raise UnrecognisedFormat("这像是18位身份证号。残疾人证号是20位（身份证号后面还有"
                                 "2位）。请再核对一下，或回复“人工”请工作人员帮您查。")
    if not re.fullmatch(r"\d{17}[\dX]\d\d", code):
        if code[0].isalpha() or (18 <= len(code) <= 22 and digits >= 15):
            raise UnrecognisedFormat(HINT_OTHER_FORMAT)
        raise InvalidAnswer(f"证号是20位，您发来的是{len(code)}位。证号在残疾人证第一页，"
                            "请核对后再发一次，或回复“人工”。")
    id_number, cat, grade = code[:18], code[18], code[19]
    birth = _birth_date(id_number[6:14], today or date.today())
    if birth is None:
        raise InvalidAnswer("证号第7到14位是出生日期，这个日期不对。请对照残疾人证再发一次。")
    if id_check_char(id_number[:17]) != id_number[17]:
        raise InvalidAnswer("证号前18位（身份证号）的校验不通过，可能有一位输错了。"
                            "请对照残疾人证再发一次。")
    if cat not in CATEGORIES or grade not in GRADES:
        raise InvalidAnswer("证号最后两位是残疾类别（1到7）和等级（1到4），这两位不对。"
                            "请对照残疾人证再发一次。")
    return Certificate(code, id_number, birth, CATEGORIES[cat], GRADES[grade])


def _birth_date(digits: str, today: date) -> date | None:
    try:
        born = date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None
    return born if date(1900, 1, 1) <= born <= today else None


def age_on(birth_date: date, today: date) -> int:
    """Full years of age on `today`."""
    before_birthday = (today.month, today.day) < (birth_date.month, birth_date.day)
    return today.year - birth_date.year - before_birthday


def parse_phone(text: str) -> str:
    """A mobile number (11 digits) or a Tianjin landline ("022-XXXXXXXX")."""
    raw = re.sub(r"[().]", "", _fold(text))
    raw = re.sub(r"^(\+|00)?86(?=[0-9]{10})", "", raw)
    if re.fullmatch(r"1[3-9][0-9]{9}", raw):
        return raw
    landline = re.fullmatch(r"(?:0?22)?([2-9][0-9]{7})", raw)
    if landline:
        return f"022-{landline.group(1)}"
    if re.fullmatch(r"1[0-9]{9,11}", raw) and len(raw) != 11:
        raise InvalidAnswer(f"手机号是11位，您发来的是{len(raw)}位。请核对后再发一次。")
    if re.fullmatch(r"022[0-9]{5,9}", raw):
        raise InvalidAnswer("天津固定电话是022加8位数字，例如022-12345678。请核对后再发一次。")
    if re.fullmatch(r"0[0-9]{9,11}", raw):
        raise InvalidAnswer("目前只能登记手机号或天津的固定电话（022开头）。"
                            "请换一个号码，或回复“人工”。")
    raise InvalidAnswer(HINT_PHONE)


def parse_chinese_number(text: str) -> int | None:
    """Chinese numerals from 零 to 九十九 (一, 十五, 三十五, 壹拾贰) as an int, else None."""
    if not text:
        return None
    if len(text) == 1 and text in _CN_DIGITS:
        return _CN_DIGITS[text]
    tens, sep, ones = next(((text[:i], text[i], text[i + 1:]) for i, c in enumerate(text)
                            if c in _CN_TEN), ("", "", ""))
    if not sep:
        return None
    high = 1 if tens == "" else _CN_DIGITS.get(tens) if len(tens) == 1 else None
    low = 0 if ones == "" else _CN_DIGITS.get(ones) if len(ones) == 1 else None
    if high is None or low is None or high == 0:
        return None
    return high * 10 + low


def parse_age(text: str) -> int:
    """An age for employment registration (16–80): "35", "35岁", "三十五岁"."""
    raw = _fold(text).rstrip("。.!！")
    match = re.fullmatch(r"(?:我)?(?:今年)?(?:已经)?(.+?)(?:周岁|岁)?(?:了)?", raw)
    word = match.group(1) if match else raw
    numeric = word.isascii() and word.isdigit() and len(word) <= 3
    age = int(word) if numeric else parse_chinese_number(word)
    if age is None:
        raise InvalidAnswer("请用数字告诉我您的年龄，例如：35")
    if not MIN_AGE <= age <= MAX_AGE:
        raise InvalidAnswer(f"就业登记的年龄范围是{MIN_AGE}到{MAX_AGE}岁。"
                            "请核对后再发一次，或回复“人工”。")
    return age


def parse_name(text: str) -> str:
    """A person's name: 2–20 characters, Chinese (with ·) or Latin letters."""
    name = unicodedata.normalize("NFKC", text).strip(" \t\r\n。，,!！~～")
    name = re.sub(r"^(?:我叫|我是|我的名字是|名字是|姓名是|姓名[:：]?|叫)", "", name)
    name = re.sub(f"[{_NAME_DOTS}]", "·", re.sub(r"\s+", " ", name)).strip(" ·")
    letters = name.replace("·", "").replace(" ", "")
    if (_QUESTION.search(name) or name in _NOT_NAMES or not 2 <= len(name) <= 20
            or not letters or "··" in name):
        raise InvalidAnswer("请告诉我您的姓名（2到20个字），例如：张三。")
    if not all(unicodedata.category(c).startswith("L") for c in letters):
        raise InvalidAnswer("姓名里不要有数字或符号，请再发一次，例如：张三。")
    return name


_CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100-2015: no I, O, S, V, Z
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
HINT_CREDIT = ("统一社会信用代码是18位，由数字和大写字母组成，在营业执照上。"
               "请核对后再发一次，或回复“人工”。")


def credit_check_char(first17: str) -> str:
    """The GB 32100-2015 check character for the first 17 characters of a credit code."""
    total = sum(_CREDIT_CHARS.index(c) * w for c, w in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return _CREDIT_CHARS[(31 - total % 31) % 31]


def parse_credit_code(text: str) -> str:
    """A 统一社会信用代码: 18 characters of the GB 32100 set, with a right check character."""
    folded = unicodedata.normalize("NFKC", text).upper()
    code = "".join(c for c in folded if not c.isspace() and c not in _DASHES)
    if len(code) != 18 or any(c not in _CREDIT_CHARS for c in code):
        raise InvalidAnswer(HINT_CREDIT)
    if not code[2:8].isdigit():  # the administrative division code
        raise InvalidAnswer(HINT_CREDIT)
    if credit_check_char(code[:17]) != code[17]:
        raise InvalidAnswer("这个统一社会信用代码的校验位不对，可能有一位抄错了。"
                            "请对照营业执照再发一次，或回复“人工”。")
    return code
