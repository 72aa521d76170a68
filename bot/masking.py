"""Mask personal numbers before they reach logs or stored message history.

Over-masking is the safe side: any run of 11 or more digits that is not recognised as a
phone, ID or certificate number is masked too.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from db.crypto import FieldCipher, field_cipher

_DIGIT = "[0-9０-９]"
_SEP = "[ \t\u3000\\-‐‑–—－()（）]"
# A digit run that may carry +86, parentheses, spaces or dashes, and an X check character.
_X = "[xXｘＸ]"
_RUN = re.compile(f"[+＋]?[(（]?{_DIGIT}(?:{_SEP}{{0,2}}{_DIGIT}|{_X}(?={_SEP}{{0,2}}{_DIGIT}))*"
                  f"{_X}?")
_CERT = re.compile(r"\d{17}[\dX]\d\d")
_ID = re.compile(r"\d{17}[\dX]")
_MOBILE = re.compile(r"(?:0086|86)?(1[3-9]\d{9})")
_LANDLINE = re.compile(r"(?:0086|86)?0?22(\d{8})")
_LOCAL = re.compile(r"\d{8}|\d{4}[ \-]\d{4}")


def _clean(text: str) -> str:
    """Half-width, upper case, digits and X only."""
    return re.sub(r"[^0-9X]", "", unicodedata.normalize("NFKC", text).upper())


def _tail(text: str) -> str:
    return _clean(text)[-4:]


def mask_phone(phone: str) -> str:
    """"手机尾号5678" for a mobile number, "电话尾号5678" for a landline."""
    digits = _clean(phone)
    kind = "手机" if _MOBILE.fullmatch(digits) else "电话"
    return f"{kind}尾号{digits[-4:]}"


def mask_certificate(number: str) -> str:
    """"证号尾号1234": the last 4 of its identity-number part.

    The last two characters of the 20 are the disability category and grade: sensitive, so
    they are never shown.
    """
    digits = _clean(number)
    return f"证号尾号{digits[:18][-4:]}"


def mask_id(number: str) -> str:
    """"身份证尾号123X": the last 4 of an ID number."""
    return f"身份证尾号{_tail(number)}"


def mask_user(userid: str) -> str:
    """A WeCom user id for logs: first 2 characters + "…" + 6 hex of its keyed hash (an
    unkeyed hash could be reversed by hashing every id of the staff directory)."""
    try:
        cipher = field_cipher()
    except RuntimeError:  # no data key loaded (a tool before start-up): no hash at all
        return _masked(userid, "")
    return _masked_by(cipher, userid)


@lru_cache(maxsize=4096)  # every message logs its sender: one HMAC per person, not per line
def _masked_by(cipher: FieldCipher, userid: str) -> str:
    return _masked(userid, cipher.keyed_hash(userid)[:6])


def _masked(userid: str, digest: str) -> str:
    prefix = userid[:2] if len(userid) >= 5 else ""  # a short id would show too much of itself
    return f"{prefix}…{digest}"


def _mask_known(raw: str) -> str | None:
    """The masked form of a phone, ID or certificate number, or None."""
    digits = _clean(raw)
    if _CERT.fullmatch(digits):
        return mask_certificate(digits)
    if _ID.fullmatch(digits):
        return mask_id(digits)
    if _MOBILE.fullmatch(digits) or _LANDLINE.fullmatch(digits):
        return mask_phone(digits)
    if _LOCAL.fullmatch(unicodedata.normalize("NFKC", raw).strip("+＋(（ ")):
        return mask_phone(digits)
    return None


def _mask_long(raw: str) -> str:
    """Any other number of 11 or more digits: masked anyway (bank cards, old IDs)."""
    digits = _clean(raw)
    return f"号码尾号{digits[-4:]}" if sum(c.isdigit() for c in digits) >= 11 else raw


def _segment(parts: list[str]) -> tuple[int, list[str]]:
    """Best masking of a split run: most digits covered, then fewest numbers."""
    memo: dict[int, tuple[int, int, list[str]]] = {len(parts) + 1: (0, 0, [])}
    for i in range(len(parts) - 1, -1, -2):  # numbers sit at even places
        covered, count, rest = memo.get(i + 2, (0, 0, []))
        best = (covered, count, [parts[i], *parts[i + 1:i + 2], *rest])
        for j in range(i + 1, len(parts) + 1, 2):
            span = "".join(parts[i:j])
            if len(_clean(span)) > 24:  # longer than any known number
                break
            masked = _mask_known(span)
            if masked is not None:
                covered, count, rest = memo.get(j + 1, (0, 0, []))
                option = (covered + len(_clean(span)), count + 1,
                          [masked, *parts[j:j + 1], *rest])
                best = max(best, option, key=lambda o: (o[0], -o[1]))
        memo[i] = best
    return memo[0][0], memo[0][2]


def _replace(match: re.Match[str]) -> str:
    raw = match.group(0)
    masked = _mask_known(raw)
    if masked is not None:
        return masked
    # Several numbers in one run ("138 1234 5678 139…"): mask the best split into known ones.
    parts = re.split(f"({_SEP}+)", raw)  # numbers at even places, separators at odd
    covered, out = _segment(parts)
    if not covered or sum(c.isdigit() for c in _clean(raw)) - covered >= 6:
        return _mask_long(raw)  # too much left over to be sure what it is
    return "".join(piece if k % 2 else _mask_long(piece) for k, piece in enumerate(out))


def scrub(text: str) -> str:
    """Replace phone, ID and certificate numbers inside free text with their masked form."""
    return _RUN.sub(_replace, text)
