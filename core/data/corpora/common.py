"""What every corpus format shares: the valence bins, the loaded-table record, row bookkeeping with
counted skips, speaker splits, and the CSV / gender readers (SPEC §2).

Decisions shared by all loaders:

- Missing or NaN valence is a counted skip ("missing valence"); a rating outside the scale of the
  :class:`ValenceBins` in use is a counted skip too ("valence out of range"), not an error, so one bad
  rating does not block a corpus while a wrong scale (MuSE read with 1-5 bins) shows up as a large count.
- Rows with a gender other than F/M ("unknown gender") or empty text ("empty text") are counted skips.
- ``split=`` picks the split scheme: each loader's own by default (IEMOCAP ``"session"``, MSP-IMPROV
  and MuSE ``"speaker"``, MELD and EmoryNLP ``"files"``), or ``"all"``, which labels every row
  ``'all'`` (a cross corpus evaluated whole).
- Text files are read as UTF-8 with an optional BOM, decoded line by line so a bad byte is reported on
  its own line; CRLF line ends are accepted everywhere.
- CSV/TSV files are read strictly (:func:`read_delimited`): a quoting error, a row whose field count
  differs from the header's, a field spanning lines (an unbalanced quote) or a repeated column name is
  an error naming the line the row starts on, never merged or shifted rows. Fields of any length are read.
- Speaker-gender maps match speakers case-insensitively, so two spellings with different genders are an
  error naming both lines.
"""

from __future__ import annotations

import csv
import math
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from core.data.textfiles import CorpusFormatError, text_lines
from core.schema import COLUMNS, GENDERS, SPLITS, VALENCE_CLASSES

csv.field_size_limit(2**31 - 1)  # corpora hold long fields; the csv module's default stops at 131,072 characters

_GENDER_WORDS = {"f": "F", "female": "F", "m": "M", "male": "M"}
MISSING = {"", "na", "n/a", "nan", "none", "null"}
# Categorical corpora have no rating; their valence column holds -1/0/1 for low/mid/high.
CLASS_VALENCE = {"low": -1.0, "mid": 0.0, "high": 1.0}


@dataclass(frozen=True)
class ValenceBins:
    """Thresholds that turn an averaged rating into a valence class (SPEC §2.3).

    Example: ``FIVE_POINT.bin(2.75) == "low"``, ``FIVE_POINT.bin(3.25) == "mid"``.
    """

    low_max: float  # ratings <= low_max are 'low'
    mid_max: float  # ratings in (low_max, mid_max] are 'mid', above are 'high'
    scale: tuple[float, float] = (1.0, 5.0)  # valid rating range, inclusive

    def __post_init__(self) -> None:
        lo, hi = self.scale
        if not lo <= self.low_max < self.mid_max <= hi:
            raise ValueError(
                f"need {lo} <= low_max < mid_max <= {hi}, got low_max={self.low_max}, mid_max={self.mid_max}"
            )

    def bin(self, valence: float) -> str:
        """Class of one rating; ValueError when it is outside ``scale`` (NaN included)."""
        lo, hi = self.scale
        if not lo <= valence <= hi:
            raise ValueError(f"valence {valence} is outside the scale [{lo}, {hi}]")
        if valence <= self.low_max:
            return "low"
        return "mid" if valence <= self.mid_max else "high"


FIVE_POINT = ValenceBins(2.75, 3.25)  # IEMOCAP, MSP-IMPROV
NINE_POINT = ValenceBins(3.75, 4.25, scale=(1.0, 9.0))  # MuSE


@dataclass(frozen=True, eq=False)
class LoadedCorpus:
    """A loaded corpus: the schema table and the rows left out on purpose."""

    table: pd.DataFrame  # COLUMNS first, then corpus-specific columns
    skipped: dict[str, int]  # reason -> number of rows left out

    def summary(self) -> dict:
        """``{"counts": {split: {gender: {valence_class: n}}}, "skipped": {reason: n}, "total": n}``."""
        return {"counts": count_table(self.table), "skipped": dict(self.skipped), "total": len(self.table)}


def count_table(table: pd.DataFrame) -> dict[str, dict[str, dict[str, int]]]:
    """Utterances per split x gender x valence class, for the splits present; zeros are included."""
    sizes = table.groupby(["split", "gender", "valence_class"]).size()
    present = set(table["split"])
    return {
        split: {g: {c: int(sizes.get((split, g, c), 0)) for c in VALENCE_CLASSES} for g in GENDERS}
        for split in SPLITS
        if split in present
    }


