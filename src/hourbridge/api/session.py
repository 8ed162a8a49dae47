"""Dashboard logins: a person pastes an API key once and gets a session cookie.

The cookie holds the key's id and an expiry, signed with HMAC-SHA256 under a key derived
from ``HOURBRIDGE_SECRET_KEY``; it is HttpOnly (no script reads it) and SameSite=Strict (no
other site's page sends it). Each request checks the key again, so revoking or rotating it
past its overlap ends its sessions too. ``/login`` and ``/logout`` are open routes.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import time
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from .deps import HourbridgeDep
from .problems import problem

COOKIE = "hourbridge_session"
router = APIRouter(include_in_schema=False)


def _signing_key(secret: str) -> bytes:
    return hashlib.sha256(b"hourbridge-session\0" + secret.encode()).digest()


def sign_session(secret: str, key_id: str, expires: int) -> str:
    payload = f"{key_id}.{expires}"
    mac = hmac.new(_signing_key(secret), payload.encode(), hashlib.sha256).hexdigest()
    return f"{payload}.{mac}"


def session_key_id(secret: str, cookie: str, now: float) -> str | None:
    """The key id a valid, unexpired session cookie names, or None."""
    parts = cookie.split(".")
    if len(parts) != 3 or not parts[1].isdigit():
        return None
    key_id, expires, mac = parts
    expected = sign_session(secret, key_id, int(expires)).rsplit(".", 1)[1]
    if not hmac.compare_digest(mac, expected) or int(expires) <= now:
        return None
    return key_id


# no favicon to fetch: before login every path but this page answers 401
_FORM = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Hourbridge login
</title><link rel="icon" href="data:,"></head><body><main><h1>Hourbridge</h1>{error}
<form method="post" action="/login">
<input type="hidden" name="next" value="{next}"><label>API key
<input type="password" name="api_key" autocomplete="off" required></label>
<button type="submit">Log in</button></form></main></body></html>"""


def _next(value: str) -> str:
    # only a path of this site: never an open redirect
    return value if value.startswith("/") and not value.startswith("//") else "/dashboard"


@router.get("/login")
def login_form(next: str = "/dashboard") -> HTMLResponse:
    return HTMLResponse(_FORM.format(error="", next=html.escape(_next(next))))


@router.post("/login")
async def login(request: Request, hb: HourbridgeDep) -> Response:
    secret = hb.settings.secret_key
    if secret is None:
        return problem(503, "logins need HOURBRIDGE_SECRET_KEY set on the server",
                       request=request, code="login_unavailable", title="Login unavailable")
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    key = (form.get("api_key") or [""])[0].strip()
    target = _next((form.get("next") or ["/dashboard"])[0])
    principal = hb.access.authenticate(key)
    if principal is None or principal.key_id is None:
        return HTMLResponse(_FORM.format(error="<p role='alert'>That key is not valid.</p>",
                                         next=html.escape(target)), status_code=401)
    seconds = int(hb.settings.session_hours * 3600)
    cookie = sign_session(secret.get_secret_value(), principal.key_id,
                          int(time.time()) + seconds)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(COOKIE, cookie, max_age=seconds, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/")
    return response


@router.post("/logout")
def logout() -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response
