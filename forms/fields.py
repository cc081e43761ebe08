"""Shared field helpers: NFC-normalised, trimmed text."""

from __future__ import annotations

from awards.text import clean


def strip_nfc(value: object) -> object:
    """WTForms filter: trim and normalise text to NFC; other values pass through."""
    return clean(value) if isinstance(value, str) else value


TEXT_FILTERS = [strip_nfc]
