"""The optional token: ``Authorization: Bearer <token>``, or the cookie a browser gets once.

Pure functions over header values; comparisons take constant time.
"""

from __future__ import annotations

import hmac
from http.cookies import CookieError, SimpleCookie

TOKEN_COOKIE = "digits_token"
COOKIE_DAYS = 30


def same_token(given: str, expected: str) -> bool:
    """True when ``given`` is the token (constant-time, so timing tells nothing)."""
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def authorized(token: str | None, authorization: str | None, cookie: str | None) -> bool:
    """May a request with these ``Authorization`` and ``Cookie`` headers in? (No token: yes.)"""
    if not token:
        return True
    scheme, _, value = (authorization or "").partition(" ")
    if scheme.lower() == "bearer" and same_token(value.strip(), token):
        return True
    if not cookie:
        return False
    try:
        morsel = SimpleCookie(cookie).get(TOKEN_COOKIE)
    except CookieError:
        return False
    return morsel is not None and same_token(morsel.value, token)


def login_cookie(token: str) -> str:
    """The ``Set-Cookie`` value that lets a browser in after ``/?token=…``: HttpOnly, Strict."""
    cookie: SimpleCookie = SimpleCookie()
    cookie[TOKEN_COOKIE] = token
    morsel = cookie[TOKEN_COOKIE]
    morsel["path"], morsel["samesite"] = "/", "Strict"
    morsel["httponly"], morsel["max-age"] = True, COOKIE_DAYS * 86400
    return morsel.OutputString()
