"""The languages the product speaks. Codes are BCP 47 (``zh-Hans``); Babel wants ``zh_Hans``."""

from __future__ import annotations

SUPPORTED = ("en", "zh-Hans", "zh-Hant")
DEFAULT = "en"
LABELS = {"en": "English", "zh-Hans": "简体中文", "zh-Hant": "繁體中文"}


def babel_code(locale: str) -> str:
    return {"zh-Hans": "zh_Hans_CN", "zh-Hant": "zh_Hant_TW"}.get(locale, "en")


def negotiate(accept_language: str | None) -> str:
    """Pick a supported locale from an Accept-Language header (zh-TW/zh-HK mean Traditional)."""
    if not accept_language:
        return DEFAULT
    weighted: list[tuple[float, str]] = []
    for part in accept_language.split(","):
        tag, _, q = part.strip().partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            continue
        weighted.append((weight, tag.strip().lower()))
    for _, tag in sorted(weighted, key=lambda item: -item[0]):
        if tag.startswith("zh"):
            traditional = any(mark in tag for mark in ("hant", "-tw", "-hk", "-mo"))
            return "zh-Hant" if traditional else "zh-Hans"
        if tag.startswith("en"):
            return "en"
    return DEFAULT
