"""Corpus loaders: each corpus, read in its real on-disk layout, becomes one table (SPEC §2).

Every loader returns a :class:`LoadedCorpus`: a table whose first columns are :data:`COLUMNS`
(SPEC §2.1) followed by corpus-specific ones, and ``skipped``, the rows left out on purpose counted
by reason, so nothing disappears silently. Malformed input raises :class:`CorpusFormatError`, whose
message starts with ``<file>:<line>:``.

Decisions shared by all loaders:

- Missing or NaN valence is a counted skip ("missing valence"); a rating outside the scale of the
  :class:`ValenceBins` in use is a counted skip too ("valence out of range"), not an error, so one bad
  rating does not block a corpus while a wrong scale (MuSE read with 1-5 bins) shows up as a large count.
- Rows with a gender other than F/M ("unknown gender") or empty text ("empty text") are counted skips.
- ``split=`` picks the split scheme: each loader's own by default (IEMOCAP ``"session"``, MSP-IMPROV
  and MuSE ``"speaker"``, MELD and EmoryNLP ``"files"``), or ``"all"``, which labels every row
  ``'all'`` (a cross corpus evaluated whole).
- Text files are read as UTF-8 with an optional BOM; CRLF line ends are accepted everywhere.
"""

from __future__ import annotations

import ast
import csv
import inspect
import json
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

VALENCE_CLASSES = ("low", "mid", "high")
GENDERS = ("F", "M")
SPLITS = ("train", "val", "test", "all")
COLUMNS = ("corpus", "utt_id", "speaker", "gender", "text", "valence", "valence_class", "split")

_GENDER_WORDS = {"f": "F", "female": "F", "m": "M", "male": "M"}
_MISSING = {"", "na", "n/a", "nan", "none", "null"}
# Categorical corpora have no rating; their valence column holds -1/0/1 for low/mid/high.
_CLASS_VALENCE = {"low": -1.0, "mid": 0.0, "high": 1.0}


class CorpusFormatError(ValueError):
    """Malformed corpus input; ``str(error)`` is ``"<file>:<line>: <problem>"`` (line 1-based)."""

    def __init__(self, path: str | Path, line: int, problem: str) -> None:
        super().__init__(f"{path}:{line}: {problem}")
        self.path = Path(path)
        self.line = line


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


class _Rows:
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


def _check_split(split: str, allowed: tuple[str, ...]) -> None:
    if split not in allowed:
        raise ValueError(f"split must be one of {allowed}, got {split!r}")


def numbered_lines(path: Path) -> Iterator[tuple[int, str]]:
    """Non-blank lines, stripped, with their 1-based numbers in the file; BOM and CR removed.

    Shared by every reader of line-based files (corpora, lexicons) so errors name the right line.
    """
    line_no = 0
    try:
        with open(path, encoding="utf-8-sig") as f:
            for line_no, line in enumerate(f, start=1):
                if line.strip():
                    yield line_no, line.strip()
    except UnicodeDecodeError:
        raise CorpusFormatError(path, line_no + 1, "not UTF-8 text") from None


def _read_delimited(
    path: Path, required: Iterable[str], *, delimiter: str = ","
) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of a CSV/TSV with a header, as (line number, row); checks columns and field counts."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f, delimiter=delimiter)
        try:
            header = reader.fieldnames or []
            missing = [c for c in required if c not in header]
            if missing:
                raise CorpusFormatError(path, 1, f"missing column(s) {missing}; the header has {header}")
            for row in reader:
                if None in row or None in row.values():
                    got = sum(v is not None for k, v in row.items() if k is not None) + len(row.get(None, []))
                    problem = f"expected {len(header)} fields, got {got}"
                    raise CorpusFormatError(path, reader.line_num, problem)
                yield reader.line_num, row
        except UnicodeDecodeError:
            raise CorpusFormatError(path, reader.line_num + 1, "not UTF-8 text") from None


def _parse_float(value: object, path: Path, line_no: int, what: str) -> float | None:
    """A number, or None when the value is a missing-value marker ('', NA, NaN, null)."""
    if value is None or (isinstance(value, str) and value.strip().lower() in _MISSING):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise CorpusFormatError(path, line_no, f"expected a number for {what}, got {value!r}") from None


