"""The admin web console at ``/console``: sign-in and 2FA here, pages in ``resguardo.admin``.

Server-rendered HTML, no scripts, forms that POST a CSRF token. Sign-in reuses the auth
area's machinery (AdminService factors, SessionService sessions, the same session
cookie as the JSON admin API). Every console response carries the headers in
``resguardo.admin.security.SECURITY_HEADERS``.
"""

from __future__ import annotations

from contextlib import suppress

from fastapi import APIRouter, Request, Response

from resguardo.admin.pages import add_pages
from resguardo.admin.render import Renderer, qr_svg
from resguardo.admin.security import (
    CSRF_COOKIE,
    CSRF_FIELD,
    LOGIN_COOKIE,
    login_token_ok,
    new_login_token,
)
from resguardo.admin.web import (
    Console,
    clear_session_cookies,
    read_form,
    route_class,
    see_other,
    set_session_cookies,
)
from resguardo.auth.sessions import STAGE_FULL, STAGE_PENDING, SessionState
from resguardo.errors import Forbidden, RateLimited, ResguardoError, Unauthenticated
from resguardo.http.admin_routes import COOKIE_NAME, client_ip
from resguardo.services import Services

__all__ = ["PREFIX", "RENDERER_KEY", "build_router"]

PREFIX = "/console"
# Tests may place a Renderer here (e.g. other templates); normally one is built per router.
RENDERER_KEY = "console_renderer"


def build_router(services: Services) -> APIRouter:
    """The console router (mounted at ``/console``, static files included)."""
    renderer = services.extras.get(RENDERER_KEY)
    if not isinstance(renderer, Renderer):
        renderer = Renderer()
    console = Console(services, renderer)
    router = APIRouter(prefix=PREFIX, route_class=route_class(console),
                       include_in_schema=False)

    @router.get("/static/{name}")
    async def static(name: str) -> Response:
        asset = console.renderer.asset(name)
        if asset is None:
            return console.message("Not found", "No such file.", status=404)
        body, media = asset
        return Response(body, media_type=media,
                        headers={"Cache-Control": "public, max-age=3600"})

    @router.get("")
    @router.get("/")
    async def root() -> Response:
        return see_other("/console/dashboard")

    _add_sign_in(router, console)
    add_pages(router, console)
    return router


