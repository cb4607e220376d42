"""A small realistic CRM export (CSV + JSONL tickets) built from the synth generators."""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import orjson
from faker import Faker

from resguardo.synth import contact, identifiers


@dataclass(frozen=True)
class Customer:
    """One real-looking customer and every personal value they carry."""

    name: str
    email: str
    phone: str
    dni: str
    iban: str
    card: str
    born: date
    signup: date

    def values(self) -> list[tuple[str, str]]:
        """(entity type, value) for each personal value."""
        return [("PERSON", self.name), ("EMAIL", self.email), ("PHONE", self.phone),
                ("ES_DNI", self.dni), ("IBAN", self.iban), ("CREDIT_CARD", self.card)]


def customers(n: int, seed: int = 5) -> list[Customer]:
    """``n`` customers, reproducible from ``seed``."""
    rng = random.Random(seed)
    fake = Faker("es_ES")
    fake.seed_instance(seed)
    out = []
    for _ in range(n):
        person = contact.make_person(fake, rng, "es")
        out.append(Customer(
            name=person.full,
            email=contact.email_for(person, rng, "es"),
            phone=(f"+34 6{rng.randrange(10, 99)} {rng.randrange(100, 999)} "
                   f"{rng.randrange(100, 999)}"),
            dni=identifiers.es_dni(rng),
            iban=identifiers.iban(rng),
            card=identifiers.card_number(rng),
            born=date(1950, 1, 1) + timedelta(days=rng.randrange(0, 18000)),
            signup=date(2023, 1, 1) + timedelta(days=rng.randrange(0, 700)),
        ))
    return out


def _note(c: Customer) -> str:
    digits = "".join(ch for ch in c.phone if ch.isdigit())[-9:]
    return (f"Llamó {c.name} desde el {digits[:3]} {digits[3:6]} {digits[6:]} para cambiar la "
            f"domiciliación; confirmar por correo a {c.email}. DNI {c.dni}.")


def write_export(folder: Path, people: list[Customer]) -> None:
    """``folder/clientes.csv`` (one row per customer, the first twice) and ``tickets.jsonl``."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "clientes.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(["id", "nombre", "email", "telefono", "dni", "iban", "tarjeta",
                    "fecha_nacimiento", "fecha_alta", "notas"])
        rows = [*people, people[0]]
        for i, c in enumerate(rows, 1):
            w.writerow([f"C{i:04d}", c.name, c.email, c.phone, c.dni, c.iban, c.card,
                        c.born.strftime("%d/%m/%Y"), c.signup.isoformat(), _note(c)])
    with (folder / "tickets.jsonl").open("wb") as fh:
        for i, c in enumerate(people[:5]):
            ticket = {"ticket": f"T-{100 + i}", "cliente": {"nombre": c.name, "email": c.email},
                      "abierto": c.signup.isoformat(),
                      "mensaje": f"Hola, soy {c.name}. Mi teléfono es {c.phone}."}
            fh.write(orjson.dumps(ticket) + b"\n")
