"""Building blocks of ``anonymize``: date shifting, layouts, surrogates, the CLI."""

from __future__ import annotations

import random
from pathlib import Path

import orjson
import pytest
import stdnum.es.cif
import stdnum.es.nie
import stdnum.iban
import typer
from typer.testing import CliRunner

from resguardo.anonymize import RunSecret, SurrogateMaker
from resguardo.anonymize.dates import shift_dates
from resguardo.anonymize.identifiers import iban, relayout
from resguardo.cli.anonymize_cmd import anonymize


@pytest.mark.parametrize(("text", "days", "expected"), [
    ("12/03/1985", 10, "22/03/1985"),
    ("1/2/1990", -1, "31/1/1990"),
    ("2024-01-05T10:00:00Z", 30, "2024-02-04T10:00:00Z"),
    ("nació el 28 de febrero de 2000", 1, "nació el 29 de febrero de 2000"),
    ("Born March 3, 1985", 31, "Born April 3, 1985"),
    ("3 March 1985 and 04.05.1990", 1, "4 March 1985 and 05.05.1990"),
    ("31-12-99", 1, "01-01-00"),
])
def test_shift_dates_keeps_the_written_format(text: str, days: int, expected: str) -> None:
    """Dates move by the offset and keep their separators, padding and language."""
    assert shift_dates(text, days)[0] == expected


def test_shift_dates_leaves_non_dates_alone() -> None:
    """Invalid dates and plain numbers are not touched."""
    assert shift_dates("31/02/2020 y 12345", 5) == ("31/02/2020 y 12345", 0)


@pytest.mark.parametrize(("original", "new", "expected"), [
    ("12.345.678-z", "87654321X", "87.654.321-x"),
    ("ES91 2100 0418", "ES1234567890", "ES12 3456 7890"),
    ("abc", "ABCD", "ABCD"),
])
def test_relayout_pours_the_value_into_the_original_shape(original: str, new: str,
                                                          expected: str) -> None:
    """Separators and letter case come from the original; length mismatch gives compact."""
    assert relayout(original, new) == expected


@pytest.mark.parametrize("original", ["DE89 3704 0044 0532 0130 00", "NL91ABNA0417164300",
                                      "FR1420041010050500013M02606"])
def test_foreign_iban_surrogates_validate(original: str) -> None:
    """An IBAN of another country stays that country and validates."""
    fake = iban(original, random.Random(3))
    assert stdnum.iban.is_valid(fake) and fake[:2] == original[:2] and fake != original


def test_surrogates_are_consistent_per_value_and_case() -> None:
    """One value (in any case or spacing) → one fake, styled like the original."""
    maker = SurrogateMaker(RunSecret(b"k" * 32))
    a = maker.replace("PERSON", "Ana Pérez")
    assert maker.replace("PERSON", "ANA  PEREZ") == a.upper()
    assert maker.replace("ES_NIE", "X1234567L") == maker.replace("ES_NIE", "X1234567L")
    assert stdnum.es.nie.is_valid(maker.replace("ES_NIE", "X-1234567-L"))
    assert stdnum.es.cif.is_valid(maker.replace("ES_CIF", "B12345674"))
    assert maker.replace("IP_ADDRESS", "88.12.4.9").startswith(("192.0.2.", "198.51.100.",
                                                                  "203.0.113."))
    assert maker.replace("GENDER", "mujer") == "mujer"
    other = SurrogateMaker(RunSecret(b"j" * 32))
    assert other.replace("PERSON", "Ana Pérez") != a


def test_cli_prints_a_json_summary_without_values(tmp_path: Path) -> None:
    """``anonymize INPUT -o OUT --json`` writes the copy and a counts-only summary."""
    src = tmp_path / "leads.jsonl"
    src.write_text('{"nombre": "Rocío Fernández", "email": "rocio.f@gmail.com"}\n',
                   encoding="utf-8")
    app = typer.Typer()
    app.command()(anonymize)
    result = CliRunner().invoke(app, [str(src), "-o", str(tmp_path / "out.jsonl"), "--json"])
    assert result.exit_code == 0, result.output
    summary = orjson.loads(result.stdout)
    assert summary["records"] == 1 and summary["replaced"] == {"EMAIL": 1, "PERSON": 1}
    assert "Rocío" not in result.output and "rocio" not in result.output
    out = (tmp_path / "out.jsonl").read_text(encoding="utf-8")
    assert "Rocío" not in out and "rocio.f@gmail.com" not in out


def test_cli_reports_errors_by_code(tmp_path: Path) -> None:
    """A missing input exits with status 2 and a code, no traceback."""
    app = typer.Typer()
    app.command()(anonymize)
    result = CliRunner().invoke(app, [str(tmp_path / "nope.csv"), "-o", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "input_missing" in result.output
