"""How each corpus's labels map to our entity types, and which of our types it can score."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["ECHR", "ENTITY_TYPES", "MEDDOCAN", "SCHEMAS", "SYNTH", "CorpusSchema"]

ENTITY_TYPES: tuple[str, ...] = (
    "PERSON", "EMAIL", "PHONE", "ES_DNI", "ES_NIE", "ES_CIF", "ES_NSS", "PASSPORT", "US_SSN",
    "NATIONAL_ID", "IBAN", "BANK_ACCOUNT", "CREDIT_CARD", "ADDRESS", "DATE_OF_BIRTH", "DATE",
    "AGE", "IP_ADDRESS", "LICENSE_PLATE", "SECRET", "HEALTH",
)

# The detector's LOCATION (a town, a country) is what these corpora file under places/addresses.
_PLACES = {"LOCATION": "ADDRESS"}
# Corpora that label any identifier with one coarse type get our ID family folded into "ID".
_ID_FAMILY = ("ES_DNI", "ES_NIE", "ES_NSS", "ES_CIF", "PASSPORT", "US_SSN", "NATIONAL_ID")


@dataclass(frozen=True)
class CorpusSchema:
    """Label mapping for one corpus.

    ``gold_map`` maps corpus labels to our types (``None``: not personal data we detect, so
    unscored). ``pred_alias`` folds our finer predicted types into the corpus's coarser ones.
    ``accepts`` lets a gold type be matched by other predicted types (a DATE finding on a date
    of birth is right). Predictions whose aliased type the corpus never labels are unscored.
    """

    name: str
    gold_map: Mapping[str, str | None]
    pred_alias: Mapping[str, str] = field(default_factory=dict)
    accepts: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    scored: tuple[str, ...] | None = None  # None: the mapped gold types

    def gold_type(self, label: str) -> str | None:
        """Our type for a corpus label; unknown labels are unscored."""
        return self.gold_map.get(label)

    def pred_type(self, entity_type: str) -> str:
        """A predicted type as this corpus would name it."""
        return self.pred_alias.get(entity_type, entity_type)

    def scored_types(self) -> tuple[str, ...]:
        """The types that get precision/recall rows."""
        if self.scored is not None:
            return self.scored
        return tuple(sorted({t for t in self.gold_map.values() if t is not None}))

    def compatible(self, pred_type: str, gold_type: str) -> bool:
        """Whether a prediction of ``pred_type`` (aliased) counts on a gold ``gold_type``."""
        return pred_type == gold_type or pred_type in self.accepts.get(gold_type, ())


MEDDOCAN = CorpusSchema(
    name="meddocan",
    gold_map={
        "NOMBRE_SUJETO_ASISTENCIA": "PERSON",
        "NOMBRE_PERSONAL_SANITARIO": "PERSON",
        "CALLE": "ADDRESS",
        "TERRITORIO": "ADDRESS",  # towns, provinces, postcodes
        "PAIS": "ADDRESS",
        "FECHAS": "DATE",
        "EDAD_SUJETO_ASISTENCIA": "AGE",
        "CORREO_ELECTRONICO": "EMAIL",
        "NUMERO_TELEFONO": "PHONE",
        "NUMERO_FAX": "PHONE",
        "ID_SUJETO_ASISTENCIA": "ID",  # medical record numbers
        "ID_ASEGURAMIENTO": "ID",  # social-security / insurance numbers
        "ID_CONTACTO_ASISTENCIAL": "ID",  # episode numbers
        "ID_TITULACION_PERSONAL_SANITARIO": "ID",  # practitioner licence numbers
        "ID_EMPLEO_PERSONAL_SANITARIO": "ID",
        # Not among our entity types: institutions, sex, relatives ("su madre"), jobs, other.
        "HOSPITAL": None,
        "INSTITUCION": None,
        "CENTRO_SALUD": None,
        "SEXO_SUJETO_ASISTENCIA": None,
        "FAMILIARES_SUJETO_ASISTENCIA": None,
        "PROFESION": None,
        "OTROS_SUJETO_ASISTENCIA": None,
    },
    pred_alias={**{t: "ID" for t in _ID_FAMILY}, "DATE_OF_BIRTH": "DATE", **_PLACES},
)

ECHR = CorpusSchema(
    name="echr",
    gold_map={
        "PER": "PERSON",
        "LEGAL_PROFESSIONAL": "PERSON",
        "LOC": "ADDRESS",
        "DATE": "DATE",
        "DATETIME": "DATE",
        "CODE": "ID",  # application numbers
        # Organisations, nationalities, quantities, currencies, misc.: not our entity types.
        "ORG": None,
        "MISC": None,
        "QUANTITY": None,
        "DEM": None,
        "NATIONALITY": None,
        "CURRENCY": None,
        "ETHNIC_CATEGORY": None,
        "TIME": None,
    },
    pred_alias={**{t: "ID" for t in _ID_FAMILY}, "DATE_OF_BIRTH": "DATE", **_PLACES},
)

SYNTH = CorpusSchema(
    name="synth",
    gold_map={t: t for t in ENTITY_TYPES},
    pred_alias=_PLACES,
    accepts={"DATE_OF_BIRTH": ("DATE",)},
    # Every type is scored: a DATE finding on a meeting date is a false positive here.
    scored=ENTITY_TYPES,
)

SCHEMAS: Mapping[str, CorpusSchema] = {"meddocan": MEDDOCAN, "echr": ECHR, "synth": SYNTH}
