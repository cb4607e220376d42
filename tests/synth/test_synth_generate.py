"""Synthetic documents: exact labels, valid checksums, parseable phones, reproducibility."""

from __future__ import annotations

import io
import random
import re
from collections import Counter

import phonenumbers
import pytest
import stdnum.es.cif
import stdnum.es.dni
import stdnum.es.nie
import stdnum.iban
import stdnum.luhn
import stdnum.us.ssn
from hypothesis import given
from hypothesis import strategies as st

from resguardo.errors import InputError
from resguardo.synth import KINDS, LANGS, SynthDoc, generate, read_jsonl, write_jsonl
from resguardo.synth.builder import DocBuilder, V
from resguardo.synth.identifiers import card_number, es_nss, nss_is_valid

CORPUS = list(generate(700, seed=11))  # 50 documents of every kind in each language


def _values(doc_type: str) -> list[str]:
    return [d.text[lb.start : lb.end] for d in CORPUS for lb in d.labels if lb.type == doc_type]


def test_every_kind_and_language_is_generated() -> None:
    """A round-robin corpus covers every kind in every language evenly."""
    counts = Counter((d.kind, d.lang) for d in CORPUS)
    assert set(counts) == {(k, lang) for k in KINDS for lang in LANGS}
    assert set(counts.values()) == {50}


def test_labels_are_sorted_non_overlapping_and_trimmed() -> None:
    """Every label lies inside the text, labels never overlap, and no value has stray spaces."""
    for doc in CORPUS:
        previous_end = 0
        for lb in doc.labels:
            value = doc.text[lb.start : lb.end]
            assert lb.start >= previous_end
            assert value and value == value.strip()
            previous_end = lb.end


@given(st.lists(st.tuples(st.text(max_size=8), st.sampled_from([None, "PERSON", "EMAIL"])),
                max_size=12))
def test_builder_label_slices_equal_inserted_values(parts: list[tuple[str, str | None]]) -> None:
    """Whatever is appended, each label slices back exactly the value inserted."""
    builder = DocBuilder()
    inserted = []
    for text, type_ in parts:
        builder.add(V(text, type_))
        if type_ is not None and text:
            inserted.append((text, type_))
    out, labels = builder.build()
    assert [(out[lb.start : lb.end], lb.type) for lb in labels] == inserted


def test_builder_fmt_labels_placeholders_only() -> None:
    """Template literals stay unlabelled; typed placeholders are labelled where they land."""
    text, labels = DocBuilder().fmt("Hola {n}, pedido {o}.", n=V("Íñigo", "PERSON"),
                                    o=V("PED-1")).build()
    assert text == "Hola Íñigo, pedido PED-1."
    assert [(text[lb.start : lb.end], lb.type) for lb in labels] == [("Íñigo", "PERSON")]


@pytest.mark.parametrize(
    ("entity", "is_valid"),
    [
        ("ES_DNI", lambda v: stdnum.es.dni.is_valid(v.replace(".", "").upper())),
        ("ES_NIE", lambda v: stdnum.es.nie.is_valid(v.upper())),
        ("ES_CIF", stdnum.es.cif.is_valid),
        ("IBAN", lambda v: stdnum.iban.is_valid(v.replace("-", " "))),
        ("CREDIT_CARD", lambda v: stdnum.luhn.is_valid(re.sub(r"\D", "", v))),
        ("US_SSN", stdnum.us.ssn.is_valid),
        ("ES_NSS", nss_is_valid),
    ],
)
def test_generated_identifiers_have_valid_check_digits(entity: str, is_valid: object) -> None:
    """Every generated ID, IBAN and card validates with python-stdnum."""
    values = _values(entity)
    assert values, f"no {entity} generated"
    assert all(is_valid(v) for v in values), entity  # type: ignore[operator]


def test_formats_vary_for_dni_and_iban() -> None:
    """IDs and IBANs appear both compact and separated, as people type them."""
    dnis, ibans = _values("ES_DNI"), _values("IBAN")
    assert any("-" in v for v in dnis) and any(re.fullmatch(r"\d{8}[A-Z]", v) for v in dnis)
    assert any(" " in v for v in ibans) and any(" " not in v and "-" not in v for v in ibans)


