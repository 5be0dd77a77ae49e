"""MuSE: the crowdsourcing ratings CSV plus one transcript file per utterance — its loader and its
demo writer (the demo's cross corpus)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from core.data.corpora.common import (NINE_POINT, CorpusFormat, LoadedCorpus, Rows, ValenceBins, check_split,
                                      parse_float, parse_gender, read_delimited)
from core.data.demo_effects import RATINGS, SIZES, draw_ratings
from core.data.demo_grammar import allocate, speaker_utterances
from core.data.textfiles import numbered_lines, write_text


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
    check_split(split, ("speaker", "all"))
    root = Path(root)
    path = Path(csv) if csv else _single_csv(root)
    transcripts = root / "Combined" / "Utterance Transcripts"
    rows = Rows(bins)
    for line_no, row in read_delimited(path, ("Sentence_name", "Gender", "Type", "Valence_Mean")):
        name = row["Sentence_name"].strip()
        text_path = transcripts / f"{name}.txt"
        valence = parse_float(row["Valence_Mean"], path, line_no, "Valence_Mean")
        if not text_path.is_file():
            rows.skip("no transcript")
            continue
        rows.add(
            utt_id=name,
            speaker=name[:2],
            gender=parse_gender(row["Gender"]),
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


# --- demo writer -----------------------------------------------------------------------------------

def write_demo(root: str | Path, *, seed: int = 0, scale: float = 1.0) -> list[tuple[str, ...]]:
    """Demo MuSE under ``root``: muse_crowdsourcing.csv and Combined/Utterance Transcripts/<name>.txt.

    20 speakers ``01``..``20`` (odd F, even M); names ``03_stress_0012`` (speaker, Type, number).
    Type is independent of valence. Returns the ground-truth rows.
    """
    rng = np.random.default_rng([seed, 2])
    root = Path(root)
    model = RATINGS["cross"]
    per_speaker = max(2, round(SIZES["cross"] * scale / 20))
    rows, truth = [], []
    for number in range(1, 21):
        speaker, gender = f"{number:02d}", "F" if number % 2 else "M"
        utts = speaker_utterances(rng, "cross", gender, per_speaker)
        types = [("nonstress", "stress")[i] for i in allocate(rng, per_speaker, (0.5, 0.5))]
        counts = {"stress": 0, "nonstress": 0}
        for (cls, text, markers), kind in zip(utts, types):
            counts[kind] += 1
            name = f"{speaker}_{kind}_{counts[kind]:04d}"
            vals = draw_ratings(rng, model, cls)
            arousal = float(np.mean(rng.integers(3, 8, size=len(vals)) + (kind == "stress")))
            rows.append((name, "Female" if gender == "F" else "Male", kind, f"{np.mean(vals):.4f}", f"{arousal:.4f}"))
            write_text(root / "Combined" / "Utterance Transcripts" / f"{name}.txt", text + "\n")
            truth.append(("cross", name, speaker, gender, cls, markers))
    rows.sort()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(("Sentence_name", "Gender", "Type", "Valence_Mean", "Arousal_Mean"))
    writer.writerows(rows)
    write_text(root / "muse_crowdsourcing.csv", buffer.getvalue())
    return sorted(truth)


FORMAT = CorpusFormat("muse", load_muse, path_options=("csv",), write_demo=write_demo)
