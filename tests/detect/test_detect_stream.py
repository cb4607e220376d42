"""Streaming: a value split across chunks is found whole and never half-released."""

from __future__ import annotations

import pytest

from resguardo.detect import Analyzer, Finding

SAMPLES = [
    "Escribe a ana.garcia@example.com o llama al 612 345 678 por favor.",
    "Mi IBAN es ES91 2100 0418 4502 0005 1332 y mi DNI 12345678Z, gracias.",
    "Dear Mr. John Smith, your card 4111 1111 1111 1111 was charged.",
    "Vive en Calle Mayor 5, 3º B, 28013 Madrid desde 2019.",
    "token: sk-abcdefghijklmnopqrstuvwxyz0123456789 end",
]


def _stream(analyzer: Analyzer, chunks: list[str]) -> tuple[str, list[Finding]]:
    scanner = analyzer.stream()
    text, found = "", []
    for chunk in chunks:
        out, f = scanner.feed(chunk)
        text += out
        found += f
    out, f = scanner.flush()
    return text + out, found + f


@pytest.mark.parametrize("text", SAMPLES)
def test_every_cut_of_every_entity_gives_the_same_findings(analyzer: Analyzer,
                                                           text: str) -> None:
    """Cutting the text in two at any offset changes nothing."""
    expected = [(f.start, f.end, f.type) for f in analyzer.analyze(text)]
    assert expected
    for cut in range(1, len(text)):
        released, found = _stream(analyzer, [text[:cut], text[cut:]])
        assert released == text
        assert [(f.start, f.end, f.type) for f in found] == expected, cut


def test_nothing_of_an_entity_is_released_before_it_is_complete(analyzer: Analyzer) -> None:
    """Feeding one character at a time never releases part of an email."""
    text = "hola " * 80 + "contacto: ana.garcia@example.com fin"
    scanner = analyzer.stream()
    released = ""
    for ch in text:
        out, _ = scanner.feed(ch)
        released += out
        start = text.find("ana.garcia")
        if len(released) > start:
            assert len(released) >= text.find(" fin")


def test_pem_key_is_held_until_it_ends(analyzer: Analyzer) -> None:
    """An unterminated private key is not released, however long it grows."""
    body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n" * 60
    text = "x " * 10 + "-----BEGIN PRIVATE KEY-----\n" + body + "-----END PRIVATE KEY-----\nok"
    released, found = _stream(analyzer, [text[i : i + 50] for i in range(0, len(text), 50)])
    assert released == text
    secrets = [f for f in found if f.type == "SECRET"]
    assert secrets and text[secrets[0].start :].startswith("-----BEGIN")
    assert text[: secrets[0].end].endswith("-----END PRIVATE KEY-----")


def test_ten_megabytes_stream_with_bounded_buffer(analyzer: Analyzer) -> None:
    """A 10 MB text streams through with a buffer bounded by chunk + holdback."""
    block = ("lorem ipsum dolor sit amet, pedido enviado sin incidencias. " * 16)[:1000]
    block += " Contacto ana@x.es.\n"
    scanner = analyzer.stream()
    total, emails = 0, 0
    chunk = block * 64  # ~65 KB chunks
    for _ in range(10 * 1024 * 1024 // len(chunk) + 1):
        out, found = scanner.feed(chunk)
        total += len(out)
        emails += sum(f.type == "EMAIL" for f in found)
        assert len(scanner._buffer) <= len(chunk) + analyzer.max_entity_length
    out, found = scanner.flush()
    total += len(out)
    emails += sum(f.type == "EMAIL" for f in found)
    assert total >= 10 * 1024 * 1024
    assert emails == total // len(block)