def _gender(value: object) -> str | None:
    """'F'/'M' from F, M, female, male in any case; None for anything else."""
    return _GENDER_WORDS.get(str(value).strip().lower())


def read_speaker_genders(csv_path: str | Path) -> dict[str, str]:
    """Speaker -> 'F'|'M' from a ``speaker,gender`` CSV (gender F, M, female or male, any case)."""
    path = Path(csv_path)
    genders: dict[str, str] = {}
    for line_no, row in _read_delimited(path, ("speaker", "gender")):
        gender, speaker = _gender(row["gender"]), row["speaker"].strip()
        if gender is None:
            problem = f"gender must be F, M, female or male, got {row['gender']!r}"
            raise CorpusFormatError(path, line_no, problem)
        if genders.get(speaker, gender) != gender:
            raise CorpusFormatError(path, line_no, f"speaker {speaker!r} is listed with both genders")
        genders[speaker] = gender
    return genders


def _gender_lookup(speaker_genders: Mapping[str, str] | str | Path) -> dict[str, str]:
    """Case-insensitive speaker -> gender map from a mapping or a ``speaker,gender`` CSV path."""
    if isinstance(speaker_genders, (str, Path)):
        speaker_genders = read_speaker_genders(speaker_genders)
    lookup = {}
    for speaker, value in speaker_genders.items():
        if _gender(value) is None:
            raise ValueError(f"speaker {speaker!r}: gender must be F or M, got {value!r}")
        lookup[speaker.strip().casefold()] = _gender(value)
    return lookup


# --- IEMOCAP ---------------------------------------------------------------------------------------

_IEMOCAP_SPLITS = {1: "train", 2: "train", 3: "train", 4: "val", 5: "test"}
_SESSION_DIR = re.compile(r"Session(\d+)")
_TRANSCRIPT_LINE = re.compile(r"(?P<turn>\S+) \[[^\]]*\]: ?(?P<text>.*)")  # text starts after the first ']: '
# The speaker is the letter after the LAST underscore (Ses01F_impro01_M000 is a man); XX marks overlaps.
_TURN_NAME = re.compile(r"(?P<session>Ses\d\d)[A-Z]_.+_(?P<gender>[A-Z])(?P<xx>XX)?\d+")
_VAD = re.compile(r"\[([^,\]]+),([^,\]]+),([^,\]]+)\]")


def load_iemocap(root: str | Path, *, bins: ValenceBins = FIVE_POINT, split: str = "session") -> LoadedCorpus:
    """IEMOCAP from ``root/SessionN/dialog/{transcriptions,EmoEvaluation}/Ses*.txt``.

    Only top-level EmoEvaluation files are read (not Categorical/, Attribute/, Self-evaluation/);
    valence is the first of a summary line's ``[V, A, D]``. Speaker id is ``Ses01_F``: session plus the
    turn's gender letter. ``split="session"``: sessions 1-3 train, 4 val, 5 test; ``"all"``: all rows
    'all'. Skip reasons: "not a turn line", "overlapping/unlabelled turn (XX)", "no evaluation",
    "evaluation without transcript", plus the shared ones (module docstring).
    """
    _check_split(split, ("session", "all"))
    rows = _Rows(bins)
    for number, session_dir in _iemocap_sessions(Path(root)):
        labels: dict[str, tuple[str, float | None]] = {}
        for path in sorted((session_dir / "dialog" / "EmoEvaluation").glob("Ses*.txt")):
            labels.update(_read_emo_evaluation(path))
        used: set[str] = set()
        for path in sorted((session_dir / "dialog" / "transcriptions").glob("Ses*.txt")):
            for line_no, line in numbered_lines(path):
                match = _TRANSCRIPT_LINE.fullmatch(line)
                turn = match and _TURN_NAME.fullmatch(match["turn"])
                if not turn:
                    rows.skip("not a turn line")
                elif turn["xx"]:
                    rows.skip("overlapping/unlabelled turn (XX)")
                elif turn[0] in used:
                    raise CorpusFormatError(path, line_no, f"duplicate turn {turn[0]}")
                elif turn[0] not in labels:
                    rows.skip("no evaluation")
                else:
                    used.add(turn[0])
                    emotion, valence = labels[turn[0]]
                    rows.add(
                        utt_id=turn[0],
                        speaker=f"{turn['session']}_{turn['gender']}",
                        gender=turn["gender"],
                        text=match["text"],
                        valence=valence,
                        split=_IEMOCAP_SPLITS[number],
                        session=number,
                        emotion=emotion,
                    )
        if unused := len(labels.keys() - used):
            rows.skipped["evaluation without transcript"] += unused
    return rows.result("iemocap", split)