def test_card_numbers_cover_brands_and_mastercard_2_series() -> None:
    """Cards include Mastercard 2-series, Amex (15 digits) and 19-digit numbers."""
    rng = random.Random(3)
    digits = [re.sub(r"\D", "", card_number(rng)) for _ in range(2000)]
    assert all(stdnum.luhn.is_valid(d) for d in digits)
    assert any(2221 <= int(d[:4]) <= 2720 for d in digits)
    assert {len(d) for d in digits} >= {15, 16, 19}


def test_nss_check_digits_follow_the_tgss_rule() -> None:
    """Generated NSS validate, and a changed digit breaks the check."""
    rng = random.Random(5)
    for _ in range(200):
        value = es_nss(rng)
        assert nss_is_valid(value)
        digits = re.sub(r"\D", "", value)
        wrong = f"{(int(digits[-2:]) + 1) % 97:02d}"
        assert not nss_is_valid(digits[:-2] + wrong)


def test_phones_parse_as_valid_numbers() -> None:
    """Every phone parses as a valid Spanish, UK or US number; Spanish formats vary."""
    phones = _values("PHONE")

    def valid(value: str) -> bool:
        for region in ("ES", "GB", "US"):
            try:
                if phonenumbers.is_valid_number(phonenumbers.parse(value, region)):
                    return True
            except phonenumbers.NumberParseException:
                continue
        return False

    assert all(valid(p) for p in phones)
    assert any(p.startswith("+34 ") for p in phones)
    assert any(p.startswith("0034 ") for p in phones)
    assert any(re.fullmatch(r"\d{3} \d{3} \d{3}", p) for p in phones)
    assert any(p.startswith(("+44", "+1")) for p in phones)


def test_names_include_accents_and_compound_surnames() -> None:
    """Person names carry accents, hyphenated or particle surnames."""
    names = _values("PERSON")
    assert any(re.search(r"[áéíóúñÁÉÍÓÚÑ]", n) for n in names)
    assert any("-" in n or " de " in f" {n} " for n in names)


def test_distractors_are_present_but_unlabelled() -> None:
    """Invoice numbers, order ids and amounts appear in the text without labels."""
    invoices = [d for d in CORPUS if d.kind == "invoice"]
    for doc in invoices[:20]:
        labelled = {doc.text[lb.start : lb.end] for lb in doc.labels}
        refs = re.findall(r"(?:FAC|INV)-\d{4}-\d+|PED-\d+|SKU-\d+-[A-Z]", doc.text)
        assert not labelled & set(refs)


def test_same_seed_same_output_and_prefix_stability() -> None:
    """The same seed reproduces the corpus; document i does not depend on n."""
    first = list(generate(30, seed=99))
    assert first == list(generate(30, seed=99))
    assert list(generate(10, seed=99)) == first[:10]
    assert first != list(generate(30, seed=100))


def test_kind_and_language_filters() -> None:
    """Only the requested kinds and languages are generated."""
    docs = list(generate(12, seed=1, kinds=["invoice", "email"], langs=["en"]))
    assert {d.kind for d in docs} == {"invoice", "email"}
    assert {d.lang for d in docs} == {"en"}


@pytest.mark.parametrize("kwargs", [{"kinds": ["tweet"]}, {"langs": ["fr"]}, {"kinds": []}])
def test_unknown_kind_or_language_is_rejected(kwargs: dict[str, list[str]]) -> None:
    """A typo in a kind or language is an input error, not an empty corpus."""
    with pytest.raises(InputError):
        list(generate(1, seed=1, **kwargs))  # type: ignore[arg-type]


def test_jsonl_round_trip(tmp_path: object) -> None:
    """Documents written as JSONL read back identical."""
    from pathlib import Path

    path = Path(str(tmp_path)) / "corpus.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        assert write_jsonl(CORPUS[:40], fh) == 40
    back: list[SynthDoc] = list(read_jsonl(path))
    assert back == CORPUS[:40]
    buf = io.StringIO()
    write_jsonl(CORPUS[:1], buf)
    assert '"text"' in buf.getvalue()
