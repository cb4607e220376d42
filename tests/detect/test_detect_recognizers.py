"""Recognizer tables: real-looking values found with the right type, look-alikes ignored."""

from __future__ import annotations

import pytest

from resguardo.detect import Analyzer

POSITIVES = [
    ("Escríbeme a maria.lopez+crm@empresa.es mañana", "EMAIL", "maria.lopez+crm@empresa.es"),
    ("mail: JOHN_DOE@Example.co.uk.", "EMAIL", "JOHN_DOE@Example.co.uk"),
    ("Llámame al 612 345 678", "PHONE", "612 345 678"),
    ("Teléfono fijo 91 123 45 67", "PHONE", "91 123 45 67"),
    ("call me on +34 612-345-678 today", "PHONE", "+34 612-345-678"),
    ("UK office +44 20 7946 0958", "PHONE", "+44 20 7946 0958"),
    ("US line +1 (415) 555-2671", "PHONE", "+1 (415) 555-2671"),
    ("My DNI is 12345678Z, thanks", "ES_DNI", "12345678Z"),
    ("NIF: 12.345.678-Z", "ES_DNI", "12.345.678-Z"),
    ("NIE X1234567L del cliente", "ES_NIE", "X1234567L"),
    ("CIF de la empresa B12345674", "ES_CIF", "B12345674"),
    ("Nº afiliación 28 1234567840", "ES_NSS", "28 1234567840"),
    ("SSN 078-05-1120 on file", "US_SSN", "078-05-1120"),
    ("Pasaporte: PAA123456", "PASSPORT", "PAA123456"),
    ("IBAN ES91 2100 0418 4502 0005 1332 para el cargo", "IBAN", "ES91 2100 0418 4502 0005 1332"),
    ("iban DE89370400440532013000.", "IBAN", "DE89370400440532013000"),
    ("cuenta 2100 0418 45 0200051332", "BANK_ACCOUNT", "2100 0418 45 0200051332"),
    ("Visa 4111 1111 1111 1111 exp 12/29", "CREDIT_CARD", "4111 1111 1111 1111"),
    ("MC 2-series 2223003122003222", "CREDIT_CARD", "2223003122003222"),
    ("Amex 3782 822463 10005", "CREDIT_CARD", "3782 822463 10005"),
    ("Maestro 6759649826438453", "CREDIT_CARD", "6759649826438453"),
    ("19 digits 6011000990139424009 hmm", "CREDIT_CARD", "6011000990139424009"),
    ("codice fiscale RSSMRA85T10A562S", "NATIONAL_ID", "RSSMRA85T10A562S"),
    ("PESEL 44051401359", "NATIONAL_ID", "44051401359"),
    ("Vivo en Calle Mayor 5, 3º B, 28013 Madrid", "ADDRESS", "Calle Mayor 5, 3º B, 28013 Madrid"),
    (
        "Dirección: Avda. de la Constitución 12, 2º izq",
        "ADDRESS",
        "Avda. de la Constitución 12, 2º izq",
    ),
    ("Ship to 221 Baker Street, London, NW1 6XE", "ADDRESS", "221 Baker Street, London, NW1 6XE"),
    ("Fecha de nacimiento: 03/03/1946", "DATE_OF_BIRTH", "03/03/1946"),
    ("born on March 3, 1946 in", "DATE_OF_BIRTH", "March 3, 1946"),
    ("la reunión es el 12 de marzo de 2025", "DATE", "12 de marzo de 2025"),
    ("Paciente de 70 años con", "AGE", "70 años"),
    ("a 45-year-old woman", "AGE", "45-year-old"),
    ("server 192.168.10.20 down", "IP_ADDRESS", "192.168.10.20"),
    ("ipv6 2001:db8::8a2e:370:7334 ok", "IP_ADDRESS", "2001:db8::8a2e:370:7334"),
    ("Matrícula 1234 BCD del coche", "LICENSE_PLATE", "1234 BCD"),
    (
        "key sk-proj-abcdefghijklmnopqrstuvwx123456",
        "SECRET",
        "sk-proj-abcdefghijklmnopqrstuvwx123456",
    ),
    ("AWS AKIAIOSFODNN7EXAMPLE", "SECRET", "AKIAIOSFODNN7EXAMPLE"),
    ("password: Tr0ub4dor&3 ok", "SECRET", "Tr0ub4dor&3"),
    ("contraseña=perro1234", "SECRET", "perro1234"),
    ("Authorization: Bearer abcdef0123456789abcdef", "SECRET", "abcdef0123456789abcdef"),
    (
        "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
        "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "SECRET",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    ),
    ("Diagnosticada de diabetes mellitus tipo 2", "HEALTH", "diabetes mellitus"),
    ("takes Sertraline daily", "HEALTH", "Sertraline"),
    ("Hola Lucía, te escribo", "PERSON", "Lucía"),
    ("Estimada Sra. Pérez:", "PERSON", "Pérez"),
    ("Dear Mr. John Smith,", "PERSON", "John Smith"),
    ("me llamo Ernesto Rivera Bueno y", "PERSON", "Ernesto Rivera Bueno"),
    ("my name is Olivia Brown.", "PERSON", "Olivia Brown"),
    ("Saludos,\nPedro Sánchez Gil", "PERSON", "Pedro Sánchez Gil"),
    ("ayer hablé con Carmen Ortega sobre el pedido", "PERSON", "Carmen Ortega"),
    ("Médico: Ignacio Navarro Cuéllar NºCol: 28 28 70973.", "PERSON", "Ignacio Navarro Cuéllar"),
    ("NHC: 368503.", "ID", "368503"),
    (
        "Ingresa en el Hospital Universitario La Paz por",
        "LOCATION",
        "Hospital Universitario La Paz",
    ),
    ("Localidad/ Provincia: Madrid.", "LOCATION", "Madrid"),
]


@pytest.mark.parametrize(("text", "kind", "value"), POSITIVES)
def test_recognizer_finds_value_with_type(
    analyzer: Analyzer, text: str, kind: str, value: str
) -> None:
    """The value is found whole, with its type."""
    found = {(f.type, text[f.start : f.end]) for f in analyzer.analyze(text)}
    assert (kind, value) in found, found


NEGATIVES = [
    ("Hola, ¿qué tal?", "PERSON"),
    ("Hola equipo, gracias por todo", "PERSON"),
    ("Dear Customer, thanks", "PERSON"),
    ("Buenos días. Ayer llovió en la costa.", "PERSON"),
    ("Total: 1.234,56 EUR", "PHONE"),
    ("Pedido nº 600123456 enviado", "PHONE"),
    ("factura del 12/03/2024", "DATE_OF_BIRTH"),
    ("ref 12345678A is wrong", "ES_DNI"),
    ("card 4111 1111 1111 1112", "CREDIT_CARD"),
    ("ES00 1234 5678 9012 3456 7890", "IBAN"),
    ("version 1.2.3.4 released", "DATE"),
    ("desde hace 3 años trabaja aquí", "AGE"),
    ("a contract for 5 years", "AGE"),
    ("el tratamiento de datos personales", "HEALTH"),
    ("order 12345678 shipped", "ES_DNI"),
    ("an amount of 123456789012", "NATIONAL_ID"),
]


@pytest.mark.parametrize(("text", "kind"), NEGATIVES)
def test_look_alike_is_not_reported(analyzer: Analyzer, text: str, kind: str) -> None:
    """A look-alike is not reported as that type."""
    assert kind not in {f.type for f in analyzer.analyze(text)}


def test_spanish_ids_are_found_in_english_text(analyzer: Analyzer) -> None:
    """Every recognizer applies whatever the language of the text."""
    text = "Hi, my Spanish ID is 12345678Z and my phone is 612 345 678."
    assert {"ES_DNI", "PHONE"} <= {f.type for f in analyzer.analyze(text)}


def test_context_lifts_a_weak_candidate(analyzer: Analyzer) -> None:
    """An old-format plate counts only next to a plate word."""
    assert "LICENSE_PLATE" not in {f.type for f in analyzer.analyze("ref M 1234 AB")}
    assert "LICENSE_PLATE" in {f.type for f in analyzer.analyze("matrícula M 1234 AB")}