def _iemocap_sessions(root: Path) -> list[tuple[int, Path]]:
    sessions = sorted(
        (int(m[1]), p) for p in root.iterdir() if p.is_dir() and (m := _SESSION_DIR.fullmatch(p.name))
    )
    if not sessions:
        raise FileNotFoundError(f"{root}: no Session<N> folders (expected the IEMOCAP release layout)")
    unexpected = [p.name for n, p in sessions if n not in _IEMOCAP_SPLITS]
    if unexpected:
        raise ValueError(f"{root}: unexpected session folder(s) {unexpected}; IEMOCAP has Session1-Session5")
    return sessions


def _read_emo_evaluation(path: Path) -> dict[str, tuple[str, float | None]]:
    """Turn -> (emotion, valence) from the summary lines (those starting with '[') of one file."""
    labels: dict[str, tuple[str, float | None]] = {}
    for line_no, line in numbered_lines(path):
        if not line.startswith("["):  # header, per-annotator lines
            continue
        fields = line.split("\t")
        if len(fields) != 4:
            expected = "4 tab-separated fields '[start - end] TURN emotion [V, A, D]'"
            problem = f"expected {expected}, got {len(fields)}"
            raise CorpusFormatError(path, line_no, problem)
        _, turn, emotion, vad = fields
        match = _VAD.fullmatch(vad.replace(" ", ""))
        if not match:
            raise CorpusFormatError(path, line_no, f"expected '[V, A, D]', got {vad!r}")
        valence, _, _ = (_parse_float(v, path, line_no, "'[V, A, D]'") for v in match.groups())
        if turn in labels:
            raise CorpusFormatError(path, line_no, f"duplicate turn {turn}")
        labels[turn] = (emotion.strip(), valence)
    return labels


# --- MSP-IMPROV ------------------------------------------------------------------------------------

_MSP_LABEL_LINE = re.compile(r"[A-Z]+-IMPROV-")  # label lines start with the name; rater lines don't
_MSP_FIELD = re.compile(r"([A-Z]):\s*(.*)")


def load_msp_improv(
    root: str | Path,
    *,
    transcripts: str | Path | None = None,
    bins: ValenceBins = FIVE_POINT,
    recording_types: Iterable[str] | None = None,
    split: str = "speaker",
    seed: int = 0,
    val_fraction: float = 0.2,
    test_fraction: float = 0.2,
) -> LoadedCorpus:
    """MSP-IMPROV from ``root/Evaluation.txt`` plus a user-made ``utt_id<TAB>text`` transcripts file.

    ``transcripts`` defaults to ``root/transcripts.tsv`` (MSP-IMPROV ships no text). The name
    ``UTD-IMPROV-S01A-F01-S-FM01`` gives gender (index 16), speaker (16-18) and recording type (20,
    kept as ``recording_type``). ``recording_types``: letters to keep, None keeps all; others are
    counted as "recording type X filtered". ``split="speaker"``: gender-stratified speaker split for
    ``seed`` (:func:`assign_speaker_splits`); ``"all"``: all rows 'all'. Skip reasons also include
    "no transcript".
    """
    _check_split(split, ("speaker", "all"))
    root = Path(root)
    texts = _read_transcripts(Path(transcripts) if transcripts else root / "transcripts.tsv")
    keep = None if recording_types is None else set(recording_types)
    rows = _Rows(bins)
    path = root / "Evaluation.txt"
    for line_no, utt_id, emotion, valence in _read_msp_labels(path):
        if len(utt_id) < 22 or utt_id[15] + utt_id[19] + utt_id[21] != "---":
            problem = f"cannot decode {utt_id!r}; expected e.g. UTD-IMPROV-S01A-F01-S-FM01"
            raise CorpusFormatError(path, line_no, problem)
        recording_type = utt_id[20]
        if keep is not None and recording_type not in keep:
            rows.skip(f"recording type {recording_type} filtered")
        elif utt_id not in texts:
            rows.skip("no transcript")
        else:
            rows.add(
                utt_id=utt_id,
                speaker=utt_id[16:19],
                gender=utt_id[16],
                text=texts[utt_id],
                valence=valence,
                recording_type=recording_type,
                emotion=emotion,
            )
    return rows.result(
        "msp_improv", split, seed=seed, val_fraction=val_fraction, test_fraction=test_fraction
    )


