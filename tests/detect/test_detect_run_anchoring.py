"""Fast paths (digit-run anchoring, trie word patterns) find exactly what plain scans find."""

from __future__ import annotations

import random
import re
import string

import pytest

from resguardo.detect import dates, labels, location, numbers, patterns, phones
from resguardo.detect._text import Scan

# Digits (ASCII and not), separators, letters and ID-ish punctuation, densely mixed so
# runs touch each other, letters and separators in every way the patterns care about.
_ALPHABET = "0123456789" * 4 + "٣" + " -./_+()" * 2 + "AXYZSEPTBCDaxyz:" + "\n"
_ALPHABET += "º,T" + " mayo de enero sept. años years old y/o a. "


# Whole values that open before their digits, so the lead offsets are exercised.
_FRAGMENTS = ("X1234567L", "y-7654321", "B 1234567 A", "Z7654321 ", "+34 612 345 678",
              "(91) 123 45 67", "+(34) 699", "AB 1234 CD", "M-1234-ZX", "12.345.678",
              "1234 BCD", "3 de mayo de 2020", "70 años", "28001 Madrid")


def _texts(seed: str, count: int = 400) -> list[str]:
    rng = random.Random(seed)
    texts = ["".join(rng.choice(_FRAGMENTS) if rng.random() < 0.08 else rng.choice(_ALPHABET)
                     for _ in range(rng.randint(0, 60)))
             for _ in range(count)]
    # Trailing blanks keep the runs sparse, so run_matches takes its per-run path (dense
    # text falls back to finditer itself); both forms are compared.
    return texts + [t + " " * (24 * len(Scan(t).digit_runs) + 1) for t in texts]


@pytest.mark.parametrize("name", ["_NSS", "_SSN", "_CCC", "_CARD", "_SIX_START", "_RUN_START"])
def test_run_matches_equal_finditer_for_run_anchored_patterns(name: str) -> None:
    """Scan.run_matches gives the same spans as finditer for every digit-led pattern."""
    pattern: re.Pattern[str] = getattr(numbers, name)
    for text in _texts(name):
        got = [m.span() for m in Scan(text).run_matches(pattern)]
        assert got == [m.span() for m in pattern.finditer(text)], text


@pytest.mark.parametrize(("pattern", "lead", "openers"), [
    (numbers._ES_ID, 2, numbers._ES_ID_OPENERS), (phones._CANDIDATE, 2, "+("),
    (patterns._IPV4, 0, ""), (patterns._PLATE, 0, ""),
    (patterns._OLD_PLATE, 3, string.ascii_uppercase), (dates._DATE, 0, ""),
    (dates._AGE, 0, ""), (location._POSTCODE, 0, ""),
], ids=["es_id", "phone", "ipv4", "plate", "old_plate", "date", "age", "postcode"])
def test_run_matches_with_lead_equal_finditer(
    pattern: re.Pattern[str], lead: int, openers: str
) -> None:
    """Patterns that may open with a letter, "+" or "(" before the digits lose no match."""
    for text in _texts(pattern.pattern, 800):
        got = [m.span() for m in Scan(text).run_matches(pattern, lead, openers)]
        assert got == [m.span() for m in pattern.finditer(text)], text


def test_codice_fiscale_tails_equal_finditer() -> None:
    """The codice-fiscale tail is found at run ends exactly as a full scan finds it."""
    rng = random.Random(7)
    for _ in range(2000):
        text = "".join(rng.choice("0123456789ABHLMXZ -") for _ in range(rng.randint(0, 40)))
        runs = [r for r in Scan(text).digit_runs if r[1] - r[0] >= 2]
        got = [m.span() for m in numbers._cf_tails(text, runs)]
        assert got == [m.span() for m in numbers._CF_TAIL.finditer(text)], text


@pytest.mark.parametrize("words", [location._STREET_WORDS, location._HOSPITAL_WORDS,
                                   labels._ID_CUES, ("a", "ab", "abc", "b", "abd", "x.y")],
                         ids=["street", "hospital", "id_cues", "nested"])
def test_trie_alternation_matches_the_flat_longest_first_one(words: tuple[str, ...]) -> None:
    """The trie-shaped word pattern finds the same spans as the flat longest-first one."""
    flat = re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)))
    trie = location._alternation(words)
    rng = random.Random(len(words))
    chars = "".join(sorted(set("".join(words)))) + " x\n"
    samples = ["".join(rng.choice(words) if rng.random() < 0.3 else rng.choice(chars)
                       for _ in range(rng.randint(0, 30))) for _ in range(3000)]
    for text in samples:
        assert [m.span() for m in trie.finditer(text)] == [
            m.span() for m in flat.finditer(text)], text


def test_scan_digit_facts_equal_their_regex_definitions() -> None:
    """has_digit, digit_runs and max_run agree with plain regex scans, any script."""
    rng = random.Random(11)
    alphabet = "0123456789 ab.-_é€’²¹٣中\n"
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        scan = Scan(text)
        assert scan.has_digit == (re.search(r"\d", text) is not None), text
        assert scan.digit_runs == [m.span() for m in re.finditer(r"\d+", text)], text
        assert scan.max_run == max(map(len, re.findall(r"[0-9]+", text)), default=0), text
