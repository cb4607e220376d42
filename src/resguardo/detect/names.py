"""Person names without a model: titles, salutations, self-introductions, signatures, name lists.

A run of capitalised words becomes a PERSON when something vouches for it: a trigger just
before it ("Sra.", "Hola", "me llamo", "Dear", "Nombre:"), a closing line above it
("Saludos,"), or the shipped given-name and surname lists. Sentence-initial capitals and
common words ("Hola", "Gracias", "Team") never count as names on their own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from resguardo.detect._text import fold, is_sentence_start, load_set
from resguardo.detect.types import Finding

__all__ = ["LOWER", "UPPER", "NameRecognizer"]

UPPER = "A-ZÁÉÍÓÚÑÜÇÀÈÌÒÙÄËÏÖÂÊÎÔÛ"
LOWER = "a-záéíóúñüçàèìòùäëïöâêîôûßã'’"
_CAP = (
    rf"(?:(?:[OD]['’]|Mc|Mac)?[{UPPER}][{LOWER}]{{1,24}}(?:-[{UPPER}][{LOWER}]{{1,24}})?"
    rf"|[{UPPER}]\.|Mª)"
)
_PARTICLE = r"(?:de|del|de la|de las|de los|y|i|van|von|der|da|das|do|dos|di|du|le|la|St\.)"
_RUN = re.compile(
    # The look-ahead lets the engine skip to capitals before trying the look-behind.
    rf"(?=[{UPPER}])(?<![\w.@/])(?:{_CAP})"
    rf"(?:[ \t]{{1,3}}(?:{_PARTICLE}[ \t]{{1,3}})?(?:{_CAP})){{0,5}}(?![\w@])"
)
_TOKEN = re.compile(rf"{_CAP}")

# Words just before a run (folded) that vouch for what follows being a name.
_STRONG = frozenset(
    [
        "sr",
        "sra",
        "srta",
        "sres",
        "d",
        "dna",
        "da",
        "d.a",
        "dr",
        "dra",
        "mr",
        "mrs",
        "ms",
        "miss",
        "mx",
        "prof",
        "profa",
        "lic",
        "ing",
        "hola",
        "buenas",
        "estimado",
        "estimada",
        "estimados",
        "estimadas",
        "querido",
        "querida",
        "queridos",
        "apreciado",
        "apreciada",
        "dear",
        "hi",
        "hello",
        "hey",
        "paciente",
        "patient",
        "medico",
        "medica",
        "doctor",
        "doctora",
        "enfermero",
        "enfermera",
        "firmado",
        "fdo",
        "att",
        "atte",
        "attn",
        "nombre",
        "apellidos",
        "apellido",
        "name",
        "surname",
        "titular",
        "madre",
        "padre",
        "esposa",
        "esposo",
        "marido",
        "hermano",
        "hermana",
        "hijo",
        "hija",
        "signed",
        "facultativo",
        "cirujano",
        "radiologo",
        "pediatra",
        "psiquiatra",
        "responsable",
        "solicitante",
        "firma",
    ]
) | frozenset(
    (
        "buenos dias",
        "buenas tardes",
        "buenas noches",
        "good morning",
        "good afternoon",
        "me llamo",
        "mi nombre es",
        "my name is",
        "remitido por",
        "de parte de",
        "a la atencion de",
        "full name",
        "nombre completo",
        "atendido por",
        "realizado por",
        "contact name",
        "nombre y apellidos",
    )
)
_WEAK = frozenset(
    [
        "soy",
        "i'm",
        "im",
        "habla",
        "con",
        "para",
        "to",
        "from",
        "call",
        "contact",
        "cc",
        "y",
        "and",
        "a",
        "de",
        "cliente",
        "customer",
    ]
) | frozenset(
    (
        "i am",
        "this is",
        "le habla",
        "llamar a",
        "contactar con",
        "hablar con",
        "speak to",
        "talk to",
        "el cliente",
        "la cliente",
        "the customer",
    )
)
_CLOSING = frozenset(
    [
        "saludos",
        "atentamente",
        "cordialmente",
        "regards",
        "best",
        "thanks",
        "cheers",
        "gracias",
        "sincerely",
        "yours",
        "firmado",
        "fdo",
    ]
) | frozenset(
    (
        "un saludo",
        "saludos cordiales",
        "best regards",
        "kind regards",
        "thank you",
        "muchas gracias",
        "un abrazo",
        "yours sincerely",
    )
)
_PUNCT = str.maketrans(':,;!¡¿?()"«»', "            ")


_TITLES = frozenset(
    [
        "sr",
        "sra",
        "srta",
        "sres",
        "d",
        "dna",
        "da",
        "d.a",
        "dr",
        "dra",
        "mr",
        "mrs",
        "ms",
        "miss",
        "mx",
        "prof",
        "profa",
        "lic",
        "ing",
        "fdo",
        "att",
        "atte",
        "attn",
    ]
)


def _tail_phrases(before: str) -> list[str]:
    """The last one, two and three words of ``before`` (folded, punctuation removed).

    A trailing full stop ends a sentence ("Buenos días. Ayer…"), except after a title.
    """
    words = before.translate(_PUNCT).split()[-3:]
    if words and words[-1].endswith("."):
        bare = words[-1].rstrip(".")
        return [bare] if bare in _TITLES else []
    return [" ".join(words[-n:]) for n in (1, 2, 3) if len(words) >= n]


def _trigger(before: str) -> str | None:
    """``"strong"``, ``"weak"`` or None, from the text just before a run."""
    line = before.rstrip(" \t")
    if line.endswith(("\n", "\r")):
        previous = line.rstrip().rsplit("\n", 1)[-1]
        if any(p in _CLOSING for p in _tail_phrases(previous)):
            return "strong"
        return None
    phrases = _tail_phrases(before.rsplit("\n", 1)[-1])
    if any(p in _STRONG for p in phrases):
        return "strong"
    if any(p in _WEAK for p in phrases):
        return "weak"
    return None


class NameRecognizer:
    """PERSON findings from rules and the shipped name lists."""

    name: str = "names"
    types: tuple[str, ...] = ("PERSON",)
    max_length: int = 6 * 26 + 5 * 8

    def __init__(self) -> None:
        self._given = load_set("given_names.txt")
        self._surnames = load_set("surnames.txt")
        self._common = load_set("common_words.txt")

    def find(self, text: str) -> Iterator[Finding]:
        """Every vouched-for name in ``text``."""
        for run in _RUN.finditer(text):
            finding = self._judge(text, run)
            if finding is not None:
                yield finding

    def _judge(self, text: str, run: re.Match[str]) -> Finding | None:
        word = run.group()
        if " " not in word and "\t" not in word:
            return self._judge_one(text, run.start(), run.end(), fold(word))
        base = run.start()
        tokens = [
            (base + t.start(), base + t.end(), fold(t.group()))
            for t in _TOKEN.finditer(run.group())
        ]
        # Leading salutations and titles ("Hola", "Dear", "Sr") are triggers, not names.
        while tokens and (
            tokens[0][2] in self._common or (tokens[0][2].endswith(".") and len(tokens[0][2]) > 2)
        ):
            tokens.pop(0)
        while tokens and (tokens[-1][2] in self._common or tokens[-1][2].endswith(".")):
            tokens.pop()
        if not tokens:
            return None
        start, end = tokens[0][0], tokens[-1][1]
        before = fold(text[max(0, start - 40) : start])
        known = sum(1 for _, _, t in tokens if t in self._given or t in self._surnames)
        first_given = tokens[0][2] in self._given
        trigger = _trigger(before)
        if trigger == "strong":
            return Finding(start, end, "PERSON", 0.9, self.name)
        if known and trigger == "weak":
            return Finding(start, end, "PERSON", 0.85, self.name)
        if is_sentence_start(text, start) and not first_given:
            # A capitalised sentence opener says nothing: judge the rest of the run.
            tokens.pop(0)
            if not tokens:
                return None
            start = tokens[0][0]
            known = sum(1 for _, _, t in tokens if t in self._given or t in self._surnames)
            first_given = tokens[0][2] in self._given
        if len(tokens) >= 2 and known >= 2:
            score = 0.85
        elif len(tokens) >= 2 and known and first_given:
            score = 0.75
        elif len(tokens) >= 2 and known:
            score = 0.5
        elif first_given and not is_sentence_start(text, start):
            score = 0.45  # a lone given name ("Rosa", "Victoria") needs context to count
        else:
            return None
        return Finding(start, end, "PERSON", score, self.name)

    def _judge_one(self, text: str, start: int, end: int, word: str) -> Finding | None:
        """The common case, a single capitalised word, without building token lists."""
        if word in self._common or word.endswith("."):
            return None  # sentence openers, greetings, titles and initials
        trigger = _trigger(fold(text[max(0, start - 40) : start]))
        if trigger == "strong":
            return Finding(start, end, "PERSON", 0.9, self.name)
        given = word in self._given
        if trigger == "weak" and (given or word in self._surnames):
            return Finding(start, end, "PERSON", 0.85, self.name)
        if given and not is_sentence_start(text, start):
            return Finding(start, end, "PERSON", 0.45, self.name)
        return None
