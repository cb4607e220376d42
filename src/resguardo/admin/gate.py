"""Who may see a console page: the auth area's sessions, CSRF tokens and permission map.

The console keeps no login state of its own. It resolves the same session cookie as the
JSON admin API, checks the session's own synchronizer token (carried for forms in an
HttpOnly cookie and echoed in a hidden field) and asks ``has_permission`` for each page.
"""

from __future__ import annotations

from dataclasses import dataclass

from resguardo.auth.bundle import AuthServices
from resguardo.auth.permissions import Permission, has_permission
from resguardo.auth.sessions import STAGE_FULL, STAGE_PENDING, SessionState
from resguardo.errors import Forbidden, Unauthenticated

__all__ = ["ConsoleGate", "ConsoleUser"]

_SAFE_METHODS = frozenset({"GET", "HEAD"})


@dataclass(frozen=True)
class ConsoleUser:
    """A signed-in admin as the templates see it (``csrf`` goes into every form)."""

    admin_id: str
    username: str
    role: str
    session_ref: str
    csrf: str
    source_ip: str | None = None

    def can(self, permission: Permission | str) -> bool:
        """Whether the role holds a permission (templates hide what it does not)."""
        return has_permission(self.role, permission)

    def __repr__(self) -> str:
        return f"ConsoleUser(username={self.username!r}, role={self.role!r}, csrf=<hidden>)"


class ConsoleGate:
    """Resolves and authorizes console requests; raises the error tree, never redirects."""

    def __init__(self, auth: AuthServices) -> None:
        self.auth = auth

    async def _resolve(self, session_cookie: str | None, csrf_cookie: str | None) -> SessionState:
        state = await self.auth.sessions.resolve(session_cookie)
        # A session opened elsewhere (the JSON API) has no form token here: sign in again.
        if not self.auth.sessions.csrf_ok(state, csrf_cookie):
            raise Unauthenticated("Sign in again.", code="session_invalid")
        return state

    def _check_form(self, state: SessionState, method: str, form_token: str | None) -> None:
        if method.upper() not in _SAFE_METHODS and not self.auth.sessions.csrf_ok(
                state, form_token):
            raise Forbidden("The form's security token is missing or wrong.",
                            code="csrf_failed")

    async def pending(self, session_cookie: str | None, csrf_cookie: str | None, *,
                      method: str = "GET", form_token: str | None = None) -> SessionState:
        """A password-only session (the 2FA step); full or dead sessions are refused."""
        state = await self._resolve(session_cookie, csrf_cookie)
        if state.stage != STAGE_PENDING:
            raise Forbidden("This step is only for a sign-in in progress.", code="wrong_stage")
        self._check_form(state, method, form_token)
        return state

    async def full(self, session_cookie: str | None, csrf_cookie: str | None,
                   permission: Permission | None, *, method: str = "GET",
                   form_token: str | None = None, source_ip: str | None = None) -> ConsoleUser:
        """A full (password + 2FA) session whose role holds ``permission`` (None: any role)."""
        state = await self._resolve(session_cookie, csrf_cookie)
        # Without the second factor nothing is visible: the session only reaches the 2FA step.
        if state.stage != STAGE_FULL:
            raise Unauthenticated("Complete two-factor authentication first.",
                                  code="2fa_required")
        self._check_form(state, method, form_token)
        if permission is not None and not has_permission(state.role, permission):
            await self.auth.access_log.record("admin.denied", "failure", actor=state.admin_id,
                                              source_ip=source_ip, permission=str(permission),
                                              role=state.role, via="console")
            raise Forbidden("Your role does not allow this.", code="role_forbidden",
                            details={"permission": str(permission)})
        return ConsoleUser(admin_id=state.admin_id, username=state.username, role=state.role,
                           session_ref=state.ref, csrf=csrf_cookie or "", source_ip=source_ip)
