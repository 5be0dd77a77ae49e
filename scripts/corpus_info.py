"""What a loader makes of a corpus on disk: counts per split x gender x valence class, the rows skipped
and why, the total, and for MSP-IMPROV the counts per recording type (to identify the letters, SPEC §2.2).

    python -m scripts.corpus_info --kind iemocap data/IEMOCAP_full_release
    python -m scripts.corpus_info --kind meld data/MELD --speaker-genders meld_genders.csv --json
    python -m scripts.corpus_info --kind table my.csv --columns text=sentence,gender=sex,speaker=spk,valence=v

``--json`` prints one object ``{"counts": {split: {gender: {class: n}}}, "skipped": {reason: n},
"total": n}`` (plus ``"recording_types": {letter: n}`` when the table has that column). Malformed
input or a missing path: message on stderr, exit code 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

from core.corpora import LOADERS, VALENCE_CLASSES, LoadedCorpus, load_corpus


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m scripts.corpus_info", description=__doc__.split("\n")[0])
    parser.add_argument("path", help="corpus root folder (or the file, for --kind table)")
    parser.add_argument("--kind", required=True, choices=list(LOADERS), help="which loader reads PATH")
    parser.add_argument("--speaker-genders", help="speaker,gender CSV (meld, emorynlp)")
    parser.add_argument("--transcripts", help="utt_id<TAB>text (msp_improv; default PATH/transcripts.tsv)")
    parser.add_argument("--columns", help="table only: schema=column pairs, e.g. text=sentence,gender=sex")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    parser.add_argument("--out", help="also write the loaded, normalised table to this CSV")
    return parser.parse_args(argv)


def loader_options(args: argparse.Namespace) -> dict:
    """Loader keyword options from the flags that were given."""
    options: dict = {}
    if args.speaker_genders:
        options["speaker_genders"] = args.speaker_genders
    if args.transcripts:
        options["transcripts"] = args.transcripts
    if args.columns:
        pairs = [pair.split("=", 1) for pair in args.columns.split(",")]
        if any(len(pair) != 2 for pair in pairs):
            raise ValueError(f"--columns expects comma-separated schema=column pairs, got {args.columns!r}")
        options["columns"] = dict(pairs)
    return options


def build_report(loaded: LoadedCorpus) -> dict:
    """The summary, plus counts per recording type when the corpus has them."""
    report = loaded.summary()
    if "recording_type" in loaded.table:
        counts = loaded.table["recording_type"].value_counts().sort_index()
        report["recording_types"] = {letter: int(n) for letter, n in counts.items()}
    return report


def format_report(report: dict) -> str:
    """The report as plain-text tables."""
    rows = [
        (split, gender, *classes.values(), sum(classes.values()))
        for split, genders in report["counts"].items()
        for gender, classes in genders.items()
    ]
    counts = pd.DataFrame(rows, columns=["split", "gender", *VALENCE_CLASSES, "total"])
    lines = [counts.to_string(index=False), "", f"total utterances: {report['total']}", "skipped rows:"]
    lines += [f"  {reason}: {n}" for reason, n in sorted(report["skipped"].items())] or ["  none"]
    if "recording_types" in report:
        lines.append("utterances per recording type:")
        lines += [f"  {letter}: {n}" for letter, n in report["recording_types"].items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if not Path(args.path).exists():
            raise FileNotFoundError(f"{args.path}: no such file or folder")
        loaded = load_corpus(args.kind, args.path, **loader_options(args))
        if args.out:
            loaded.table.to_csv(args.out, index=False)
    except (ValueError, OSError) as error:
        print(f"corpus_info: {error}", file=sys.stderr)
        return 2
    report = build_report(loaded)
    print(json.dumps(report) if args.json else format_report(report))
    if args.out and not args.json:
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
