"""Identifier surrogates with valid check digits, laid out exactly like the original.

The new value is built compact (``12345678Z``) with python-stdnum / phonenumbers doing the
check digits, then poured into the original's layout (``12.345.678-z``), so a test copy keeps
the shapes a parser or form validation expects.
"""

from __future__ import annotations

import random
import string

import phonenumbers
import stdnum.es.ccc
import stdnum.es.dni
import stdnum.es.nie
import stdnum.iban
import stdnum.luhn

from resguardo.synth import identifiers as synth_ids

__all__ = [
    "bank_account",
    "card",
    "compact",
    "documentation_ip",
    "es_cif",
    "es_dni",
    "es_nie",
    "es_nss",
    "iban",
    "phone",
    "relayout",
    "scramble",
]


def compact(value: str) -> str:
    """Letters and digits only, upper case."""
    return "".join(ch for ch in value if ch.isalnum()).upper()


def relayout(original: str, new_compact: str) -> str:
    """``new_compact`` written with the original's separators and letter case.

    Falls back to the compact form when the lengths differ (the layout cannot be kept).
    """
    slots = sum(1 for ch in original if ch.isalnum())
    if slots != len(new_compact):
        return new_compact
    out: list[str] = []
    it = iter(new_compact)
    for ch in original:
        if ch.isalnum():
            new = next(it)
            out.append(new.lower() if ch.islower() else new)
        else:
            out.append(ch)
    return "".join(out)


def scramble(original: str, rng: random.Random) -> str:
    """Every digit → a random digit, every letter → a random letter of the same case."""
    out: list[str] = []
    for ch in original:
        if ch.isdigit():
            out.append(rng.choice(string.digits))
        elif ch.isalpha() and ch.isascii():
            pool = string.ascii_lowercase if ch.islower() else string.ascii_uppercase
            out.append(rng.choice(pool))
        elif ch.isalpha():
            out.append(rng.choice("ñáéíóú" if ch.islower() else "ÑÁÉÍÓÚ"))
        else:
            out.append(ch)
    return "".join(out)


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


def es_dni(original: str, rng: random.Random) -> str:
    """A DNI with a valid letter, in the original's layout."""
    return relayout(original, compact(synth_ids.es_dni(rng)))


def es_nie(original: str, rng: random.Random) -> str:
    """A NIE with a valid letter; keeps the original's X/Y/Z prefix when it has one."""
    head = compact(original)[:1]
    if head not in ("X", "Y", "Z"):
        return relayout(original, compact(synth_ids.es_nie(rng)))
    body = head + _digits(rng, 7)
    return relayout(original, body + stdnum.es.nie.calc_check_digit(body))


def es_cif(original: str, rng: random.Random) -> str:
    """A company CIF with a valid control character."""
    return relayout(original, compact(synth_ids.es_cif(rng)))


def es_nss(original: str, rng: random.Random) -> str:
    """A social-security number with valid mod-97 check digits."""
    return relayout(original, compact(synth_ids.es_nss(rng)))


def dni_or_nie(original: str, rng: random.Random) -> str:
    """A DNI or NIE, whichever the original looks like (a scramble when it is neither)."""
    value = compact(original)
    if value[:1] in ("X", "Y", "Z"):
        return es_nie(original, rng)
    if len(value) == 9 and value[:8].isdigit():
        return es_dni(original, rng)
    if len(value) == 9 and value[0].isalpha() and value[1:8].isdigit():
        return es_cif(original, rng)
    return scramble(original, rng)


def iban(original: str, rng: random.Random) -> str:
    """An IBAN of the same country and length with valid check digits (national ones too)."""
    value = compact(original)
    country = value[:2] if value[:2].isalpha() else "ES"
    if country == "ES" and len(value) == 24:
        return relayout(original, compact(synth_ids.iban(rng, country="ES")))
    bban_shape = value[4:] or _digits(rng, 20)
    for _ in range(200):
        bban = compact(scramble(bban_shape, rng))
        check = stdnum.iban.calc_check_digits(country + "00" + bban)
        candidate = country + check + bban
        if stdnum.iban.is_valid(candidate):
            return relayout(original, candidate)
    # An unknown country format: fall back to a Spanish IBAN rather than keep the original.
    return compact(synth_ids.iban(rng, country="ES"))


def bank_account(original: str, rng: random.Random) -> str:
    """A 20-digit Spanish CCC with valid control digits, or a scramble for other shapes."""
    value = compact(original)
    if len(value) == 20 and value.isdigit():
        bank_branch, account = _digits(rng, 8), _digits(rng, 10)
        checks = stdnum.es.ccc.calc_check_digits(bank_branch + "00" + account)
        return relayout(original, bank_branch + checks + account)
    if len(value) > 4 and value[:2].isalpha():
        return iban(original, rng)
    return scramble(original, rng)


def card(original: str, rng: random.Random) -> str:
    """A Luhn-valid card number of the same length and brand prefix (two digits)."""
    value = compact(original)
    if not value.isdigit() or not 12 <= len(value) <= 19:
        return relayout(original, compact(synth_ids.card_number(rng)))
    body = value[:2] + _digits(rng, len(value) - 3)
    return relayout(original, body + stdnum.luhn.calc_check_digit(body))


def phone(original: str, rng: random.Random, *, region: str = "ES") -> str:
    """A valid number of the same country and kind, digits poured into the original layout."""
    try:
        parsed = phonenumbers.parse(original, region)
    except phonenumbers.NumberParseException:
        return scramble(original, rng)
    national = phonenumbers.national_significant_number(parsed)
    new = ""
    for _ in range(500):
        # Keep the leading digit: it says mobile or landline (6/7 vs 9 in Spain).
        candidate = national[:1] + _digits(rng, max(len(national) - 1, 0))
        trial = phonenumbers.PhoneNumber(country_code=parsed.country_code,
                                         national_number=int(candidate))
        if candidate != national and phonenumbers.is_valid_number(trial):
            new = candidate
            break
    if not new:
        return scramble(original, rng)
    # Replace the last len(national) digits of the original: the country prefix stays.
    positions = [i for i, ch in enumerate(original) if ch.isdigit()]
    if len(positions) < len(new):
        return new
    chars = list(original)
    for pos, digit in zip(positions[-len(new):], new, strict=True):
        chars[pos] = digit
    return "".join(chars)


def documentation_ip(rng: random.Random) -> str:
    """An address from the RFC 5737 documentation ranges: it can never reach anyone."""
    net = rng.choice(("192.0.2", "198.51.100", "203.0.113"))
    return f"{net}.{rng.randrange(1, 255)}"
