"""The console's HTTP glue: page rendering with navigation, the session gate per request,
cookies, and the route class that turns errors into pages and adds security headers.

With ``pages.py`` this is the console's web layer (the one part of ``resguardo.admin``
that imports the web framework); everything else in the package is framework-free.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute

from resguardo.admin.gate import ConsoleGate, ConsoleUser
from resguardo.admin.render import Renderer
from resguardo.admin.security import CSRF_COOKIE, CSRF_FIELD, SECURITY_HEADERS, parse_form
from resguardo.auth.bundle import AuthServices
from resguardo.auth.permissions import Permission
from resguardo.auth.sessions import IssuedSession, SessionState
from resguardo.errors import Forbidden, ResguardoError, Unauthenticated
from resguardo.http.admin_routes import COOKIE_NAME, auth_of, client_ip
from resguardo.http.errors import status_for
from resguardo.services import Services

__all__ = [
    "Console",
    "clear_session_cookies",
    "read_form",
    "route_class",
    "see_other",
    "set_session_cookies",
]

log = logging.getLogger("resguardo.console")

_NAV: tuple[tuple[str, str, str, Permission | None], ...] = (
    ("dashboard", "Dashboard", "/console/dashboard", None),
    ("keys", "API keys", "/console/keys", Permission.KEYS_READ),
    ("audit", "Audit", "/console/audit", Permission.AUDIT_READ),
    ("review", "Review queue", "/console/review", Permission.REVIEW_MANAGE),
    ("incidents", "Incidents", "/console/incidents", Permission.INCIDENTS_MANAGE),
)

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class Console:
    """Per-app helpers shared by the console routes: rendering, the gate, cookies."""

    def __init__(self, services: Services, renderer: Renderer) -> None:
        self.services = services
        self.renderer = renderer

    def auth(self, request: Request) -> AuthServices:
        """The auth services (ConfigError when access control was never wired)."""
        return auth_of(request)

    def gate(self, request: Request) -> ConsoleGate:
        """The session gate over the auth services."""
        return ConsoleGate(self.auth(request))

    def page(self, template: str, *, status: int = 200, user: ConsoleUser | None = None,
             active: str = "", **context: Any) -> HTMLResponse:
        """Render a page; the navigation shows only what the user's role may open."""
        nav = [{"id": i, "label": label, "href": href} for i, label, href, perm in _NAV
               if user is not None and (perm is None or user.can(perm))]
        context.setdefault("notice", None)
        context.setdefault("error", None)
        html = self.renderer.render(template, user=user, nav=nav, active=active, **context)
        return HTMLResponse(html, status_code=status)

    def message(self, heading: str, message: str, *, status: int, code: str | None = None,
                user: ConsoleUser | None = None, back: str | None = None) -> HTMLResponse:
        """A plain message page (errors, refusals)."""
        return self.page("message.html", status=status, user=user, heading=heading,
                         message=message, code=code, back=back)

    async def user(self, request: Request, permission: Permission | None,
                   form: dict[str, str] | None = None) -> ConsoleUser:
        """The signed-in admin for this request (form posts must carry the CSRF token)."""
        return await self.gate(request).full(
            request.cookies.get(COOKIE_NAME), request.cookies.get(CSRF_COOKIE), permission,
            method=request.method, form_token=(form or {}).get(CSRF_FIELD),
            source_ip=client_ip(request))

    async def pending(self, request: Request,
                      form: dict[str, str] | None = None) -> SessionState:
        """The password-only session of a sign-in in progress."""
        return await self.gate(request).pending(
            request.cookies.get(COOKIE_NAME), request.cookies.get(CSRF_COOKIE),
            method=request.method, form_token=(form or {}).get(CSRF_FIELD))


async def read_form(request: Request) -> dict[str, str]:
    """The urlencoded form body (the app's body-size limit already applies)."""
    return parse_form(await request.body(), request.headers.get("content-type"))


def set_session_cookies(response: Response, issued: IssuedSession) -> None:
    """Session id and its form token, with the JSON API's cookie flags."""
    for name, value in ((COOKIE_NAME, issued.session_id), (CSRF_COOKIE, issued.csrf_token)):
        # HttpOnly: no script reads either; Strict: no cross-site request carries them.
        response.set_cookie(name, value, httponly=True, secure=True, samesite="strict", path="/")


def clear_session_cookies(response: Response) -> None:
    """Forget the session in the browser (the server side is ended separately)."""
    for name in (COOKIE_NAME, CSRF_COOKIE):
        response.delete_cookie(name, path="/", secure=True, httponly=True, samesite="strict")


def see_other(url: str) -> RedirectResponse:
    """303: the browser follows a POST with a GET, so a reload never re-submits."""
    return RedirectResponse(url, status_code=303)


def _error_response(console: Console, request: Request, exc: ResguardoError) -> Response:
    """Map the error tree to pages: a dead session goes back to sign-in, the rest explain."""
    if isinstance(exc, Unauthenticated):
        if exc.code == "2fa_required":
            return see_other("/console/totp")
        had_session = COOKIE_NAME in request.cookies
        response = see_other("/console/login?expired=1" if had_session else "/console/login")
        clear_session_cookies(response)
        return response
    if isinstance(exc, Forbidden) and exc.code == "wrong_stage":
        return see_other("/console/dashboard")
    status = status_for(exc)
    if exc.code == "csrf_failed":
        return console.message("Request refused", "The form expired or did not come from "
                               "this console. Go back, reload the page and try again.",
                               status=status, code=exc.code)
    if exc.code == "role_forbidden":
        return console.message("Not allowed", "Your role does not allow this page or action.",
                               status=status, code=exc.code)
    heading = {400: "Check the form", 404: "Not found", 409: "Not possible",
               429: "Too many attempts"}.get(status, "Something went wrong")
    # Domain messages never hold personal values (project rule), so they may be shown.
    return console.message(heading, exc.message, status=status, code=exc.code)


def route_class(console: Console) -> type[APIRoute]:
    """A route class bound to one console (errors become its pages)."""

    class ConsoleRoute(APIRoute):
        """Renders errors as pages and adds the security headers to every response."""

        def get_route_handler(self) -> Handler:
            original = super().get_route_handler()

            async def handler(request: Request) -> Response:
                try:
                    response = await original(request)
                except ResguardoError as exc:
                    response = _error_response(console, request, exc)
                except RequestValidationError:
                    response = console.message("Check the form", "The request is not valid.",
                                               status=400, code="invalid_request")
                except Exception as exc:
                    log.error("console error", extra={"error_class": type(exc).__name__})
                    response = console.message("Something went wrong", "Internal error.",
                                               status=500, code="internal_error")
                for name, value in SECURITY_HEADERS.items():
                    response.headers.setdefault(name, value)
                return response

            return handler

    return ConsoleRoute
