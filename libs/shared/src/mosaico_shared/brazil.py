"""Brazilian documents and phone numbers: CPF and CNPJ check digits, +55 phones.

Documents are read strictly: ASCII digits (and, in a CNPJ's first twelve places,
letters) with the usual punctuation at the usual places, or nothing at all. Anything
else is refused rather than cleaned up, so ``529a982b247c25`` is not a CPF.

The CNPJ is alphanumeric since July 2026: twelve characters ``0-9A-Z`` then two
numeric check digits, each character worth ``ord(c) - 48`` in the weighted sums
(digits keep their value, ``A`` is 17, ``Z`` is 42). Numeric CNPJs are the special
case where all twelve are digits.
"""

from __future__ import annotations

import re
from typing import Annotated

import phonenumbers
from pydantic import AfterValidator, BeforeValidator, Field

#: A CPF as people write it: ``529.982.247-25`` or ``52998224725``.
CPF_PATTERN = r"^[0-9]{3}[.]?[0-9]{3}[.]?[0-9]{3}-?[0-9]{2}$"
#: A CNPJ as people write it, numeric or alphanumeric (letters in either case):
#: ``11.222.333/0001-81``, ``12.ABC.345/01DE-35``, ``12ABC34501DE35``.
CNPJ_PATTERN = r"^[0-9A-Za-z]{2}[.]?[0-9A-Za-z]{3}[.]?[0-9A-Za-z]{3}/?[0-9A-Za-z]{4}-?[0-9]{2}$"

_CPF = re.compile(CPF_PATTERN)
_CNPJ = re.compile(CNPJ_PATTERN)
_PUNCTUATION = re.compile(r"[./-]")
_NON_DIGITS = re.compile(r"\D")
#: What a phone number may be written with: ASCII digits, one leading ``+``, spaces,
#: parentheses, dots and hyphens. No letters (no vanity numbers), no extensions.
_PHONE_CHARS = re.compile(r"^\+?[0-9 ().-]+$")


def digits_only(value: str) -> str:
    """Every decimal digit of ``value``, punctuation and anything else dropped.

    For display and lookups of values already validated; never a validation itself.
    """
    return _NON_DIGITS.sub("", value)


def _check_digit(characters: str, weights: list[int]) -> int:
    total = sum((ord(c) - 48) * w for c, w in zip(characters, weights, strict=True))
    remainder = total % 11
    return 0 if remainder < 2 else 11 - remainder


def cpf_digits(value: str) -> str | None:
    """The 11 digits of a valid CPF (punctuated or not), or None when ``value`` is not one."""
    if not _CPF.fullmatch(value):
        return None
    cpf = _PUNCTUATION.sub("", value)
    if cpf == cpf[0] * 11:
        return None
    first = _check_digit(cpf[:9], list(range(10, 1, -1)))
    second = _check_digit(cpf[:10], list(range(11, 1, -1)))
    return cpf if cpf[9:] == f"{first}{second}" else None


def is_valid_cpf(value: str) -> bool:
    """True when ``value`` (with or without the usual punctuation) is a CPF with valid
    check digits."""
    return cpf_digits(value) is not None


_CNPJ_WEIGHTS_1 = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]
_CNPJ_WEIGHTS_2 = [6, *_CNPJ_WEIGHTS_1]


def cnpj_characters(value: str) -> str | None:
    """The 14 characters of a valid CNPJ, upper-cased and without punctuation, or None
    when ``value`` is not one."""
    if not _CNPJ.fullmatch(value):
        return None
    cnpj = _PUNCTUATION.sub("", value).upper()
    if cnpj == cnpj[0] * 14:
        return None
    first = _check_digit(cnpj[:12], _CNPJ_WEIGHTS_1)
    second = _check_digit(cnpj[:13], _CNPJ_WEIGHTS_2)
    return cnpj if cnpj[12:] == f"{first}{second}" else None


def is_valid_cnpj(value: str) -> bool:
    """True when ``value`` (with or without the usual punctuation) is a numeric or
    alphanumeric CNPJ with valid check digits."""
    return cnpj_characters(value) is not None


