"""Street addresses (es/en), postcodes with towns, towns and countries, hospitals."""

from __future__ import annotations

import re
from collections.abc import Iterator

from resguardo.detect._text import fold, load_lines
from resguardo.detect.names import LOWER, UPPER
from resguardo.detect.types import Finding

__all__ = ["AddressRecognizer", "PlaceRecognizer"]

_W = rf"[{UPPER}][{LOWER}{UPPER}ªº.'-]{{0,30}}"  # a capitalised word
_P = r"(?:de|del|de la|de las|de los|la|el|las|los|y|d'|l'|dels|i)"  # particles inside names
_TOWN = (
    rf"[{UPPER}][{LOWER}{UPPER}'-]{{1,30}}"
    rf"(?:[ ](?:{_P}[ ])?[{UPPER}][{LOWER}{UPPER}'-]{{1,30}}){{0,3}}"
)
_STREET_ES = (
    r"(?:[Cc]alle|[Cc]/|[Cc]\.|[Aa]vda\.?|[Aa]venida|Av\.|Plaza|Pza\.?|Pl\.|Paseo|P[ºo°]\.?|"
    r"Camino|Carretera|Ctra\.?|Ronda|Traves[ií]a|Glorieta|Urbanizaci[óo]n|Urb\.|Pasaje|"
    r"V[ií]a|Rambla|Carrer|Passeig|Pla[çc]a|Avinguda|Cuesta|Callej[óo]n|Pol[ií]gono|Pol\.|"
    r"Barrio|B[ºo]|Partida|R[úu]a|Costa|Carreró|Travessera|Camí|Apartado de [Cc]orreos|"
    r"Apdo\.?|Apartado|Camiño|Lugar|Bulevar|Parque|Prolongación|Alameda|Muelle)"
)
_NUMBER = (
    r"(?:,?[ ]{1,3}(?:n[º°o]\.?[ ]?|número[ ]|num\.[ ]?)?"
    r"(?:\d{1,4}[A-Za-z]?(?:[ ]?[-/][ ]?\d{1,4})?|s/n)\b)"
)
_EXTRA = (
    r"(?:,?[ ]{0,2}-?[ ]?(?:\d{1,2}\.?[ ]?[º°ª]\.?(?:[ ]?-?[A-Za-z]\b)?|\d{1,2}[ ]?(?:piso|planta)|"
    r"\d{1,2}[A-Za-z]?\b\.?(?:[ ]?[A-H]\b)?|iz(?:q|da)?\.?|der\.?|"
    r"(?:piso|planta|pl\.|esc(?:alera)?\.?|puerta|pta\.?|portal|bloque|blq\.?|local|apto\.?)"
    r"[ ]?\w{1,4}|bajo|bj\.?|entlo\.?|entresuelo|[aá]tico|izq(?:da|uierda)?\.?|dcha\.?|"
    r"derecha|dcho\.?|[A-H]\b)){0,4}"
)
_TAIL = rf"(?:,?[ ]{{1,3}}(?:\d{{5}}[ ,]{{1,3}})?{_TOWN}(?:[ ]?\({_TOWN}\))?(?:,[ ]?{_TOWN})?)?"
_WL = rf"[{UPPER}{LOWER}][{LOWER}{UPPER}ªº.'-]{{0,30}}"  # any word (lower-case street names)
_ADDRESS_ES = re.compile(
    rf"(?<![\w/]){_STREET_ES}[ ]{{0,3}}(?:{_P}[ ]){{0,2}}{_WL}(?:[ ](?:{_P}[ ]){{0,2}}{_WL}){{0,5}}"
    rf"(?P<num>{_NUMBER}{_EXTRA}(?P<tail>,?[ ]{{1,3}}\d{{5}}{_TAIL})?)?"
)
_STREET_EN = (
    r"(?:Street|St\.?|Avenue|Ave\.?|Road|Rd\.?|Lane|Ln\.?|Drive|Dr\.?|Boulevard|Blvd\.?|Court|"
    r"Ct\.?|Place|Pl\.?|Way|Terrace|Close|Crescent|Square|Sq\.?|Parkway|Pkwy\.?|Highway|Hwy\.?|"
    r"Gardens|Grove|Mews|Row|Walk)"
)
_POSTCODE_EN = r"(?:\d{5}(?:-\d{4})?|[A-Z]{1,2}\d[A-Z\d]?[ ]?\d[A-Z]{2})"
_ADDRESS_EN = re.compile(
    rf"(?<![\w-])\d{{1,5}}[A-Za-z]?,?[ ](?:[{UPPER}][{LOWER}]{{1,24}}[ ]){{1,4}}{_STREET_EN}\b"
    r"(?:,?[ ](?:Apt\.?|Apartment|Suite|Ste\.?|Unit|Flat|Floor|#)[ ]?#?\w{1,6})?"
    rf"(?:,[ ]{_TOWN}(?:,?[ ]{_POSTCODE_EN}(?![\w])|,[ ](?:[A-Z]{{2}}(?![\w])|{_TOWN})"
    rf"(?:,?[ ]{_POSTCODE_EN}(?![\w]))?)?)?"
)
_DIGIT = re.compile(r"\d")
# Street-type words: found with str.find (memchr-fast), then the full pattern is anchored
# there; a regex alternation scanning every position costs ten times more.
_STREET_WORDS = (
    "Calle", "calle", "C/", "c/", "C.", "Av", "av", "Pla", "Pza", "Pl.", "Pas", "Pº", "P°", "Po.",
    "Cam", "Carr", "Ctra", "Ronda", "Trav", "Glor", "Urb", "Vía", "Via", "Ramb", "Pol", "Barr",
    "Bº", "Part", "Rúa", "Rua", "Costa", "Apartado", "Apdo", "Bulevar", "Parque", "Prolong",
    "Alameda", "Muelle", "Cuesta", "Lugar",
)
_HOSPITAL_WORDS = (
    "Hospital", "Clínica", "Clinica", "Centro", "Complejo", "Complexo", "Policlínica",
    "Sanatorio", "Ambulatorio", "Consultorio", "Fundaci", "Instituto", "Residencia", "Mutua",
    "Clinic", "Medical", "Health",
)


