"""IEMOCAP: the release layout ``SessionN/dialog/{transcriptions,EmoEvaluation}`` — its loader and its
demo writer (the demo's primary corpus), side by side so the format's knowledge lives in one file."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from core.data.corpora.common import FIVE_POINT, CorpusFormat, LoadedCorpus, Rows, ValenceBins, check_split, parse_float
from core.data.demo_effects import RATINGS, SIZES, draw_ratings
from core.data.demo_grammar import OVERLAP_TEXTS, TOPICS, pick, speaker_utterances
from core.data.textfiles import CorpusFormatError, numbered_lines, write_text
from core.schema import GENDERS

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
    check_split(split, ("session", "all"))
    rows = Rows(bins)
    for number, session_dir in _iemocap_sessions(Path(root)):
        labels: dict[str, tuple[str, float | None]] = {}
        rated_at: dict[str, str] = {}  # turn -> "<file>:<line>" of its evaluation, to name both of a pair
        for path in sorted((session_dir / "dialog" / "EmoEvaluation").glob("Ses*.txt")):
            _read_emo_evaluation(path, labels, rated_at)
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


def _read_emo_evaluation(path: Path, labels: dict[str, tuple[str, float | None]], rated_at: dict[str, str]) -> None:
    """Add turn -> (emotion, valence) from the summary lines (those starting with '[') of one file; a
    turn rated twice, in this file or another of the session, is an error naming both places."""
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
        valence, _, _ = (parse_float(v, path, line_no, "'[V, A, D]'") for v in match.groups())
        if turn in labels:
            raise CorpusFormatError(path, line_no, f"turn {turn} is rated twice: here and at {rated_at[turn]}")
        labels[turn] = (emotion.strip(), valence)
        rated_at[turn] = f"{path}:{line_no}"


# --- demo writer -----------------------------------------------------------------------------------

_IEMOCAP_DIALOGS = ("impro01", "impro02", "impro03", "impro04", "impro05", "impro06", "impro07", "impro08",
                    "script01_1", "script01_2", "script01_3", "script02_1", "script02_2", "script03_1",
                    "script03_2")
_IEMOCAP_CATEGORIES = {"low": ("Anger", "Sadness", "Frustration"), "mid": ("Neutral",),
                       "high": ("Happiness", "Excited")}
_IEMOCAP_CODES = {"Anger": "ang", "Sadness": "sad", "Frustration": "fru", "Neutral": "neu", "Happiness": "hap",
                  "Excited": "exc"}


def write_demo(root: str | Path, *, seed: int = 0, scale: float = 1.0) -> list[tuple[str, ...]]:
    """Demo IEMOCAP under ``root``: Session1..5/dialog/{transcriptions,EmoEvaluation}/<dialog>.txt.

    Session prefixes alternate Ses01F, Ses02M, ... while every session holds one F and one M speaker,
    so the prefix letter is not the speaker's gender for half the turns. Returns the ground-truth
    rows (see :data:`core.data.demo_corpora.GROUND_TRUTH_COLUMNS`).
    """
    rng = np.random.default_rng([seed, 0])
    root = Path(root)
    per_speaker = max(1, round(SIZES["primary"] * scale / 10))
    n_dialogs = max(1, min(len(_IEMOCAP_DIALOGS), -(-per_speaker // 17)))
    truth = []
    for session in range(1, 6):
        prefix = f"Ses{session:02d}{'F' if session % 2 else 'M'}"
        dialog_topics = [pick(rng, TOPICS["primary"]) for _ in range(n_dialogs)]
        turns = {}  # gender -> list of (dialog index, class, text, markers)
        for gender in GENDERS:
            dialog_of = sorted(i % n_dialogs for i in range(per_speaker))
            topic_of = (lambda i, d=dialog_of: dialog_topics[d[i]] if rng.random() < 0.7
                        else pick(rng, TOPICS["primary"]))
            utts = speaker_utterances(rng, "primary", gender, per_speaker, topic_of)
            turns[gender] = [(dialog_of[i], *utt) for i, utt in enumerate(utts)]
        base = root / f"Session{session}" / "dialog"
        for d in range(n_dialogs):
            dialog = f"{prefix}_{_IEMOCAP_DIALOGS[d]}"
            queues = {g: [utt[1:] for utt in turns[g] if utt[0] == d] for g in GENDERS}
            order, speaker = [], pick(rng, GENDERS)
            while queues["F"] or queues["M"]:
                if not queues[speaker] or (queues["F"] and queues["M"] and rng.random() < 0.15):
                    speaker = "M" if speaker == "F" else "F"  # mostly alternate, sometimes a double turn
                order.append((speaker, *queues[speaker].pop(0)))
                speaker = "M" if speaker == "F" else "F"
            clock, index = float(rng.uniform(2, 8)), {"F": 0, "M": 0}
            lines, blocks, cats = [], [], []
            for gender, cls, text, markers in order:
                start = clock
                end = start + 0.9 + 0.33 * len(text.split()) + float(rng.uniform(0, 1.2))
                clock = end + float(rng.uniform(0.05, 1.5))
                turn = f"{dialog}_{gender}{index[gender]:03d}"
                index[gender] += 1
                truth.append(("primary", turn, f"{prefix[:5]}_{gender}", gender, cls, markers))
                lines.append((start, f"{turn} [{start:08.4f}-{end:08.4f}]: {text}"))
                block, category = _iemocap_evaluation(rng, turn, start, end, cls)
                blocks.append(block)
                cats.append(f"{turn} :{category}; ()")
            if rng.random() < 0.4 and len(lines) > 2:  # an unlabelled overlap turn (XX), never evaluated
                at = lines[int(rng.integers(1, len(lines)))][0] + 0.3
                g = pick(rng, GENDERS)
                lines.append((at, f"{dialog}_{g}XX0 [{at:08.4f}-{at + 0.6:08.4f}]: {pick(rng, OVERLAP_TEXTS)}"))
            lines.sort(key=lambda x: x[0])
            write_text(base / "transcriptions" / f"{dialog}.txt", "".join(f"{line}\n" for _, line in lines))
            header = "% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]\n\n"
            write_text(base / "EmoEvaluation" / f"{dialog}.txt", header + "\n".join(blocks) + "\n")
            write_text(base / "EmoEvaluation" / "Categorical" / f"{dialog}_e1_cat.txt", "".join(f"{c}\n" for c in cats))
    return truth


def _iemocap_evaluation(rng: np.random.Generator, turn: str, start: float, end: float, cls: str) -> tuple[str, str]:
    """One EmoEvaluation block (summary, C-E and A-E lines, trailing newline) and C-E1's category."""
    vals = draw_ratings(rng, RATINGS["primary"], cls)
    acts = [int(rng.integers(2, 5)) for _ in vals]
    doms = [int(rng.integers(2, 5)) for _ in vals]
    emotion = pick(rng, _IEMOCAP_CATEGORIES[cls])
    votes = [emotion if rng.random() < 0.75 else pick(rng, tuple(_IEMOCAP_CODES)) for _ in range(3)]
    top, count = max(((v, votes.count(v)) for v in votes), key=lambda x: x[1])
    code = _IEMOCAP_CODES[top] if count >= 2 else "xxx"
    lines = [f"[{start:.4f} - {end:.4f}]\t{turn}\t{code}\t"
             f"[{np.mean(vals):.4f}, {np.mean(acts):.4f}, {np.mean(doms):.4f}]"]
    lines += [f"C-E{k}:\t{v};\t()" for k, v in enumerate(votes, start=1)]
    lines += [f"A-E{k}:\tval {v}; act {a}; dom  {d};\t()" for k, (v, a, d) in enumerate(zip(vals, acts, doms), 1)]
    return "\n".join(lines) + "\n", votes[0]


FORMAT = CorpusFormat("iemocap", load_iemocap, write_demo=write_demo)
