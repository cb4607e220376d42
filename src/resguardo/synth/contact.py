"""People and their contact details: names with accents and compound surnames, emails, phones,
addresses, dates of birth and ages, in Spanish and English conventions."""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

import phonenumbers
from faker import Faker

__all__ = [
    "Person",
    "address",
    "age_text",
    "birth_date",
    "date_text",
    "email_for",
    "make_person",
    "phone",
]

_COMPOUND_GIVEN_ES = (
    "María José", "José Luis", "Juan Carlos", "María Ángeles", "Ana Belén", "José Ramón",
    "María del Carmen", "Francisco Javier", "Miguel Ángel", "Rocío", "Íñigo", "Begoña",
    "Núria", "Jesús", "Inés", "Óscar", "Iñaki", "Concepción",
)
_PARTICLE_SURNAMES = (
    "de la Fuente", "del Río", "de los Santos", "de la Torre", "del Valle", "de Miguel",
    "San Martín", "de la Cruz",
)


@dataclass(frozen=True, slots=True)
class Person:
    """A synthetic person; ``full`` is how the name is written in full."""

    given: str
    surnames: tuple[str, ...]
    female: bool

    @property
    def full(self) -> str:
        return " ".join((self.given, *self.surnames))

    @property
    def surname(self) -> str:
        return " ".join(self.surnames)


def make_person(fake: Faker, rng: random.Random, lang: str) -> Person:
    """A person with a plausible name for ``lang`` (English documents sometimes name Spaniards)."""
    female = rng.random() < 0.5
    if lang == "es" or rng.random() < 0.2:
        if rng.random() < 0.25:
            given = rng.choice(_COMPOUND_GIVEN_ES)
        else:
            given = fake.first_name_female() if female else fake.first_name_male()
        first = rng.choice(_PARTICLE_SURNAMES) if rng.random() < 0.1 else fake.last_name()
        second = fake.last_name()
        if rng.random() < 0.1:
            return Person(given, (f"{first}-{second}",), female)
        return Person(given, (first, second), female)
    given = fake.first_name_female() if female else fake.first_name_male()
    if rng.random() < 0.15:
        given += f" {rng.choice('ABCDEFGHJKLMNPRSTW')}."
    return Person(given, (fake.last_name(),), female)


def _ascii_slug(value: str) -> str:
    folded = unicodedata.normalize("NFKD", value)
    kept = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return "".join(ch for ch in kept.lower() if ch.isalnum() or ch == " ").replace(" ", "")


_FREE_DOMAINS_ES = ("gmail.com", "hotmail.com", "hotmail.es", "yahoo.es", "outlook.es",
                    "telefonica.net", "icloud.com", "protonmail.com")
_FREE_DOMAINS_EN = ("gmail.com", "yahoo.com", "outlook.com", "hotmail.co.uk", "icloud.com",
                    "aol.com", "proton.me")


def email_for(person: Person, rng: random.Random, lang: str, domain: str | None = None) -> str:
    """An address derived from the person's name, mostly lowercase, sometimes capitalised."""
    given = _ascii_slug(person.given.split()[0])
    last = _ascii_slug(person.surnames[0].split()[-1])
    pools = _FREE_DOMAINS_ES if lang == "es" else _FREE_DOMAINS_EN
    host = domain or rng.choice(pools)
    local = rng.choice((
        f"{given}.{last}", f"{given[0]}{last}", f"{given}{last}{rng.randrange(60, 99)}",
        f"{given}_{last}", f"{last}.{given}", f"{given}.{last}{rng.randrange(1, 9)}",
    ))
    value = f"{local}@{host}"
    if rng.random() < 0.12:
        value = ".".join(p.capitalize() for p in local.split(".")) + "@" + host
    return value


def _valid(national: str, region: str) -> bool:
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(national, region))
    except phonenumbers.NumberParseException:  # pragma: no cover - the inputs are all digits
        return False


def _es_number(rng: random.Random, mobile: bool) -> str:
    while True:
        if mobile:
            national = rng.choice("6666667") + "".join(rng.choice("0123456789") for _ in range(8))
        else:
            national = "9" + rng.choice("12345678") + "".join(
                rng.choice("0123456789") for _ in range(7)
            )
        if _valid(national, "ES"):
            return national