def find_words(text: str, words: tuple[str, ...]) -> list[int]:
    """Sorted start offsets of ``words`` in ``text`` where no letter or digit precedes them."""
    out: set[int] = set()
    for word in words:
        i = text.find(word)
        while i != -1:
            if i == 0 or not text[i - 1].isalnum():
                out.add(i)
            i = text.find(word, i + 1)
    return sorted(out)


# Five digits (a Spanish postcode is 01000-52999, checked in code), optionally a town.
_POSTCODE = re.compile(rf"\d(?<![\w.,-]\d)\d{{4}}(?![\w,]|\.\d)(?P<town>[ ,]{{1,2}}{_TOWN})?")
_POSTCODE_LABEL = re.compile(
    r"(?i:\bc\.?\s?p\.?|c[óo]digo postal|postal code|post code|zip(?: code)?)\s?[:.]?\s{0,3}"
    r"(?P<v>\d{5}(?:-\d{4})?|[A-Z]{1,2}\d[A-Z\d]?[ ]?\d[A-Z]{2})\b"
)


class AddressRecognizer:
    """Street addresses with number, floor, door, postcode and town (es/en)."""

    name: str = "address"
    types: tuple[str, ...] = ("ADDRESS",)
    max_length: int = 200

    def find(self, text: str) -> Iterator[Finding]:
        """Every street address in ``text``."""
        digits = _DIGIT.search(text) is not None
        last_end = 0
        for cue in find_words(text, _STREET_WORDS):
            if cue < last_end:
                continue
            m = _ADDRESS_ES.match(text, cue)
            if m is None:
                continue
            last_end = m.end()
            end = m.end()
            if not m.group("num"):
                # Without a number, only the capitalised name counts ("Plaza Mayor"), not
                # the lower-case words that may follow it ("Plaza Mayor es bonita").
                words = list(_CAPITAL.finditer(text, m.start(), end))
                if len(words) < 2:
                    continue
                end = words[-1].end()
            while text[end - 1] in " ,.-":
                end -= 1
            # Above a title-triggered name (0.9) so "Calle del Dr. Esquerdo, 46" stays whole.
            score = 0.92 if m.group("num") else 0.55
            yield Finding(m.start(), end, "ADDRESS", score, self.name)
        if not digits:
            return
        for m in _ADDRESS_EN.finditer(text):
            yield Finding(m.start(), m.end(), "ADDRESS", 0.8, self.name)
        for m in _POSTCODE.finditer(text):
            if not "01000" <= m.group()[:5] <= "52999":
                continue
            start = m.start()
            if text[max(0, start - 2) : start] in ("E-", "E "):
                start -= 2
            if m.group("town"):
                yield Finding(start, m.end(), "ADDRESS", 0.6, self.name)
            # A bare 5-digit number is usually not a postcode: context words must lift it.
            yield Finding(start, m.start() + 5, "ADDRESS", 0.3, self.name)
        lowered = text.lower()
        if not any(c in lowered for c in ("cp", "c.p", "postal", "zip", "post code")):
            return
        for m in _POSTCODE_LABEL.finditer(text):
            yield Finding(m.start("v"), m.end("v"), "ADDRESS", 0.8, self.name)


