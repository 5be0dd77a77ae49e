"""Any CSV, TSV or JSONL table with a column mapping: the format for corpora without a loader of their own."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from core.data.corpora.common import (CLASS_VALENCE, FIVE_POINT, MISSING, CorpusFormat, LoadedCorpus, Rows, ValenceBins,
                                      check_split, parse_float, parse_gender, read_delimited)
from core.data.textfiles import CorpusFormatError, numbered_lines
from core.schema import VALENCE_CLASSES

_TABLE_KEYS = ("text", "gender", "speaker", "valence", "valence_class", "utt_id", "split")
_TABLE_DELIMITERS = {".csv": ",", ".tsv": "\t", ".tab": "\t", ".jsonl": None, ".ndjson": None}
_SPLIT_NAMES = {"train": "train", "val": "val", "dev": "val", "test": "test", "all": "all"}


def load_table(
    path: str | Path,
    *,
    columns: Mapping[str, str],
    bins: ValenceBins = FIVE_POINT,
    corpus: str | None = None,
    split: str | None = None,
    seed: int = 0,
    val_fraction: float = 0.2,
    test_fraction: float = 0.2,
) -> LoadedCorpus:
    """Any CSV, TSV or JSONL (format from the extension) with ``columns`` mapping schema names to its
    columns.

    Required keys: text, gender, speaker, and exactly one of valence (binned with ``bins``) or
    valence_class (low/mid/high; valence becomes -1/0/1). Optional: utt_id (default, also for an
    empty one: ``<file stem>-<line>``) and split (train/val/dev/test/all). A JSONL null reads as an
    empty field (so a null text, gender or valence is a counted skip, as in a CSV); a list, object or
    boolean is an error. Rows without a speaker are counted as "missing speaker". ``split=None`` uses the mapped split
    column if there is one, else "speaker"; "column", "speaker" or "all" force a scheme. ``corpus``
    defaults to the file stem.
    """
    path = Path(path)
    _check_table_columns(columns)
    mode = split or ("column" if "split" in columns else "speaker")
    check_split(mode, ("column", "speaker", "all") if "split" in columns else ("speaker", "all"))
    rows = Rows(bins)
    for line_no, record in _read_records(path, columns.values()):
        value = {key: record[column] for key, column in columns.items()}
        speaker = str(value["speaker"]).strip()
        if not speaker:
            rows.skip("missing speaker")
            continue
        rows.add(
            utt_id=_utt_id(value.get("utt_id"), path, line_no),
            speaker=speaker,
            gender=parse_gender(value["gender"]),
            text=str(value["text"]),
            split=_table_split(value["split"], path, line_no) if mode == "column" else None,
            **_table_valence(value, path, line_no),
        )
    return rows.result(
        corpus or path.stem, mode, seed=seed, val_fraction=val_fraction, test_fraction=test_fraction
    )


def _check_table_columns(columns: Mapping[str, str]) -> None:
    unknown = sorted(set(columns) - set(_TABLE_KEYS))
    missing = sorted({"text", "gender", "speaker"} - set(columns))
    if unknown or missing:
        raise ValueError(
            f"columns: unknown key(s) {unknown}, missing key(s) {missing}; keys are {_TABLE_KEYS}"
        )
    if ("valence" in columns) == ("valence_class" in columns):
        raise ValueError("columns: map exactly one of 'valence' and 'valence_class'")


def _read_records(path: Path, required: Iterable[str]) -> Iterator[tuple[int, dict]]:
    """(line, record) from a CSV/TSV with a header or a JSONL file, checking required keys."""
    suffix = path.suffix.lower()
    if suffix not in _TABLE_DELIMITERS:
        raise ValueError(f"{path}: unknown table format {suffix!r}; use one of {sorted(_TABLE_DELIMITERS)}")
    if _TABLE_DELIMITERS[suffix]:
        yield from read_delimited(path, required, delimiter=_TABLE_DELIMITERS[suffix])
        return
    for line_no, line in numbered_lines(path):
        try:
            record = json.loads(line, object_pairs_hook=_unique_keys)
        except json.JSONDecodeError as error:
            raise CorpusFormatError(path, line_no, f"invalid JSON: {error.msg}") from None
        except _RepeatedKey as error:
            raise CorpusFormatError(path, line_no, str(error)) from None
        missing = [key for key in required if not isinstance(record, dict) or key not in record]
        if missing:
            raise CorpusFormatError(path, line_no, f"expected a JSON object with key(s) {missing}")
        yield line_no, {key: _json_scalar(record[key], key, path, line_no) for key in required}


class _RepeatedKey(ValueError):
    """A JSON object naming one key twice."""


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    """A JSON object as a dict, refusing a repeated key: json keeps the last value silently, so
    ``"valence": 4.5, "valence": 1.0`` would be read as 1.0 with nothing said."""
    record: dict = {}
    for key, value in pairs:
        if key in record:
            raise _RepeatedKey(f"key {key!r} appears twice in one record ({json.dumps(record[key])} and "
                               f"{json.dumps(value)}); keep one")
        record[key] = value
    return record


def _json_scalar(value: object, key: str, path: Path, line_no: int) -> object:
    """A string or number as it is; null as "" (what an empty CSV field reads as, so it is skipped for
    the same reason); a list, object or boolean is an error, never its repr or 1.0."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        problem = f"{key!r} must be a string or a number, got {json.dumps(value)}"
        raise CorpusFormatError(path, line_no, problem)
    return value


def _utt_id(value: object, path: Path, line_no: int) -> str:
    """The row's id as given (0 included); ``<file stem>-<line>`` where the column is absent or empty."""
    given = "" if value is None else str(value).strip()
    return given or f"{path.stem}-{line_no}"


def _table_split(value: object, path: Path, line_no: int) -> str:
    name = _SPLIT_NAMES.get(str(value).strip().lower())
    if name is None:
        raise CorpusFormatError(path, line_no, f"split must be one of {sorted(_SPLIT_NAMES)}, got {value!r}")
    return name


def _table_valence(value: dict, path: Path, line_no: int) -> dict:
    """``valence`` and ``valence_class`` for :meth:`Rows.add` from a rating or a class label."""
    if "valence" in value:
        return {"valence": parse_float(value["valence"], path, line_no, "valence")}
    label = str(value["valence_class"]).strip().lower()
    if label in MISSING:
        return {"valence": None}  # counted as "missing valence"
    if label not in VALENCE_CLASSES:
        problem = f"valence_class must be low, mid or high, got {value['valence_class']!r}"
        raise CorpusFormatError(path, line_no, problem)
    return {"valence": CLASS_VALENCE[label], "valence_class": label}


FORMAT = CorpusFormat("table", load_table)