def _read_msp_labels(path: Path) -> Iterator[tuple[int, str, str, float | None]]:
    """(line, utt_id, emotion, valence) per label line ``NAME.avi; EMO; A:..; V:..; D:..; [N:..;]``."""
    seen: set[str] = set()
    for line_no, line in numbered_lines(path):
        if not _MSP_LABEL_LINE.match(line):
            continue
        fields = [f.strip() for f in line.split(";")]
        if fields[-1] == "":
            fields.pop()
        if len(fields) < 3:
            problem = f"expected 'name; emotion; A:..; V:..; D:..;', got {len(fields)} fields"
            raise CorpusFormatError(path, line_no, problem)
        values = {}
        for field in fields[2:]:
            match = _MSP_FIELD.fullmatch(field)
            if not match:
                raise CorpusFormatError(path, line_no, f"expected '<letter>:<float>' field, got {field!r}")
            values[match[1]] = match[2]
        utt_id = fields[0].removesuffix(".avi")
        if utt_id in seen:
            raise CorpusFormatError(path, line_no, f"duplicate utterance {utt_id}")
        seen.add(utt_id)
        yield line_no, utt_id, fields[1], _parse_float(values.get("V"), path, line_no, "'V:<float>'")


def _read_transcripts(path: Path) -> dict[str, str]:
    """utt_id -> text from ``utt_id<TAB>text`` lines (a trailing .avi on the id is ignored; an
    ``utt_id<TAB>text`` header line is skipped)."""
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: transcripts file not found; MSP-IMPROV ships no text, so provide utt_id<TAB>text "
            "lines there or pass transcripts="
        )
    texts: dict[str, str] = {}
    for line_no, line in numbered_lines(path):
        if line_no == 1 and line.lower().split("\t")[:2] == ["utt_id", "text"]:
            continue  # an optional header line, not an utterance
        utt_id, tab, text = line.partition("\t")
        utt_id = utt_id.strip().removesuffix(".avi")
        if not tab:
            raise CorpusFormatError(path, line_no, "expected 'utt_id<TAB>text'")
        if utt_id in texts:
            raise CorpusFormatError(path, line_no, f"duplicate utterance {utt_id}")
        texts[utt_id] = text
    return texts


# --- MuSE ------------------------------------------------------------------------------------------


def load_muse(
    root: str | Path,
    *,
    csv: str | Path | None = None,
    bins: ValenceBins = NINE_POINT,
    split: str = "speaker",
    seed: int = 0,
    val_fraction: float = 0.2,
    test_fraction: float = 0.2,
) -> LoadedCorpus:
    """MuSE from its crowdsourcing CSV and ``root/Combined/Utterance Transcripts/<Sentence_name>.txt``.

    ``csv`` defaults to the single ``*.csv`` in ``root``. Speaker = first two characters of
    ``Sentence_name``; ``Type`` is kept as ``type``. ``split`` as for :func:`load_msp_improv`. Skip
    reasons also include "no transcript" (no text file).
    """
    _check_split(split, ("speaker", "all"))
    root = Path(root)
    path = Path(csv) if csv else _single_csv(root)
    transcripts = root / "Combined" / "Utterance Transcripts"
    rows = _Rows(bins)
    for line_no, row in _read_delimited(path, ("Sentence_name", "Gender", "Type", "Valence_Mean")):
        name = row["Sentence_name"].strip()
        text_path = transcripts / f"{name}.txt"
        valence = _parse_float(row["Valence_Mean"], path, line_no, "Valence_Mean")
        if not text_path.is_file():
            rows.skip("no transcript")
            continue
        rows.add(
            utt_id=name,
            speaker=name[:2],
            gender=_gender(row["Gender"]),
            text=" ".join(line for _, line in numbered_lines(text_path)),
            valence=valence,
            type=row["Type"],
        )
    return rows.result("muse", split, seed=seed, val_fraction=val_fraction, test_fraction=test_fraction)


