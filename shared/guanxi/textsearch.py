"""Search keys for names in Chinese and Latin script, and the queries that find them.

A full-text parser keeps 上海华强电子有限公司 as one token, so 华强 would find nothing; n-grams alone do
not find 张伟 by "zhang wei". A name is therefore indexed as explicit lexemes:

- every Chinese character and every pair of neighbouring characters (华, 华强, 强电 …);
- every Latin word, and the words run together from each word on (jane smith → janesmith, smith);
- the pinyin of the Chinese characters run together from each syllable on
  (深圳华强 → shenzhenhuaqiang, zhenhuaqiang, huaqiang, qiang) and the same for the initials (szhq, zhq …).

A query becomes Chinese bigrams (all required) and Latin words as prefixes (all required), or the Latin
part run together as one prefix: "zhang wei", "zhangwei", "zw", "华强", "Smith" and "jane smi" all match.
Phone numbers are searched by their digits, emails by any part (trigram-indexed columns, see the models).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from pypinyin import Style, lazy_pinyin

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[^\W_]+")
_DIGITS = re.compile(r"\D+")
MAX_TOKEN = 60  # a lexeme over ~2 kB is refused by PostgreSQL; no useful prefix is this long
MAX_QUERY_TERMS = 12


def _fold(text: str) -> str:
    """NFKC (full-width Ａ１ → A1), lower case, accents off (José → jose)."""
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    return "".join(ch for ch in folded if not unicodedata.combining(ch))


def has_cjk(text: str) -> bool:
    return _CJK.search(text) is not None


def _runs_together(parts: list[str]) -> set[str]:
    return {"".join(parts[i:])[:MAX_TOKEN] for i in range(len(parts))}


def name_lexemes(*names: str | None) -> list[str]:
    """The lexemes under which records with these names are found."""
    lexemes: set[str] = set()
    for name in names:
        if not name:
            continue
        text = _fold(name)
        for run in _CJK.findall(text):
            lexemes.update(run)
            lexemes.update(run[i : i + 2] for i in range(len(run) - 1))
            syllables = lazy_pinyin(run, errors="ignore")
            lexemes |= _runs_together(syllables)
            lexemes |= _runs_together([s[0] for s in lazy_pinyin(run, style=Style.FIRST_LETTER) if s])
        latin = [word[:MAX_TOKEN] for word in _WORD.findall(_CJK.sub(" ", text))]
        lexemes.update(latin)
        lexemes |= _runs_together(latin)
    return sorted(lexeme for lexeme in lexemes if lexeme)


def tsvector_text(lexemes: list[str]) -> str:
    """The text form of a tsvector holding exactly these lexemes (letters, digits and CJK only: no quoting)."""
    return " ".join(f"'{lexeme}'" for lexeme in lexemes)


def phone_digits(phones: Iterable[str | None]) -> str:
    """Each number's digits, space separated: any run of 4+ digits of any number finds the record."""
    return " ".join(digits for phone in phones if phone and (digits := _DIGITS.sub("", phone)))


def email_text(emails: Iterable[str | None]) -> str:
    return " ".join(email.strip().lower() for email in emails if email)


def _lexeme(token: str) -> str:
    # Tokens are letters, digits or CJK only (see _WORD and _CJK), so quoting cannot be broken out of.
    return "'" + token.replace("'", "") + "'"


def name_query(query: str) -> str | None:
    """A ``to_tsquery('simple', …)`` expression for the name lexemes, or None if the query has no words."""
    text = _fold(query)
    required: list[str] = []
    for run in _CJK.findall(text):
        grams = [run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]
        required += [_lexeme(gram) for gram in grams]
    words = [word[:MAX_TOKEN] for word in _WORD.findall(_CJK.sub(" ", text))]
    terms = required[:MAX_QUERY_TERMS]
    if not words:
        return " & ".join(terms) or None
    separate = " & ".join(f"{_lexeme(word)}:*" for word in words[:MAX_QUERY_TERMS])
    together = f"{_lexeme(''.join(words)[:MAX_TOKEN])}:*"
    latin = separate if len(words) == 1 else f"(({separate}) | {together})"
    return " & ".join([*terms, latin])


def query_digits(query: str) -> str | None:
    """The digits of a query that looks like (part of) a phone number: 4 or more digits and nothing else."""
    if re.fullmatch(r"[\d\s+()\-.]+", query.strip()):
        digits = _DIGITS.sub("", query)
        if len(digits) >= 4:
            return digits
    return None


def query_email(query: str) -> str | None:
    """A query that could be part of an email address (3+ characters, no spaces)."""
    text = query.strip().lower()
    if len(text) >= 3 and " " not in text and (re.search(r"[a-z@.]", text)):
        return text
    return None


def _like_literal(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def like_pattern(text: str) -> str:
    """A LIKE pattern that finds ``text`` anywhere, with LIKE's own wildcards taken literally."""
    return "%" + _like_literal(text) + "%"


def like_prefix(text: str) -> str:
    """A LIKE pattern for lower-cased names starting with ``text``."""
    return _like_literal(text.strip().lower()) + "%"
