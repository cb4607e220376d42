"""Identifiers with valid check digits (computed by python-stdnum), in the formats people type."""

from __future__ import annotations

import random

import stdnum.es.ccc
import stdnum.es.cif
import stdnum.es.dni
import stdnum.es.nie
import stdnum.iban
import stdnum.luhn
import stdnum.us.ssn

__all__ = [
    "card_number",
    "es_cif",
    "es_dni",
    "es_nie",
    "es_nss",
    "iban",
    "ipv4",
    "license_plate_es",
    "nss_is_valid",
    "passport_es",
    "us_ssn",
]


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def es_dni(rng: random.Random) -> str:
    """A DNI/NIF as written: ``12345678Z``, ``12345678-Z``, ``12.345.678-Z`` or lowercase letter."""
    body = f"{rng.randrange(1_000_000, 99_999_999):08d}"
    letter = stdnum.es.dni.calc_check_digit(body)
    style = rng.random()
    if style < 0.5:
        return body + letter
    if style < 0.75:
        return f"{body}-{letter}"
    if style < 0.85:
        return f"{body[:2]}.{body[2:5]}.{body[5:]}-{letter}"
    if style < 0.93:
        return f"{body} {letter}"
    return body + letter.lower()


def es_nie(rng: random.Random) -> str:
    """A NIE: ``X1234567L``, ``X-1234567-L`` or ``Y1234567 X``."""
    body = rng.choice("XYZ") + _digits(rng, 7)
    letter = stdnum.es.nie.calc_check_digit(body)
    style = rng.random()
    if style < 0.6:
        return body + letter
    if style < 0.85:
        return f"{body[0]}-{body[1:]}-{letter}"
    return f"{body} {letter}"


# CIF entity letters whose control character is a letter / a digit (others take either).
_CIF_LETTER_CONTROL = "KPQRSNW"
_CIF_DIGIT_CONTROL = "ABEH"


def es_cif(rng: random.Random) -> str:
    """A company CIF such as ``B12345674`` or ``B-12345674``."""
    kind = rng.choice("ABBBBBEGHJNPQRSUVW")
    body = kind + _digits(rng, 7)
    candidates = stdnum.es.cif.calc_check_digits(body)  # "<digit><letter>"
    digit, letter = candidates[0], candidates[1]
    if kind in _CIF_LETTER_CONTROL:
        control = letter
    elif kind in _CIF_DIGIT_CONTROL:
        control = digit
    else:
        control = rng.choice((digit, letter))
    value = body + control
    if not stdnum.es.cif.is_valid(value):  # pragma: no cover - guards against stdnum changes
        raise RuntimeError("generated CIF does not validate")
    return value if rng.random() < 0.7 else f"{value[0]}-{value[1:]}"


def _nss_base(province: str, number: str) -> int:
    # TGSS rule: numbers below 10^7 are offset by province * 10^7, others are concatenated.
    serial = int(number)
    if serial < 10_000_000:
        return serial + int(province) * 10_000_000
    return int(province + number)


def es_nss(rng: random.Random) -> str:
    """A Spanish social-security number: province, 8 digits, 2 check digits (mod 97).

    python-stdnum has no module for it, so the check digits follow the TGSS rule here.
    """
    province = f"{rng.randrange(1, 53):02d}"
    # Serials below 10^7 are checked differently by different published rules; avoid them so
    # every validator agrees the number is valid.
    number = str(rng.randrange(10_000_000, 100_000_000))
    check = f"{_nss_base(province, number) % 97:02d}"
    style = rng.random()
    if style < 0.4:
        return f"{province} {number} {check}"
    if style < 0.7:
        return province + number + check
    return f"{province}/{number}/{check}"


def nss_is_valid(value: str) -> bool:
    """Whether an NSS written by :func:`es_nss` has the right check digits."""
    digits = "".join(ch for ch in value if ch.isdigit())
    if len(digits) != 12:
        return False
    province, number, check = digits[:2], digits[2:10], digits[10:]
    return _nss_base(province, number) % 97 == int(check)


def _group4(value: str) -> str:
    return " ".join(value[i : i + 4] for i in range(0, len(value), 4))


