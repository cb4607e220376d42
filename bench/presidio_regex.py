"""Presidio's AnalyzerEngine without a spaCy NER model (none can be downloaded here).

The NLP engine is spaCy's *blank* pipeline for each language: tokenization only, no NER,
no lemmatizer. Presidio's pattern recognizers (email, phone, cards, IBAN, IP, ES NIF/NIE, ...)
and its context enhancer run as usual; its SpacyRecognizer (PERSON, LOCATION, DATE_TIME from
NER) finds nothing. Needs the ``bench`` extra: ``pip install -e .[bench]``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any


def build_presidio(languages: tuple[str, ...] = ("en", "es")) -> Any:
    """A regex-only Presidio AnalyzerEngine for ``languages``."""
    import spacy
    import tldextract

    # Presidio's email validator calls tldextract.extract, which would try to download the
    # public suffix list at run time; use the snapshot shipped in the package instead.
    tldextract.extract = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NlpArtifacts, NlpEngine

    class BlankSpacyEngine(NlpEngine):  # type: ignore[misc]
        """Tokens from spaCy's blank pipelines; no entities."""

        def __init__(self) -> None:
            self.nlp = {lang: spacy.blank(lang) for lang in languages}

        def load(self) -> None:
            return None

        def is_loaded(self) -> bool:
            return True

        def get_supported_languages(self) -> list[str]:
            return list(languages)

        def get_supported_entities(self) -> list[str]:
            return []

        def process_text(self, text: str, language: str) -> Any:
            doc = self.nlp[language](text)
            return NlpArtifacts(
                entities=[], tokens=doc, tokens_indices=[t.idx for t in doc],
                lemmas=[t.lower_ for t in doc], nlp_engine=self, language=language,
            )

        def process_batch(
            self, texts: Iterable[str], language: str, batch_size: int = 1,
            n_process: int = 1, **kwargs: Any,
        ) -> Iterator[tuple[str, Any]]:
            for text in texts:
                yield text, self.process_text(text, language)

        def is_stopword(self, word: str, language: str) -> bool:
            return bool(self.nlp[language].vocab[word].is_stop)

        def is_punct(self, word: str, language: str) -> bool:
            return bool(self.nlp[language].vocab[word].is_punct)

    registry = RecognizerRegistry(supported_languages=list(languages))
    registry.load_predefined_recognizers(languages=list(languages))
    return AnalyzerEngine(
        nlp_engine=BlankSpacyEngine(), registry=registry, supported_languages=list(languages)
    )