_CAPITAL = re.compile(rf"[{UPPER}][\w'.-]*|[Cc]/")
_HOSPITAL = re.compile(
    r"(?<![\w])(?:Hospital|Hospitalario|Clínica|Clinica|Centro de Salud|Centro Médico|"
    r"Centro de Especialidades|Complejo Hospitalario|Policlínica|Sanatorio|Ambulatorio|"
    r"Consultorio|Fundación|Fundació|Instituto|Residencia|Mutua|Clinic|Medical Center|"
    r"Health Centre|Complexo Hospitalario|Complejo Asistencial|Hospital Universitari)"
    rf"(?:[ ]-?[ ]?(?:{_P}[ ]){{0,2}}\"?[{UPPER}][{LOWER}{UPPER}'.-]{{1,30}}\"?){{1,8}}"
)
_CAPWORD = re.compile(rf"(?<![\w])[{UPPER}][{LOWER}{UPPER}'.-]{{1,40}}")


class PlaceRecognizer:
    """Towns, provinces and countries (shipped gazetteer) and named health centres."""

    name: str = "place"
    types: tuple[str, ...] = ("LOCATION",)
    max_length: int = 160

    def __init__(self) -> None:
        # Index by folded first word so each capitalised word costs one dict lookup.
        self._index: dict[str, list[str]] = {}
        for place in load_lines("places.txt"):
            folded = fold(place)
            self._index.setdefault(folded.split()[0].split("-")[0], []).append(folded)
        for phrases in self._index.values():
            phrases.sort(key=len, reverse=True)

    def find(self, text: str) -> Iterator[Finding]:
        """Every known place and health centre in ``text``."""
        for m in _CAPWORD.finditer(text):
            key = fold(m.group()).rstrip(".").split("-")[0]
            phrases = self._index.get(key)
            if not phrases:
                continue
            start = m.start()
            for phrase in phrases:
                end = start + len(phrase)
                whole_word = end >= len(text) or not text[end].isalnum()
                if whole_word and fold(text[start:end]) == phrase:
                    # A town alone is a weak identifier: just over the threshold.
                    yield Finding(start, end, "LOCATION", 0.5, self.name)
                    break
        for start in find_words(text, _HOSPITAL_WORDS):
            centre = _HOSPITAL.match(text, start)
            if centre is None:
                continue
            # Over a name inside it ("Hospital Reina Sofía"): the whole centre is the entity.
            yield Finding(centre.start(), centre.end(), "LOCATION", 0.88, self.name)