def _add_sign_in(router: APIRouter, console: Console) -> None:
    """Password → TOTP (or first-time enrolment) → full session; and sign-out."""

    def login_page(*, status: int = 200, error: str | None = None,
                   notice: str | None = None) -> Response:
        token = new_login_token()
        response = console.page("login.html", status=status, login_token=token, error=error,
                                notice=notice)
        response.set_cookie(LOGIN_COOKIE, token, httponly=True, secure=True,
                            samesite="strict", path="/", max_age=3600)
        return response

    @router.get("/login")
    async def login_form(expired: int = 0, signed_out: int = 0) -> Response:
        notice = ("Your session has ended. Sign in again." if expired
                  else "You are signed out." if signed_out else None)
        return login_page(notice=notice)

    @router.post("/login")
    async def login(request: Request) -> Response:
        form = await read_form(request)
        if not login_token_ok(request.cookies.get(LOGIN_COOKIE), form.get(CSRF_FIELD)):
            raise Forbidden("The login form's token is missing or wrong.", code="csrf_failed")
        auth, ip = console.auth(request), client_ip(request)
        try:
            admin = await auth.admins.check_password(form.get("username", "")[:120],
                                                     form.get("password", "")[:256], ip)
        except Unauthenticated:
            return login_page(status=401, error="Wrong username or password.")
        except RateLimited:
            return login_page(status=429, error="Too many failed attempts. Try again later.")
        # A browser that was signed in as someone else: end that session first.
        with suppress(ResguardoError):
            old = await auth.sessions.resolve(request.cookies.get(COOKIE_NAME))
            await auth.sessions.end(old.id_hash)
        issued = await auth.sessions.start(admin, STAGE_PENDING, ip)
        response = see_other("/console/totp" if admin.totp_enabled else "/console/enrol")
        set_session_cookies(response, issued)
        response.delete_cookie(LOGIN_COOKIE, path="/", secure=True, httponly=True,
                               samesite="strict")
        return response

    async def upgrade(request: Request, state: SessionState, response: Response) -> None:
        """Swap the pending session for a fresh full one (no session fixation)."""
        auth = console.auth(request)
        await auth.sessions.end(state.id_hash)
        admin = await auth.admins.row(state.admin_id)
        issued = await auth.sessions.start(admin, STAGE_FULL, client_ip(request))
        set_session_cookies(response, issued)
        await auth.access_log.record("auth.admin.session", "success", actor=state.admin_id,
                                     source_ip=client_ip(request), via="console")

    @router.get("/totp")
    async def totp_form(request: Request) -> Response:
        state = await console.pending(request)
        if not state.totp_enabled:
            return see_other("/console/enrol")
        return console.page("totp.html", csrf=request.cookies.get(CSRF_COOKIE, ""))

    @router.post("/totp")
    async def totp(request: Request) -> Response:
        form = await read_form(request)
        state = await console.pending(request, form)
        code, recovery = form.get("code", "").strip(), form.get("recovery_code", "").strip()
        csrf = form.get(CSRF_FIELD, "")
        if bool(code) == bool(recovery):
            return console.page("totp.html", status=400, csrf=csrf,
                                error="Enter a code or a recovery code.")
        try:
            await console.auth(request).admins.check_second_factor(
                state.admin_id, code=code[:12] or None, recovery_code=recovery[:40] or None,
                source_ip=client_ip(request))
        except Unauthenticated:
            return console.page("totp.html", status=401, csrf=csrf,
                                error="The code is not valid.")
        except RateLimited:
            return console.page("totp.html", status=429, csrf=csrf,
                                error="Too many failed attempts. Try again later.")
        response = see_other("/console/dashboard")
        await upgrade(request, state, response)
        return response

    @router.get("/enrol")
    async def enrol_form(request: Request) -> Response:
        state = await console.pending(request)
        if state.totp_enabled:
            return see_other("/console/totp")
        return console.page("enrol.html", csrf=request.cookies.get(CSRF_COOKIE, ""),
                            enrolment=None)

    @router.post("/enrol/start")
    async def enrol_start(request: Request) -> Response:
        form = await read_form(request)
        state = await console.pending(request, form)
        enrolment = await console.auth(request).admins.begin_enrolment(state.admin_id)
        return console.page("enrol.html", csrf=form.get(CSRF_FIELD, ""),
                            enrolment={"seed": enrolment.seed, "qr": qr_svg(enrolment.uri)})

    @router.post("/enrol/confirm")
    async def enrol_confirm(request: Request) -> Response:
        form = await read_form(request)
        state = await console.pending(request, form)
        try:
            codes = await console.auth(request).admins.confirm_enrolment(
                state.admin_id, form.get("code", "")[:12], source_ip=client_ip(request))
        except (Unauthenticated, RateLimited):
            return console.page("enrol.html", status=401, csrf=form.get(CSRF_FIELD, ""),
                                enrolment=None, error="The code is not valid. Start again.")
        # Rendered, not redirected: the recovery codes exist only in this response.
        response = console.page("recovery.html", codes=codes)
        await upgrade(request, state, response)
        return response

    @router.post("/logout")
    async def logout(request: Request) -> Response:
        form = await read_form(request)
        auth = console.auth(request)
        response = see_other("/console/login?signed_out=1")
        try:
            state = await auth.sessions.resolve(request.cookies.get(COOKIE_NAME))
        except Unauthenticated:
            clear_session_cookies(response)  # already dead: nothing to end
            return response
        if not auth.sessions.csrf_ok(state, form.get(CSRF_FIELD)):
            # Forced sign-out from another site is a nuisance attack: refuse it too.
            raise Forbidden("The form's security token is missing or wrong.",
                            code="csrf_failed")
        await auth.sessions.end(state.id_hash)
        await auth.access_log.record("auth.admin.logout", "success", actor=state.admin_id,
                                     source_ip=client_ip(request), via="console")
        clear_session_cookies(response)
        return response

