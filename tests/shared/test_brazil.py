"""CPF, CNPJ (numeric and alphanumeric) and phone numbers."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mosaico_shared.brazil import (
    CNPJ,
    CPF,
    PhoneBR,
    is_valid_cnpj,
    is_valid_cpf,
    normalize_phone,
)
from pydantic import BaseModel, ValidationError

#: Every area code (DDD) in use in Brazil, by state, as Anatel lists them.
AREA_CODES = (
    *range(11, 20),  # SP
    21, 22, 24, 27, 28,  # RJ, ES
    31, 32, 33, 34, 35, 37, 38,  # MG
    *range(41, 50),  # PR, SC
    51, 53, 54, 55,  # RS
    *range(61, 70),  # DF, GO, TO, MT, MS, AC, RO
    71, 73, 74, 75, 77, 79,  # BA, SE
    *range(81, 90),  # PE, AL, PB, RN, CE, PI
    *range(91, 100),  # PA, AM, RR, AP, MA
)  # fmt: skip


def _cnpj_check_digits(base: str) -> str:
    """The two check digits of a 12-character CNPJ base, written independently of the
    library: the Receita's value table (0-9 as themselves, A=17 ... Z=42)."""
    values = {c: i for i, c in enumerate(string.digits)} | {
        c: 17 + i for i, c in enumerate(string.ascii_uppercase)
    }
    digits = ""
    for weights in ([5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2], [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]):
        total = sum(values[c] * w for c, w in zip(base + digits, weights, strict=True))
        digits += str(0 if total % 11 < 2 else 11 - total % 11)
    return digits


@pytest.mark.parametrize("cpf", ["529.982.247-25", "52998224725", "111.444.777-35"])
def test_cpfs_with_matching_check_digits_are_valid(cpf):
    assert is_valid_cpf(cpf)


@pytest.mark.parametrize(
    "cpf", ["529.982.247-24", "111.111.111-11", "1234567890", "", "abc.def.ghi-jk", "5299822472500"]
)
def test_cpfs_with_wrong_digits_repeated_digits_or_wrong_length_are_invalid(cpf):
    assert not is_valid_cpf(cpf)


@pytest.mark.parametrize(
    "cpf",
    [
        "529a982b247c25",
        "529.982.247-25x",
        "CPF 529.982.247-25",
        "529 982 247 25",
        "529/982/247-25",
        "52998224725\n",
        "\uff15\uff12\uff19\uff19\uff18\uff12\uff12\uff14\uff17\uff12\uff15",  # full-width digits
        "\u0665\u0662\u0669\u0669\u0668\u0662\u0662\u0664\u0667\u0662\u0665",  # Arabic-Indic digits
        "529..982.247-25",
    ],
)
def test_a_cpf_is_digits_with_the_usual_punctuation_and_nothing_else(cpf):
    assert not is_valid_cpf(cpf)


@given(st.text(min_size=1, max_size=3).filter(lambda s: not set(s) <= set("0123456789.-")))
def test_any_other_character_in_a_valid_cpf_makes_it_invalid(noise):
    for at in (0, 3, 7, 14):
        assert not is_valid_cpf("529.982.247-25"[:at] + noise + "529.982.247-25"[at:])


@pytest.mark.parametrize(
    "cnpj",
    [
        "11.222.333/0001-81",
        "11222333000181",
        "11.444.777/0001-61",
        "12ABC34501DE35",
        "12.ABC.345/01DE-35",
        "12abc34501de35",
    ],
)
def test_cnpjs_numeric_or_alphanumeric_with_matching_check_digits_are_valid(cnpj):
    assert is_valid_cnpj(cnpj)


@pytest.mark.parametrize(
    "cnpj",
    [
        "11.222.333/0001-80",
        "00.000.000/0000-00",
        "1122233300018",
        "",
        "12ABC34501DE36",
        "12ABC34501DE3A",  # check digits are digits
        "12ÁBC34501DE35",
        "12-ABC-345-01DE-35",
        "11.222.333/0001-81 ",
        "\uff11\uff11\uff12\uff12\uff12\uff13\uff13\uff13\uff10\uff10\uff10\uff11\uff18\uff11",
    ],
)
def test_invalid_cnpjs_are_rejected(cnpj):
    assert not is_valid_cnpj(cnpj)


@given(st.text(alphabet=string.digits + string.ascii_uppercase, min_size=12, max_size=12))
def test_every_alphanumeric_base_with_its_check_digits_is_a_cnpj(base):
    if base == base[0] * 12 and base[0] in string.digits:
        return  # 00000000000000 and the like are refused on purpose
    cnpj = base + _cnpj_check_digits(base)
    assert is_valid_cnpj(cnpj)
    assert is_valid_cnpj(cnpj.lower())
    assert is_valid_cnpj(f"{cnpj[:2]}.{cnpj[2:5]}.{cnpj[5:8]}/{cnpj[8:12]}-{cnpj[12:]}")
    wrong = str((int(cnpj[-1]) + 1) % 10)
    assert not is_valid_cnpj(cnpj[:-1] + wrong)


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("+55 11 98765-4321", "+5511987654321"),
        ("(21) 3456-7890", "+552134567890"),
        ("5511987654321", "+5511987654321"),
        ("11987654321", "+5511987654321"),
        ("0 11 98765-4321", "+5511987654321"),
        ("+55 (61) 3333.4444", "+556133334444"),
    ],
)
def test_brazilian_phones_are_normalized_to_e164(raw, e164):
    assert normalize_phone(raw) == e164


@pytest.mark.parametrize(
    "raw",
    [
        "+1 212 555 0100",
        "(00) 98765-4321",
        "11 8765-432",
        "98765-4321",
        "(11) 88765-4321",
        "(20) 98765-4321",  # no such area code
        "(30) 3456-7890",
        "(90) 98765-4321",
        "0800 123 4567",  # toll-free, not a person's phone
        "+55 11 9876-ABCD",  # letters are not digits
        "+55 11 98765-4321 ext 12",
        "+55 11 9876\uff15-4321",
        "0 21 11 98765-4321",  # a carrier code is not part of the number
        "+55 0800 123 4567",
    ],
)
def test_foreign_malformed_or_unassigned_phones_are_rejected(raw):
    with pytest.raises(ValueError, match=r"."):
        normalize_phone(raw)


def test_the_phone_library_knows_exactly_the_area_codes_in_use():
    # The validation leans on phonenumbers' metadata: check it against Anatel's list.
    for area in range(11, 100):
        mobile, landline = f"({area}) 98765-4321", f"({area}) 3456-7890"
        if area in AREA_CODES:
            assert normalize_phone(mobile) == f"+55{area}987654321"
            assert normalize_phone(landline) == f"+55{area}34567890"
        else:
            for number in (mobile, landline):
                with pytest.raises(ValueError, match="area code"):
                    normalize_phone(number)
    assert len(AREA_CODES) == 67


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


def test_an_alphanumeric_cnpj_is_stored_upper_case_without_punctuation():
    assert _Person(cpf="52998224725", cnpj="12.abc.345/01de-35").cnpj == "12ABC34501DE35"


def test_letters_in_a_cpf_are_refused_not_stripped():
    with pytest.raises(ValidationError) as error:
        _Person(cpf="529a982b247c25")
    assert "11 digits" in error.value.errors()[0]["msg"]


def test_the_schemas_publish_the_document_patterns():
    properties = _Person.model_json_schema()["properties"]
    assert properties["cpf"]["pattern"].startswith("^[0-9]{3}")
    assert "A-Z" in properties["cnpj"]["anyOf"][0]["pattern"]
