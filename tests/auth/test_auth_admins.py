"""Admin accounts, 2FA, throttling and sessions on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
from datetime import timedelta

import pyotp
import pytest

from resguardo.auth.bundle import AuthServices
from resguardo.auth.sessions import STAGE_FULL, STAGE_PENDING
from resguardo.errors import Conflict, Forbidden, InputError, RateLimited, Unauthenticated
from resguardo.testing import FrozenClock, MemoryAuditSink

PASSWORD = "correct horse battery"


async def _enrolled(auth: AuthServices, clock: FrozenClock, username: str = "ana",
                    role: str = "owner") -> tuple[str, pyotp.TOTP, list[str]]:
    info = await auth.admins.create(username, PASSWORD, role, actor="cli", from_cli=True)
    enrolment = await auth.admins.begin_enrolment(info.admin_id)
    totp = pyotp.TOTP(enrolment.seed)
    codes = await auth.admins.confirm_enrolment(info.admin_id, totp.at(clock.now()))
    clock.advance(30)  # the enrolment code's step is spent
    return info.admin_id, totp, codes


async def test_first_owner_only_from_the_cli(auth: AuthServices) -> None:
    """Over the API an owner can't be the first account; from the CLI it can."""
    with pytest.raises(Forbidden) as err:
        await auth.admins.create("eve", PASSWORD, "owner", actor=None)
    assert err.value.code == "owner_bootstrap_cli_only"
    await auth.admins.create("ana", PASSWORD, "owner", actor="cli", from_cli=True)
    await auth.admins.create("bob", PASSWORD, "owner", actor="x")


@pytest.mark.parametrize(("username", "password", "role", "code"), [
    ("ana", "short", "admin", "weak_password"),
    ("ana", PASSWORD, "root", "invalid_role"),
    ("a b", PASSWORD, "admin", "invalid_username"),
])
async def test_bad_admin_input_is_refused(auth: AuthServices, username: str, password: str,
                                          role: str, code: str) -> None:
    """Weak passwords, unknown roles and odd usernames are 400s."""
    with pytest.raises(InputError) as err:
        await auth.admins.create(username, password, role, actor="cli", from_cli=True)
    assert err.value.code == code


async def test_duplicate_username_conflicts_case_insensitively(auth: AuthServices) -> None:
    """Ana and ana are the same account name."""
    await auth.admins.create("Ana", PASSWORD, "admin", actor="cli", from_cli=True)
    with pytest.raises(Conflict):
        await auth.admins.create("ana", PASSWORD, "admin", actor="cli", from_cli=True)


async def test_password_failures_look_alike_and_are_logged(auth: AuthServices,
                                                           sink: MemoryAuditSink) -> None:
    """Unknown user, wrong password and disabled account give the same error."""
    a = await auth.admins.create("ana", PASSWORD, "admin", actor="cli", from_cli=True)
    await auth.admins.create("zoe", PASSWORD, "owner", actor="cli", from_cli=True)
    await auth.admins.disable(a.admin_id, actor="cli")
    for user, pw in (("nobody", PASSWORD), ("zoe", "wrong password!"), ("ana", PASSWORD)):
        with pytest.raises(Unauthenticated) as err:
            await auth.admins.check_password(user, pw, "10.0.0.1")
        assert err.value.code == "invalid_credentials"
    failures = [e for e in sink.events if e.kind == "auth.admin.password"]
    assert [e.data["reason"] for e in failures] == ["bad_password", "bad_password", "disabled"]
    assert PASSWORD not in repr(sink.events)


async def test_account_lockout_after_repeated_failures(auth: AuthServices,
                                                       clock: FrozenClock) -> None:
    """Backoff grows, then the account locks, even for the right password; time unlocks it."""
    await auth.admins.create("ana", PASSWORD, "admin", actor="cli", from_cli=True)
    for i in range(10):
        clock.advance(3600 if i == 0 else 0)
        try:
            await auth.admins.check_password("ana", "wrong password!", f"10.0.0.{i}")
        except Unauthenticated:
            pass
        except RateLimited:
            clock.advance(300)  # wait out the backoff and keep guessing
            with pytest.raises(Unauthenticated):
                await auth.admins.check_password("ana", "wrong password!", f"10.0.0.{i}")
    with pytest.raises(RateLimited) as err:
        await auth.admins.check_password("ana", PASSWORD, "10.9.9.9")
    assert err.value.code == "login_throttled" and err.value.details["retry_after"] > 0
    clock.advance(timedelta(minutes=16))
    await auth.admins.check_password("ana", PASSWORD, "10.9.9.9")


async def test_address_lockout_spans_accounts(auth: AuthServices) -> None:
    """One address spraying many usernames is locked out even for a new name."""
    with pytest.raises(RateLimited):
        for i in range(40):
            with contextlib.suppress(Unauthenticated):
                await auth.admins.check_password(f"user{i}", "wrong password!", "10.6.6.6")


async def test_totp_code_works_once_and_skew_is_one_step(auth: AuthServices,
                                                          clock: FrozenClock) -> None:
    """±1 step is accepted, ±2 is not, and a used code can't be replayed."""
    admin_id, totp, _ = await _enrolled(auth, clock)
    minute, half = timedelta(seconds=60), timedelta(seconds=30)
    with pytest.raises(Unauthenticated):
        await auth.admins.check_second_factor(admin_id, code=totp.at(clock.now() - minute))
    await auth.admins.check_second_factor(admin_id, code=totp.at(clock.now() + half))
    with pytest.raises(Unauthenticated) as err:
        await auth.admins.check_second_factor(admin_id, code=totp.at(clock.now()))
    assert err.value.code == "invalid_totp"  # earlier than the step just used
    clock.advance(60)
    code = totp.at(clock.now())
    await auth.admins.check_second_factor(admin_id, code=code)
    with pytest.raises(Unauthenticated):
        await auth.admins.check_second_factor(admin_id, code=code)


