"""Brazilian documents and phone numbers: CPF and CNPJ check digits, +55 phones."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

_NON_DIGITS = re.compile(r"\D")


def digits_only(value: str) -> str:
    """Drop punctuation (``123.456.789-09`` -> ``12345678909``)."""
    return _NON_DIGITS.sub("", value)


def _check_digit(digits: str, weights: list[int]) -> int:
    remainder = sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
    return 0 if remainder < 2 else 11 - remainder


def is_valid_cpf(value: str) -> bool:
    """True when ``value`` (with or without punctuation) is a CPF with valid check digits."""
    cpf = digits_only(value)
    if len(cpf) != 11 or cpf == cpf[0] * 11:
        return False
    first = _check_digit(cpf[:9], list(range(10, 1, -1)))
    second = _check_digit(cpf[:10], list(range(11, 1, -1)))
    return cpf[9:] == f"{first}{second}"


_CNPJ_WEIGHTS_1 = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]
_CNPJ_WEIGHTS_2 = [6, *_CNPJ_WEIGHTS_1]


def is_valid_cnpj(value: str) -> bool:
    """True when ``value`` (with or without punctuation) is a CNPJ with valid check digits."""
    cnpj = digits_only(value)
    if len(cnpj) != 14 or cnpj == cnpj[0] * 14:
        return False
    first = _check_digit(cnpj[:12], _CNPJ_WEIGHTS_1)
    second = _check_digit(cnpj[:13], _CNPJ_WEIGHTS_2)
    return cnpj[12:] == f"{first}{second}"


def normalize_phone(value: str) -> str:
    """A Brazilian phone in E.164 (``+5511987654321``); raises ``ValueError`` otherwise.

    Accepts ``+55``-prefixed or national numbers: two-digit area code (11-99) then
    8 digits (landline) or 9 digits starting with 9 (mobile).
    """
    digits = digits_only(value)
    if value.strip().startswith("+"):
        if not digits.startswith("55"):
            raise ValueError("only Brazilian numbers (+55) are accepted")
        digits = digits[2:]
    elif len(digits) in (12, 13) and digits.startswith("55"):
        digits = digits[2:]
    area, number = digits[:2], digits[2:]
    if len(area) != 2 or not 11 <= int(area or 0) <= 99 or area[1] == "0":
        raise ValueError("invalid area code (DDD)")
    if len(number) == 9 and number[0] == "9":
        return f"+55{area}{number}"
    if len(number) == 8 and number[0] in "2345":
        return f"+55{area}{number}"
    raise ValueError("a phone is a DDD plus 8 digits, or 9 digits starting with 9 for mobiles")


def _cpf(value: str) -> str:
    if not is_valid_cpf(value):
        raise ValueError("invalid CPF (check digits do not match)")
    return digits_only(value)


def _cnpj(value: str) -> str:
    if not is_valid_cnpj(value):
        raise ValueError("invalid CNPJ (check digits do not match)")
    return digits_only(value)


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


CPF = Annotated[
    str,
    BeforeValidator(_strip),
    Field(max_length=14, examples=["529.982.247-25"]),
    AfterValidator(_cpf),
]
"""A CPF, stored and returned as 11 digits."""

CNPJ = Annotated[
    str,
    BeforeValidator(_strip),
    Field(max_length=18, examples=["11.222.333/0001-81"]),
    AfterValidator(_cnpj),
]
"""A CNPJ, stored and returned as 14 digits."""

PhoneBR = Annotated[
    str, Field(max_length=20, examples=["+55 11 98765-4321"]), AfterValidator(normalize_phone)
]
"""A Brazilian phone or WhatsApp number, normalized to E.164."""
