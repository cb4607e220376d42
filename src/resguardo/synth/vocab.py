"""Business vocabulary: health terms (labelled) and distractors that look like data but are not
personal (invoice numbers, order ids, amounts, product codes, meeting dates, company names)."""

from __future__ import annotations

import random
from datetime import date, timedelta

__all__ = [
    "amount",
    "clinic",
    "company",
    "health_term",
    "invoice_number",
    "meeting_when",
    "order_id",
    "product",
    "product_code",
    "ticket_id",
]

_HEALTH: dict[str, dict[str, tuple[str, ...]]] = {
    "es": {
        "condition": (
            "diabetes tipo 2", "hipertensión", "asma", "migraña", "ansiedad", "depresión",
            "lumbalgia", "artrosis de rodilla", "hipotiroidismo", "fibromialgia", "EPOC",
            "insuficiencia renal", "alergia a la penicilina", "apnea del sueño",
            "colesterol alto", "tendinitis", "hernia discal", "psoriasis",
        ),
        "medication": (
            "metformina", "ibuprofeno", "omeprazol", "enalapril", "sintrom", "insulina",
            "levotiroxina", "sertralina", "paracetamol 1 g", "salbutamol",
        ),
        "procedure": (
            "resonancia magnética", "colonoscopia", "fisioterapia", "quimioterapia",
            "endodoncia", "cirugía de cataratas", "análisis de sangre", "ecografía abdominal",
        ),
    },
    "en": {
        "condition": (
            "type 2 diabetes", "hypertension", "asthma", "migraine", "anxiety", "depression",
            "lower back pain", "knee osteoarthritis", "hypothyroidism", "fibromyalgia", "COPD",
            "kidney failure", "penicillin allergy", "sleep apnea", "high cholesterol",
            "tendinitis", "herniated disc", "psoriasis",
        ),
        "medication": (
            "metformin", "ibuprofen", "omeprazole", "lisinopril", "warfarin", "insulin",
            "levothyroxine", "sertraline", "paracetamol", "salbutamol",
        ),
        "procedure": (
            "MRI scan", "colonoscopy", "physiotherapy", "chemotherapy", "root canal",
            "cataract surgery", "blood test", "abdominal ultrasound",
        ),
    },
}

_CLINICS = {
    "es": ("Clínica Dental Sonrisa", "Fisioterapia Salud Activa", "Centro Médico Alameda",
           "Policlínica San Rafael", "Clínica Oftalmológica Visión"),
    "en": ("Northwind Dental Care", "Summit Physio Clinic", "Riverside Medical Centre",
           "Oak Street Family Practice", "Clearview Eye Clinic"),
}

_COMPANIES = {
    "es": ("Distribuciones Levante S.L.", "Clínica Dental Sonrisa", "Reformas Atlántico S.L.",
           "Academia Idiomas Plus", "Fisioterapia Centro Salud Activa", "Talleres Autovía S.A.",
           "Inmobiliaria Costa Azul", "Gestoría Integral Norte", "Seguros Horizonte",
           "Energía Verde Solar S.L."),
    "en": ("Brightline Logistics Ltd", "Northwind Dental Care", "Acme Home Services",
           "Summit Physio Clinic", "Bluewave Solar Inc.", "Harbor Insurance Group",
           "Oakridge Realty", "Pinnacle Accounting LLP", "Metro Auto Repairs", "Clearview Optics"),
}

_PRODUCTS = {
    "es": ("Plan Fibra 600 Mb", "Mantenimiento caldera anual", "Pack 10 sesiones", "Seguro hogar",
           "Instalación placas solares", "Curso de inglés B2", "Limpieza dental", "Revisión ITV"),
    "en": ("Fibre 600 plan", "Annual boiler service", "10-session pack", "Home insurance",
           "Solar panel installation", "B2 English course", "Dental cleaning", "MOT check"),
}

_WEEKDAYS = {
    "es": ("lunes", "martes", "miércoles", "jueves", "viernes"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"),
}
_MONTHS = {
    "es": ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
           "septiembre", "octubre", "noviembre", "diciembre"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
}


def health_term(rng: random.Random, lang: str, kind: str = "condition") -> str:
    """A ``condition``, ``medication`` or ``procedure`` (special-category data about a person)."""
    return rng.choice(_HEALTH[lang][kind])


def clinic(rng: random.Random, lang: str) -> str:
    """A clinic's name."""
    return rng.choice(_CLINICS[lang])


def company(rng: random.Random, lang: str) -> str:
    """A business name that contains no person's name."""
    return rng.choice(_COMPANIES[lang])


def product(rng: random.Random, lang: str) -> str:
    """A product or service line."""
    return rng.choice(_PRODUCTS[lang])


def invoice_number(rng: random.Random, year: int) -> str:
    """An invoice number such as ``FAC-2025-00123`` or ``F2025/0456``."""
    seq = rng.randrange(1, 9999)
    return rng.choice((f"FAC-{year}-{seq:05d}", f"F{year}/{seq:04d}", f"INV-{year}-{seq:04d}",
                       f"{year}-{seq:06d}"))


def order_id(rng: random.Random) -> str:
    """An order reference such as ``PED-784512`` or ``#A-99812``."""
    return rng.choice((f"PED-{rng.randrange(100000, 999999)}", f"#A-{rng.randrange(10000, 99999)}",
                       f"ORD-{rng.randrange(1000, 9999)}-{rng.choice('ABCDEFGH')}",
                       f"{rng.randrange(40000000, 49999999)}"))


def ticket_id(rng: random.Random) -> str:
    """A support ticket reference."""
    return rng.choice((f"INC{rng.randrange(1000000, 9999999)}",
                       f"TCK-{rng.randrange(1000, 99999)}"))


def product_code(rng: random.Random) -> str:
    """A SKU or catalogue reference."""
    return rng.choice((f"SKU-{rng.randrange(1000, 9999)}-{rng.choice('ABCDXZ')}",
                       f"REF. {rng.randrange(10000, 99999)}",
                       f"P{rng.randrange(100, 999)}/{rng.randrange(10, 99)}"))


def amount(rng: random.Random, lang: str, low: float = 9, high: float = 4000) -> str:
    """A money amount in the locale's format: ``1.234,56 €`` or ``€1,234.56``."""
    value = round(rng.uniform(low, high), 2)
    units, cents = f"{value:,.2f}".split(".")
    if lang == "es":
        unit = "€" if rng.random() < 0.8 else "EUR"
        return f"{units.replace(',', '.')},{cents} {unit}"
    return f"€{units}.{cents}" if rng.random() < 0.6 else f"£{units}.{cents}"


def meeting_when(rng: random.Random, lang: str, today: date) -> str:
    """An upcoming appointment or meeting time (not personal data on its own)."""
    day = today + timedelta(days=rng.randrange(1, 40))
    if day.weekday() >= 5:  # business meetings fall on weekdays
        day += timedelta(days=7 - day.weekday())
    hour = f"{rng.randrange(8, 19)}:{rng.choice(('00', '15', '30', '45'))}"
    weekday = _WEEKDAYS[lang][day.weekday()]
    month = _MONTHS[lang][day.month - 1]
    if lang == "es":
        return rng.choice((f"el {weekday} {day.day} de {month} a las {hour}",
                           f"el {day.day:02d}/{day.month:02d} a las {hour}",
                           f"el próximo {weekday} a las {hour}"))
    return rng.choice((f"on {weekday}, {month} {day.day} at {hour}",
                       f"on {day.day} {month} at {hour}", f"next {weekday} at {hour}"))
