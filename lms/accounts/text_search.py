"""Matching and sorting Vietnamese names the way people type and expect them, inside the database.

"nguyen thi" finds "Nguyễn Thị …", "ĐÀO" finds "Lường Thị Đào", and "Đặng" sorts just after "Dương", not
after "Vũ". SQLite calls Python functions registered on each connection; PostgreSQL matches with a regular
expression that allows every marked form of each letter (far faster than rewriting every row) and sorts
with ICU's Vietnamese collation when the server has it.
"""
from __future__ import annotations

import re
import sqlite3
import unicodedata

from sqlalchemy import String, collate, event, func, text
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.functions import GenericFunction

from lms.extensions import db


def _bare(ch: str) -> str:
    stripped = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
    return stripped.replace("đ", "d").replace("Đ", "D").lower()


def _marked_letters() -> dict[str, str]:
    """Every Latin letter with a mark (Vietnamese and the rest of Latin-1/Extended), and its bare letter."""
    table = {}
    for code in list(range(0xC0, 0x250)) + list(range(0x1E00, 0x1F00)):
        ch = chr(code)
        bare = _bare(ch)
        if len(bare) == 1 and bare.isascii() and bare.isalpha() and bare != ch:
            table[ch] = bare
    return table


_MARKED = _marked_letters()
# Marked letters to bare ones, and loose combining marks (decomposed input) dropped.
_FOLD_TABLE = str.maketrans("".join(_MARKED), "".join(_MARKED.values()),
                            "".join(chr(c) for c in range(0x300, 0x370)))
# For the regular expression: each bare letter and every Vietnamese form of it, both cases.
_VIETNAMESE = "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ"
_FORMS: dict[str, str] = {}
for _ch in _VIETNAMESE + _VIETNAMESE.upper():
    _FORMS[_bare(_ch)] = _FORMS.get(_bare(_ch), _bare(_ch) + _bare(_ch).upper()) + _ch


def fold(value: str) -> str:
    """Lower case without tone marks or vowel hats: "Nguyễn Đức" → "nguyen duc"."""
    return value.translate(_FOLD_TABLE).lower()


_VIETNAMESE_BOTH = _VIETNAMESE + _VIETNAMESE.upper()
_VIETNAMESE_BARE = "".join(_bare(ch) for ch in _VIETNAMESE_BOTH)


class folded(GenericFunction):
    """fold() in SQL: a Python function on SQLite (registered on each connection), translate() of the
    Vietnamese letters on PostgreSQL. For a search prefer contains_folded(), much faster on PostgreSQL."""

    type = String()
    name = "lms_fold"
    inherit_cache = True


@compiles(folded)
def _folded_sql(element, compiler, **kw):
    (argument,) = element.clauses.clauses
    if compiler.dialect.name == "sqlite":
        return f"lms_fold({compiler.process(argument, **kw)})"
    if compiler.dialect.name == "postgresql":
        return compiler.process(func.translate(func.lower(argument), _VIETNAMESE_BOTH, _VIETNAMESE_BARE), **kw)
    return compiler.process(func.lower(argument), **kw)


# Vietnamese alphabetical order: ă and â follow a, đ follows d, ê follows e, ô and ơ follow o, ư follows u;
# the tone marks only decide between otherwise equal names.
_LETTER_MARKS = {("a", "\u0306"): 1, ("a", "\u0302"): 2, ("e", "\u0302"): 1, ("o", "\u0302"): 1,
                 ("o", "\u031b"): 2, ("u", "\u031b"): 1}
_TONES = {"\u0300": "1", "\u0309": "2", "\u0303": "3", "\u0301": "4", "\u0323": "5"}


def _letter_and_tone(ch: str) -> tuple[str, str]:
    if ch == "đ":
        return "d1", "0"
    base, *marks = unicodedata.normalize("NFD", ch)
    variant = max((_LETTER_MARKS.get((base, mark), 0) for mark in marks), default=0)
    return f"{base}{variant}", next((_TONES[mark] for mark in marks if mark in _TONES), "0")


# Two translation tables built once, so a key costs two str.translate calls (20,000 names sort quickly).
_LETTER_KEYS: dict[int, str] = {}
_TONE_KEYS: dict[int, str] = {}
for _ch in "abcdefghijklmnopqrstuvwxyz" + _VIETNAMESE:
    _letter, _tone = _letter_and_tone(_ch)
    for _form in {_ch, _ch.upper()}:
        _LETTER_KEYS[ord(_form)], _TONE_KEYS[ord(_form)] = _letter, _tone


def sort_key(value: str) -> str:
    """A key whose plain string order is Vietnamese alphabetical order ("Dương" < "Đào" < "Đặng" < "Hà")."""
    value = unicodedata.normalize("NFC", value)
    return value.translate(_LETTER_KEYS) + "\x00" + value.translate(_TONE_KEYS)


@event.listens_for(Engine, "connect")
def _register_sqlite_functions(dbapi_connection, connection_record):
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.create_function("lms_fold", 1, lambda v: fold(v) if v is not None else None,
                                         deterministic=True)
        dbapi_connection.create_function("lms_sort_key", 1, lambda v: sort_key(v) if v is not None else None,
                                         deterministic=True)


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _any_form_pattern(word: str) -> str:
    """A PostgreSQL regular expression matching the folded word written with any marks, in any case."""
    return "".join(f"[{_FORMS[ch]}]" if ch in _FORMS else re.escape(ch) for ch in word)


def contains_folded(column, value: str) -> ColumnElement[bool]:
    """column contains value, ignoring case and Vietnamese marks; LIKE wildcards typed in value are literal."""
    word = fold(value)
    dialect = _dialect()
    if dialect == "postgresql":
        return column.regexp_match(_any_form_pattern(word), flags="i")
    if dialect == "sqlite":
        return folded(column).contains(word, autoescape=True)
    return func.lower(column).contains(word, autoescape=True)


_icu_vietnamese: dict[str, bool] = {}


def _has_icu_vietnamese() -> bool:
    """Whether this PostgreSQL server has ICU's Vietnamese collation (asked once per database)."""
    key = str(db.engine.url)
    if key not in _icu_vietnamese:
        _icu_vietnamese[key] = bool(db.session.scalar(text(
            "SELECT 1 FROM pg_collation WHERE collname = 'vi-x-icu'")))
    return _icu_vietnamese[key]


def name_order(column) -> list[ColumnElement]:
    """ORDER BY terms that put names in Vietnamese alphabetical order (as near as the database allows)."""
    dialect = _dialect()
    if dialect == "sqlite":
        return [func.lms_sort_key(column), column]
    if dialect == "postgresql" and _has_icu_vietnamese():
        return [collate(column, "vi-x-icu")]
    return [column]
