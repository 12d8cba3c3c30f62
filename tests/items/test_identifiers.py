"""USCC (GB 32100), organisation-code (GB 11714) and ID-number (GB 11643) check characters."""

from __future__ import annotations

from datetime import date

import pytest

from heze_hub.items.identifiers import (
    USCC_ALPHABET,
    id_check_char,
    id_number_is_valid,
    id_number_problem,
    org_code_check_char,
    org_code_problem,
    uscc_check_char,
    uscc_is_valid,
    uscc_problem,
)

VALID_USCC = [
    "91110000600037341L",  # DESIGN §5.5
    "91350200776049653A",  # DESIGN §5.5
    "9144030071526726XG",  # an organisation code whose check is 10, written X
    "91310112MA1GBKRE47",  # a published code with letters past H (G, K, R) in positions 9–16
    # The example items' codes (05, 06): both check characters computed, not guessed.
    "91371700MA3C4K2P7T",
    "11371700004234576M",
    "91371702MA3F8R6Q48",
    "12371700MB28581232",
]
VALID_ID = [
    "11010519491231002X",  # DESIGN §5.5
    "37170219800512301" + id_check_char("37170219800512301"),  # a 菏泽 number, computed check
]
ID_ALPHABET = "0123456789X"


@pytest.mark.parametrize("code", VALID_USCC)
def test_valid_uscc(code: str) -> None:
    assert uscc_is_valid(code)
    assert uscc_problem(code) is None
    assert uscc_check_char(code[:17]) == code[17]


@pytest.mark.parametrize("code", VALID_USCC)
def test_every_single_character_change_of_a_uscc_fails(code: str) -> None:
    changed = 0
    for i in range(18):
        for c in USCC_ALPHABET:
            if c == code[i]:
                continue
            mutant = code[:i] + c + code[i + 1:]
            assert not uscc_is_valid(mutant), mutant
            changed += 1
    assert changed == 18 * 30


@pytest.mark.parametrize("c", ["I", "O", "S", "V", "Z", "a", "l", " ", "-", "０"])
def test_uscc_characters_outside_the_alphabet_fail(c: str) -> None:
    for i in range(18):
        mutant = VALID_USCC[0][:i] + c + VALID_USCC[0][i + 1:]
        assert not uscc_is_valid(mutant)


def test_uscc_positions_3_to_8_are_digits_even_with_a_right_check() -> None:
    first17 = "91A10000600037341"  # a letter at position 3
    code = first17 + uscc_check_char(first17)
    assert not uscc_is_valid(code)
    assert "第3至8位" in uscc_problem(code)


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("91110000600037341", "应为18位"),
        ("91110000600037341LL", "应为18位"),
        ("91110000600037341M", "校验位错误：应为 L"),
        ("91110000600O37341L", "不允许的字符“O”"),
    ],
)
def test_uscc_problem_messages(code: str, fragment: str) -> None:
    assert fragment in uscc_problem(code)


# -- GB 11714: the organisation code in positions 9–17 ---------------------------------------------
@pytest.mark.parametrize(("body", "check"), [
    ("60003734", "1"),  # in 91110000600037341L (DESIGN §5.5)
    ("77604965", "3"),  # in 91350200776049653A (DESIGN §5.5)
    ("71526726", "X"),  # 11 − Σ mod 11 = 10
    ("MA3C4K2P", "7"),  # letters count 10 (A) to 35 (Z)
    ("00000000", "0"),  # 11 − 0 = 11, written 0
])
def test_org_code_check_char(body: str, check: str) -> None:
    assert org_code_check_char(body) == check
    assert org_code_problem(body + check) is None


def test_org_code_letters_count_from_the_full_alphabet() -> None:
    # GB 11714 values: A = 10 … Z = 35, not the USCC alphabet's indices (which skip I, O, S, V).
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(c, 36) * w for c, w in zip("MA3C4K2P", weights, strict=True))
    assert total == 22 * 3 + 10 * 7 + 3 * 9 + 12 * 10 + 4 * 5 + 20 * 8 + 2 * 4 + 25 * 2
    assert org_code_check_char("MA3C4K2P") == str(11 - total % 11)


@pytest.mark.parametrize(("code", "fragment"), [
    ("60003734", "应为9位"), ("600037342", "校验码错误：应为 1"), ("6000373-1", "不允许的字符“-”"),
])
def test_org_code_problems(code: str, fragment: str) -> None:
    assert fragment in org_code_problem(code)


@pytest.mark.parametrize(("code", "org"), [
    ("91371700MA3C4K2P18", "7"),  # example 05's party before issue 11
    ("11371700004234573C", "6"),  # example 05's authority
    ("91371702MA3F8R6Q22", "4"),  # example 06's party
])
def test_uscc_with_a_wrong_embedded_org_code_check_fails(code: str, org: str) -> None:
    # Its own (GB 32100) check character is right, so only the GB 11714 check finds it.
    assert uscc_check_char(code[:17]) == code[17]
    assert not uscc_is_valid(code)
    assert uscc_problem(code) == (f"第17位（内含组织机构代码的校验码，GB 11714）错误："
                                  f"第9至16位“{code[8:16]}”的校验码应为 {org}")


def test_uscc_is_valid_rejects_non_strings() -> None:
    assert not uscc_is_valid(None)  # type: ignore[arg-type]
    assert not uscc_is_valid(91110000600037341)  # type: ignore[arg-type]


def test_uscc_check_char_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        uscc_check_char("9111000060003734")
    with pytest.raises(ValueError):
        uscc_check_char("9111000060003734I")


@pytest.mark.parametrize("num", VALID_ID)
def test_valid_id_number(num: str) -> None:
    assert id_number_is_valid(num)
    assert id_check_char(num[:17]) == num[17]


def test_id_check_char_of_the_design_example() -> None:
    assert id_check_char("11010519491231002") == "X"


@pytest.mark.parametrize("num", VALID_ID)
def test_every_single_character_change_of_an_id_number_fails(num: str) -> None:
    changed = 0
    for i in range(18):
        for c in ID_ALPHABET:
            if c == num[i]:
                continue
            mutant = num[:i] + c + num[i + 1:]
            assert not id_number_is_valid(mutant), mutant
            changed += 1
    assert changed == 18 * 10


@pytest.mark.parametrize(
    ("first17", "fragment"),
    [
        ("11010519490231002", "出生日期“19490231”"),  # 31 February
        ("11010517991231002", "出生日期"),  # before 1800
        ("11010530001231002", "出生日期"),  # in the future
    ],
)
def test_id_birth_date_must_be_real(first17: str, fragment: str) -> None:
    num = first17 + id_check_char(first17)  # right check character, wrong date
    assert not id_number_is_valid(num)
    assert fragment in id_number_problem(num)


def test_id_birth_date_today_is_allowed() -> None:
    first17 = "110105" + "20240229" + "001"
    num = first17 + id_check_char(first17)
    assert id_number_problem(num, today=date(2024, 2, 29)) is None
    assert "出生日期" in id_number_problem(num, today=date(2024, 2, 28))


@pytest.mark.parametrize(
    ("num", "fragment"),
    [
        ("11010519491231002", "应为18位"),
        ("11010519491231002x", "第18位应为数字或大写 X"),  # strict: callers upper-case first
        ("1101051949123100XX", "前17位应为数字"),
        ("110105194912310021", "校验位错误：应为 X"),
    ],
)
def test_id_problem_messages(num: str, fragment: str) -> None:
    assert fragment in id_number_problem(num)


def test_id_check_char_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        id_check_char("1101051949123100")
    with pytest.raises(ValueError):
        id_check_char("1101051949123100X")
