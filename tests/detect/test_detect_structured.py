"""Structured input: field names classify JSON values even without a pattern match."""

from __future__ import annotations

import pytest

from resguardo.detect import Analyzer, hint_type


@pytest.mark.parametrize(
    ("field", "kind"),
    [("email", "EMAIL"), ("correo_electronico", "EMAIL"), ("telefonoMovil", "PHONE"),
     ("dni", "ES_DNI"), ("nif", "ES_DNI"), ("iban", "IBAN"), ("nombre", "PERSON"),
     ("customer_name", "PERSON"), ("apellidos", "PERSON"), ("direccion", "ADDRESS"),
     ("fecha_nacimiento", "DATE_OF_BIRTH"), ("dob", "DATE_OF_BIRTH"), ("file_name", None),
     ("amount", None), ("fecha_factura", None)],
)
def test_field_names_map_to_types(field: str, kind: str | None) -> None:
    """Field names in es/en, snake or camel case, map to entity types."""
    assert hint_type(field) == kind


def test_json_values_are_classified_by_field(analyzer: Analyzer) -> None:
    """A name field is a PERSON even when no rule would fire on the value."""
    doc = {"cliente": {"nombre": "Xiomara", "apellidos": "Quintanilla Ybarra",
                       "telefono": 612345678, "email": "x@y.es",
                       "fecha_nacimiento": "1980-02-01", "notas": ["sin datos"]},
           "total": 120.5}
    found = {(path, f.type) for path, f in analyzer.analyze_json(doc)}
    assert (("cliente", "nombre"), "PERSON") in found
    assert (("cliente", "apellidos"), "PERSON") in found
    assert (("cliente", "telefono"), "PHONE") in found
    assert (("cliente", "email"), "EMAIL") in found
    assert (("cliente", "fecha_nacimiento"), "DATE_OF_BIRTH") in found
    assert not [p for p, _ in found if p[-1] == "total" or "notas" in p]


def test_deeply_nested_json_does_not_overflow(analyzer: Analyzer) -> None:
    """Nesting deeper than the recursion limit is walked iteratively."""
    doc: object = "ana@x.es"
    for _ in range(5000):
        doc = [doc]
    assert len(analyzer.analyze_json(doc)) == 1
