"""Corpus loaders: each corpus, read in its real on-disk layout, becomes one table (SPEC §2).

One module per on-disk format (iemocap, msp_improv, muse, meld, emorynlp, table) holds its loader,
the loader options that name files, and — for the three demo layouts — its demo writer, registered
as its ``FORMAT``; shared machinery lives in :mod:`core.data.corpora.common`. Every loader returns a :class:`LoadedCorpus`: a table
whose first columns are :data:`COLUMNS` (SPEC §2.1) followed by corpus-specific ones, and
``skipped``, the rows left out on purpose counted by reason, so nothing disappears silently.
Malformed input raises :class:`CorpusFormatError`, whose message starts with ``<file>:<line>:``.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable
from pathlib import Path

from core.data.corpora.common import (FIVE_POINT, NINE_POINT, CorpusFormat, LoadedCorpus, ValenceBins,
                                      assign_speaker_splits, count_table, read_speaker_genders)
from core.data.corpora.emorynlp import load_emorynlp
from core.data.corpora.iemocap import load_iemocap
from core.data.corpora.meld import load_meld
from core.data.corpora.msp_improv import load_msp_improv
from core.data.corpora.muse import load_muse
from core.data.corpora.table import load_table
from core.data.textfiles import CorpusFormatError
from core.schema import COLUMNS, GENDERS, SPLITS, VALENCE_CLASSES

__all__ = ["COLUMNS", "FIVE_POINT", "FORMATS", "GENDERS", "LOADERS", "NINE_POINT", "SPLITS", "VALENCE_CLASSES",
           "CorpusFormat", "CorpusFormatError", "LoadedCorpus", "ValenceBins", "assign_speaker_splits",
           "count_table", "load_corpus", "load_emorynlp", "load_iemocap", "load_meld", "load_msp_improv",
           "load_muse", "load_table", "read_speaker_genders"]


def _discover_formats() -> dict[str, CorpusFormat]:
    """Every module of this package that defines ``FORMAT``, by name: a new format is one new module."""
    formats = {}
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        corpus_format = getattr(importlib.import_module(f"{__name__}.{module.name}"), "FORMAT", None)
        if corpus_format is not None:
            formats[corpus_format.name] = corpus_format
    return formats


FORMATS: dict[str, CorpusFormat] = _discover_formats()
LOADERS: dict[str, Callable[..., LoadedCorpus]] = {name: f.load for name, f in FORMATS.items()}


def load_corpus(kind: str, path: str | Path, **options: object) -> LoadedCorpus:
    """Load ``path`` with the loader registered as ``kind``; unknown kinds and options raise ValueError."""
    if kind not in LOADERS:
        raise ValueError(f"unknown corpus kind {kind!r}; valid kinds: {', '.join(LOADERS)}")
    loader = LOADERS[kind]
    accepted = list(inspect.signature(loader).parameters)[1:]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise ValueError(f"{kind} takes no option(s) {unknown}; its options are {accepted}")
    return loader(path, **options)