_PERSONAL_TYPES = frozenset(
    {
        phonenumbers.PhoneNumberType.FIXED_LINE,
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    }
)


def _is_area_code(area: str) -> bool:
    # Every DDD in use has mobiles (9 digits starting with 9): probe with one.
    return phonenumbers.is_valid_number(phonenumbers.parse(f"+55{area}987654321"))


def normalize_phone(value: str) -> str:
    """A Brazilian landline or mobile in E.164 (``+5511987654321``); ``ValueError``
    otherwise.

    Accepts ``+55``-prefixed or national numbers (with or without the trunk ``0``):
    an area code (DDD) then 8 digits, or 9 starting with 9 for mobiles. The DDD must be
    one in use, as Google's ``libphonenumber`` metadata (the ``phonenumbers`` package)
    knows them. Toll-free, shared-cost (``0800``, ``4004``) and foreign numbers are
    refused.
    """
    text = value.strip()
    if not _PHONE_CHARS.fullmatch(text):
        raise ValueError("a phone holds digits, spaces and + ( ) . - only")
    digits = digits_only(text)
    if text.startswith("+"):
        if not digits.startswith("55"):
            raise ValueError("only Brazilian numbers (+55) are accepted")
        national = digits[2:]
    elif len(digits) in (12, 13) and digits.startswith("55"):
        national = digits[2:]
    elif len(digits) in (11, 12) and digits.startswith("0"):
        national = digits[1:]
    else:
        national = digits
    if len(national) not in (10, 11):
        raise ValueError("a phone is a DDD plus 8 digits, or 9 digits starting with 9 for mobiles")
    if not _is_area_code(national[:2]):
        raise ValueError(f"{national[:2]} is not a Brazilian area code (DDD) in use")
    number = phonenumbers.parse(f"+55{national}")
    if not phonenumbers.is_valid_number(number):
        raise ValueError("a phone is a DDD plus 8 digits, or 9 digits starting with 9 for mobiles")
    kind = phonenumbers.number_type(number)
    if kind not in _PERSONAL_TYPES:
        raise ValueError("not a landline or mobile number")
    if kind == phonenumbers.PhoneNumberType.MOBILE and not (
        len(national) == 11 and national[2] == "9"
    ):
        raise ValueError("a mobile has 9 digits starting with 9 after the DDD")
    return f"+55{national}"


def _cpf(value: str) -> str:
    cpf = cpf_digits(value)
    if cpf is None:
        if not _CPF.fullmatch(value):
            raise ValueError("a CPF is 11 digits, optionally as 000.000.000-00")
        raise ValueError("invalid CPF (check digits do not match)")
    return cpf


def _cnpj(value: str) -> str:
    cnpj = cnpj_characters(value)
    if cnpj is None:
        if not _CNPJ.fullmatch(value):
            raise ValueError(
                "a CNPJ is 12 digits or letters and 2 check digits, "
                "optionally as 00.000.000/0000-00"
            )
        raise ValueError("invalid CNPJ (check digits do not match)")
    return cnpj


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


CPF = Annotated[
    str,
    BeforeValidator(_strip),
    Field(max_length=14, examples=["529.982.247-25"], json_schema_extra={"pattern": CPF_PATTERN}),
    AfterValidator(_cpf),
]
"""A CPF, stored and returned as 11 digits."""

CNPJ = Annotated[
    str,
    BeforeValidator(_strip),
    Field(
        max_length=18,
        examples=["11.222.333/0001-81", "12.ABC.345/01DE-35"],
        json_schema_extra={"pattern": CNPJ_PATTERN},
    ),
    AfterValidator(_cnpj),
]
"""A CNPJ (numeric or alphanumeric), stored and returned as 14 upper-case characters."""

PhoneBR = Annotated[
    str, Field(max_length=20, examples=["+55 11 98765-4321"]), AfterValidator(normalize_phone)
]
"""A Brazilian phone or WhatsApp number, normalized to E.164."""
