"""Field names as evidence: JSON keys and "Label: value" lines say what a value is.

The same table serves structured input (``hint=`` / ``analyze_json``) and free text
forms such as clinical report headers ("Nombre: …", "NHC: …", "Domicilio: …").
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from resguardo.detect._text import fold
from resguardo.detect.types import Finding

__all__ = ["HINTS", "IdLabelRecognizer", "LabelRecognizer", "hint_type"]

_HINT_WORDS: dict[str, tuple[str, ...]] = {
    "EMAIL": ("email", "e_mail", "mail", "correo", "correo_electronico", "emailaddress"),
    "PHONE": (
        "telefono",
        "tel",
        "tlf",
        "telf",
        "phone",
        "movil",
        "mobile",
        "celular",
        "fax",
        "whatsapp",
        "phonenumber",
        "telephone",
        "cell",
    ),
    "ES_DNI": ("dni", "nif", "dni_nif", "nif_dni", "documento", "documento_identidad"),
    "ES_NIE": ("nie",),
    "ES_CIF": ("cif",),
    "ES_NSS": ("nss", "naf", "nass", "seguridad_social", "num_ss", "numero_ss"),
    "US_SSN": ("ssn", "social_security", "social_security_number"),
    "PASSPORT": ("pasaporte", "passport", "passport_number"),
    "IBAN": ("iban",),
    "BANK_ACCOUNT": (
        "cuenta",
        "ccc",
        "account_number",
        "bank_account",
        "cuenta_bancaria",
        "numero_cuenta",
    ),
    "CREDIT_CARD": ("tarjeta", "card", "card_number", "credit_card", "numero_tarjeta", "pan"),
    "PERSON": (
        "nombre",
        "name",
        "apellidos",
        "apellido",
        "surname",
        "last_name",
        "lastname",
        "first_name",
        "firstname",
        "given_name",
        "full_name",
        "fullname",
        "nombre_completo",
        "contacto",
        "contact_name",
        "titular",
        "paciente",
        "patient",
        "medico",
        "doctor",
        "nombre_y_apellidos",
        "remitido_por",
        "firma",
        "responsable",
    ),
    "ADDRESS": (
        "direccion",
        "address",
        "domicilio",
        "calle",
        "street",
        "codigo_postal",
        "cp",
        "postcode",
        "postal_code",
        "zip",
        "zipcode",
        "street_address",
        "address_line",
    ),
    "LOCATION": (
        "ciudad",
        "city",
        "localidad",
        "poblacion",
        "municipio",
        "provincia",
        "pais",
        "country",
        "town",
        "nacionalidad",
        "nationality",
        "localidad_provincia",
        "lugar_de_nacimiento",
        "region",
        "state",
    ),
    "DATE_OF_BIRTH": (
        "fecha_nacimiento",
        "fecha_de_nacimiento",
        "nacimiento",
        "dob",
        "birth_date",
        "birthdate",
        "date_of_birth",
        "birthday",
        "f_nac",
        "fecha_nac",
    ),
    "AGE": ("edad", "age"),
    "IP_ADDRESS": ("ip", "ip_address", "ipaddress", "direccion_ip", "remote_addr"),
    "SECRET": (
        "password",
        "contrasena",
        "api_key",
        "apikey",
        "token",
        "secret",
        "clave",
        "access_token",
        "client_secret",
        "pwd",
    ),
    "GENDER": ("sexo", "sex", "genero", "gender"),
    "ID": (
        "nhc",
        "historia",
        "historia_clinica",
        "n_historia",
        "colegiado",
        "num_colegiado",
        "n_col",
        "ncol",
        "sip",
        "cip",
        "tsi",
        "customer_id",
        "id_cliente",
        "expediente",
        "mrn",
        "patient_id",
        "id_paciente",
        "numero_cliente",
        "user_id",
    ),
    "HEALTH": (
        "diagnostico",
        "diagnosis",
        "enfermedad",
        "condition",
        "medicacion",
        "medication",
        "alergias",
        "allergies",
        "tratamiento",
        "treatment",
        "sintomas",
        "symptoms",
    ),
}
HINTS: dict[str, str] = {word: t for t, words in _HINT_WORDS.items() for word in words}
_NOT_PERSONAL = frozenset(
    [
        "file",
        "filename",
        "host",
        "hostname",
        "company",
        "empresa",
        "product",
        "producto",
        "app",
        "model",
        "modelo",
        "project",
        "proyecto",
        "bucket",
        "table",
        "tabla",
        "column",
        "field",
        "campo",
        "event",
        "evento",
        "template",
        "plantilla",
    ]
)
_SPLIT = re.compile(r"[^a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def hint_type(field: str | None) -> str | None:
    """The entity type a field name suggests (``"telefono_movil"`` -> ``"PHONE"``), if any."""
    if not field:
        return None
    key = _SPLIT.sub("_", fold(_CAMEL.sub("_", field))).strip("_")
    if key in HINTS:
        return HINTS[key]
    parts = key.split("_")
    for n in (3, 2):  # multi-word keys first: "fecha_de_nacimiento" beats "fecha"
        for i in range(len(parts) - n + 1):
            joined = "_".join(parts[i : i + n])
            if joined in HINTS:
                return HINTS[joined]
    if _NOT_PERSONAL.intersection(parts):
        return None  # "file_name", "company_email" describe things, not people
    for part in parts:
        if part in HINTS and part not in ("id", "state", "region", "card", "cuenta"):
            return HINTS[part]
    return None


# A label is only looked for right before a colon: the text is never scanned word by word.
# The value runs to the line end or the next "Label:", whichever comes first.
_VALUE = re.compile(r"[ \t]{0,4}(?P<value>(?:(?![ \t]{1,3}[^\W\d_][\wºª/.]{0,20}:)[^\n]){1,120})")
# Where a value ends inside its line: a sentence stop (not an abbreviation), ";", "|".
_NEXT_LABEL = re.compile(
    r"(?<![A-Z])(?<!Av|Dr|Sr|Ap|Ed|Pl|Bl|Nº)(?<!Sto|Dra|Sra|Urb|Esc|Pza)(?<!Avda|Ctra|Apdo)\.(?:\s|$)|;|\s{3,}|\|"
)


class LabelRecognizer:
    """``Label: value`` at a line or sentence start, typed by the label (es/en)."""

    name: str = "label"
    types: tuple[str, ...] = tuple(_HINT_WORDS)
    max_length: int = 120

    def find(self, text: str) -> Iterator[Finding]:
        """Every labelled value in ``text`` whose label names a personal field."""
        colon = text.find(":")
        while colon != -1:
            finding = self._at(text, colon)
            if finding is not None:
                yield finding
            colon = text.find(":", colon + 1)

    def _at(self, text: str, colon: int) -> Finding | None:
        line_start = text.rfind("\n", max(0, colon - 80), colon) + 1
        # A label is at most four short words after the previous colon ("a:b:c" has none).
        words = text[max(line_start, colon - 80) : colon].rsplit(":", 1)[-1].split()[-4:]
        if not words or len(words[-1]) > 30 or not (words[-1][-1].isalpha()
                                                     or words[-1][-1] in "ºª./"):
            return None
        # The shortest label that names a field wins: "Paciente varón Edad:" is an age.
        kind = next(
            (k for n in range(1, len(words) + 1) if (k := hint_type(" ".join(words[-n:])))),
            None,
        )
        if kind is None or kind in ("SECRET", "HEALTH"):
            return None  # secrets and health have their own, stricter recognizers
        m = _VALUE.match(text, colon + 1)
        if m is None:
            return None
        value = m.group("value")
        cut = _NEXT_LABEL.search(value)
        if cut:
            value = value[: cut.start()]
        value = value.rstrip(" \t.,")
        stripped = value.lstrip()
        if not stripped or not any(c.isalnum() for c in stripped):
            return None
        start = m.start("value") + len(value) - len(stripped)
        return Finding(start, start + len(stripped), kind, 0.85, self.name)


_ID_LABEL = re.compile(
    r"(?i:\b(?P<label>NHC|N\.H\.C\.?|n[º°o]\.?\s?(?:de\s)?historia(?:\sclínica)?|historia clínica|"
    r"NASS|N\.?A\.?S\.?S\.?|NSS|NAF|"
    r"n[º°o]\.?\s?(?:de\s)?(?:la\s)?(?:SS|seguridad social|afiliación)|"
    r"n[º°o]\.?\s?col(?:egiado)?\.?|colegiado|CIP|SIP|TSI|MRN|patient id|customer id|id cliente|"
    r"n[º°o]\.?\s?(?:de\s)?cliente|expediente|pasaporte|passport|DNI|NIF|NIE|SSN)"
    r"\s{0,2}(?:n[º°o]\.?|number|no\.|núm\.?|número)?\s{0,2}[:.#]?\s{0,3})"
    r"(?P<v>[A-Z0-9](?:[A-Z0-9/.-]|\s(?=\d)){0,28}[A-Z0-9]|\d)(?![\w])"
)
_DIGIT = re.compile(r"\d")
# Every way an identifier label can begin (folded): where the label pattern is tried.
_ID_CUES = ("nhc", "n.h.c", "historia", "nass", "n.a.s", "nss", "naf", "nº", "n°", "no.", "no ",
            "colegiado", "cip", "sip", "tsi", "mrn", "patient id", "customer id", "id cliente",
            "expediente", "pasaporte", "passport", "dni", "nif", "nie", "ssn")
_ID_KIND = {
    "pasaporte": "PASSPORT",
    "passport": "PASSPORT",
    "dni": "ES_DNI",
    "nif": "ES_DNI",
    "nie": "ES_NIE",
    "ssn": "US_SSN",
}


class IdLabelRecognizer:
    """Identifiers named by a label: NHC, NASS, Nº colegiado, passport, customer id…"""

    name: str = "id_label"
    types: tuple[str, ...] = ("ID", "PASSPORT", "ES_DNI", "ES_NIE", "ES_NSS", "US_SSN")
    max_length: int = 64

    def find(self, text: str) -> Iterator[Finding]:
        """Every labelled identifier in ``text`` (the value must contain a digit)."""
        if not _DIGIT.search(text):
            return
        folded = fold(text)  # same length as text, so offsets carry over
        # Anchor the case-insensitive pattern at each label word instead of scanning
        # every position (an alternation of literals is slow in the re engine).
        starts: set[int] = set()
        for cue in _ID_CUES:
            i = folded.find(cue)
            while i != -1:
                if i == 0 or not folded[i - 1].isalnum():
                    starts.add(i)
                i = folded.find(cue, i + 1)
        last_end = 0
        for start in sorted(starts):
            if start < last_end:
                continue
            m = _ID_LABEL.match(text, start)
            if m is None:
                continue
            last_end = m.end()
            value = m.group("v")
            if not any(c.isdigit() for c in value):
                continue
            label = fold(m.group("label")).replace(".", "")
            kind = _ID_KIND.get(label)
            if kind is None:
                kind = "ES_NSS" if label.startswith(("nass", "nss", "naf")) else "ID"
            yield Finding(m.start("v"), m.end("v"), kind, 0.8, self.name)