def _es_format(rng: random.Random, n: str, mobile: bool) -> str:
    if mobile:
        grouped = rng.choice((f"{n[:3]} {n[3:6]} {n[6:]}", n, f"{n[:3]} {n[3:5]} {n[5:7]} {n[7:]}",
                              f"{n[:3]}-{n[3:6]}-{n[6:]}"))
    else:
        grouped = rng.choice((f"{n[:2]} {n[2:5]} {n[5:7]} {n[7:]}", f"{n[:3]} {n[3:6]} {n[6:]}", n))
    prefix = rng.choices(("", "+34 ", "+34", "0034 ", "(+34) "), weights=(50, 25, 8, 10, 7))[0]
    if prefix == "+34":
        return prefix + n
    return prefix + grouped


def _foreign(rng: random.Random, region: str, lang: str) -> str:
    while True:
        if region == "GB":
            national = rng.choice(("7", "20", "161")) + "".join(
                rng.choice("0123456789") for _ in range(8)
            )
            national = national[:10]
        else:
            national = rng.choice(("212", "415", "312", "617", "305", "206", "512")) + (
                rng.choice("23456789") + "".join(rng.choice("0123456789") for _ in range(6))
            )
        parsed = phonenumbers.parse(national, region)
        if phonenumbers.is_valid_number(parsed):
            break
    intl = lang == "es" or rng.random() < 0.4
    fmt = phonenumbers.PhoneNumberFormat.INTERNATIONAL if intl else (
        phonenumbers.PhoneNumberFormat.NATIONAL
    )
    return str(phonenumbers.format_number(parsed, fmt))


def phone(rng: random.Random, lang: str) -> str:
    """A valid phone number: mostly Spanish mobiles/landlines in varied formats, some UK/US."""
    roll = rng.random()
    foreign_share = 0.08 if lang == "es" else 0.45
    if roll < foreign_share:
        return _foreign(rng, rng.choice(("GB", "US")), lang)
    mobile = rng.random() < 0.7
    return _es_format(rng, _es_number(rng, mobile), mobile)


_FLOORS_ES = ("3º B", "2º 1ª", "bajo", "1º izq.", "4º D", "Piso 5 Puerta 2", "ático", "5ºA")


def address(fake: Faker, rng: random.Random, lang: str) -> str:
    """A full street address with number, often floor and door, postcode and town."""
    if lang == "es":
        street = fake.street_name()
        if street.startswith("Calle ") and rng.random() < 0.3:
            street = "C/ " + street[len("Calle "):]
        number = str(rng.randrange(1, 180))
        number = rng.choice((number, f"nº {number}", number))
        parts = [f"{street} {number}" if rng.random() < 0.5 else f"{street}, {number}"]
        if rng.random() < 0.7:
            parts.append(rng.choice(_FLOORS_ES))
        parts.append(f"{fake.postcode()} {fake.city()}")
        return ", ".join(parts)
    line = fake.street_address()
    return f"{line}, {fake.city()}, {fake.state_abbr()} {fake.zipcode()}"


_MONTHS_ES = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
              "septiembre", "octubre", "noviembre", "diciembre")
_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")


def date_text(day: date, rng: random.Random, lang: str) -> str:
    """A date in one of the ways people write it in ``lang``."""
    if lang == "es":
        return rng.choice((
            f"{day.day:02d}/{day.month:02d}/{day.year}", f"{day.day}/{day.month}/{day.year}",
            f"{day.day:02d}-{day.month:02d}-{day.year}",
            f"{day.day} de {_MONTHS_ES[day.month - 1]} de {day.year}",
        ))
    return rng.choice((
        f"{day.month:02d}/{day.day:02d}/{day.year}",
        f"{_MONTHS_EN[day.month - 1]} {day.day}, {day.year}",
        f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}", day.isoformat(),
    ))


def birth_date(rng: random.Random, today: date) -> date:
    """A date of birth for an adult aged 18 to 90 on ``today``."""
    return today - timedelta(days=rng.randrange(18 * 365 + 5, 90 * 365))


def age_text(years: int, rng: random.Random, lang: str) -> str:
    """An age as written: ``45 años``, ``45 years old``."""
    del rng  # kept in the signature so other phrasings can be drawn later without churn
    if lang == "es":
        return f"{years} años"
    return f"{years} years old"