async def test_recovery_codes_work_once(auth: AuthServices, clock: FrozenClock) -> None:
    """Each recovery code opens one sign-in; typed with odd case and no dashes is fine."""
    admin_id, _, codes = await _enrolled(auth, clock)
    assert len(codes) == 10 and len(set(codes)) == 10
    await auth.admins.check_second_factor(admin_id, recovery_code=codes[0].upper().replace("-", ""))
    with pytest.raises(Unauthenticated):
        await auth.admins.check_second_factor(admin_id, recovery_code=codes[0])


async def test_enrolment_needs_a_valid_code_and_happens_once(auth: AuthServices,
                                                             clock: FrozenClock) -> None:
    """A wrong first code leaves 2FA off; an enrolled admin must reset before re-enrolling."""
    info = await auth.admins.create("ana", PASSWORD, "admin", actor="cli", from_cli=True)
    await auth.admins.begin_enrolment(info.admin_id)
    with pytest.raises(Unauthenticated):
        await auth.admins.confirm_enrolment(info.admin_id, "000000")
    assert not (await auth.admins.get(info.admin_id)).totp_enabled
    admin_id, _, _ = await _enrolled(auth, clock, "bea")
    with pytest.raises(Conflict):
        await auth.admins.begin_enrolment(admin_id)


async def test_disable_ends_every_session_at_once_and_is_logged(
    auth: AuthServices, clock: FrozenClock, sink: MemoryAuditSink
) -> None:
    """Offboarding kills live sessions; the last owner can't be disabled."""
    owner, _, _ = await _enrolled(auth, clock, "own")
    admin_id, _, _ = await _enrolled(auth, clock, "ana", role="admin")
    row = await auth.admins.row(admin_id)
    s1 = await auth.sessions.start(row, STAGE_FULL, None)
    s2 = await auth.sessions.start(row, STAGE_PENDING, None)
    await auth.admins.disable(admin_id, actor=owner)
    for s in (s1, s2):
        with pytest.raises(Unauthenticated):
            await auth.sessions.resolve(s.session_id)
    event = next(e for e in sink.events if e.kind == "admin.disabled")
    assert event.actor == owner and event.data["sessions_ended"] == 2
    with pytest.raises(Conflict) as err:
        await auth.admins.disable(owner, actor=owner)
    assert err.value.code == "last_owner"


async def test_password_and_2fa_changes_end_all_sessions(auth: AuthServices,
                                                         clock: FrozenClock) -> None:
    """Sessions die when the password changes and when 2FA is reset."""
    admin_id, _, _ = await _enrolled(auth, clock)
    s = await auth.sessions.start(await auth.admins.row(admin_id), STAGE_FULL, None)
    await auth.admins.change_password(admin_id, PASSWORD, "another long password")
    with pytest.raises(Unauthenticated):
        await auth.sessions.resolve(s.session_id)
    s = await auth.sessions.start(await auth.admins.row(admin_id), STAGE_FULL, None)
    await auth.admins.reset_2fa(admin_id, actor=admin_id)
    with pytest.raises(Unauthenticated):
        await auth.sessions.resolve(s.session_id)
    assert not (await auth.admins.get(admin_id)).totp_enabled


async def test_sessions_time_out_when_idle_and_absolutely(auth: AuthServices,
                                                          clock: FrozenClock) -> None:
    """Idle 30 min or 12 h in total ends a session; activity keeps it alive until then."""
    admin_id, _, _ = await _enrolled(auth, clock)
    row = await auth.admins.row(admin_id)
    idle = await auth.sessions.start(row, STAGE_FULL, None)
    clock.advance(timedelta(minutes=31))
    with pytest.raises(Unauthenticated):
        await auth.sessions.resolve(idle.session_id)
    busy = await auth.sessions.start(row, STAGE_FULL, None)
    for _ in range(24):
        clock.advance(timedelta(minutes=29))
        await auth.sessions.resolve(busy.session_id)
    clock.advance(timedelta(minutes=29))
    with pytest.raises(Unauthenticated):
        await auth.sessions.resolve(busy.session_id)


async def test_sessions_and_seeds_are_stored_protected(auth: AuthServices,
                                                       clock: FrozenClock) -> None:
    """Session ids are stored hashed; the TOTP seed is sealed, not in the clear."""
    from sqlalchemy import select

    from resguardo.auth.tables import AdminRow, AdminSessionRow

    admin_id, totp, _ = await _enrolled(auth, clock)
    issued = await auth.sessions.start(await auth.admins.row(admin_id), STAGE_FULL, None)
    async with auth.admins.db.session() as session:
        stored = (await session.scalars(select(AdminSessionRow))).all()
        admin = await session.get(AdminRow, admin_id)
    assert all(issued.session_id not in (r.id_hash + r.csrf_hash) for r in stored)
    assert admin is not None and totp.secret not in (admin.totp_sealed or "")
    assert "argon2id" in admin.password_hash