def _single_csv(root: Path) -> Path:
    found = sorted(root.glob("*.csv"))
    if len(found) != 1:
        names = [p.name for p in found]
        raise FileNotFoundError(f"{root}: expected exactly one ratings *.csv, found {names}; pass csv=")
    return found[0]


# --- MELD and EmoryNLP (categorical, public) -------------------------------------------------------

_MELD_FILES = {"train": "train_sent_emo.csv", "val": "dev_sent_emo.csv", "test": "test_sent_emo.csv"}
_MELD_CLASSES = {"negative": "low", "neutral": "mid", "positive": "high"}
_EMORY_FILES = {
    "train": "emotion-detection-trn.csv",
    "val": "emotion-detection-dev.csv",
    "test": "emotion-detection-tst.csv",
}
_EMORY_CLASSES = {
    "joyful": "high", "peaceful": "high", "powerful": "high",
    "neutral": "mid",
    "scared": "low", "mad": "low", "sad": "low",
}  # fmt: skip
_EMORY_IDS = {"Season": "s", "Episode": "e", "Scene_ID": "c", "Utterance_ID": "u"}  # column -> utt_id prefix


def load_meld(
    root: str | Path, *, speaker_genders: Mapping[str, str] | str | Path, split: str = "files"
) -> LoadedCorpus:
    """MELD from ``root/{train,dev,test}_sent_emo.csv``; Sentiment negative/neutral/positive ->
    low/mid/high with valence -1/0/1.

    ``speaker_genders``: speaker -> F/M mapping or a ``speaker,gender`` CSV path, matched
    case-insensitively; other speakers are counted as "speaker not in gender map". ``split="files"``:
    train/dev/test files give train/val/test; ``"all"``: all rows 'all'. utt_id is
    ``<split>_dia<Dialogue_ID>_utt<Utterance_ID>``.
    """
    _check_split(split, ("files", "all"))
    genders = _gender_lookup(speaker_genders)
    rows = _Rows()
    required = ("Utterance", "Speaker", "Emotion", "Sentiment", "Dialogue_ID", "Utterance_ID")
    for file_split, name in _MELD_FILES.items():
        path = Path(root) / name
        for line_no, row in _read_delimited(path, required):
            valence_class = _MELD_CLASSES.get(row["Sentiment"].strip().lower())
            if valence_class is None:
                problem = f"Sentiment must be negative, neutral or positive, got {row['Sentiment']!r}"
                raise CorpusFormatError(path, line_no, problem)
            _add_categorical(
                rows, genders, row["Speaker"].strip(), valence_class,
                utt_id=f"{file_split}_dia{row['Dialogue_ID']}_utt{row['Utterance_ID']}",
                text=row["Utterance"], split=file_split, emotion=row["Emotion"],
            )  # fmt: skip
    return rows.result("meld", split)


def load_emorynlp(
    root: str | Path, *, speaker_genders: Mapping[str, str] | str | Path, split: str = "files"
) -> LoadedCorpus:
    """EmoryNLP from ``root/emotion-detection-{trn,dev,tst}.csv``; Joyful/Peaceful/Powerful -> high,
    Neutral -> mid, Scared/Mad/Sad -> low (valence -1/0/1).

    ``Speaker`` is a list string ("['Monica Geller']"); utterances with several speakers are counted as
    "multiple speakers". ``speaker_genders`` and ``split`` as for :func:`load_meld`. utt_id joins the
    split with whichever of Season, Episode, Scene_ID, Utterance_ID exist (``train_s1_e1_c1_u2``),
    else the line number.
    """
    _check_split(split, ("files", "all"))
    genders = _gender_lookup(speaker_genders)
    rows = _Rows()
    for file_split, name in _EMORY_FILES.items():
        path = Path(root) / name
        for line_no, row in _read_delimited(path, ("Utterance", "Speaker", "Emotion")):
            valence_class = _EMORY_CLASSES.get(row["Emotion"].strip().lower())
            if valence_class is None:
                problem = f"unknown Emotion {row['Emotion']!r}; expected one of {sorted(_EMORY_CLASSES)}"
                raise CorpusFormatError(path, line_no, problem)
            speakers = _speaker_list(row["Speaker"], path, line_no)
            if len(speakers) != 1:
                rows.skip("multiple speakers" if speakers else "no speaker")
                continue
            ids = [f"{prefix}{row[c]}" for c, prefix in _EMORY_IDS.items() if c in row]
            _add_categorical(
                rows, genders, speakers[0], valence_class,
                utt_id="_".join([file_split, *ids]) if ids else f"{file_split}_line{line_no}",
                text=row["Utterance"], split=file_split, emotion=row["Emotion"],
            )  # fmt: skip
    return rows.result("emorynlp", split)


