"""After an erasure no plaintext of the subject is left anywhere in the store's bytes."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import text

from resguardo.audit.log import DbAuditLog
from resguardo.auth.principal import Principal
from resguardo.rights.erasure import erase
from resguardo.rights.fulfil import export_subject, rectify_record
from resguardo.rights.requests import RightsConfig
from resguardo.store.db import Database
from resguardo.testing import FrozenClock
from resguardo.vault.identifiers import normalize_identifier
from resguardo.vault.testkit import memory_vault_stack
from resguardo.vault.wiring import db_audit_history

LEADS = Principal("key_leads", "lead-qualifier", "live")
VOICE = Principal("key_voice", "voice-agent", "live")
SEEDED = {
    "name": "Ana Zubizarreta Olaizola",
    "email": "ana.zubizarreta@ejemplo-clinica.es",
    "phone": "+34 655 432 198",
    "transcript": "Me duele la rodilla izquierda desde el partido de pádel",
    "dni": "73946128Q",
}
NEEDLES = [
    "Zubizarreta", "zubizarreta", "ZUBIZARRETA", "Olaizola", "ana.zubizarreta",
    "655432198", "655 432 198", "73946128Q", "rodilla izquierda", "pádel", "Ana Zubi",
]


async def _raw_bytes(database: Database) -> bytes:
    """Every byte the store holds: the SQLite file after a WAL checkpoint, or every PG column."""
    if database.is_sqlite:
        async with database.engine.connect() as conn:
            await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        path = Path(database.url.split("///", 1)[1])
        wal = path.with_name(path.name + "-wal")
        return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    chunks: list[bytes] = []
    async with database.engine.connect() as conn:
        columns = (await conn.execute(text(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = :schema AND data_type IN "
            "('text', 'character varying', 'bytea', 'json', 'jsonb', 'character')"
        ), {"schema": database.schema})).all()
        assert columns, "no columns found to scan"
        for table, column in columns:
            # Names come from information_schema of our own test schema, not from input.
            rows = await conn.execute(text(f'SELECT "{column}" FROM "{table}"'))  # noqa: S608
            for (value,) in rows:
                if value is None:
                    continue
                chunks.append(bytes(value) if isinstance(value, bytes | memoryview)
                              else str(value).encode())
    return b"\n".join(chunks)


def _found(blob: bytes, needles: list[str]) -> list[str]:
    return [n for n in needles if n.encode() in blob]


async def test_no_plaintext_of_an_erased_subject_is_left_in_the_store(
    database: Database, clock: FrozenClock
) -> None:
    """Seeded values never hit the disk, and the subject's blind indexes go with the erasure."""
    audit = DbAuditLog(database, clock)
    await audit.ensure_head()
    stack = await memory_vault_stack(
        database, clock, audit, audit_query=db_audit_history(database),
        rights=RightsConfig(blocking_period=timedelta(days=0)),
    )
    leads = await stack.vault.authorize(LEADS, "leads", "write")
    calls = await stack.vault.authorize(VOICE, "calls", "write")
    ids = {"email": SEEDED["email"], "phone": SEEDED["phone"], "national_id": SEEDED["dni"]}
    lead = await stack.vault.create(leads, ids, {"name": SEEDED["name"], "email": SEEDED["email"],
                                                 "phone": SEEDED["phone"]})
    for _ in range(3):
        await stack.vault.create(calls, {"phone": SEEDED["phone"]},
                                 {"transcript": SEEDED["transcript"]})
    await stack.vault.create(leads, {"email": "otro@example.es"}, {"name": "Otro Cliente"})
    blind = stack.vault.subjects.blinds({"email": SEEDED["email"]})[0][1]

    access = await stack.rights.open("access", "national_id", "73.946.128-q",
                                     environment="live", actor="admin:dpo")
    await stack.rights.verify(access.id, method="DNI checked at the desk", actor="admin:dpo")
    package = await export_subject(stack.rights, access.id, actor="admin:dpo")
    assert len(package.data["records"]) == 4 and package.data["audit_events"]
    rect = await stack.rights.open("rectification", "email", SEEDED["email"],
                                   environment="live", actor="admin:dpo")
    await stack.rights.verify(rect.id, method="DNI checked at the desk", actor="admin:dpo")
    await rectify_record(stack.rights, rect.id, record_id=lead.id,
                         fields={"name": SEEDED["name"] + " (corregido)"}, actor="admin:dpo")

    before = await _raw_bytes(database)
    assert blind.encode() in before  # the scan does see what the store keeps
    assert _found(before, NEEDLES) == []

    erasure = await stack.rights.open("erasure", "phone", "655432198",
                                      environment="live", actor="admin:dpo")
    await stack.rights.verify(erasure.id, method="DNI checked at the desk", actor="admin:dpo")
    done = await erase(stack.rights, erasure.id, actor="admin:dpo")
    assert (done.status, done.outcome) == ("completed", "erased")
    await audit.aclose()

    after = await _raw_bytes(database)
    assert _found(after, NEEDLES) == []
    normalized = [normalize_identifier(k, v)[1] for k, v in ids.items()]
    assert _found(after, normalized) == []
    assert blind.encode() not in after
    assert b"Otro Cliente" not in after  # the other subject's data is encrypted too