_BBAN_SHAPES = {  # country -> (length of letters prefix, digits)
    "DE": (0, 18),
    "NL": (4, 10),
    "GB": (4, 14),
    "BE": (0, 12),
}


def _foreign_iban(rng: random.Random, country: str) -> str:
    letters, digits = _BBAN_SHAPES[country]
    while True:
        bban = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(letters))
        bban += _digits(rng, digits)
        check = stdnum.iban.calc_check_digits(country + "00" + bban)
        value = country + check + bban
        if stdnum.iban.is_valid(value):
            return value


def iban(rng: random.Random, *, country: str = "ES") -> str:
    """An IBAN with valid national and IBAN check digits, grouped by 4 or compact."""
    if country == "ES":
        bank_branch = rng.choice(("2100", "0049", "0182", "2038", "0081", "1465")) + _digits(rng, 4)
        account = _digits(rng, 10)
        ccc_check = stdnum.es.ccc.calc_check_digits(bank_branch + "00" + account)
        value = stdnum.es.ccc.to_iban(bank_branch + ccc_check + account)
    else:
        value = _foreign_iban(rng, country)
    style = rng.random()
    if style < 0.55:
        return _group4(value)
    if style < 0.9:
        return value
    return _group4(value).replace(" ", "-")


# (prefixes, length, grouping) per brand; Mastercard's 2-series range is 2221-2720.
_CARD_BRANDS: tuple[tuple[tuple[str, ...], int, tuple[int, ...]], ...] = (
    (("4",), 16, (4, 4, 4, 4)),
    (("51", "52", "53", "54", "55"), 16, (4, 4, 4, 4)),
    (tuple(str(p) for p in range(2221, 2721)), 16, (4, 4, 4, 4)),
    (("34", "37"), 15, (4, 6, 5)),
    (("6011", "65"), 16, (4, 4, 4, 4)),
    (("4",), 19, (4, 4, 4, 4, 3)),
)
_CARD_WEIGHTS = (35, 25, 20, 10, 5, 5)


def card_number(rng: random.Random) -> str:
    """A Luhn-valid payment card number (Visa, Mastercard 5- and 2-series, Amex, Discover)."""
    prefixes, length, groups = rng.choices(_CARD_BRANDS, weights=_CARD_WEIGHTS)[0]
    body = rng.choice(prefixes)
    body += _digits(rng, length - len(body) - 1)
    number = body + stdnum.luhn.calc_check_digit(body)
    style = rng.random()
    if style < 0.3:
        return number
    sep = "-" if style > 0.85 else " "
    out, pos = [], 0
    for size in groups:
        out.append(number[pos : pos + size])
        pos += size
    return sep.join(out)


def us_ssn(rng: random.Random) -> str:
    """A US SSN that python-stdnum accepts, as ``123-45-6789``."""
    while True:
        area = rng.randrange(1, 900)
        value = f"{area:03d}-{rng.randrange(1, 100):02d}-{rng.randrange(1, 10000):04d}"
        if stdnum.us.ssn.is_valid(value):
            return value


def passport_es(rng: random.Random) -> str:
    """A Spanish passport number: three letters and six digits (no public check digit)."""
    letters = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(3))
    return letters + _digits(rng, 6)


_PLATE_LETTERS = "BCDFGHJKLMNPRSTVWXYZ"  # Spanish plates skip vowels, Ñ and Q


def license_plate_es(rng: random.Random) -> str:
    """A current-format Spanish plate: ``1234 BCD``, ``1234-BCD`` or ``1234BCD``."""
    digits = _digits(rng, 4)
    letters = "".join(rng.choice(_PLATE_LETTERS) for _ in range(3))
    return digits + rng.choice((" ", " ", "-", "")) + letters


def ipv4(rng: random.Random) -> str:
    """A public-looking IPv4 address."""
    first = rng.choice((31, 62, 77, 79, 80, 81, 83, 84, 85, 88, 90, 95, 176, 188, 212, 213))
    return f"{first}.{rng.randrange(0, 256)}.{rng.randrange(0, 256)}.{rng.randrange(1, 255)}"
