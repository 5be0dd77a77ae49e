"""MSP-IMPROV: ``Evaluation.txt`` plus a user-made transcripts file — its loader and its demo writer
(the demo's gender-balanced auxiliary corpus)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from core.data.corpora.common import FIVE_POINT, CorpusFormat, LoadedCorpus, Rows, ValenceBins, check_split, parse_float
from core.data.demo_effects import RATINGS, VALENCE_MIX, draw_ratings, recording_type_counts
from core.data.demo_grammar import TARGET_SENTENCES, allocate, pick, speaker_utterances
from core.data.textfiles import CorpusFormatError, numbered_lines, write_text
from core.schema import GENDERS
from core.schema import VALENCE_CLASSES as CLASSES

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
    check_split(split, ("speaker", "all"))
    root = Path(root)
    if not (root / "Evaluation.txt").is_file():
        raise FileNotFoundError(f"{root}: no Evaluation.txt; give the MSP-IMPROV folder that holds it (and "
                                "the transcripts file, see docs/DATA.md)")
    texts = _read_transcripts(Path(transcripts) if transcripts else root / "transcripts.tsv")
    keep = None if recording_types is None else set(recording_types)
    rows = Rows(bins)
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
        yield line_no, utt_id, fields[1], parse_float(values.get("V"), path, line_no, "'V:<float>'")


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


# --- demo writer -----------------------------------------------------------------------------------

_MSP_EMOTIONS = {"low": ("A", "S"), "mid": ("N",), "high": ("H",)}
_MSP_NAMES = {"A": "Angry", "S": "Sad", "N": "Neutral", "H": "Happy"}
_MSP_RATERS = ("mb", "ls", "jt", "ak", "rc", "dw", "sp", "hk", "ej", "tn")


def write_demo(root: str | Path, *, seed: int = 0, scale: float = 1.0) -> list[tuple[str, ...]]:
    """Demo MSP-IMPROV under ``root``: Evaluation.txt (label + rater lines) and transcripts.tsv.

    Names ``UTD-IMPROV-S03H-F01-P-FM02``: target sentence 03 in scenario H, speaker F01, recording
    type P, running number 02. Both genders get the same counts per type, class and session.
    Returns the ground-truth rows.
    """
    rng = np.random.default_rng([seed, 1])
    root = Path(root)
    records = []  # (sentence number, emotion letter, speaker, type, class, text, markers)
    for rtype, n_type in recording_type_counts(scale).items():
        per_gender = n_type // 2
        sessions = [per_gender // 6 + (s < per_gender % 6) for s in range(6)]
        for session, n in enumerate(sessions, start=1):
            for gender in GENDERS:
                if rtype in "SR":  # the fixed prompts, text independent of the scenario
                    classes = [CLASSES[i] for i in allocate(rng, n, VALENCE_MIX["auxiliary"][gender])]
                    sentences = [int(s) for s in rng.permutation(len(TARGET_SENTENCES))]
                    utts = [(c, TARGET_SENTENCES[sentences[i % len(sentences)]], "") for i, c in enumerate(classes)]
                    numbers = [sentences[i % len(sentences)] + 1 for i in range(n)]
                else:
                    utts = speaker_utterances(rng, "auxiliary", gender, n)
                    numbers = [int(rng.integers(1, len(TARGET_SENTENCES) + 1)) for _ in range(n)]
                for (cls, text, markers), number in zip(utts, numbers):
                    records.append((number, pick(rng, _MSP_EMOTIONS[cls]), f"{gender}{session:02d}", rtype, cls,
                                    text, markers))
    seen: dict[tuple, int] = {}
    blocks, transcripts, truth = [], [], []
    for number, emotion, speaker, rtype, cls, text, markers in records:
        key = (number, emotion, speaker, rtype)
        seen[key] = seen.get(key, 0) + 1
        pair = "FM" if speaker[0] == "F" else "MF"
        name = f"UTD-IMPROV-S{number:02d}{emotion}-{speaker}-{rtype}-{pair}{seen[key]:02d}"
        blocks.append((name, _msp_evaluation(rng, name, emotion, cls)))
        transcripts.append((name, text))
        truth.append(("auxiliary", name, speaker, speaker[0], cls, markers))
    blocks.sort()
    transcripts.sort()
    write_text(root / "Evaluation.txt", "\n".join(b for _, b in blocks))
    write_text(root / "transcripts.tsv", "".join(f"{n}\t{t}\n" for n, t in transcripts))
    return sorted(truth)


def _msp_evaluation(rng: np.random.Generator, name: str, emotion: str, cls: str) -> str:
    """One Evaluation.txt block: the label line (means; about 3 % without N:) and one line per rater."""
    vals = draw_ratings(rng, RATINGS["auxiliary"], cls)
    acts = [float(rng.integers(2, 5)) for _ in vals]
    doms = [float(rng.integers(2, 5)) for _ in vals]
    nats = [float(rng.integers(3, 6)) for _ in vals]
    with_n = rng.random() >= 0.03  # a few label lines lack the naturalness field
    cats = [emotion if rng.random() < 0.75 else pick(rng, tuple(_MSP_NAMES)) for _ in vals]
    consensus = max(cats, key=lambda c: (cats.count(c), c == emotion))
    nat = f" N:{np.mean(nats):.6f};" if with_n else ""
    lines = [f"{name}.avi; {consensus}; A:{np.mean(acts):.6f}; V:{np.mean(vals):.6f}; D:{np.mean(doms):.6f};{nat}"]
    for r, c, a, v, d, m in zip(rng.permutation(len(_MSP_RATERS)), cats, acts, vals, doms, nats):
        rater_n = f" N:{m:.1f};" if with_n else ""
        lines.append(f"{_MSP_RATERS[r]}; {_MSP_NAMES[c]}; A:{a:.1f}; V:{float(v):.1f}; D:{d:.1f};{rater_n}")
    return "\n".join(lines) + "\n"


FORMAT = CorpusFormat("msp_improv", load_msp_improv, path_options=("transcripts",), write_demo=write_demo)
