"""CPF, CNPJ and phone numbers."""

from __future__ import annotations

import pytest
from mosaico_shared.brazil import CNPJ, CPF, PhoneBR, is_valid_cnpj, is_valid_cpf, normalize_phone
from pydantic import BaseModel, ValidationError


@pytest.mark.parametrize("cpf", ["529.982.247-25", "52998224725", "111.444.777-35"])
def test_cpfs_with_matching_check_digits_are_valid(cpf):
    assert is_valid_cpf(cpf)


@pytest.mark.parametrize(
    "cpf", ["529.982.247-24", "111.111.111-11", "1234567890", "", "abc.def.ghi-jk", "5299822472500"]
)
def test_cpfs_with_wrong_digits_repeated_digits_or_wrong_length_are_invalid(cpf):
    assert not is_valid_cpf(cpf)


@pytest.mark.parametrize("cnpj", ["11.222.333/0001-81", "11222333000181", "11.444.777/0001-61"])
def test_cnpjs_with_matching_check_digits_are_valid(cnpj):
    assert is_valid_cnpj(cnpj)


@pytest.mark.parametrize("cnpj", ["11.222.333/0001-80", "00.000.000/0000-00", "1122233300018", ""])
def test_invalid_cnpjs_are_rejected(cnpj):
    assert not is_valid_cnpj(cnpj)


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("+55 11 98765-4321", "+5511987654321"),
        ("(21) 3456-7890", "+552134567890"),
        ("5511987654321", "+5511987654321"),
        ("11987654321", "+5511987654321"),
    ],
)
def test_brazilian_phones_are_normalized_to_e164(raw, e164):
    assert normalize_phone(raw) == e164


@pytest.mark.parametrize(
    "raw", ["+1 212 555 0100", "(00) 98765-4321", "11 8765-432", "98765-4321", "(11) 88765-4321"]
)
def test_foreign_or_malformed_phones_are_rejected(raw):
    with pytest.raises(ValueError, match=r"."):
        normalize_phone(raw)


class _Person(BaseModel):
    cpf: CPF
    cnpj: CNPJ | None = None
    phone: PhoneBR | None = None


def test_the_pydantic_types_store_digits_only_and_name_the_failing_field():
    person = _Person(cpf=" 529.982.247-25 ", cnpj="11.222.333/0001-81", phone="(11) 98765-4321")
    assert (person.cpf, person.cnpj, person.phone) == (
        "52998224725",
        "11222333000181",
        "+5511987654321",
    )
    with pytest.raises(ValidationError) as error:
        _Person(cpf="529.982.247-24")
    assert error.value.errors()[0]["loc"] == ("cpf",)
    assert "check digits" in error.value.errors()[0]["msg"]
