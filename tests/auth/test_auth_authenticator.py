"""KeyAuthenticator: every failure mode, caching that still honours revocation at once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from resguardo.auth.bundle import AuthServices
from resguardo.auth.principal import Scopes
from resguardo.auth.tables import ApiKeyRow
from resguardo.errors import AuthError, Forbidden, Unauthenticated
from resguardo.policy.schema import Policy
from resguardo.store.db import Database
from resguardo.testing import FrozenClock, MemoryAuditSink

MakeAuth = Callable[..., AuthServices]



async def _code(auth: AuthServices, bearer: str | None, ip: str | None = "10.0.0.5") -> str:
    with pytest.raises(AuthError) as err:
        await auth.authenticator.authenticate(bearer, ip)
    return err.value.code


async def test_valid_key_yields_its_principal(auth: AuthServices) -> None:
    """A good key becomes workflow + environment + scopes."""
    issued = await auth.keys.create("leads", "live", scopes=Scopes(endpoints=("models",)))
    principal = await auth.authenticator.authenticate(f"Bearer {issued.token}", "10.0.0.5")
    assert (principal.key_id, principal.workflow_id, principal.environment) == (
        issued.info.key_id, "leads", "live")
    assert principal.scopes.endpoints == ("models",)


async def test_missing_malformed_and_wrong_keys_are_401(auth: AuthServices) -> None:
    """No key, a malformed one, a wrong secret and an unknown id each get a clear code."""
    issued = await auth.keys.create("leads", "live")
    wrong = issued.token[:-4] + ("aaaa" if not issued.token.endswith("aaaa") else "bbbb")
    unknown = "rsg_live_" + "a" * 16 + "_" + issued.token.rsplit("_", 1)[1]
    assert await _code(auth, None) == "missing_credentials"
    assert await _code(auth, "Bearer ") == "missing_credentials"
    assert await _code(auth, "sk-proj-123") == "malformed_key"
    assert await _code(auth, wrong) == "invalid_key"
    assert await _code(auth, unknown) == "invalid_key"
    # The environment prefix is part of the credential.
    assert await _code(auth, issued.token.replace("rsg_live_", "rsg_test_")) == "invalid_key"


async def test_revocation_takes_effect_on_the_next_request_despite_the_cache(
    auth: AuthServices,
) -> None:
    """A cached key fails on the very next request after revoke."""
    issued = await auth.keys.create("leads", "live")
    await auth.authenticator.authenticate(issued.token, None)  # now cached
    await auth.keys.revoke(issued.info.key_id)
    assert await _code(auth, issued.token) == "key_revoked"


async def test_rotation_grace_then_only_the_new_secret(auth: AuthServices,
                                                       clock: FrozenClock) -> None:
    """Old and new secrets both work during the grace period; the old one fails after."""
    old = await auth.keys.create("leads", "live")
    await auth.authenticator.authenticate(old.token, None)
    new = await auth.keys.rotate(old.info.key_id, grace=timedelta(minutes=10))
    assert (await auth.authenticator.authenticate(old.token, None)).key_id == old.info.key_id
    assert (await auth.authenticator.authenticate(new.token, None)).key_id == old.info.key_id
    clock.advance(timedelta(minutes=10))
    assert await _code(auth, old.token) == "invalid_key"
    await auth.authenticator.authenticate(new.token, None)


async def test_rotation_without_grace_kills_the_old_secret_at_once(auth: AuthServices) -> None:
    """grace=0 means the old secret stops on the next request."""
    old = await auth.keys.create("leads", "live")
    await auth.authenticator.authenticate(old.token, None)
    await auth.keys.rotate(old.info.key_id, grace=timedelta(0))
    assert await _code(auth, old.token) == "invalid_key"


async def test_expired_key_is_refused(auth: AuthServices, clock: FrozenClock) -> None:
    """A key past its expiry is 401 key_expired."""
    issued = await auth.keys.create("leads", "live", expires_at=clock.now() + timedelta(days=1))
    await auth.authenticator.authenticate(issued.token, None)
    clock.advance(timedelta(days=1))
    assert await _code(auth, issued.token) == "key_expired"


async def test_wrong_environment_is_403(database: Database, policy: Policy,
                                        make_auth: MakeAuth) -> None:
    """A test key at a live-only deployment is refused."""
    live_only = make_auth(database, policy, environments=("live",))
    issued = await live_only.keys.create("leads", "test")
    with pytest.raises(Forbidden) as err:
        await live_only.authenticator.authenticate(issued.token, None)
    assert err.value.code == "wrong_environment"


async def test_source_networks_are_enforced(auth: AuthServices) -> None:
    """Outside the key's CIDRs (or with no address) is 403 source_not_allowed."""
    issued = await auth.keys.create("leads", "live",
                                    scopes=Scopes(networks=("10.0.0.0/8", "2001:db8::/32")))
    await auth.authenticator.authenticate(issued.token, "10.1.2.3")
    await auth.authenticator.authenticate(issued.token, "2001:db8::1")
    assert await _code(auth, issued.token, "192.168.1.1") == "source_not_allowed"
    assert await _code(auth, issued.token, None) == "source_not_allowed"