MIN_PER_CLASS = 30  # fewer utterances of a valence class or a gender in a split: its numbers say little


def small_splits(table: pd.DataFrame, role: str, splits: Iterable[str] = SPLITS, *,
                 minimum: int = MIN_PER_CLASS) -> list[str]:
    """One warning per split of ``table`` (among ``splits``) where a valence class or a gender has
    under ``minimum`` utterances: a UAR or a probe score from 14 utterances (1.0 for every model) is
    noise, not a finding."""
    warnings = []
    for split in [s for s in splits if s in set(table["split"])]:
        rows = table[table["split"] == split]
        counts = {**rows["valence_class"].value_counts().to_dict(), **rows["gender"].value_counts().to_dict()}
        small = [f"{counts.get(v, 0)} {v}" for v in (*VALENCE_CLASSES, *GENDERS) if counts.get(v, 0) < minimum]
        if small:
            warnings.append(f"{role} corpus, {split} split: only {', '.join(small)} utterances (under {minimum} "
                            "per valence class and gender): numbers measured on it say little")
    return warnings


def unusable_splits(table: pd.DataFrame, splits: Iterable[str]) -> list[str]:
    """Why ``table`` cannot serve ``splits``: one that is empty (training would fail on its first batch), or
    holds one gender or one valence class (a probe or a UAR over it means nothing). [] when it can."""
    problems = []
    for split in splits:
        rows = table[table["split"] == split]
        if rows.empty:
            problems.append(f"the {split} split is empty")
            continue
        for column, what in (("gender", "speakers"), ("valence_class", "valence")):
            if rows[column].nunique() < 2:
                problems.append(f"the {split} split has only {rows[column].iloc[0]} {what}")
    return problems


def count_lines(table: pd.DataFrame, splits: Iterable[str]) -> list[str]:
    """Utterances per split × gender × valence class of ``splits`` as aligned lines, zeros and empty splits
    included: what a refusal shows, so the fix (another split scheme, another corpus) is plain."""
    sizes = table.groupby(["split", "gender", "valence_class"]).size()
    lines = [f"{'split':<6} {'gender':<6} " + " ".join(f"{c:>6}" for c in VALENCE_CLASSES)]
    for split in splits:
        for gender in GENDERS:
            counts = " ".join(f"{int(sizes.get((split, gender, c), 0)):>6}" for c in VALENCE_CLASSES)
            lines.append(f"{split:<6} {gender:<6} {counts}")
    return lines


def assign_speaker_splits(
    speaker_genders: Mapping[str, str],
    *,
    seed: int = 0,
    val_fraction: float = 0.2,
    test_fraction: float = 0.2,
) -> dict[str, str]:
    """Speaker -> 'train'|'val'|'test': speaker-disjoint and deterministic for ``seed``.

    Each gender's speakers are split separately (sorted, then permuted by ``seed``) so every split gets
    both genders whenever a gender has at least 3 speakers; a gender with 2 speakers gets train and
    test, with 1 train only. A split takes ``round(n * fraction)`` speakers, at least one where the
    above allows, and train always keeps at least one.
    """
    if val_fraction < 0 or test_fraction < 0 or val_fraction + test_fraction >= 1:
        raise ValueError(
            f"need val_fraction, test_fraction >= 0 with sum < 1, got {val_fraction}, {test_fraction}"
        )
    rng = np.random.default_rng(seed)
    splits: dict[str, str] = {}
    for gender in sorted(set(speaker_genders.values())):
        speakers = sorted(s for s, g in speaker_genders.items() if g == gender)
        n = len(speakers)
        n_test = min(max(round(n * test_fraction), int(test_fraction > 0 and n >= 2)), n - 1)
        n_val = min(max(round(n * val_fraction), int(val_fraction > 0 and n >= 3)), n - 1 - n_test)
        labels = ["test"] * n_test + ["val"] * n_val + ["train"] * (n - n_test - n_val)
        splits.update(zip((speakers[i] for i in rng.permutation(n)), labels))
    return splits


