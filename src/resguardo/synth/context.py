"""Per-document generation context: the seeded sources and helpers returning labelled values."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from faker import Faker

from resguardo.synth import contact, identifiers, vocab
from resguardo.synth.builder import V
from resguardo.synth.contact import Person

__all__ = ["Ctx"]


@dataclass(slots=True)
class Ctx:
    """Everything a template needs; every value helper returns a typed :class:`V`."""

    fake: Faker
    rng: random.Random
    lang: str
    today: date

    def t(self, es: str, en: str) -> str:
        """The text for this document's language."""
        return es if self.lang == "es" else en

    def pick(self, *options: str) -> str:
        """One of ``options``, chosen by the document's seeded generator."""
        return self.rng.choice(options)

    def chance(self, p: float) -> bool:
        """True with probability ``p``."""
        return self.rng.random() < p

    # Labelled personal values ------------------------------------------------------------

    def person(self) -> Person:
        """A new person for this document."""
        return contact.make_person(self.fake, self.rng, self.lang)

    def name(self, person: Person) -> V:
        """The person's full name."""
        return V(person.full, "PERSON")

    def given(self, person: Person) -> V:
        """The person's given name alone (as in a greeting)."""
        return V(person.given, "PERSON")

    def surname(self, person: Person) -> V:
        """The person's surname(s) alone (as in ``Sra. García``)."""
        return V(person.surname, "PERSON")

    def email(self, person: Person, domain: str | None = None) -> V:
        """An email address derived from the person's name."""
        return V(contact.email_for(person, self.rng, self.lang, domain), "EMAIL")

    def phone(self) -> V:
        """A valid phone number in a varied format."""
        return V(contact.phone(self.rng, self.lang), "PHONE")

    def national_id(self) -> V:
        """A DNI or NIE (and, in English documents, sometimes a US SSN)."""
        roll = self.rng.random()
        if self.lang == "en" and roll < 0.3:
            return V(identifiers.us_ssn(self.rng), "US_SSN")
        if roll < 0.75:
            return V(identifiers.es_dni(self.rng), "ES_DNI")
        return V(identifiers.es_nie(self.rng), "ES_NIE")

    def dni(self) -> V:
        """A DNI/NIF."""
        return V(identifiers.es_dni(self.rng), "ES_DNI")

    def nie(self) -> V:
        """A NIE."""
        return V(identifiers.es_nie(self.rng), "ES_NIE")

    def cif(self) -> V:
        """A company CIF."""
        return V(identifiers.es_cif(self.rng), "ES_CIF")

    def nss(self) -> V:
        """A social-security number."""
        return V(identifiers.es_nss(self.rng), "ES_NSS")

    def passport(self) -> V:
        """A passport number."""
        return V(identifiers.passport_es(self.rng), "PASSPORT")

    def iban(self) -> V:
        """An IBAN: mostly Spanish, sometimes from another SEPA country."""
        country = "ES" if self.rng.random() < 0.8 else self.rng.choice(("DE", "NL", "GB", "BE"))
        return V(identifiers.iban(self.rng, country=country), "IBAN")

    def card(self) -> V:
        """A payment card number."""
        return V(identifiers.card_number(self.rng), "CREDIT_CARD")

    def address(self) -> V:
        """A full street address."""
        return V(contact.address(self.fake, self.rng, self.lang), "ADDRESS")

    def birth(self) -> tuple[V, int]:
        """A date of birth and the age it implies today."""
        born = contact.birth_date(self.rng, self.today)
        before_birthday = (self.today.month, self.today.day) < (born.month, born.day)
        years = self.today.year - born.year - before_birthday
        return V(contact.date_text(born, self.rng, self.lang), "DATE_OF_BIRTH"), years

    def age(self, years: int) -> V:
        """An age such as ``45 años``."""
        return V(contact.age_text(years, self.rng, self.lang), "AGE")

    def health(self, kind: str = "condition") -> V:
        """A ``condition``, ``medication`` or ``procedure``."""
        return V(vocab.health_term(self.rng, self.lang, kind), "HEALTH")

    def plate(self) -> V:
        """A Spanish licence plate."""
        return V(identifiers.license_plate_es(self.rng), "LICENSE_PLATE")

    def ip(self) -> V:
        """A client IP address."""
        return V(identifiers.ipv4(self.rng), "IP_ADDRESS")

    # Distractors: look like data, are not personal -----------------------------------------

    def company(self) -> V:
        """A company name."""
        return V(vocab.company(self.rng, self.lang))

    def clinic(self) -> V:
        """A clinic's name."""
        return V(vocab.clinic(self.rng, self.lang))

    def product(self) -> V:
        """A product or service."""
        return V(vocab.product(self.rng, self.lang))

    def invoice_no(self) -> V:
        """An invoice number."""
        return V(vocab.invoice_number(self.rng, self.today.year))

    def order(self) -> V:
        """An order reference."""
        return V(vocab.order_id(self.rng))

    def ticket(self) -> V:
        """A support ticket reference."""
        return V(vocab.ticket_id(self.rng))

    def sku(self) -> V:
        """A product code."""
        return V(vocab.product_code(self.rng))

    def money(self, low: float = 9, high: float = 4000) -> V:
        """An amount of money."""
        return V(vocab.amount(self.rng, self.lang, low, high))

    def meeting(self) -> V:
        """When a meeting or appointment takes place."""
        return V(vocab.meeting_when(self.rng, self.lang, self.today))

    def doc_date(self) -> V:
        """The date a document was issued (not personal data)."""
        return V(contact.date_text(self.today, self.rng, self.lang))
