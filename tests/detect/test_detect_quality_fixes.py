"""Known misses from the evaluation, pinned: typed values win over names, US formats, labels."""

from __future__ import annotations

import pytest

from resguardo.detect import Analyzer, Finding
from resguardo.detect._text import _fold_table, fold
from resguardo.detect.merge import resolve


def _spans(analyzer: Analyzer, text: str) -> list[tuple[str, str]]:
    return [(f.type, text[f.start : f.end]) for f in analyzer.analyze(text)]


FOUND = [
    # Typed values next to a labelled field are never absorbed by a PERSON span.
    ("Contacto directo: +34 941 755 561 / csantos@telefonica.net. Volver", "PHONE",
     "+34 941 755 561"),
    ("Contacto directo: +34 941 755 561 / csantos@telefonica.net. Volver", "EMAIL",
     "csantos@telefonica.net"),
    ("Contacto directo: 654944534 / lucia_rios@yahoo.es. Volver", "PHONE", "654944534"),
    # US formats: an SSN is not a phone; national phone formats in English text.
    ("Caller: Sure, it's 687-23-5406. Agent: Thanks.", "US_SSN", "687-23-5406"),
    ("Tax ID: 696-03-7546 Interest: boiler", "US_SSN", "696-03-7546"),
    ("Direct contact: (512) 946-8344 / jordan.choi@outlook.com.", "PHONE", "(512) 946-8344"),
    ("call me at 512-946-8344 tomorrow", "PHONE", "512-946-8344"),
    ("You can call me on 0161 126 4969 in the mornings.", "PHONE", "0161 126 4969"),
    ("Números: 612345678 699111222", "PHONE", "612345678"),
    ("Números: 612345678 699111222", "PHONE", "699111222"),
    # Names: a vocative after an interjection, self-introductions, particles after a title.
    ("Agente: Perfecto, Florencio, le enviamos un técnico", "PERSON", "Florencio"),
    ("Agent: Great, Jean, a technician will come", "PERSON", "Jean"),
    ("Hi, this is Mark from the sales team", "PERSON", "Mark"),
    ("olasjordan71@aol.com. Thanks, Nicholas.", "PERSON", "Nicholas"),
    ("Le atendió la Sra. de los Santos Bernat ayer", "PERSON", "de los Santos Bernat"),
    ("Remitido por: Anna Bujons Tur Calle Joaquim Folguera, 3 - 5", "PERSON",
     "Anna Bujons Tur"),
    ("Agente: Buenos días, le atiende Raúl, ¿en qué puedo ayudarle?", "PERSON", "Raúl"),
    ('{\n  "nombre": "Anastasia",\n  "apellidos": "Canet Ocaña"\n}', "PERSON", "Anastasia"),
    ('{\n  "nombre": "Anastasia",\n  "apellidos": "Canet Ocaña"\n}', "PERSON", "Canet Ocaña"),
    # Addresses: US street addresses with unit, town, state and ZIP.
    ("my new address is 960 Kaitlyn Club Apt. 195, Lake Robertport, NM 63887. The", "ADDRESS",
     "960 Kaitlyn Club Apt. 195, Lake Robertport, NM 63887"),
    ("living at 784 Martin Stream Suite 834, Wendytown, MA 17550. Outstanding", "ADDRESS",
     "784 Martin Stream Suite 834, Wendytown, MA 17550"),
    # Ages with a subject; labelled clinical identifiers.
    ("Informe clínico del paciente: varón de 53 años sin antecedentes", "AGE", "53 años"),
    ("Informe clínico del paciente: Paciente de 62 años de edad, consulta", "AGE",
     "62 años de edad"),
    ("Apellidos: Garcia Prieto. CIPA: 270058. NASS: 27 2226350 05.", "ID", "270058"),
    ("Apellidos: Mendez Gomez . CIPA: nhc-739146. NASS: 71 33043712 35.", "ID", "739146"),
    ("Médico:  NºCol: 28 28. Informe clínico", "ID", "28 28"),
    # Health lexicon additions.
    ("Me diagnosticaron tendinitis hace unos años", "HEALTH", "tendinitis"),
    ("I now take lisinopril every morning", "HEALTH", "lisinopril"),
    ("Presupuesto de endodoncia en la pieza 36", "HEALTH", "endodoncia"),
]


