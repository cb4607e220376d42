"""Field names as evidence: JSON keys and "Label: value" lines say what a value is.

The same table serves structured input (``hint=`` / ``analyze_json``) and free text
forms such as clinical report headers ("Nombre: …", "NHC: …", "Domicilio: …").
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from resguardo.detect._text import Scan, fold
from resguardo.detect.location import find_words
from resguardo.detect.names import UPPER
from resguardo.detect.recognizer import ScanRecognizer
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
    return _hint_from_parts(_parts(field))


def _parts(field: str) -> list[str]:
    """The folded alphanumeric parts of a field name ("fechaNacimiento" -> fecha, nacimiento)."""
    return [p for p in _SPLIT.split(fold(_CAMEL.sub("_", field))) if p]


def _hint_from_parts(parts: list[str]) -> str | None:
    """``hint_type`` on a field name already split into parts."""
    if not parts:
        return None
    key = "_".join(parts)
    if key in HINTS:
        return HINTS[key]
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
# Where a value ends inside its line: a sentence stop (not an abbreviation), ";", "|".
_NEXT_LABEL = re.compile(
    r"(?<![A-Z])(?<!Av|Dr|Sr|Ap|Ed|Pl|Bl|Nº)(?<!Sto|Dra|Sra|Urb|Esc|Pza)(?<!Avda|Ctra|Apdo)\.(?:\s|$)|;|\s{3,}|\|"
)


# Every part of every hint key: a label none of whose words is one of these names no field,
# so most colons (times, URLs, prose) are rejected with one set lookup per word.
_HINT_PARTS = frozenset(part for key in HINTS for part in key.split("_"))


class LabelRecognizer(ScanRecognizer):
    """``Label: value`` at a line or sentence start, typed by the label (es/en)."""

    name: str = "label"
    types: tuple[str, ...] = tuple(_HINT_WORDS)
    max_length: int = 120

    def find_in(self, scan: Scan) -> Iterator[Finding]:
        """Every labelled value in the scanned text whose label names a personal field."""
        text = scan.text
        # Labels repeat within a text ("Agente:", "Cliente:" on every line of a call):
        # each distinct label is typed once per call. Nothing outlives the call, so no
        # text from one request stays in memory.
        kinds: dict[str, str | None] = {}
        colon = text.find(":")
        while colon != -1:
            finding = self._at(text, colon, kinds)
            if finding is not None:
                yield finding
            colon = text.find(":", colon + 1)

    def _at(self, text: str, colon: int, kinds: dict[str, str | None]) -> Finding | None:
        prev = text[colon - 1] if colon else " "
        if not (prev.isalpha() or prev in "ºª./" or prev.isspace()):
            return None  # "18:00", '"key":' and the like, decided before any slicing
        line_start = text.rfind("\n", max(0, colon - 80), colon) + 1
        # A label is at most four short words after the previous colon ("a:b:c" has none).
        words = text[max(line_start, colon - 80) : colon].rsplit(":", 1)[-1].split()[-4:]
        if not words or len(words[-1]) > 30 or not (words[-1][-1].isalpha()
                                                     or words[-1][-1] in "ºª./"):
            return None
        label = " ".join(words)
        if label in kinds:
            kind = kinds[label]
        else:
            kinds[label] = kind = _label_kind(words)
        if kind is None or kind in ("SECRET", "HEALTH"):
            return None  # secrets and health have their own, stricter recognizers
        span = _value_span(text, colon)
        if span is None:
            return None
        value_start, value_end = span
        value = text[value_start:value_end]
        cut = _NEXT_LABEL.search(value)
        if cut:
            value = value[: cut.start()]
        value = value.rstrip(" \t.,")
        stripped = value.lstrip()
        if not stripped or _ALNUM.search(stripped) is None:
            return None
        start = value_start + len(value) - len(stripped)
        if kind == "PERSON":
            length = _name_length(stripped)
            if not length:
                return None
            return Finding(start, start + length, kind, 0.85, self.name)
        if not _plausible(kind, stripped):
            return None
        return Finding(start, start + len(stripped), kind, 0.85, self.name)


# A labelled name: up to six capitalised words or initials, particles between them.
_NAME_VALUE = re.compile(
    rf"(?:[{UPPER}][\w'’.-]*|[{UPPER}]\.)"
    rf"(?:[ \t]{{1,3}}(?:(?:de|del|la|las|los|y|i|van|von|da|do|dos|e)[ \t]{{1,3}}){{0,2}}"
    rf"(?:[{UPPER}][\w'’.-]*|[{UPPER}]\.)){{0,5}}"
)
_NUMERIC_KINDS = frozenset({
    "PHONE", "ES_DNI", "ES_NIE", "ES_CIF", "ES_NSS", "US_SSN", "PASSPORT", "IBAN",
    "BANK_ACCOUNT", "CREDIT_CARD", "ID", "AGE", "IP_ADDRESS",
})


_TITLE_ONLY = frozenset({"dr", "dra", "sr", "sra", "srta", "d", "dna", "mr", "mrs", "ms", "don"})
_STREETISH = frozenset({"calle", "avda", "avenida", "plaza", "paseo", "c", "pza", "ctra", "street"})


def _name_length(value: str) -> int:
    """Length of the name that opens a labelled PERSON value, 0 if it is not a name.

    "Anna Bujons Tur Calle Joaquim Folguera, 3" keeps "Anna Bujons Tur"; one word
    followed by more text ("El paciente refiere…") is a sentence, not a name.
    """
    m = _NAME_VALUE.match(value)
    if m is None:
        return 0
    tokens = list(_NONSPACE.finditer(m.group()))
    keep = len(tokens)
    for i, token in enumerate(tokens):
        if i > 0 and fold(token.group()).rstrip(".") in _STREETISH:
            keep = i
            break
    tokens = tokens[:keep]
    if not tokens or all(fold(t.group()).rstrip(".") in _TITLE_ONLY for t in tokens):
        return 0
    end = tokens[-1].end()
    rest = value[end:].strip()
    if len(tokens) == 1 and rest and rest[0].isalpha():
        return 0
    return end


_NONSPACE = re.compile(r"\S+")
_ALNUM = re.compile(r"[^\W_]")


_NEXT_FIELD = re.compile(r"[ \t]{1,3}[^\W\d_][\wºª/.]{0,20}:")


def _value_span(text: str, colon: int) -> tuple[int, int] | None:
    """Where the value after a label's colon lies: to the line end, the next "Label:" or
    120 characters; one search, not a look-ahead tried at every character."""
    start = colon + 1
    limit = min(len(text), start + 4)
    while start < limit and text[start] in " \t":
        start += 1
    if start >= len(text) or text[start] == "\n":
        return None
    newline = text.find("\n", start, start + 120)
    end = newline if newline != -1 else min(len(text), start + 120)
    nxt = _NEXT_FIELD.search(text, start, end + 26)
    if nxt is not None and nxt.start() < end:
        end = nxt.start()
    return (start, end) if end > start else None


def _label_kind(words: list[str]) -> str | None:
    """The entity type the words before a colon name, if any."""
    # Each word is split into parts once; every suffix of the label reuses them.
    word_parts = [_parts(w) for w in words]
    if all(_HINT_PARTS.isdisjoint(p) for p in word_parts):
        return None
    # The shortest label that names a field wins: "Paciente varón Edad:" is an age.
    parts: list[str] = []
    for wp in reversed(word_parts):
        parts = wp + parts
        kind = _hint_from_parts(parts)
        if kind is not None:
            return kind
    return None


def _plausible(kind: str, value: str) -> bool:
    """Whether a labelled value has the shape of its type, not of a sentence.

    "Historia Actual: Paciente de 26 años…" is prose after a word that happens to be a
    field name; "Médico: NºCol: 28 28" is another label, not a doctor's name.
    """
    if kind in _NUMERIC_KINDS:
        return len(value) <= 40 and value.count(" ") <= 5 and _DIGIT.search(value) is not None
    if kind == "EMAIL":
        return "@" in value
    return True


_ID_LABEL = re.compile(
    r"(?i:\b(?P<label>NHC|N\.H\.C\.?|n[º°o]\.?\s?(?:de\s)?historia(?:\sclínica)?|historia clínica|"
    r"NASS|N\.?A\.?S\.?S\.?|NSS|NAF|"
    r"n[º°o]\.?\s?(?:de\s)?(?:la\s)?(?:SS|seguridad social|afiliación)|"
    r"n[º°o]\.?\s?col(?:egiado)?\.?|colegiado|CIPA|CIP|SIP|TSI|MRN|patient id|customer id|"
    r"id cliente|"
    r"n[º°o]\.?\s?(?:de\s)?cliente|expediente|pasaporte|passport|DNI|NIF|NIE|SSN)"
    r"\s{0,2}(?:n[º°o]\.?|number|no\.|núm\.?|número)?\s{0,2}[:.#]?\s{0,3})(?i:nhc[-\s]?)?"
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


class IdLabelRecognizer(ScanRecognizer):
    """Identifiers named by a label: NHC, NASS, Nº colegiado, passport, customer id…"""

    name: str = "id_label"
    types: tuple[str, ...] = ("ID", "PASSPORT", "ES_DNI", "ES_NIE", "ES_NSS", "US_SSN")
    max_length: int = 64

    def find_in(self, scan: Scan) -> Iterator[Finding]:
        """Every labelled identifier in the scanned text (the value must contain a digit)."""
        if not scan.has_digit:
            return
        text, folded = scan.text, scan.folded  # same length, so offsets carry over
        # Anchor the case-insensitive pattern at each label word instead of scanning
        # every position (an alternation of literals is slow in the re engine).
        last_end = 0
        for start in find_words(folded, _ID_CUES):
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
