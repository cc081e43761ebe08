"""Text helpers for Vietnamese: NFC normalisation and accent folding for search."""

from __future__ import annotations

import unicodedata

# Đ/đ is a letter of its own, not D with a combining mark: NFD does not split it.
_EXTRA_FOLDS = str.maketrans({"đ": "d", "Đ": "d"})


def clean(value: str | None) -> str:
    """Trim and normalise user text to NFC (PDFs and comparisons need one form of each letter)."""
    if value is None:
        return ""
    return unicodedata.normalize("NFC", value).strip()


def fold(value: str) -> str:
    """Lower-case, accent-free form for search: ``fold("Nguyễn Đức") == "nguyen duc"``."""
    decomposed = unicodedata.normalize("NFD", value.translate(_EXTRA_FOLDS))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


def like_pattern(query: str) -> str:
    """A LIKE pattern matching ``query`` anywhere in a folded column, with wildcards escaped."""
    escaped = fold(query).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
