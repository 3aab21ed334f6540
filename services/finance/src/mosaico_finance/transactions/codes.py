"""Transaction codes: ``LC`` + 8 digits + a check letter (``LC12345678A``).

The letter is the digits' number modulo 23 looked up in a 23-letter table (the scheme
of Spain's DNI), so a mistyped digit or a swapped pair is caught before any lookup.
"""

from __future__ import annotations

import re
import secrets

PREFIX = "LC"
CHECK_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
CODE_PATTERN = r"^LC[0-9]{8}[A-Z]$"
_CODE = re.compile(CODE_PATTERN)


def check_letter(digits: str) -> str:
    """The check letter of eight digits."""
    return CHECK_LETTERS[int(digits) % len(CHECK_LETTERS)]


def new_transaction_code() -> str:
    """A random, well-formed code (uniqueness is checked against the database)."""
    digits = f"{secrets.randbelow(10**8):08d}"
    return f"{PREFIX}{digits}{check_letter(digits)}"


def is_transaction_code(value: str) -> bool:
    """True when ``value`` has the code's shape and its check letter matches."""
    return bool(_CODE.match(value)) and value[-1] == check_letter(value[2:10])
