"""``anonymize_path``: the copy keeps no personal value, stays consistent and valid."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import phonenumbers
import pytest
import stdnum.es.dni
import stdnum.iban
import stdnum.luhn
from anon_data import Customer, customers, write_export  # type: ignore[import-not-found]

from resguardo.anonymize import RunSecret, anonymize_path, normalize
from resguardo.detect import build_analyzer
from resguardo.detect.analyzer import Analyzer
from resguardo.errors import Conflict, InputError


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    """The real detector, built once."""
    return build_analyzer()


@pytest.fixture(scope="module")
def people() -> list[Customer]:
    """Twelve customers."""
    return customers(12)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, analyzer: Analyzer,
        people: list[Customer]) -> tuple[Path, Path, Any]:
    """One anonymization of the sample export: (input dir, output dir, summary)."""
    base = tmp_path_factory.mktemp("anon")
    src, out = base / "export", base / "safe"
    write_export(src, people)
    (src / "README.txt").write_text("notes about Ana", encoding="utf-8")
    summary = anonymize_path(src, out, analyzer, secret=RunSecret(b"s" * 32))
    return src, out, summary


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter=";"))


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def test_output_contains_none_of_the_input_values(run: tuple[Path, Path, Any],
                                                  people: list[Customer]) -> None:
    """No name, email, phone, DNI, IBAN or card of the input survives, in any layout."""
    _, out, _ = run
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(out.rglob("*")))
    digits_only = "".join(ch for ch in text if ch.isdigit())
    for c in people:
        for kind, value in c.values():
            assert value not in text, kind
            compact = "".join(ch for ch in value if ch.isalnum())
            if kind != "PERSON" and kind != "EMAIL":
                assert compact.upper() not in text.upper().replace(" ", "").replace("-", ""), kind
            if kind == "PHONE":
                assert compact[-9:] not in digits_only
        assert c.born.strftime("%d/%m/%Y") not in text


def test_detector_finds_no_input_value_in_output(run: tuple[Path, Path, Any],
                                                 people: list[Customer],
                                                 analyzer: Analyzer) -> None:
    """Everything the detector still sees in the copy is a surrogate, not an input value."""
    _, out, _ = run
    real = {(kind if kind != "ES_DNI" else "ES_DNI", normalize(kind, v))
            for c in people for kind, v in c.values()}
    real_norms = {n for _, n in real}
    seen = 0
    for path in sorted(out.rglob("*")):
        text = path.read_text(encoding="utf-8")
        for f in analyzer.analyze(text):
            seen += 1
            assert normalize(f.type, text[f.start:f.end]) not in real_norms, f.type
    assert seen > 50  # the copy is still realistic: it is full of (fake) personal data


def test_same_person_same_fake_across_rows_and_files(run: tuple[Path, Path, Any],
                                                     people: list[Customer]) -> None:
    """A repeated customer gets one fake name and email in the CSV and in the JSONL."""
    _, out, _ = run
    rows = _csv(out / "clientes.csv")
    tickets = _jsonl(out / "tickets.jsonl")
    first, repeat = rows[0], rows[-1]
    for column in ("nombre", "email", "telefono", "dni", "iban", "tarjeta", "fecha_nacimiento"):
        assert first[column] == repeat[column], column
    for i, ticket in enumerate(tickets):
        assert ticket["cliente"]["nombre"] == rows[i]["nombre"]
        assert ticket["cliente"]["email"] == rows[i]["email"]
        assert rows[i]["nombre"] in ticket["mensaje"]
        assert rows[i]["nombre"] in rows[i]["notas"]
    assert len({r["nombre"] for r in rows[:-1]}) == len(people)


def test_identifiers_keep_valid_checksums_and_layout(run: tuple[Path, Path, Any],
                                                     people: list[Customer]) -> None:
    """DNIs, IBANs, cards and phones are valid and shaped like the originals."""
    _, out, _ = run
    for c, row in zip(people, _csv(out / "clientes.csv"), strict=False):
        assert stdnum.es.dni.is_valid(row["dni"])
        assert stdnum.iban.is_valid(row["iban"])
        assert stdnum.luhn.is_valid(row["tarjeta"].replace(" ", "").replace("-", ""))
        assert phonenumbers.is_valid_number(phonenumbers.parse(row["telefono"], "ES"))
        for real, fake in ((c.dni, row["dni"]), (c.iban, row["iban"]), (c.card, row["tarjeta"]),
                           (c.phone, row["telefono"])):
            assert [ch.isalnum() for ch in real] == [ch.isalnum() for ch in fake]
        assert row["email"].rsplit("@", 1)[1] in ("example.com", "example.org", "example.net")


def test_dates_shift_by_one_offset_per_subject(run: tuple[Path, Path, Any],
                                               people: list[Customer]) -> None:
    """Birth and sign-up dates of one customer move by the same non-zero number of days."""
    _, out, _ = run
    offsets = []
    for c, row in zip(people, _csv(out / "clientes.csv"), strict=False):
        born = date(*reversed([int(x) for x in row["fecha_nacimiento"].split("/")]))
        signup = date.fromisoformat(row["fecha_alta"])
        shift = (born - c.born).days
        assert shift != 0
        assert (signup - c.signup).days == shift
        offsets.append(shift)
    assert len(set(offsets)) > 1  # per subject, not one offset for everybody


def test_per_run_shift_moves_every_date_alike(tmp_path: Path, analyzer: Analyzer,
                                              people: list[Customer]) -> None:
    """With shift_per_subject=False every date moves by the same offset."""
    write_export(tmp_path / "in", people[:4])
    anonymize_path(tmp_path / "in" / "clientes.csv", tmp_path / "out.csv", analyzer,
                   shift_per_subject=False)
    rows = _csv(tmp_path / "out.csv")
    shifts = {(date.fromisoformat(r["fecha_alta"]) - c.signup).days
              for c, r in zip(people[:4], rows, strict=False)}
    assert len(shifts) == 1 and 0 not in shifts


def test_summary_counts_types_and_never_values(run: tuple[Path, Path, Any],
                                               people: list[Customer]) -> None:
    """The summary counts files, records and replacements by type; it holds no value."""
    _, _, summary = run
    data = summary.to_dict()
    assert data["files"] == 2 and data["records"] == len(people) + 1 + 5
    assert data["skipped_files"] == 1
    for kind in ("PERSON", "EMAIL", "PHONE", "ES_DNI", "IBAN", "CREDIT_CARD"):
        assert data["replaced"].get(kind, 0) >= len(people), kind
    assert data["dates_shifted"] >= 2 * len(people)
    dumped = orjson.dumps(data).decode()
    for c in people:
        for _, value in c.values():
            assert value not in dumped


def test_unknown_files_are_not_copied(run: tuple[Path, Path, Any]) -> None:
    """Files of an unsupported format are skipped, never copied as they are."""
    _, out, _ = run
    assert sorted(p.name for p in out.rglob("*")) == ["clientes.csv", "tickets.jsonl"]


def test_each_run_uses_a_fresh_secret(tmp_path: Path, analyzer: Analyzer,
                                      people: list[Customer]) -> None:
    """Two runs map the same person to different fakes: the mapping is not reproducible."""
    write_export(tmp_path / "in", people[:3])
    src = tmp_path / "in" / "clientes.csv"
    anonymize_path(src, tmp_path / "a.csv", analyzer)
    anonymize_path(src, tmp_path / "b.csv", analyzer)
    a, b = _csv(tmp_path / "a.csv"), _csv(tmp_path / "b.csv")
    assert [r["nombre"] for r in a] != [r["nombre"] for r in b]
    assert [r["dni"] for r in a] != [r["dni"] for r in b]


def test_json_document_keeps_structure_and_number_types(tmp_path: Path,
                                                        analyzer: Analyzer) -> None:
    """A JSON array keeps keys and nesting; a phone stored as a number stays a number."""
    src = tmp_path / "leads.json"
    src.write_bytes(orjson.dumps([
        {"nombre": "Rocío Fernández Gil", "telefono": 612345678, "score": 7,
         "contacto": {"email": "rocio.fernandez@hotmail.es"}, "activo": True},
    ]))
    anonymize_path(src, tmp_path / "out.json", analyzer)
    out = orjson.loads((tmp_path / "out.json").read_bytes())
    lead = out[0]
    assert set(lead) == {"nombre", "telefono", "score", "contacto", "activo"}
    assert lead["score"] == 7 and lead["activo"] is True
    assert isinstance(lead["telefono"], int) and lead["telefono"] != 612345678
    assert lead["nombre"] != "Rocío Fernández Gil"
    assert lead["contacto"]["email"] != "rocio.fernandez@hotmail.es"


def test_refuses_to_overwrite_or_nest_output(tmp_path: Path, analyzer: Analyzer) -> None:
    """An existing output needs overwrite=True; the output may not sit inside the input."""
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.jsonl").write_text('{"email": "x.y@gmail.com"}\n', encoding="utf-8")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "a.jsonl").write_text("old", encoding="utf-8")
    with pytest.raises(Conflict):
        anonymize_path(src, tmp_path / "out", analyzer)
    anonymize_path(src, tmp_path / "out", analyzer, overwrite=True)
    assert "x.y@gmail.com" not in (tmp_path / "out" / "a.jsonl").read_text(encoding="utf-8")
    with pytest.raises(InputError):
        anonymize_path(src, src / "copy", analyzer)


def test_malformed_jsonl_names_the_line_not_the_content(tmp_path: Path,
                                                        analyzer: Analyzer) -> None:
    """A broken line fails with its number; the error never echoes the data."""
    src = tmp_path / "bad.jsonl"
    src.write_text('{"email": "a@b.es"}\n{"email": "secreto@b.es"\n', encoding="utf-8")
    with pytest.raises(InputError) as info:
        anonymize_path(src, tmp_path / "o.jsonl", analyzer)
    assert "line 2" in info.value.message and "secreto" not in info.value.message
    assert not (tmp_path / "o.jsonl").exists()