def _add_categorical(
    rows: _Rows, genders: Mapping[str, str], speaker: str, valence_class: str, **fields: str
) -> None:
    gender = genders.get(speaker.casefold())
    if gender is None:
        return rows.skip("speaker not in gender map")
    valence = _CLASS_VALENCE[valence_class]
    rows.add(speaker=speaker, gender=gender, valence=valence, valence_class=valence_class, **fields)


def _speaker_list(value: str, path: Path, line_no: int) -> list[str]:
    """Speakers from "['A', 'B']"; a plain name is one speaker."""
    value = value.strip()
    if not value.startswith("["):
        return [value] if value else []
    try:
        speakers = ast.literal_eval(value)
    except (ValueError, SyntaxError):
        speakers = None
    if not isinstance(speakers, list) or not all(isinstance(s, str) for s in speakers):
        problem = f"expected a Speaker list like \"['Monica Geller']\", got {value!r}"
        raise CorpusFormatError(path, line_no, problem)
    return [s.strip() for s in speakers]


# --- any table -------------------------------------------------------------------------------------

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
    valence_class (low/mid/high; valence becomes -1/0/1). Optional: utt_id (default
    ``<file stem>-<line>``) and split (train/val/dev/test/all). ``split=None`` uses the mapped split
    column if there is one, else "speaker"; "column", "speaker" or "all" force a scheme. ``corpus``
    defaults to the file stem.
    """
    path = Path(path)
    _check_table_columns(columns)
    mode = split or ("column" if "split" in columns else "speaker")
    _check_split(mode, ("column", "speaker", "all") if "split" in columns else ("speaker", "all"))
    rows = _Rows(bins)
    for line_no, record in _read_records(path, columns.values()):
        value = {key: record[column] for key, column in columns.items()}
        rows.add(
            utt_id=str(value.get("utt_id", f"{path.stem}-{line_no}")),
            speaker=str(value["speaker"]).strip(),
            gender=_gender(value["gender"]),
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
        yield from _read_delimited(path, required, delimiter=_TABLE_DELIMITERS[suffix])
        return
    for line_no, line in numbered_lines(path):
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise CorpusFormatError(path, line_no, f"invalid JSON: {error.msg}") from None
        missing = [key for key in required if not isinstance(record, dict) or key not in record]
        if missing:
            raise CorpusFormatError(path, line_no, f"expected a JSON object with key(s) {missing}")
        yield line_no, record


def _table_split(value: object, path: Path, line_no: int) -> str:
    name = _SPLIT_NAMES.get(str(value).strip().lower())
    if name is None:
        raise CorpusFormatError(path, line_no, f"split must be one of {sorted(_SPLIT_NAMES)}, got {value!r}")
    return name


def _table_valence(value: dict, path: Path, line_no: int) -> dict:
    """``valence`` and ``valence_class`` for :meth:`_Rows.add` from a rating or a class label."""
    if "valence" in value:
        return {"valence": _parse_float(value["valence"], path, line_no, "valence")}
    label = str(value["valence_class"]).strip().lower()
    if label in _MISSING:
        return {"valence": None}  # counted as "missing valence"
    if label not in VALENCE_CLASSES:
        problem = f"valence_class must be low, mid or high, got {value['valence_class']!r}"
        raise CorpusFormatError(path, line_no, problem)
    return {"valence": _CLASS_VALENCE[label], "valence_class": label}


# --- registry --------------------------------------------------------------------------------------

LOADERS: dict[str, Callable[..., LoadedCorpus]] = {
    "iemocap": load_iemocap,
    "msp_improv": load_msp_improv,
    "muse": load_muse,
    "meld": load_meld,
    "emorynlp": load_emorynlp,
    "table": load_table,
}


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
