"""Recall and precision on a small Faker-made business corpus (labels from the generator)."""

from __future__ import annotations

import random
from collections import Counter

import phonenumbers
from faker import Faker
from stdnum.es import dni, nie

from resguardo.detect import Analyzer

TEMPLATES = [
    "Hola, soy {name}. Mi correo es {EMAIL} y mi móvil {PHONE}. DNI {ES_DNI}.",
    "Cliente: {name}\nIBAN: {IBAN}\nTarjeta: {CREDIT_CARD}\nTel.: {PHONE}",
    "Dear team, please refund card {CREDIT_CARD} and email {EMAIL}. NIE {ES_NIE}.",
    "Factura 2024-{n} por 1.234,56 EUR. Domiciliación en {IBAN}. Contacto {EMAIL}",
    "Llamada entrante de {PHONE}: el cliente con NIE {ES_NIE} pide cambiar a {IBAN}.",
    "Pedido 4500{n} enviado el 12/03/2024. Ref. {n}-{n}. Dudas: {EMAIL} / {PHONE}",
]


def _corpus(n: int) -> list[tuple[str, list[tuple[int, int, str]]]]:
    fake = Faker(["es_ES", "en_US"])
    Faker.seed(7)
    rng = random.Random(7)
    docs = []
    for _ in range(n):
        template = rng.choice(TEMPLATES)
        number = str(rng.randrange(10**7, 10**8))
        values = {
            "EMAIL": fake.unique.email(),
            "PHONE": fake["es_ES"].phone_number(),
            "ES_DNI": number + dni.calc_check_digit(number),
            "ES_NIE": "XYZ"[rng.randrange(3)] + number[1:],
            "IBAN": fake["es_ES"].iban(),
            "CREDIT_CARD": fake.credit_card_number(),
        }
        values["ES_NIE"] += nie.calc_check_digit(values["ES_NIE"])
        text, labels, pos = "", [], 0
        for literal, field, _, _ in __import__("string").Formatter().parse(template):
            text += literal
            if field is None:
                continue
            value = {"name": fake.name(), "n": str(rng.randrange(100, 999))}.get(field) or values[
                field
            ]
            if field in values:
                labels.append((len(text), len(text) + len(value), field))
            text += value
            pos += 1
        docs.append((text, labels))
    return docs


def test_core_types_meet_recall_and_precision(analyzer: Analyzer) -> None:
    """Email, IBAN, card, DNI/NIE and valid phones: recall >= 0.99, precision >= 0.95."""
    tp, fn, fp = Counter(), Counter(), Counter()
    types = {"EMAIL", "PHONE", "ES_DNI", "ES_NIE", "IBAN", "CREDIT_CARD"}
    for text, labels in _corpus(400):
        found = [f for f in analyzer.analyze(text) if f.type in types]
        gold = []
        for start, end, kind in labels:
            if kind == "PHONE":
                number = phonenumbers.parse(text[start:end], "ES")
                if not phonenumbers.is_valid_number(number):
                    continue  # the issue counts valid phone numbers only
            gold.append((start, end, kind))
        for start, end, kind in gold:
            hit = any(f.type == kind and f.start <= start and f.end >= end - 1 for f in found)
            (tp if hit else fn)[kind] += 1
        for f in found:
            if not any(f.type == k and f.start < e and s < f.end for s, e, k in labels):
                fp[f.type] += 1
    for kind in types:
        recall = tp[kind] / max(1, tp[kind] + fn[kind])
        precision = tp[kind] / max(1, tp[kind] + fp[kind])
        assert recall >= 0.99, (kind, recall)
        assert precision >= 0.95, (kind, precision)
