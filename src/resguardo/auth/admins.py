"""Admin accounts: create, list, disable, reset 2FA, change password, and the two login factors.

Every admin needs a password and TOTP; until 2FA is enrolled a login reaches only the
enrolment step. Changing the password or 2FA moves ``credentials_epoch``, which kills
every existing session; disabling an admin ends their sessions at once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update

from resguardo.auth.access_log import AccessLog
from resguardo.auth.hashing import KeyHasher, TotpSealer
from resguardo.auth.passwords import PasswordVault
from resguardo.auth.permissions import Role
from resguardo.auth.sessions import SessionService
from resguardo.auth.tables import AdminRow, RecoveryCodeRow
from resguardo.auth.throttle import LoginThrottle
from resguardo.auth.totp import (
    Enrolment,
    enrolment_for,
    match_step,
    new_recovery_codes,
    normalize_recovery_code,
)
from resguardo.clock import Clock, as_utc
from resguardo.errors import Conflict, Forbidden, InputError, NotFound, Unauthenticated
from resguardo.store.db import Database

__all__ = ["AdminInfo", "AdminService"]

_RECOVERY = "recovery-code"


@dataclass(frozen=True)
class AdminInfo:
    """What may be shown about an admin."""

    admin_id: str
    username: str
    role: str
    totp_enabled: bool
    created_at: datetime
    created_by: str | None
    disabled_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return {
            "admin_id": self.admin_id, "username": self.username, "role": self.role,
            "totp_enabled": self.totp_enabled, "created_at": self.created_at.isoformat(),
            "created_by": self.created_by, "status": "disabled" if self.disabled_at else "active",
            "disabled_at": self.disabled_at.isoformat() if self.disabled_at else None,
        }


def _info(row: AdminRow) -> AdminInfo:
    return AdminInfo(admin_id=row.admin_id, username=row.username, role=row.role,
                     totp_enabled=row.totp_enabled,
                     created_at=as_utc(row.created_at) or row.created_at,
                     created_by=row.created_by, disabled_at=as_utc(row.disabled_at))


class AdminService:
    """Admin lifecycle and factor checks; each action is written to the access log."""

    def __init__(self, db: Database, hasher: KeyHasher, clock: Clock, passwords: PasswordVault,
                 sealer: TotpSealer, sessions: SessionService, throttle: LoginThrottle,
                 access_log: AccessLog) -> None:
        self.db = db
        self.hasher = hasher
        self.clock = clock
        self.passwords = passwords
        self.sealer = sealer
        self.sessions = sessions
        self.throttle = throttle
        self.log = access_log

    async def _row(self, session: Any, admin_id: str, *, lock: bool = False) -> AdminRow:
        row: AdminRow | None = await session.get(AdminRow, admin_id, with_for_update=lock)
        if row is None:
            raise NotFound("No such admin.", code="admin_not_found")
        return row

    async def owner_count(self) -> int:
        """Active owners."""
        async with self.db.session() as session:
            n = await session.scalar(select(func.count()).select_from(AdminRow).where(
                AdminRow.role == Role.OWNER.value, AdminRow.disabled_at.is_(None)))
        return int(n or 0)

    async def create(self, username: str, password: str, role: str, *, actor: str | None,
                     source_ip: str | None = None, from_cli: bool = False) -> AdminInfo:
        """A new admin without 2FA yet (enrolment is the first login step)."""
        try:
            role = Role(role).value
        except ValueError:
            raise InputError("Unknown role.", code="invalid_role") from None
        username = username.strip()
        if not (1 <= len(username) <= 120) or any(c.isspace() for c in username):
            raise InputError("The username must be 1-120 characters without spaces.",
                             code="invalid_username")
        # No bootstrap over HTTP: the first owner is made on the server's own terminal.
        if role == Role.OWNER and not from_cli and await self.owner_count() == 0:
            raise Forbidden("The first owner can only be created from the CLI.",
                            code="owner_bootstrap_cli_only")
        row = AdminRow(admin_id=uuid.uuid4().hex, username=username, role=role,
                       password_hash=self.passwords.hash(password), totp_enabled=False,
                       credentials_epoch=1, created_at=self.clock.now(), created_by=actor)
        async with self.db.session() as session:
            taken = await session.scalar(select(AdminRow.admin_id).where(
                func.lower(AdminRow.username) == username.lower()))
            if taken:
                raise Conflict("The username is taken.", code="username_taken")
            session.add(row)
        await self.log.record("admin.created", "success", actor=actor, source_ip=source_ip,
                              target=row.admin_id, role=role,
                              via="cli" if from_cli else "api")
        return _info(row)

    async def list_admins(self) -> list[AdminInfo]:
        """Every admin, oldest first."""
        async with self.db.session() as session:
            rows = (await session.scalars(select(AdminRow).order_by(AdminRow.created_at))).all()
        return [_info(r) for r in rows]

    async def get(self, admin_id: str) -> AdminInfo:
        """One admin."""
        async with self.db.session() as session:
            return _info(await self._row(session, admin_id))

    async def find(self, username: str) -> AdminInfo:
        """One admin by username (case-insensitive)."""
        async with self.db.session() as session:
            row = await session.scalar(select(AdminRow).where(
                func.lower(AdminRow.username) == username.strip().lower()))
            if row is None:
                raise NotFound("No such admin.", code="admin_not_found")
            return _info(row)

    async def disable(self, admin_id: str, *, actor: str | None,
                      source_ip: str | None = None) -> AdminInfo:
        """Offboard: disable the account and end all of its sessions now."""
        async with self.db.session() as session:
            row = await self._row(session, admin_id, lock=True)
            if row.disabled_at is None:
                if row.role == Role.OWNER:
                    owners = await session.scalar(select(func.count()).select_from(AdminRow)
                                                  .where(AdminRow.role == Role.OWNER.value,
                                                         AdminRow.disabled_at.is_(None)))
                    if int(owners or 0) <= 1:
                        raise Conflict("The last owner cannot be disabled.", code="last_owner")
                row.disabled_at = self.clock.now()
            info = _info(row)
        ended = await self.sessions.end_all(admin_id)
        await self.log.record("admin.disabled", "success", actor=actor, source_ip=source_ip,
                              target=admin_id, sessions_ended=ended)
        return info

    async def reset_2fa(self, admin_id: str, *, actor: str | None,
                        source_ip: str | None = None) -> AdminInfo:
        """Remove TOTP and recovery codes; the admin enrols again at next login."""
        async with self.db.session() as session:
            row = await self._row(session, admin_id, lock=True)
            row.totp_sealed, row.totp_enabled, row.totp_last_step = None, False, None
            row.credentials_epoch += 1
            await session.execute(delete(RecoveryCodeRow).where(
                RecoveryCodeRow.admin_id == admin_id))
            info = _info(row)
        ended = await self.sessions.end_all(admin_id)
        await self.log.record("admin.2fa_reset", "success", actor=actor, source_ip=source_ip,
                              target=admin_id, sessions_ended=ended)
        return info

    async def change_password(self, admin_id: str, current: str, new: str, *,
                              source_ip: str | None = None) -> None:
        """Replace the password (the current one is required) and end every session."""
        new_hash = self.passwords.hash(new)
        async with self.db.session() as session:
            row = await self._row(session, admin_id, lock=True)
            if not self.passwords.verify(row.password_hash, current):
                raise Forbidden("The current password is wrong.", code="invalid_credentials")
            row.password_hash = new_hash
            row.credentials_epoch += 1
        ended = await self.sessions.end_all(admin_id)
        await self.log.record("admin.password_changed", "success", actor=admin_id,
                              source_ip=source_ip, sessions_ended=ended)

    async def check_password(self, username: str, password: str,
                             source_ip: str | None) -> AdminRow:
        """First factor, throttled per account and address; one error for every failure."""
        await self.throttle.check("password", username, source_ip)
        async with self.db.session() as session:
            row = await session.scalar(select(AdminRow).where(
                func.lower(AdminRow.username) == username.strip().lower()))
        ok = self.passwords.verify(row.password_hash if row else None, password)
        if not ok or row is None or row.disabled_at is not None:
            await self.throttle.failure("password", username, source_ip)
            reason = "disabled" if ok and row is not None else "bad_password"
            await self.log.record("auth.admin.password", "failure",
                                  actor=row.admin_id if row else None, source_ip=source_ip,
                                  reason=reason)
            raise Unauthenticated("Wrong username or password.", code="invalid_credentials")
        await self.throttle.success("password", username)
        await self.log.record("auth.admin.password", "success", actor=row.admin_id,
                              source_ip=source_ip)
        return row

    async def begin_enrolment(self, admin_id: str) -> Enrolment:
        """A new pending TOTP seed; refused once 2FA is active (reset it first)."""
        async with self.db.session() as session:
            row = await self._row(session, admin_id, lock=True)
            if row.totp_enabled:
                raise Conflict("Two-factor authentication is already enrolled.",
                               code="2fa_already_enrolled")
            enrolment = enrolment_for(row.username)
            row.totp_sealed = self.sealer.seal(enrolment.seed)
        return enrolment

    async def confirm_enrolment(self, admin_id: str, code: str, *,
                                source_ip: str | None = None) -> list[str]:
        """Activate TOTP with a first code; returns the one-time recovery codes (shown once)."""
        await self.throttle.check("totp", admin_id, source_ip)
        now = self.clock.now()
        codes = new_recovery_codes()
        async with self.db.session() as session:
            row = await self._row(session, admin_id, lock=True)
            if row.totp_enabled or not row.totp_sealed:
                raise Conflict("No enrolment is pending.", code="2fa_not_pending")
            step = match_step(self.sealer.open(row.totp_sealed), code, now, None)
            if step is not None:
                row.totp_enabled, row.totp_last_step = True, step
                row.credentials_epoch += 1
                await session.execute(delete(RecoveryCodeRow).where(
                    RecoveryCodeRow.admin_id == admin_id))
                session.add_all(RecoveryCodeRow(code_hash=self.hasher.digest(_RECOVERY, c),
                                                admin_id=admin_id) for c in codes)
        if step is None:
            await self.throttle.failure("totp", admin_id, source_ip)
            await self.log.record("admin.2fa_enrolled", "failure", actor=admin_id,
                                  source_ip=source_ip, reason="bad_code")
            raise Unauthenticated("The code is not valid.", code="invalid_totp")
        await self.sessions.end_all(admin_id)
        await self.log.record("admin.2fa_enrolled", "success", actor=admin_id,
                              source_ip=source_ip)
        return codes

    async def check_second_factor(self, admin_id: str, *, code: str | None = None,
                                  recovery_code: str | None = None,
                                  source_ip: str | None = None) -> None:
        """Second factor: a TOTP code (each works once) or a one-time recovery code."""
        await self.throttle.check("totp", admin_id, source_ip)
        now = self.clock.now()
        ok = False
        method = "recovery_code" if recovery_code else "totp"
        async with self.db.session() as session:
            row = await self._row(session, admin_id, lock=True)
            if row.disabled_at is None and row.totp_enabled and row.totp_sealed:
                if code:
                    step = match_step(self.sealer.open(row.totp_sealed), code, now,
                                      row.totp_last_step)
                    if step is not None:
                        # Compare-and-set: a concurrent use of the same code loses the race.
                        result = await session.execute(
                            update(AdminRow).where(
                                AdminRow.admin_id == admin_id,
                                (AdminRow.totp_last_step.is_(None))
                                | (AdminRow.totp_last_step < step),
                            ).values(totp_last_step=step))
                        ok = bool(getattr(result, "rowcount", 0))
                elif recovery_code:
                    digest = self.hasher.digest(_RECOVERY, normalize_recovery_code(recovery_code))
                    result = await session.execute(
                        update(RecoveryCodeRow).where(
                            RecoveryCodeRow.code_hash == digest,
                            RecoveryCodeRow.admin_id == admin_id,
                            RecoveryCodeRow.used_at.is_(None),
                        ).values(used_at=now))
                    ok = bool(getattr(result, "rowcount", 0))
        if not ok:
            await self.throttle.failure("totp", admin_id, source_ip)
            await self.log.record("auth.admin.2fa", "failure", actor=admin_id,
                                  source_ip=source_ip, method=method)
            raise Unauthenticated("The code is not valid.", code="invalid_totp")
        await self.throttle.success("totp", admin_id)
        await self.log.record("auth.admin.2fa", "success", actor=admin_id, source_ip=source_ip,
                              method=method)

    async def row(self, admin_id: str) -> AdminRow:
        """The raw row (for session start); never leaves the auth package."""
        async with self.db.session() as session:
            return await self._row(session, admin_id)
