"""What a loader makes of a corpus on disk: counts per split x gender x valence class, the rows skipped
and why, the total, and for MSP-IMPROV the counts per recording type (to identify the letters, SPEC §2.2).

    python -m scripts.corpus_info --kind iemocap data/IEMOCAP_full_release
    python -m scripts.corpus_info --kind meld data/MELD --speaker-genders meld_genders.csv --json
    python -m scripts.corpus_info --kind table my.csv --columns text=sentence,gender=sex,speaker=spk,valence=v

``--json`` prints one object ``{"counts": {split: {gender: {class: n}}}, "skipped": {reason: n},
"total": n}`` (plus ``"recording_types": {letter: n}`` when the table has that column). Misuse (a
missing path, a flag the kind does not take, a flag it needs left out): usage and exit code 2.
Malformed input: ``<file>:<line>: <problem>`` on stderr, exit code 2.
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
from pathlib import Path

import pandas as pd

from core.data.corpora import LOADERS, VALENCE_CLASSES, LoadedCorpus, load_corpus

FLAGS = {"speaker_genders": "--speaker-genders", "transcripts": "--transcripts", "columns": "--columns"}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The flags, checked against what the chosen loader takes; any misuse prints usage and exits 2."""
    parser = argparse.ArgumentParser(prog="python -m scripts.corpus_info", description=__doc__.split("\n")[0])
    parser.add_argument("path", help="corpus root folder (or the file, for --kind table)")
    parser.add_argument("--kind", required=True, choices=list(LOADERS), help="which loader reads PATH")
    parser.add_argument("--speaker-genders", help="speaker,gender CSV (meld, emorynlp)")
    parser.add_argument("--transcripts", help="utt_id<TAB>text (msp_improv; default PATH/transcripts.tsv)")
    parser.add_argument("--columns", help="table only: schema=column pairs, e.g. text=sentence,gender=sex")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    parser.add_argument("--out", help="also write the loaded, normalised table to this CSV")
    args = parser.parse_args(argv)
    parameters = list(inspect.signature(LOADERS[args.kind]).parameters.values())[1:]
    for p in parameters:
        given = getattr(args, p.name, None) is not None
        if p.name in FLAGS and not given and p.default is inspect.Parameter.empty:
            parser.error(f"--kind {args.kind} needs {FLAGS[p.name]}")
    for option, flag in FLAGS.items():
        if getattr(args, option) is not None and option not in {p.name for p in parameters}:
            parser.error(f"{flag} does not apply to --kind {args.kind}")
    if args.columns and any("=" not in pair for pair in args.columns.split(",")):
        parser.error(f"--columns expects comma-separated schema=column pairs, got {args.columns!r}")
    if not Path(args.path).exists():
        parser.error(f"{args.path}: no such file or folder")
    return args


def loader_options(args: argparse.Namespace) -> dict:
    """Loader keyword options from the flags that were given."""
    options = {option: getattr(args, option) for option in FLAGS if getattr(args, option) is not None}
    if args.columns:
        options["columns"] = dict(pair.split("=", 1) for pair in args.columns.split(","))
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
