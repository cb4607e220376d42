"""Key lifecycle on SQLite and PostgreSQL: create, list, show, rotate, revoke."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from resguardo.auth.bundle import AuthServices
from resguardo.auth.principal import Scopes
from resguardo.auth.tables import ApiKeyRow
from resguardo.errors import Conflict, InputError, NotFound
from resguardo.testing import FrozenClock, MemoryAuditSink


async def test_created_key_is_stored_only_as_a_keyed_hash(auth: AuthServices) -> None:
    """The table never holds the secret; the key string is returned once."""
    issued = await auth.keys.create("leads", "live", name="n8n")
    secret = issued.token.rsplit("_", 1)[1]
    async with auth.keys.db.session() as session:
        row = (await session.scalars(select(ApiKeyRow))).one()
    assert issued.token.startswith(f"rsg_live_{row.key_id}_")
    assert secret not in row.secret_hash and len(row.secret_hash) == 64
    assert "token" not in repr(issued).replace("token=<hidden>", "")


async def test_listing_and_show_never_include_a_secret(auth: AuthServices) -> None:
    """List and show views carry metadata only."""
    issued = await auth.keys.create("leads", "test", scopes=Scopes(endpoints=("models",)))
    secret = issued.token.rsplit("_", 1)[1]
    listed = [k.to_dict() for k in await auth.keys.list_keys()]
    shown = (await auth.keys.show(issued.info.key_id)).to_dict()
    assert secret not in repr(listed) and secret not in repr(shown)
    assert shown["scopes"] == {"endpoints": ["models"]}


@pytest.mark.parametrize(("workflow", "env", "scopes", "code"), [
    ("nope", "live", Scopes(), "unknown_workflow"),
    ("voice", "test", Scopes(), "invalid_environment"),
    ("leads", "prod", Scopes(), "invalid_environment"),
    ("leads", "live", Scopes(endpoints=("embeddings",)), "scope_exceeds_workflow"),
    ("leads", "live", Scopes(categories=("special",)), "scope_exceeds_workflow"),
    ("leads", "live", Scopes(collections_write=("calls",)), "scope_exceeds_workflow"),
    ("voice", "live", Scopes(collections_write=("calls",)), "scope_exceeds_workflow"),
    ("voice", "live", Scopes(providers=("openai-eu",)), "scope_exceeds_workflow"),
    ("leads", "live", Scopes(models=("claude",)), "scope_exceeds_workflow"),
    ("leads", "live", Scopes(networks=("10.0.0.0/33",)), "invalid_scopes"),
])
async def test_scopes_may_only_narrow_the_workflow(
    auth: AuthServices, workflow: str, env: str, scopes: Scopes, code: str
) -> None:
    """A key can't name a workflow, environment or scope the policy doesn't grant."""
    with pytest.raises(InputError) as err:
        await auth.keys.create(workflow, env, scopes=scopes)
    assert err.value.code == code


async def test_rotation_keeps_the_key_id_and_sets_a_grace_period(
    auth: AuthServices, clock: FrozenClock
) -> None:
    """Rotate gives a new secret under the same id; the old one is valid until grace ends."""
    first = await auth.keys.create("leads", "live")
    second = await auth.keys.rotate(first.info.key_id, grace=timedelta(hours=2))
    assert second.info.key_id == first.info.key_id and second.token != first.token
    assert second.info.secret_version == 2
    assert second.info.previous_valid_until == clock.now() + timedelta(hours=2)


async def test_revoked_key_cannot_be_rotated_and_revoke_is_idempotent(
    auth: AuthServices
) -> None:
    """Revocation is final."""
    issued = await auth.keys.create("leads", "live")
    await auth.keys.revoke(issued.info.key_id)
    again = await auth.keys.revoke(issued.info.key_id)
    assert again.status == "revoked"
    with pytest.raises(Conflict):
        await auth.keys.rotate(issued.info.key_id)


async def test_unknown_key_id_is_not_found(auth: AuthServices) -> None:
    """Show, rotate and revoke of an unknown id are 404s."""
    for call in (auth.keys.show("x"), auth.keys.rotate("x"), auth.keys.revoke("x")):
        with pytest.raises(NotFound):
            await call


async def test_lifecycle_is_written_to_the_access_log_without_secrets(
    auth: AuthServices, sink: MemoryAuditSink
) -> None:
    """Create, rotate and revoke each leave an event naming the key id, never the secret."""
    issued = await auth.keys.create("leads", "live", actor="adm1")
    rotated = await auth.keys.rotate(issued.info.key_id, actor="adm1")
    await auth.keys.revoke(issued.info.key_id, actor="adm1")
    kinds = [e.kind for e in sink.events]
    assert kinds == ["key.created", "key.rotated", "key.revoked"]
    blob = repr(sink.events)
    assert issued.token not in blob and rotated.token not in blob
    assert all(e.actor == "adm1" and e.data["key_id"] == issued.info.key_id
               for e in sink.events)
