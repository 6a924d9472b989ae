"""Short signed tokens for links in emails (verify address), bound to a purpose and an expiry."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from guanxi.config import get_settings


def _mac(purpose: str, body: str) -> str:
    key = get_settings().secret_key.encode()
    digest = hmac.new(key, f"{purpose}|{body}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")


def sign(purpose: str, value: str, *, max_age_seconds: int) -> str:
    return sign_until(purpose, value, int(time.time()) + max_age_seconds)


def sign_until(purpose: str, value: str, expires_at: int) -> str:
    """Deterministic for one (purpose, value, expiry): any process can rebuild the same link."""
    body = f"{value}.{expires_at}"
    return f"{body}.{_mac(purpose, body)}"


def unsign(purpose: str, token: str) -> str | None:
    """The signed value, or None when the token is forged, malformed or expired."""
    if not token.isascii():
        return None
    body, _, mac = token.rpartition(".")
    value, _, expiry = body.rpartition(".")
    if not (value and expiry.isdigit() and hmac.compare_digest(mac, _mac(purpose, body))):
        return None
    if int(expiry) < time.time():
        return None
    return value