@pytest.mark.parametrize(("text", "kind", "value"), FOUND)
def test_known_miss_is_now_found(analyzer: Analyzer, text: str, kind: str, value: str) -> None:
    """Each value the evaluation reported missed is found whole with its type."""
    assert (kind, value) in _spans(analyzer, text)


NOT_FOUND = [
    ("Contacto directo: +34 941 755 561 / csantos@telefonica.net. Volver", "PERSON"),
    ("Caller: Sure, it's 687-23-5406. Agent: Thanks.", "PHONE"),
    ("Nombre: Dra", "PERSON"),
    ("La cita es con la Dra mañana", "PERSON"),
    ("Vive en Alameda de Santiago Palomares desde hace años", "PERSON"),
    ("Empresa: Inmobiliaria Costa Azul Ultimo pedido: PED-518288", "PERSON"),
    ("Empresa: Inmobiliaria Costa Azul Ultimo pedido: PED-518288", "ADDRESS"),
    ("Informe clínico del paciente: varón de 53 años sin antecedentes de interés", "PERSON"),
    ("Historia Actual: Paciente de 26 años que es remitido desde las consultas", "ID"),
    ("Historia Actual: Paciente de 26 años que es remitido desde las consultas", "PERSON"),
    ("Edad:  Sexo: H. Fecha de Ingreso: 15/03/2014", "AGE"),
    ("A los 3 meses de la intervención el paciente", "AGE"),
    ("dolorosas de aproximadamente 4 años de evolución tras traumatismo", "AGE"),
    ("sin cambios en la exploración c. En la revisión", "ADDRESS"),
    ("I was diagnosed with nothing serious", "HEALTH"),
]


@pytest.mark.parametrize(("text", "kind"), NOT_FOUND)
def test_known_false_positive_is_gone(analyzer: Analyzer, text: str, kind: str) -> None:
    """Each false positive the evaluation reported no longer produces that type."""
    assert kind not in {k for k, _ in _spans(analyzer, text)}


def test_person_span_is_split_around_typed_values() -> None:
    """A PERSON over an email keeps only its lettered pieces; the email stays whole."""
    text = "Juan Pérez jp@x.es Luis"
    person = Finding(0, len(text), "PERSON", 0.95)
    email = Finding(11, 18, "EMAIL", 0.9)
    assert resolve([person, email], text) == [
        Finding(0, 10, "PERSON", 0.95), email, Finding(19, 23, "PERSON", 0.95)
    ]


def test_split_person_piece_without_letters_is_dropped() -> None:
    """What is left of a name between two typed values, only punctuation, is no finding."""
    text = "+34 941 755 561 / a@b.es"
    found = resolve([Finding(0, len(text), "PERSON", 0.9), Finding(0, 15, "PHONE", 0.8),
                     Finding(18, 24, "EMAIL", 0.95)], text)
    assert [f.type for f in found] == ["PHONE", "EMAIL"]


def test_fast_fold_equals_the_character_table() -> None:
    """The byte-table fold gives exactly the per-character table's result, offsets kept."""
    alphabet = [chr(c) for c in range(32, 0x300)] + list("€…’“”—–œŒšŠžŽŸ")
    for i in range(0, len(alphabet), 40):
        chunk = "".join(alphabet[i : i + 40])
        assert fold(chunk) == chunk.translate(_fold_table())
        assert len(fold(chunk)) == len(chunk)
    emoji = "Ana 🙂 Pérez"  # outside cp1252: the slow path
    assert fold(emoji) == "ana 🙂 perez"


def test_scan_tokens_match_the_token_pattern() -> None:
    """The byte-table tokenizer gives the same tokens as the regex, and falls back cleanly."""
    import re

    from resguardo.detect._text import Scan

    pattern = re.compile(r"[^\W_]+")
    for text in ("Calle Mayor, 5 — 3º B; a_b «Pérez» 28013 Madrid…", "Ana 🙂 Castilla-La Mancha"):
        scan = Scan(text)
        assert scan.tokens == pattern.findall(scan.folded)
