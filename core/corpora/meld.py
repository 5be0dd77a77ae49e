"""MELD: the public ``{train,dev,test}_sent_emo.csv`` files, sentiment as the valence class, genders
from a speaker map. No demo writer: the demo's three roles use the licensed-corpus layouts."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from core.corpora.common import (CorpusFormat, LoadedCorpus, Rows, add_categorical, check_split, gender_lookup,
                                 read_delimited)
from core.textfiles import CorpusFormatError

_MELD_FILES = {"train": "train_sent_emo.csv", "val": "dev_sent_emo.csv", "test": "test_sent_emo.csv"}
_MELD_CLASSES = {"negative": "low", "neutral": "mid", "positive": "high"}


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
    check_split(split, ("files", "all"))
    genders = gender_lookup(speaker_genders)
    rows = Rows()
    required = ("Utterance", "Speaker", "Emotion", "Sentiment", "Dialogue_ID", "Utterance_ID")
    for file_split, name in _MELD_FILES.items():
        path = Path(root) / name
        for line_no, row in read_delimited(path, required):
            valence_class = _MELD_CLASSES.get(row["Sentiment"].strip().lower())
            if valence_class is None:
                problem = f"Sentiment must be negative, neutral or positive, got {row['Sentiment']!r}"
                raise CorpusFormatError(path, line_no, problem)
            add_categorical(
                rows, genders, row["Speaker"].strip(), valence_class,
                utt_id=f"{file_split}_dia{row['Dialogue_ID']}_utt{row['Utterance_ID']}",
                text=row["Utterance"], split=file_split, emotion=row["Emotion"],
            )  # fmt: skip
    return rows.result("meld", split)

FORMAT = CorpusFormat("meld", load_meld, path_options=("speaker_genders",))
