"""Secrets are never written or printed: the one place that masks a URL's password.

A study database URL may carry a password (``postgresql+psycopg://user:password@host/db``). Every
config record (the manifest, ``metrics/config.json``, each ``model.json``) goes through
:func:`masked_values` (via ``core.config.to_dict``), and every message, log line and page that names a
database goes through :func:`masked`, so the password appears only where the URL is used to connect.

>>> masked("postgresql+psycopg://u:s3cret@db.example:5432/study")
'postgresql+psycopg://u:***@db.example:5432/study'
>>> masked("sqlite:///artifacts/demo/study/study.sqlite")
'sqlite:///artifacts/demo/study/study.sqlite'
"""
from __future__ import annotations

import re
from typing import Any

MASK = "***"
# scheme://user:password@host… — the password runs to the *last* "@", so one holding a raw "@" is masked whole
_PASSWORD = re.compile(r"^(?P<head>[A-Za-z][\w+.-]*://[^:/@?#]*:)(?P<password>.*)(?=@)", re.DOTALL)


def masked(url: str) -> str:
    """``url`` with its password (if any) replaced by ``***``; anything else is returned unchanged."""
    return _PASSWORD.sub(lambda m: m["head"] + MASK, url)


def is_masked(url: str) -> bool:
    """Whether ``url``'s password is the mask (a URL read back from a record, unusable for connecting)."""
    match = _PASSWORD.match(url)
    return bool(match) and match["password"] == MASK


def masked_values(value: Any) -> Any:
    """``value`` (plain JSON values: dicts, lists, strings, numbers) with every string :func:`masked`."""
    if isinstance(value, dict):
        return {k: masked_values(v) for k, v in value.items()}
    if isinstance(value, list):
        return [masked_values(v) for v in value]
    return masked(value) if isinstance(value, str) else value
