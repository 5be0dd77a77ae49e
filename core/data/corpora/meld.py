"""MELD: the public ``{train,dev,test}_sent_emo.csv`` files, sentiment as the valence class, genders
from a speaker map. The files are found where the downloads put them: flat, in the extracted
``MELD.Raw`` archive (train in ``train/``), or in the repository's ``data/MELD/``. No demo writer:
the demo's three roles use the licensed-corpus layouts."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from core.data.corpora.common import (CorpusFormat, LoadedCorpus, Rows, add_categorical, check_split, find_split_files,
                                      gender_lookup, read_delimited)
from core.data.textfiles import CorpusFormatError

_MELD_FILES = {"train": "train_sent_emo.csv", "val": "dev_sent_emo.csv", "test": "test_sent_emo.csv"}
# Where downloads put them, relative to the folder given: flat; the extracted MELD.Raw archive
# (dev/test at its top, train inside train/), given itself or its parent; the repository's data/MELD.
_MELD_FOLDERS = ("", "train", "dev", "test", "MELD.Raw", "MELD.Raw/train", "MELD.Raw/dev", "MELD.Raw/test",
                 "data/MELD")
_MELD_CLASSES = {"negative": "low", "neutral": "mid", "positive": "high"}


def load_meld(
    root: str | Path, *, speaker_genders: Mapping[str, str] | str | Path, split: str = "files"
) -> LoadedCorpus:
    """MELD from ``{train,dev,test}_sent_emo.csv`` in ``root`` or the download layouts below it
    (``_MELD_FOLDERS``; a missing file raises FileNotFoundError listing where it looked);
    Sentiment negative/neutral/positive -> low/mid/high with valence -1/0/1.

    ``speaker_genders``: speaker -> F/M mapping or a ``speaker,gender`` CSV path, matched
    case-insensitively; other speakers are counted as "speaker not in gender map". ``split="files"``:
    train/dev/test files give train/val/test; ``"all"``: all rows 'all'. utt_id is
    ``<split>_dia<Dialogue_ID>_utt<Utterance_ID>``.
    """
    check_split(split, ("files", "all"))
    genders = gender_lookup(speaker_genders)
    rows = Rows()
    required = ("Utterance", "Speaker", "Emotion", "Sentiment", "Dialogue_ID", "Utterance_ID")
    files = find_split_files(root, {"MELD": _MELD_FILES}, folders=_MELD_FOLDERS, kind="MELD")
    for file_split, path in files.items():
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
