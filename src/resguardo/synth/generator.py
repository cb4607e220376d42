"""``generate``: a reproducible stream of labelled synthetic documents."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterator, Sequence
from datetime import date, timedelta

from faker import Faker

from resguardo.errors import InputError
from resguardo.synth import kinds_messages, kinds_records
from resguardo.synth.builder import DocBuilder
from resguardo.synth.context import Ctx
from resguardo.synth.model import SynthDoc

__all__ = ["KINDS", "LANGS", "generate"]

Template = Callable[[Ctx, DocBuilder], None]

_TEMPLATES: dict[str, Template] = {
    "email": kinds_messages.customer_email,
    "transcript": kinds_messages.transcript,
    "crm_contact": kinds_records.crm_contact,
    "crm_note": kinds_messages.crm_note,
    "lead_form": kinds_records.lead_form,
    "invoice": kinds_records.invoice,
    "appointment": kinds_messages.appointment,
}
KINDS: tuple[str, ...] = tuple(_TEMPLATES)
LANGS: tuple[str, ...] = ("es", "en")
_LOCALES = {"es": "es_ES", "en": "en_US"}
# A fixed reference day, so the same seed yields the same ages and dates on any day it runs.
_BASE_DAY = date(2026, 1, 15)


def _doc_seed(seed: int, index: int) -> int:
    # Derived per document (not a running stream) so document i is the same whatever n is.
    digest = hashlib.blake2b(f"{seed}:{index}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def _check(values: Sequence[str], allowed: Sequence[str], what: str) -> tuple[str, ...]:
    unknown = sorted(set(values) - set(allowed))
    if unknown or not values:
        raise InputError(
            f"Unknown or empty {what}; choose from: {', '.join(allowed)}.",
            details={what: unknown},
        )
    return tuple(values)


def generate(
    n: int,
    *,
    seed: int,
    kinds: Sequence[str] | None = None,
    langs: Sequence[str] = LANGS,
) -> Iterator[SynthDoc]:
    """Yield ``n`` documents cycling through ``langs`` and ``kinds``; same seed, same output."""
    if n < 0:
        raise InputError("The number of documents cannot be negative.")
    kind_list = _check(kinds if kinds is not None else KINDS, KINDS, "kinds")
    lang_list = _check(langs, LANGS, "langs")
    fakers = {lang: Faker(_LOCALES[lang]) for lang in lang_list}
    for index in range(n):
        lang = lang_list[index % len(lang_list)]
        kind = kind_list[(index // len(lang_list)) % len(kind_list)]
        doc_seed = _doc_seed(seed, index)
        fake = fakers[lang]
        fake.seed_instance(doc_seed)
        rng = random.Random(doc_seed)  # noqa: S311 - reproducible test data, not secrets
        today = _BASE_DAY + timedelta(days=rng.randrange(0, 365))
        builder = DocBuilder()
        _TEMPLATES[kind](Ctx(fake=fake, rng=rng, lang=lang, today=today), builder)
        text, labels = builder.build()
        yield SynthDoc(
            id=f"{kind}-{lang}-{seed}-{index:06d}", kind=kind, lang=lang, text=text, labels=labels
        )
