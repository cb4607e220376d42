"""One fake per real value: realistic, consistent within a run, unrelated to the original.

``SurrogateMaker.replace(type, value)`` seeds Faker and a generator from the run secret's
HMAC of the normalized value, so "Ana Pérez" and "ANA PEREZ" both become the same fake
person (each written in its own case) in every row and file of one run.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Callable

from faker import Faker

from resguardo.anonymize import identifiers as ids
from resguardo.anonymize.dates import shift_dates
from resguardo.anonymize.keys import RunSecret, fold, normalize
from resguardo.synth import contact, vocab

__all__ = ["KEEP_TYPES", "SurrogateMaker"]

# Not identifying on their own, and a test needs them realistic: left as they are.
KEEP_TYPES = frozenset({"GENDER"})
_DATE_TYPES = frozenset({"DATE", "DATE_OF_BIRTH"})
# RFC 2606 reserved domains: a surrogate email can never reach a real inbox.
_SAFE_DOMAINS = ("example.com", "example.org", "example.net")
_SURNAME_HINTS = ("apellido", "surname", "last_name", "lastname", "family_name")
_GIVEN_HINTS = ("first_name", "firstname", "given_name", "nombre_de_pila")
_DIGITS = re.compile(r"\d+")

_IdMaker = Callable[[str, random.Random], str]
_ID_MAKERS: dict[str, _IdMaker] = {
    "ES_DNI": ids.es_dni,
    "ES_NIF": ids.dni_or_nie,
    "NATIONAL_ID": ids.dni_or_nie,
    "ES_NIE": ids.es_nie,
    "ES_CIF": ids.es_cif,
    "ES_NSS": ids.es_nss,
    "IBAN": ids.iban,
    "BANK_ACCOUNT": ids.bank_account,
    "CREDIT_CARD": ids.card,
}


def _styled(fake: str, like: str) -> str:
    if like.isupper() and any(c.isalpha() for c in like):
        return fake.upper()
    if like.islower():
        return fake.lower()
    return fake


class SurrogateMaker:
    """Replaces personal values by consistent surrogates and counts replacements by type."""

    def __init__(self, secret: RunSecret, *, lang: str = "es", region: str = "ES") -> None:
        self.secret = secret
        self.lang = lang
        self.region = region
        self.counts: Counter[str] = Counter()
        self.dates_shifted = 0
        self._fakers: dict[str, Faker] = {}
        self._cache: dict[tuple[str, str, str], str] = {}

    def _faker(self, seed: int) -> Faker:
        locale = "es_ES" if self.lang == "es" else "en_US"
        fake = self._fakers.get(locale)
        if fake is None:
            fake = self._fakers[locale] = Faker(locale)
        fake.seed_instance(seed)
        return fake

    def replace(self, entity_type: str, value: str, *, hint: str | None = None,
                shift_days: int = 0) -> str:
        """The surrogate for ``value`` (dates move by ``shift_days``); counts the replacement."""
        if entity_type in KEEP_TYPES or not value.strip():
            return value
        if entity_type in _DATE_TYPES:
            shifted, n = shift_dates(value, shift_days, day_first=self.lang == "es")
            if n:
                self.dates_shifted += n
                self.counts[entity_type] += 1
                return shifted
        key = (entity_type, value, fold(hint or ""))
        cached = self._cache.get(key)
        if cached is None:
            cached = self._make(entity_type, value, key[2])
            if len(self._cache) < 200_000:  # bounded: a huge export must not exhaust memory
                self._cache[key] = cached
        self.counts[entity_type] += 1
        return cached

    def _make(self, entity_type: str, value: str, hint: str) -> str:
        norm = normalize(entity_type, value, region=self.region)
        for attempt in range(8):
            rng = self.secret.rng("surrogate", entity_type, norm, str(attempt))
            fake = self._draw(entity_type, value, hint, rng)
            # Never hand back the original (a coincidence, or a value with nothing to change).
            if normalize(entity_type, fake, region=self.region) != norm:
                return fake
        return "[" + entity_type + "]"

    def _draw(self, entity_type: str, value: str, hint: str, rng: random.Random) -> str:
        maker = _ID_MAKERS.get(entity_type)
        if maker is not None:
            return maker(value, rng)
        if entity_type == "PHONE":
            return ids.phone(value, rng, region=self.region)
        if entity_type == "PERSON":
            return self._person(value, hint, rng)
        if entity_type == "EMAIL":
            person = contact.make_person(self._faker(rng.getrandbits(64)), rng, self.lang)
            return contact.email_for(person, rng, self.lang, rng.choice(_SAFE_DOMAINS)).lower()
        if entity_type == "ADDRESS":
            return contact.address(self._faker(rng.getrandbits(64)), rng, self.lang)
        if entity_type == "LOCATION":
            return _styled(str(self._faker(rng.getrandbits(64)).city()), value)
        if entity_type == "HEALTH":
            kind = rng.choice(("condition", "medication", "procedure"))
            return _styled(vocab.health_term(rng, self.lang, kind), value)
        if entity_type == "IP_ADDRESS" and value.count(".") == 3:
            return ids.documentation_ip(rng)
        if entity_type == "AGE":
            return _DIGITS.sub(lambda m: str(max(18, int(m.group()) + rng.choice((-3, -2, 2, 3)))),
                               value)
        if entity_type in _DATE_TYPES:
            return ids.scramble(value, rng)  # a date we could not parse: scramble its digits
        return ids.scramble(value, rng)

    def _person(self, value: str, hint: str, rng: random.Random) -> str:
        person = contact.make_person(self._faker(rng.getrandbits(64)), rng, self.lang)
        words = len(value.split())
        if any(h in hint.replace(" ", "_") for h in _SURNAME_HINTS):
            fake = person.surname if words > 1 else person.surnames[0].split()[-1]
        elif words <= 1 or any(h in hint.replace(" ", "_") for h in _GIVEN_HINTS):
            fake = person.given.split()[0]
        elif words == 2:
            fake = f"{person.given.split()[0]} {person.surnames[0]}"
        else:
            fake = person.full
        return _styled(fake, value)