class Rows:
    """Accumulates schema rows; every refused row is counted under its reason."""

    def __init__(self, bins: ValenceBins | None = None) -> None:
        self.bins = bins
        self.records: list[dict] = []
        self.skipped: Counter[str] = Counter()

    def skip(self, reason: str) -> None:
        self.skipped[reason] += 1

    def add(
        self,
        *,
        gender: str | None,
        text: str,
        valence: float | None,
        valence_class: str | None = None,
        **fields: object,
    ) -> None:
        """Keep a row or count why not. Rated corpora pass ``valence``; categorical ones also the class."""
        text = text.strip()
        if gender not in GENDERS:
            return self.skip("unknown gender")
        if not text:
            return self.skip("empty text")
        if valence_class is None:
            if valence is None or math.isnan(valence):
                return self.skip("missing valence")
            try:
                valence_class = self.bins.bin(valence)
            except ValueError:
                return self.skip("valence out of range")
        self.records.append(
            {**fields, "gender": gender, "text": text, "valence": valence, "valence_class": valence_class}
        )

    def result(
        self,
        corpus: str,
        split: str,
        *,
        seed: int = 0,
        val_fraction: float = 0.2,
        test_fraction: float = 0.2,
    ) -> LoadedCorpus:
        """The table. ``split`` 'all' labels every row 'all', 'speaker' assigns speaker-grouped splits
        (:func:`assign_speaker_splits`), any other scheme keeps the split each row was given."""
        table = pd.DataFrame.from_records(self.records)
        extras = [c for c in table.columns if c not in COLUMNS]
        table = table.reindex(columns=[*COLUMNS, *extras]).assign(corpus=corpus)
        if split == "all":
            table["split"] = "all"
        elif split == "speaker":
            genders = table.groupby("speaker")["gender"].first().to_dict()  # first row decides
            chosen = assign_speaker_splits(
                genders, seed=seed, val_fraction=val_fraction, test_fraction=test_fraction
            )
            table["split"] = table["speaker"].map(chosen)
        duplicated = table["utt_id"][table["utt_id"].duplicated()].unique()
        if len(duplicated):
            raise ValueError(f"{corpus}: duplicate utt_id {list(duplicated[:5])}")
        return LoadedCorpus(table.astype({"valence": float}), dict(self.skipped))


def check_split(split: str, allowed: tuple[str, ...]) -> None:
    if split not in allowed:
        raise ValueError(f"split must be one of {allowed}, got {split!r}")


