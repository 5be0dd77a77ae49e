"""EmoryNLP: the public ``emotion-detection-{trn,dev,tst}.csv`` files, seven emotions binned to valence
classes, genders from a speaker map. No demo writer."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from pathlib import Path

from core.corpora.common import (CorpusFormat, LoadedCorpus, Rows, add_categorical, check_split, gender_lookup,
                                 read_delimited)
from core.textfiles import CorpusFormatError

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
    check_split(split, ("files", "all"))
    genders = gender_lookup(speaker_genders)
    rows = Rows()
    for file_split, name in _EMORY_FILES.items():
        path = Path(root) / name
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
