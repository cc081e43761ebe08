"""Shared field helpers: NFC-normalised, trimmed text."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from wtforms.fields.choices import SelectChoice

from awards.text import clean


def strip_nfc(value: object) -> object:
    """WTForms filter: trim and normalise text to NFC; other values pass through."""
    return clean(value) if isinstance(value, str) else value


TEXT_FILTERS = [strip_nfc]


def options(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """(value, label) pairs, e.g. from ``awards.labels.choices``, as WTForms options."""
    return [SelectChoice(value=value, label=label) for value, label in pairs]


LANGUAGE_OPTIONS = [("vi", "Tiếng Việt"), ("en", "English")]