async def test_workflow_removed_from_policy_is_403(database: Database, policy: Policy,
                                                   make_auth: MakeAuth) -> None:
    """A key whose workflow the policy no longer declares stops working."""
    issued = await make_auth(database, policy).keys.create("voice", "live")
    shrunk = policy.model_copy(update={"workflows": policy.workflows[:1]})
    with pytest.raises(Forbidden) as err:
        await make_auth(database, shrunk).authenticator.authenticate(issued.token, None)
    assert err.value.code == "workflow_unknown"


async def test_last_used_is_batched_not_written_per_request(auth: AuthServices,
                                                            clock: FrozenClock) -> None:
    """Requests only note the time; flush writes it once."""
    issued = await auth.keys.create("leads", "live")
    for _ in range(5):
        await auth.authenticator.authenticate(issued.token, None)
    assert (await auth.keys.show(issued.info.key_id)).last_used_at is None
    await auth.authenticator.flush()
    assert (await auth.keys.show(issued.info.key_id)).last_used_at == clock.now()


async def test_every_outcome_is_logged_without_the_secret(auth: AuthServices,
                                                          sink: MemoryAuditSink) -> None:
    """Successes and failures reach the access log with key id, address and reason."""
    issued = await auth.keys.create("leads", "live")
    await auth.authenticator.authenticate(issued.token, "10.0.0.9")
    await _code(auth, issued.token[:-1] + "a" if issued.token[-1] != "a" else
                issued.token[:-1] + "b", "10.0.0.9")
    events = [e for e in sink.events if e.kind == "auth.key"]
    assert [e.outcome for e in events] == ["success", "failure"]
    assert events[1].data["reason"] == "invalid_key" and events[1].source_ip == "10.0.0.9"
    assert all(issued.token.rsplit("_", 1)[1] not in repr(e) for e in sink.events)


async def test_file_epochs_carry_a_revocation_to_another_process(
    sqlite_database: Database, policy: Policy, make_auth: MakeAuth, tmp_path: Path,
) -> None:
    """A revoke made by another process (the CLI) bites on the server's next request."""
    epoch_file = tmp_path / "auth_epoch"
    server = make_auth(sqlite_database, policy, epoch_file=epoch_file)
    cli = make_auth(sqlite_database, policy, epoch_file=epoch_file)
    issued = await cli.keys.create("leads", "live")
    await server.authenticator.authenticate(issued.token, None)  # cached in the server
    await cli.keys.revoke(issued.info.key_id)
    with pytest.raises(Unauthenticated) as err:
        await server.authenticator.authenticate(issued.token, None)
    assert err.value.code == "key_revoked"


async def test_redis_epochs_carry_a_revocation_across_replicas(
    sqlite_database: Database, policy: Policy, make_auth: MakeAuth,
) -> None:
    """With Redis, a revoke on one replica is seen by another's cache at once."""
    import redis.asyncio as aioredis

    client = aioredis.from_url("redis://127.0.0.1:6379/0")
    try:
        await client.ping()
    except Exception:  # no Redis on this machine: nothing to test
        pytest.skip("Redis is not reachable")
    try:
        one = make_auth(sqlite_database, policy, redis=client)
        two = make_auth(sqlite_database, policy, redis=client)
        issued = await one.keys.create("leads", "live")
        await two.authenticator.authenticate(issued.token, None)
        await one.keys.revoke(issued.info.key_id)
        with pytest.raises(Unauthenticated):
            await two.authenticator.authenticate(issued.token, None)
    finally:
        await client.aclose()


async def test_tampered_row_hash_from_another_key_does_not_verify(auth: AuthServices) -> None:
    """Hashes bind the key id: copying one key's hash onto another row doesn't let it in."""
    a = await auth.keys.create("leads", "live")
    b = await auth.keys.create("voice", "live")
    async with auth.keys.db.session() as session:
        rows = {r.key_id: r for r in (await session.scalars(select(ApiKeyRow))).all()}
        rows[b.info.key_id].secret_hash = rows[a.info.key_id].secret_hash
    forged = f"rsg_live_{b.info.key_id}_{a.token.rsplit('_', 1)[1]}"
    assert await _code(auth, forged) == "invalid_key"