def read_delimited(
    path: Path, required: Iterable[str], *, delimiter: str = ","
) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of a CSV/TSV with a header, as (line the row starts on, row).

    Strict, because a lenient reader turns one stray quote into silently merged rows: a repeated
    column name, a quoting error, a field count other than the header's, and a field running over
    several lines (no corpus format privlens reads has one, so it is an unbalanced quote swallowing
    the rows after it) are each a CorpusFormatError naming the line the row starts on. Blank lines are
    ignored; fields of any length are read.
    """
    reader = csv.reader((line for _, line in text_lines(path)), delimiter=delimiter, strict=True)
    header = _header(reader, path)
    missing = [c for c in required if c not in header]
    if missing:
        raise CorpusFormatError(path, 1, f"missing column(s) {missing}; the header has {header}")
    while True:
        start = reader.line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise CorpusFormatError(path, start, f"bad quoting in the row starting here ({error})") from None
        if reader.line_num > start:
            raise CorpusFormatError(path, start, f"a quoted field runs from here to line {reader.line_num}: an "
                                                 "unbalanced quote? (fields may not span lines; use JSONL for "
                                                 "texts with line breaks)")
        if not fields or (len(fields) == 1 and not fields[0].strip()):
            continue
        if len(fields) != len(header):
            raise CorpusFormatError(path, start, f"expected {len(header)} fields, got {len(fields)}")
        yield start, dict(zip(header, fields))


def _header(reader: Iterator[list[str]], path: Path) -> list[str]:
    try:
        header = next(reader, [])
    except csv.Error as error:
        raise CorpusFormatError(path, 1, f"bad quoting in the header ({error})") from None
    repeated = sorted({c for c in header if header.count(c) > 1})
    if repeated:
        raise CorpusFormatError(path, 1, f"column name(s) {repeated} appear more than once in the header")
    return header


def parse_float(value: object, path: Path, line_no: int, what: str) -> float | None:
    """A number, or None when the value is a missing-value marker ('', NA, NaN, null)."""
    if value is None or (isinstance(value, str) and value.strip().lower() in MISSING):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise CorpusFormatError(path, line_no, f"expected a number for {what}, got {value!r}") from None


def parse_gender(value: object) -> str | None:
    """'F'/'M' from F, M, female, male in any case; None for anything else."""
    return _GENDER_WORDS.get(str(value).strip().lower())


def read_speaker_genders(csv_path: str | Path) -> dict[str, str]:
    """Speaker -> 'F'|'M' from a ``speaker,gender`` CSV (gender F, M, female or male, any case).

    Speakers are matched case-insensitively by the loaders, so ``Chandler,M`` and ``chandler,F`` is a
    conflict, reported with both lines; a speaker listed twice with the same gender is fine.
    """
    path = Path(csv_path)
    genders: dict[str, str] = {}
    first: dict[str, tuple[str, int]] = {}  # casefolded speaker -> (spelling, line) of its first entry
    for line_no, row in read_delimited(path, ("speaker", "gender")):
        gender, speaker = parse_gender(row["gender"]), row["speaker"].strip()
        if gender is None:
            problem = f"gender must be F, M, female or male, got {row['gender']!r}"
            raise CorpusFormatError(path, line_no, problem)
        spelling, line = first.setdefault(speaker.casefold(), (speaker, line_no))
        if genders.setdefault(spelling, gender) != gender:
            problem = (f"speaker {speaker!r} is {gender} here but {spelling!r} is {genders[spelling]} on line "
                       f"{line} (speakers match case-insensitively)")
            raise CorpusFormatError(path, line_no, problem)
    return genders


def gender_lookup(speaker_genders: Mapping[str, str] | str | Path) -> dict[str, str]:
    """Case-insensitive speaker -> gender map from a mapping or a ``speaker,gender`` CSV path."""
    if isinstance(speaker_genders, (str, Path)):
        speaker_genders = read_speaker_genders(speaker_genders)
    lookup: dict[str, str] = {}
    for speaker, value in speaker_genders.items():
        gender, key = parse_gender(value), speaker.strip().casefold()
        if gender is None:
            raise ValueError(f"speaker {speaker!r}: gender must be F or M, got {value!r}")
        if lookup.get(key, gender) != gender:
            raise ValueError(f"speaker {speaker!r} is {gender} but another spelling of it is {lookup[key]}")
        lookup[key] = gender
    return lookup


def find_split_files(root: str | Path, namings: Mapping[str, Mapping[str, str]], *,
                     folders: Sequence[str] = ("",), kind: str) -> dict[str, Path]:
    """split -> file for the one naming in ``namings`` whose files all exist under ``root``.

    ``namings`` maps a naming's label to {split: file name}; each file is looked for in
    ``folders`` (relative to ``root``, in order; the first hit wins). Raises FileNotFoundError
    listing every name and folder looked in when no naming is complete, or naming both when two are.
    """
    root = Path(root)
    complete = {}
    for label, names in namings.items():
        found = {split: next((root / f / n for f in folders if (root / f / n).is_file()), None)
                 for split, n in names.items()}
        if all(found.values()):
            complete[label] = found
    if len(complete) > 1:
        raise FileNotFoundError(f"{root}: holds {kind} files under both {' and '.join(complete)} names; keep one set")
    if complete:
        return next(iter(complete.values()))
    names = " or ".join(", ".join(n.values()) for n in namings.values())
    places = ", ".join(f"{f or '.'}" for f in folders)
    raise FileNotFoundError(f"{root}: no complete set of {kind} files; looked for {names} in {places}")


def add_categorical(
    rows: Rows, genders: Mapping[str, str], speaker: str, valence_class: str, **fields: str
) -> None:
    gender = genders.get(speaker.casefold())
    if gender is None:
        return rows.skip("speaker not in gender map")
    valence = CLASS_VALENCE[valence_class]
    rows.add(speaker=speaker, gender=gender, valence=valence, valence_class=valence_class, **fields)


@dataclass(frozen=True)
class CorpusFormat:
    """One on-disk corpus format: its loader, the loader options that name files, its demo writer."""

    name: str                                # the ``kind`` a config or CLI names it by
    load: Callable[..., LoadedCorpus]        # ``load(path, **options)``
    path_options: tuple[str, ...] = ()       # options holding file paths (resolved against the config file)
    write_demo: Callable[..., list[tuple[str, ...]]] | None = None  # ``(root, *, seed, scale)`` -> ground truth
