"""EmoryNLP: the public ``emotion-detection-{trn,dev,tst}.csv`` files, or the copy in the MELD
repository (``emorynlp_{train,dev,test}_final.csv``), seven emotions binned to valence classes,
genders from a speaker map. No demo writer."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from pathlib import Path

from core.data.corpora.common import (CorpusFormat, LoadedCorpus, Rows, add_categorical, check_split, find_split_files,
                                      gender_lookup, read_delimited)
from core.data.textfiles import CorpusFormatError

_EMORY_NAMINGS = {  # the original release, and the copy widely used from the MELD repository
    "emotion-detection": {"train": "emotion-detection-trn.csv", "val": "emotion-detection-dev.csv",
                          "test": "emotion-detection-tst.csv"},
    "emorynlp_*_final": {"train": "emorynlp_train_final.csv", "val": "emorynlp_dev_final.csv",
                         "test": "emorynlp_test_final.csv"},
}
_EMORY_FOLDERS = ("", "data/emorynlp")  # the folder given, or the MELD repository holding the copy
_EMORY_CLASSES = {
    "joyful": "high", "peaceful": "high", "powerful": "high",
    "neutral": "mid",
    "scared": "low", "mad": "low", "sad": "low",
}  # fmt: skip
_EMORY_IDS = {"Season": "s", "Episode": "e", "Scene_ID": "c", "Utterance_ID": "u"}  # column -> utt_id prefix


def load_emorynlp(
    root: str | Path, *, speaker_genders: Mapping[str, str] | str | Path, split: str = "files"
) -> LoadedCorpus:
    """EmoryNLP from ``root/emotion-detection-{trn,dev,tst}.csv`` or ``root/emorynlp_{train,dev,test}_final.csv``
    (also under ``root/data/emorynlp``; neither raises FileNotFoundError listing the names looked
    for); Joyful/Peaceful/Powerful -> high, Neutral -> mid, Scared/Mad/Sad -> low (valence -1/0/1).

    ``Speaker`` is a list string ("['Monica Geller']"); utterances with several speakers are counted as
    "multiple speakers". ``speaker_genders`` and ``split`` as for :func:`load_meld`. utt_id joins the
    split with whichever of Season, Episode, Scene_ID, Utterance_ID exist (``train_s1_e1_c1_u2``),
    else the line number.
    """
    check_split(split, ("files", "all"))
    genders = gender_lookup(speaker_genders)
    rows = Rows()
    files = find_split_files(root, _EMORY_NAMINGS, folders=_EMORY_FOLDERS, kind="EmoryNLP")
    for file_split, path in files.items():
        for line_no, row in read_delimited(path, ("Utterance", "Speaker", "Emotion")):
            valence_class = _EMORY_CLASSES.get(row["Emotion"].strip().lower())
            if valence_class is None:
                problem = f"unknown Emotion {row['Emotion']!r}; expected one of {sorted(_EMORY_CLASSES)}"
                raise CorpusFormatError(path, line_no, problem)
            speakers = _speaker_list(row["Speaker"], path, line_no)
            if len(speakers) != 1:
                rows.skip("multiple speakers" if speakers else "no speaker")
                continue
            ids = [f"{prefix}{row[c]}" for c, prefix in _EMORY_IDS.items() if c in row]
            add_categorical(
                rows, genders, speakers[0], valence_class,
                utt_id="_".join([file_split, *ids]) if ids else f"{file_split}_line{line_no}",
                text=row["Utterance"], split=file_split, emotion=row["Emotion"],
            )  # fmt: skip
    return rows.result("emorynlp", split)


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


FORMAT = CorpusFormat("emorynlp", load_emorynlp, path_options=("speaker_genders",))
