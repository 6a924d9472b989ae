"""Input rules for customer data. Each rule returns the cleaned value or a FieldError naming the field."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from babel.numbers import list_currencies
from email_validator import EmailNotValidError, validate_email

from guanxi.errors import FieldError

CURRENCIES = frozenset(list_currencies())  # ISO 4217, as Babel knows them

MAX_TAGS = 30
TAG_LENGTH = 40
MAX_PHONES = 10
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:(?!\d)")
_PHONE = re.compile(r"^\+?[\d\s()\-./]{4,40}$")


class Cleaner:
    """Collects every problem of one input, so that the client learns all of them at once."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def fail(self, field: str, message: str, code: str = "invalid") -> None:
        self.errors.append(FieldError(field, message, code))

    def text(
        self, field: str, value: str | None, max_length: int, *, required: bool = False, multiline: bool = False
    ) -> str | None:
        """Trimmed, NFC, no control characters; empty means absent (or an error when required)."""
        if value is None:
            if required:
                self.fail(field, "must not be empty", "required")
            return None
        cleaned = unicodedata.normalize("NFC", value).strip()
        if not cleaned:
            if required:
                self.fail(field, "must not be empty", "required")
            return None
        if len(cleaned) > max_length:
            self.fail(field, f"must be at most {max_length} characters", "too_long")
        elif any(unicodedata.category(ch) in ("Cc", "Cs") for ch in cleaned if ch not in "\n\t"):
            self.fail(field, "must not contain control characters", "invalid")
        elif "\n" in cleaned and not multiline:
            self.fail(field, "must be a single line", "invalid")
        return cleaned

    def phone(self, field: str, value: str | None) -> str | None:
        cleaned = self.text(field, value, 40)
        if cleaned is not None and not _PHONE.match(cleaned):
            self.fail(field, "must be a phone number: digits, spaces, + ( ) - . /", "invalid_phone")
        return cleaned

    def email(self, field: str, value: str | None) -> str | None:
        cleaned = self.text(field, value, 254)
        if cleaned is None:
            return None
        try:
            return validate_email(cleaned, check_deliverability=False).normalized.lower()
        except EmailNotValidError as error:
            self.fail(field, str(error), "invalid_email")
            return cleaned

    def url(self, field: str, value: str | None) -> str | None:
        cleaned = self.text(field, value, 500)
        if cleaned is None:
            return None
        if not _SCHEME.match(cleaned):  # "example.cn" or "example.cn:8080/x": a web address without its scheme
            cleaned = "https://" + cleaned
        parts = urlsplit(cleaned)
        try:
            valid = parts.scheme.lower() in ("http", "https") and "." in (parts.hostname or "") and parts.port != 0
        except ValueError:  # a port that is not a number
            valid = False
        if not valid or any(ch.isspace() for ch in cleaned):
            self.fail(field, "must be a web address (http or https)", "invalid_url")
        return cleaned

    def listed(self, field: str, values: list[str], max_items: int, clean: Any) -> list[str]:
        if len(values) > max_items:
            self.fail(field, f"must have at most {max_items} entries", "too_many")
            return []
        seen: dict[str, None] = {}
        for index, value in enumerate(values):
            cleaned = clean(f"{field}[{index}]", value)
            if cleaned is not None:
                seen.setdefault(cleaned)
        return list(seen)

    def tags(self, field: str, values: list[str]) -> list[str]:
        return self.listed(field, values, MAX_TAGS, lambda name, value: self.text(name, value, TAG_LENGTH))

    def integer(self, field: str, value: int | None, low: int, high: int) -> int | None:
        if value is not None and not low <= value <= high:
            self.fail(field, f"must be between {low} and {high}", "out_of_range")
        return value

    def currency(self, field: str, value: str | None) -> str:
        """An ISO 4217 code in capitals (cny → CNY)."""
        code = str(value or "").strip().upper()
        if code not in CURRENCIES:
            self.fail(field, "must be an ISO 4217 currency code, like CNY, USD or EUR", "invalid_choice")
        return code

    def money(self, field: str, value: Decimal | None) -> Decimal | None:
        if value is None:
            return None
        if not value.is_finite() or value < 0 or value >= Decimal("1e12"):
            self.fail(field, "must be a non-negative amount below 1,000,000,000,000", "out_of_range")
            return None
        if value != value.quantize(Decimal("0.01")):
            self.fail(field, "must have at most two decimal places", "invalid")
        return value

    def past_date(self, field: str, value: dt.date | None) -> dt.date | None:
        if value is not None and not dt.date(1900, 1, 1) <= value <= dt.date.today():
            self.fail(field, "must be a date between 1900-01-01 and today", "out_of_range")
        return value
