"""Person names without a model: titles, salutations, self-introductions, signatures, name lists.

A run of capitalised words becomes a PERSON when something vouches for it: a trigger just
before it ("Sra.", "Hola", "me llamo", "Dear", "Nombre:"), a closing line above it
("Saludos,"), or the shipped given-name and surname lists. Sentence-initial capitals and
common words ("Hola", "Gracias", "Team") never count as names on their own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from resguardo.detect._text import Scan, is_sentence_start, load_set
from resguardo.detect.recognizer import ScanRecognizer
from resguardo.detect.types import Finding

__all__ = ["LOWER", "UPPER", "NameRecognizer"]

UPPER = "A-ZÁÉÍÓÚÑÜÇÀÈÌÒÙÄËÏÖÂÊÎÔÛ"
LOWER = "a-záéíóúñüçàèìòùäëïöâêîôûßã'’"
_CAP = (
    rf"(?:(?:[OD]['’]|Mc|Mac)?[{UPPER}][{LOWER}]{{1,24}}(?:-[{UPPER}][{LOWER}]{{1,24}})?"
    rf"|[{UPPER}]\.|Mª)"
)
_PARTICLE = r"(?:de|del|de la|de las|de los|y|i|van|von|der|da|das|do|dos|di|du|le|la|St\.)"
# The first word's capital is consumed first, so the engine jumps between capitals in C
# (a leading look-ahead or look-behind would be tried at every character); the rest of
# that word is _CAP with its first capital factored out.
_CAP_REST = (
    rf"(?:(?<=[OD])['’][{UPPER}][{LOWER}]{{1,24}}(?:-[{UPPER}][{LOWER}]{{1,24}})?"
    rf"|(?<=M)(?:c|ac)[{UPPER}][{LOWER}]{{1,24}}(?:-[{UPPER}][{LOWER}]{{1,24}})?"
    rf"|[{LOWER}]{{1,24}}(?:-[{UPPER}][{LOWER}]{{1,24}})?|\.|(?<=M)ª)"
)
_RUN = re.compile(
    rf"[{UPPER}](?<![\w.@/][{UPPER}]){_CAP_REST}"
    rf"(?:[ \t]{{1,3}}(?:{_PARTICLE}[ \t]{{1,3}})?(?:{_CAP})){{0,5}}(?![\w@])"
)

_TOKEN = re.compile(rf"{_CAP}")

# Titles and honorifics (folded): both a name trigger and a signature title.
_HONORIFICS = frozenset(
    [
        "sr", "sra", "srta", "sres", "d", "dna", "da", "d.a", "dr", "dra",
        "mr", "mrs", "ms", "miss", "mx", "prof", "profa", "lic", "ing",
    ]
)

# Words just before a run (folded) that vouch for what follows being a name.
_STRONG = _HONORIFICS | frozenset(
    [
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
        "atiende",  # "le atiende Raúl" (call-centre greeting)
        "speaking",
        # A vocative after an interjection: "Perfecto, Florencio," / "Great, Jean,".
        "perfecto",
        "perfecta",
        "vale",
        "genial",
        "claro",
        "gracias",
        "entendido",
        "great",
        "perfect",
        "thanks",
        "sure",
        "okay",
        "ok",
        "right",
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
# First words of streets and businesses: "Alameda de Santiago Palomares" and
# "Inmobiliaria Costa Azul" are capitalised runs of known names but no person.
_NOT_PERSON_HEAD = frozenset(
    (
        "calle", "avenida", "avda", "alameda", "plaza", "paseo", "camino", "carretera",
        "ronda", "travesia", "glorieta", "urbanizacion", "pasaje", "via", "rambla",
        "carrer", "passeig", "placa", "avinguda", "cuesta", "callejon", "poligono",
        "barrio", "street", "avenue", "road", "lane", "drive", "boulevard", "inmobiliaria",
        "clinica", "hospital", "centro", "farmacia", "talleres", "construcciones",
        "transportes", "distribuciones", "asesoria", "consultora", "consultoria",
        "gestoria", "grupo", "hotel", "hostal", "restaurante", "bar", "cafeteria",
        "panaderia", "academia", "colegio", "instituto", "universidad", "fundacion",
        "asociacion", "banco", "seguros", "autoescuela", "peluqueria", "ferreteria",
        "supermercados", "comercial", "industrias", "servicios", "soluciones",
        "laboratorios", "laboratorio", "residencia", "mutua", "editorial", "estudio",
        "agencia", "despacho", "bufete", "tienda", "cooperativa", "ayuntamiento", "juzgado",
        "tribunal", "ministerio", "consejeria",
    )
)
_TITLE_WORDS = frozenset({"dr", "dra", "sr", "sra", "srta", "mr", "mrs", "ms", "don", "dona"})
# "Sra. de los Santos Bernat": particles between a title and a capitalised surname.
_PARTICLE_TAIL = re.compile(r"(?:^|(?<=\s))(?:de|del|de la|de las|de los)[ \t]{1,3}$")
_PUNCT_CHARS = ':,;!¡¿?()"«» \t'
_PUNCT = str.maketrans(':,;!¡¿?()"«»', "            ")


_TITLES = _HONORIFICS | frozenset(
    [
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


_LAST_WORDS = frozenset(p.rsplit(" ", 1)[-1] for p in _STRONG | _WEAK)
_LAST_STRONG = frozenset(p.rsplit(" ", 1)[-1] for p in _STRONG)


def _trigger(before: str, *, strong_only: bool = False) -> str | None:
    """``"strong"``, ``"weak"`` or None, from the text just before a run.

    With ``strong_only`` (a word no name list knows, which only a strong trigger can
    vouch for), the common weak words ("de", "a", "y") are rejected by the fast path.
    """
    line = before.rstrip(" \t")
    if line.endswith(("\n", "\r")):
        previous = line.rstrip().rsplit("\n", 1)[-1]
        if any(p in _CLOSING for p in _tail_phrases(previous)):
            return "strong"
        return None
    # Fast path: every trigger phrase ends with a word of _LAST_WORDS (one set lookup).
    bare = line.rstrip(_PUNCT_CHARS)  # '"nombre": "' ends in punctuation, not a word
    tail = bare.rsplit(None, 1)[-1].translate(_PUNCT).split() if bare else []
    if not tail or tail[-1].rstrip(".") not in (_LAST_STRONG if strong_only else _LAST_WORDS):
        return None
    phrases = _tail_phrases(before.rsplit("\n", 1)[-1])
    if any(p in _STRONG for p in phrases):
        return "strong"
    if any(p in _WEAK for p in phrases):
        return "weak"
    return None


class NameRecognizer(ScanRecognizer):
    """PERSON findings from rules and the shipped name lists."""

    name: str = "names"
    types: tuple[str, ...] = ("PERSON",)
    max_length: int = 6 * 26 + 5 * 8

    def __init__(self) -> None:
        self._given = load_set("given_names.txt")
        self._surnames = load_set("surnames.txt")
        self._common = load_set("common_words.txt")

    def find_in(self, scan: Scan) -> Iterator[Finding]:
        """Every vouched-for name in the scanned text."""
        text, folded = scan.text, scan.folded
        judge, judge_one = self._judge, self._judge_one
        for run in _RUN.finditer(text):
            start, end = run.span()
            word = run.group()
            # Most runs are one word: judged without building token lists.
            if " " in word or "\t" in word:
                finding = judge(text, folded, run)
            else:
                finding = judge_one(text, folded, start, end)
            if finding is not None:
                yield finding

    def _judge(self, text: str, folded: str, run: re.Match[str]) -> Finding | None:
        word = run.group()
        base = run.start()
        tokens = [
            (base + t.start(), base + t.end(), folded[base + t.start() : base + t.end()])
            for t in _TOKEN.finditer(word)
        ]
        if tokens and tokens[0][2] in _NOT_PERSON_HEAD:
            return None  # a street or a business, not a person
        # Leading salutations and titles ("Hola", "Dear", "Sr") are triggers, not names.
        while tokens and (
            tokens[0][2] in self._common
            or tokens[0][2] in _TITLE_WORDS
            or (tokens[0][2].endswith(".") and len(tokens[0][2]) > 2)
        ):
            tokens.pop(0)
        while tokens and (tokens[-1][2] in self._common or tokens[-1][2].endswith(".")):
            tokens.pop()
        if not tokens:
            return None
        start, end = tokens[0][0], tokens[-1][1]
        before = folded[max(0, start - 40) : start]
        start, before = self._particles(folded, start, before)
        known = sum(1 for _, _, t in tokens if t in self._given or t in self._surnames)
        first_given = tokens[0][2] in self._given
        trigger = _trigger(before, strong_only=not known)
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

    @staticmethod
    def _particles(folded: str, start: int, before: str) -> tuple[int, str]:
        """Pull "de los" into a name when a title stands before it ("Sra. de los Santos")."""
        if not before.endswith(("de ", "del ", "la ", "las ", "los ")):
            return start, before  # the common case, decided without a regex
        m = _PARTICLE_TAIL.search(before)
        if m is None:
            return start, before
        head = before[: m.start()]
        words = head.translate(_PUNCT).split()
        if not words or words[-1].rstrip(".") not in _TITLES:
            return start, before
        new_start = start - (len(before) - m.start())
        return new_start, folded[max(0, new_start - 40) : new_start]

    def _judge_one(self, text: str, folded: str, start: int, end: int) -> Finding | None:
        """The common case, a single capitalised word, without building token lists."""
        word = folded[start:end]
        if word in self._common or word in _TITLE_WORDS or word.endswith("."):
            return None  # sentence openers, greetings, titles and initials
        given = word in self._given
        named = given or word in self._surnames
        before = folded[start - 40 if start > 40 else 0 : start]
        start, before = self._particles(folded, start, before)
        trigger = _trigger(before, strong_only=not named)
        if trigger == "strong":
            return Finding(start, end, "PERSON", 0.9, self.name)
        if trigger == "weak" and named:
            return Finding(start, end, "PERSON", 0.85, self.name)
        if given and not is_sentence_start(text, start):
            return Finding(start, end, "PERSON", 0.45, self.name)
        return None
