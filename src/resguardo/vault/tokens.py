"""Token maps: one value, one readable typed token, resolvable only in the scope that minted it.

A ``TokenMap`` belongs to one request (or one protect/restore session). Tokens look like
``[PERSON_1]`` and are numbered by first appearance across the whole request; the same value,
normalized for case, accents and spacing, always gets the same token. Restoration tolerates
what models do to tokens (dropped brackets, lower case, a space for the underscore, a
possessive) but only resolves tokens this map minted: anything else is left as it is.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

import orjson

__all__ = [
    "TOKEN_PATTERN",
    "SurrogateFactory",
    "TokenMap",
    "normalize_value",
    "token_cores",
]

# A token as a model may give it back: optional brackets, any case, "_" or " " before the
# number, an optional possessive. The number must not continue (PERSON_1 is not PERSON_12).
TOKEN_PATTERN = re.compile(
    r"(?:(?P<open>\[ ?)|(?<![A-Za-z0-9_\[]))"
    r"(?P<kind>[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z][A-Za-z0-9]*)*)[_ ]"
    r"(?P<num>\d{1,6})(?!\d)(?P<pos>['’]s)?(?P<close> ?\])?"
)

# Types whose values are identifiers: separators carry no meaning, so "612 34 56 78" and
# "612345678" are the same value and must share a token.
_COMPACT_TYPES = frozenset(
    {"PHONE", "ES_DNI", "ES_NIE", "ES_NSS", "ES_CIF", "IBAN", "CREDIT_CARD", "BANK_ACCOUNT",
     "US_SSN", "PASSPORT", "NATIONAL_ID", "LICENSE_PLATE"}
)
_SEPARATORS = re.compile(r"[\s\-.]+")


def normalize_value(value: str, entity_type: str = "") -> str:
    """The comparison key of a value: case-folded, accents stripped, spacing collapsed."""
    folded = unicodedata.normalize("NFKD", value)
    folded = "".join(c for c in folded if not unicodedata.combining(c)).casefold()
    if entity_type in _COMPACT_TYPES:
        return _SEPARATORS.sub("", folded)
    return " ".join(folded.split())


def token_cores(text: str) -> set[str]:
    """Token-like cores (``PERSON_1``) already present in a text, so minting can avoid them."""
    cores: set[str] = set()
    # Anchor on the rare "_7" / " 7" and look back for the kind: far cheaper than running
    # the full token grammar at every word of a long prompt.
    for m in _NUMBER_AFTER_WORD.finditer(text):
        kind = _KIND_BEFORE.search(text, max(0, m.start() - 48), m.start())
        if kind is not None:
            word = kind.group(0).upper()
            # Reserve every tail too: in "RuizPHONE_2" a token minted after a name would
            # restore the caller's literal "PHONE_2" (restoring tolerates a glued left side).
            for i, ch in enumerate(word):
                if ch.isalpha() and (i == 0 or word[i - 1] != "_"):
                    cores.add(f"{word[i:]}_{m.group(1)}")
    return cores


_NUMBER_AFTER_WORD = re.compile(r"(?<=[A-Za-z0-9])[_ ](\d{1,6})(?!\d)")
_KIND_BEFORE = re.compile(r"(?<![A-Za-z0-9_])[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z][A-Za-z0-9]*)*$")


@functools.lru_cache(maxsize=256)
def _kinds_pattern(kinds: frozenset[str]) -> re.Pattern[str]:
    # The token grammar narrowed to the kinds a map minted: literal alternatives are fast.
    alternatives = "|".join(re.escape(k) for k in sorted(kinds, key=len, reverse=True))
    return re.compile(
        rf"(?:(?P<open>\[ ?)|(?<![A-Za-z0-9_\[]))(?P<kind>{alternatives})[_ ]"
        r"(?P<num>\d{1,6})(?!\d)(?P<pos>['’]s)?(?P<close> ?\])?",
        re.IGNORECASE,
    )


class SurrogateFactory(Protocol):
    """Makes a realistic stand-in value for an entity type, or None to fall back to a token."""

    def surrogate(self, entity_type: str, value: str) -> str | None: ...


def _json_escape(value: str) -> str:
    return orjson.dumps(value).decode()[1:-1]


class TokenMap:
    """Values ↔ tokens for one scope; also counts replacements per entity type for the audit."""

    __slots__ = (
        "_by_core",
        "_by_key",
        "_counter",
        "_kinds",
        "_max_len",
        "_reserved",
        "_surrogate_re",
        "_surrogates",
        "counts",
        "surrogates",
    )

    def __init__(
        self,
        *,
        reserved: Iterable[str] = (),
        surrogates: SurrogateFactory | None = None,
    ) -> None:
        self._by_key: dict[str, str] = {}  # normalized value -> replacement
        self._by_core: dict[str, tuple[str, str]] = {}  # "PERSON_1" -> (value, type)
        self._surrogates: dict[str, str] = {}  # casefolded surrogate -> value
        self._surrogate_re: re.Pattern[str] | None = None
        self._counter = 0
        self._kinds: frozenset[str] = frozenset()
        self._max_len = 0
        # Token-like strings the caller sent itself: never mint them, or restoring the reply
        # would turn the caller's own literal text into someone's value.
        self._reserved = set(reserved)
        self.surrogates = surrogates
        self.counts: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._by_key)

    def __bool__(self) -> bool:
        return bool(self._by_key)

    def reserve(self, cores: Iterable[str]) -> None:
        """Keep these token cores out of minting (they occur literally in the input)."""
        self._reserved.update(cores)

    @property
    def max_replacement_length(self) -> int:
        """Length of the longest token or surrogate minted, for stream hold-back."""
        return self._max_len

    def replacement_for(self, value: str, entity_type: str) -> str:
        """The token (or surrogate) for a value, minting one on first sight."""
        self.counts[entity_type] = self.counts.get(entity_type, 0) + 1
        key = normalize_value(value, entity_type)
        found = self._by_key.get(key)
        if found is not None:
            return found
        replacement: str | None = None
        if self.surrogates is not None:
            replacement = self._mint_surrogate(value, entity_type)
        if replacement is None:
            replacement = self._mint_token(value, entity_type)
        self._by_key[key] = replacement
        self._max_len = max(self._max_len, len(replacement) + 4)
        return replacement

    def _mint_token(self, value: str, entity_type: str) -> str:
        kind = re.sub(r"[^A-Z0-9_]", "_", entity_type.upper()) or "VALUE"
        if not kind[0].isalpha():
            kind = "V" + kind
        while True:
            self._counter += 1
            core = f"{kind}_{self._counter}"
            if core not in self._reserved:
                break
        self._by_core[core] = (value, entity_type)
        if kind not in self._kinds:
            self._kinds = self._kinds | {kind}
        return f"[{core}]"

    def _mint_surrogate(self, value: str, entity_type: str) -> str | None:
        if self.surrogates is None:
            return None
        for _ in range(8):
            fake = self.surrogates.surrogate(entity_type, value)
            if fake is None:
                return None
            key = fake.casefold()
            # A surrogate must be unambiguous: not another surrogate, not a real value here.
            if key not in self._surrogates and normalize_value(fake) not in self._by_key:
                self._surrogates[key] = value
                self._surrogate_re = None
                return fake
        return None

    def value_of(self, core: str) -> str | None:
        """The value behind a token core such as ``PERSON_1``; None if not minted here."""
        entry = self._by_core.get(core.upper())
        return entry[0] if entry else None

    def entries(self) -> list[dict[str, str]]:
        """Token and type of every minted token, without values (safe to return or log)."""
        return [{"token": f"[{core}]", "type": t} for core, (_v, t) in self._by_core.items()]

    def is_replacement(self, text: str) -> bool:
        """True when ``text`` is one of this map's surrogates (so it is not new personal data)."""
        return text.casefold() in self._surrogates

    def restore(self, text: str, *, escape: bool = False) -> str:
        """Put the values back; ``escape`` JSON-escapes them (text inside a JSON string)."""
        if not self._by_key:
            return text
        if self._surrogates:
            return self._surrogate_regex().sub(lambda m: self._sub(m, escape), text)
        if not self._kinds:
            return text
        return _kinds_pattern(self._kinds).sub(lambda m: self._sub_token(m, escape), text)

    def _sub_token(self, m: re.Match[str], escape: bool) -> str:
        entry = self._by_core.get(f"{m.group('kind').upper()}_{m.group('num')}")
        if entry is None:
            return m.group(0)
        value = _json_escape(entry[0]) if escape else entry[0]
        return value + (m.group("pos") or "")

    def _sub(self, m: re.Match[str], escape: bool) -> str:
        if m.group("s") is not None:
            value = self._surrogates[m.group("s").casefold()]
            return _json_escape(value) if escape else value
        entry = self._by_core.get(f"{m.group('kind').upper()}_{m.group('num')}")
        if entry is None:
            return m.group(0)
        value = _json_escape(entry[0]) if escape else entry[0]
        return value + (m.group("pos") or "")

    def pattern(self) -> re.Pattern[str]:
        """The regex that finds this map's replacements (surrogates first, then tokens)."""
        if self._surrogates:
            return self._surrogate_regex()
        return _kinds_pattern(self._kinds) if self._kinds else TOKEN_PATTERN

    def _surrogate_regex(self) -> re.Pattern[str]:
        if self._surrogate_re is None:
            alternatives = "|".join(
                re.escape(s) for s in sorted(self._surrogates, key=len, reverse=True)
            )
            # Surrogates first (longest first), then the ordinary token grammar.
            self._surrogate_re = re.compile(
                rf"(?P<s>(?<!\w)(?:{alternatives})(?!\w))|{TOKEN_PATTERN.pattern}",
                re.IGNORECASE,
            )
        return self._surrogate_re

    def to_dict(self) -> dict[str, Any]:
        """A plain form for a persisted session (the store encrypts it)."""
        return {
            "by_key": self._by_key,
            "by_core": {k: list(v) for k, v in self._by_core.items()},
            "surrogates": self._surrogates,
            "counter": self._counter,
            "reserved": sorted(self._reserved),
        }

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], surrogates: SurrogateFactory | None = None
    ) -> TokenMap:
        """Rebuild a map persisted with ``to_dict``."""
        tmap = cls(reserved=data.get("reserved", ()), surrogates=surrogates)
        tmap._by_key = dict(data.get("by_key", {}))
        tmap._by_core = {k: (v[0], v[1]) for k, v in dict(data.get("by_core", {})).items()}
        tmap._surrogates = dict(data.get("surrogates", {}))
        tmap._counter = int(data.get("counter", 0))
        tmap._max_len = max((len(r) + 4 for r in tmap._by_key.values()), default=0)
        tmap._kinds = frozenset(core.rsplit("_", 1)[0] for core in tmap._by_core)
        return tmap
