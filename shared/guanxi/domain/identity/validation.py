"""Input rules for identity data; each failure names its field."""

from __future__ import annotations

import functools
import re
import unicodedata
import zoneinfo

from email_validator import EmailNotValidError, validate_email
from zxcvbn import zxcvbn

from guanxi import locales
from guanxi.domain.identity.passwords import MAX_LENGTH, MIN_LENGTH
from guanxi.errors import FieldError

NAME_MAX = 200
ZXCVBN_MAX = 72


def clean_text(field: str, value: str, *, max_length: int = NAME_MAX) -> tuple[str, FieldError | None]:
    """Trim and NFC-normalise; refuse empty, too long, or control characters."""
    cleaned = unicodedata.normalize("NFC", value).strip()
    if not cleaned:
        return cleaned, FieldError(field, "must not be empty", "required")
    if len(cleaned) > max_length:
        return cleaned, FieldError(field, f"must be at most {max_length} characters", "too_long")
    if any(unicodedata.category(ch) == "Cc" for ch in cleaned):
        return cleaned, FieldError(field, "must not contain control characters", "invalid")
    return cleaned, None


def normalise_email(value: str) -> tuple[str, FieldError | None]:
    if len(value) > 254:
        return value, FieldError("email", "must be at most 254 characters", "too_long")
    try:
        result = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as error:
        return value, FieldError("email", str(error), "invalid_email")
    return result.normalized.lower(), None


def check_password(password: str, *, related: list[str], field: str = "password") -> FieldError | None:
    if len(password) < MIN_LENGTH:
        return FieldError(field, f"must be at least {MIN_LENGTH} characters", "too_short")
    if len(password) > MAX_LENGTH:
        return FieldError(field, f"must be at most {MAX_LENGTH} characters", "too_long")
    # zxcvbn estimates how fast the password falls to a guessing attack, knowing the user's own data.
    words = {part for text in related if text for part in [text, *re.split(r"[\s@._-]+", text)] if len(part) > 2}
    # zxcvbn refuses inputs over 72 characters; a long passphrase is judged by its first 72.
    strength = zxcvbn(password[:ZXCVBN_MAX], user_inputs=sorted(w[:ZXCVBN_MAX] for w in words))
    if strength["score"] < 2:
        hint = strength["feedback"].get("warning") or "add more words or characters"
        return FieldError(field, f"is too easy to guess: {hint}", "weak_password")
    return None


# An IANA name: letters first, then letters, digits, _ + -, in at most three parts ("America/Argentina/Salta").
_ZONE = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]{0,29}(?:/[A-Za-z0-9_+\-]{1,30}){0,2}")


def check_timezone(zone: str) -> FieldError | None:
    """A time zone people can choose: an IANA name known to this server's zoneinfo ("Asia/Shanghai")."""
    if not zone.strip():
        return FieldError("timezone", "is required: an IANA time zone such as Asia/Shanghai", "required")
    if len(zone) > 64 or not _ZONE.fullmatch(zone) or zone not in _available_zones():
        return FieldError("timezone", "is not a known IANA time zone, such as Asia/Shanghai", "invalid_choice")
    return None


@functools.cache
def _available_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def check_locale(locale: str) -> FieldError | None:
    if locale not in locales.SUPPORTED:
        return FieldError("locale", f"must be one of {', '.join(locales.SUPPORTED)}", "invalid_choice")
    return None
