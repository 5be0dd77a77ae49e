"""Run a trust study: python -m scripts.study {select,export,simulate,stress} [--config TOML] [--db URL].

select    pick the tasks from the build's MAD table and store them in the study database
export    write the raw responses, the tasks and Table 2 (CSV, Markdown)
simulate  fill the study with simulated annotators (choice model: docs/METHODS.md)
stress    concurrent submitters against the database; prints one JSON line and exits 1 on any loss
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from unittest.mock import patch

import pandas as pd

from core.config import load_config
from core.pipeline.evaluate import markdown
from core.study import analysis
from core.study.setup import StudySetup, from_config
from core.study.simulate import POLICIES, simulate
from core.study.stress import run_stress
from core.study.tasks import select_tasks, utterance_scores


def as_csv(tasks: pd.DataFrame) -> pd.DataFrame:
    """Tasks with each model's MAD_i as a JSON object, one cell per task."""
    return tasks.assign(model_mad=tasks.model_mad.map(lambda m: json.dumps(m, sort_keys=True)))


def cmd_select(setup: StudySetup, args: argparse.Namespace) -> int:
    mad_path = setup.paths.metrics_table("mad_utterances")
    if not mad_path.exists():
        print(f"error: {mad_path} is missing: build the experiment's metrics stage first", file=sys.stderr)
        return 2
    s = setup.settings
    scores = utterance_scores(pd.read_csv(mad_path), setup.models, seed=s.model_seed)
    tasks, short = select_tasks(scores, random_n=s.random_per_cell, high_n=s.high_mad_per_cell,
                                low_n=s.low_mad_per_cell, seed=s.seed)
    added = setup.open().add_tasks(tasks)
    setup.paths.study_dir.mkdir(parents=True, exist_ok=True)
    as_csv(tasks).to_csv(setup.paths.study_export("tasks"), index=False)
    print(tasks.groupby(["gender", "valence_class", "stratum"]).size().unstack("stratum").to_string())
    for row in short.itertuples():
        print(f"short cell: {row.gender} × {row.valence_class} {row.stratum}: {row.got} of {row.wanted}")
    print(f"{added} tasks stored in {setup.url}; list: {setup.paths.study_export('tasks')}")
    return 0


def cmd_export(setup: StudySetup, args: argparse.Namespace) -> int:
    store, paths = setup.open(), setup.paths
    responses, tasks = store.responses(), store.tasks()
    shares = analysis.trust_shares(responses, tasks, setup.models, resamples=setup.settings.bootstrap_resamples,
                                   seed=setup.settings.seed)
    table = analysis.table2(shares)
    paths.study_dir.mkdir(parents=True, exist_ok=True)
    paths.metrics_dir.mkdir(parents=True, exist_ok=True)
    responses.to_csv(paths.study_export("responses"), index=False)
    as_csv(tasks).to_csv(paths.study_export("tasks"), index=False)
    shares.to_csv(paths.metrics_table("table2_long"), index=False)
    table.to_csv(paths.metrics_table("table2"), index=False)
    paths.metrics_table("table2", ".md").write_text(markdown(table))
    analysis.mad_choice_correlation(responses, tasks, setup.models).to_csv(
        paths.metrics_table("study_correlation"), index=False)
    print(json.dumps(analysis.attention_summary(responses)))
    print(f"wrote {paths.study_export('responses')}, {paths.metrics_table('table2')} and companions")
    return 0


def cmd_simulate(setup: StudySetup, args: argparse.Namespace) -> int:
    store = setup.open()
    people = [a for a in store.responses().annotator.unique() if not a.startswith(f"{args.prefix}-")]
    if people:
        print(f"error: {setup.url} holds responses of {len(people)} non-simulated annotators; "
              "simulate into a scratch database (--db)", file=sys.stderr)
        return 2
    counts = simulate(store, setup.models, annotators=args.annotators, policy=args.policy, beta=args.beta,
                      lapse=args.lapse, tasks_per_annotator=args.tasks_per_annotator, seed=args.seed,
                      prefix=args.prefix)
    print(json.dumps(counts, sort_keys=True))
    return 0


def cmd_stress(setup: StudySetup, args: argparse.Namespace) -> int:
    figures = run_stress(setup.url, annotators=args.annotators, submissions=args.submissions, workers=args.workers,
                         responses_per_task=setup.settings.responses_per_task, log_dir=setup.paths.study_dir,
                         keep=args.keep)
    print(json.dumps(figures))
    failed = (figures["stored"] != figures["expected"] or figures["failed_workers"]
              or any(figures[k] for k in ("duplicates", "lost", "resubmissions_stored", "over_served",
                                          "counter_mismatches")))
    return 1 if failed else 0


COMMANDS = {"select": cmd_select, "export": cmd_export, "simulate": cmd_simulate, "stress": cmd_stress}


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = main.add_subparsers(dest="command", required=True)
    commands = {name: sub.add_parser(name) for name in COMMANDS}
    for command in commands.values():
        command.add_argument("--config", default="scripts/experiments/demo.toml", help="experiment TOML")
        command.add_argument("--db", help="SQLAlchemy URL of the study database (overrides config and env)")
    sim = commands["simulate"]
    sim.add_argument("--annotators", type=int, required=True, help="number of simulated annotators")
    sim.add_argument("--policy", choices=POLICIES, default="mad", help="how they choose (default: mad)")
    sim.add_argument("--tasks-per-annotator", type=int, default=20, help="tasks each answers at most")
    sim.add_argument("--beta", type=float, default=2.0, help="'mad' policy: strength of the MAD preference")
    sim.add_argument("--lapse", type=float, default=0.05, help="chance of a uniform pick among all the models")
    sim.add_argument("--seed", type=int, default=0, help="seed of the simulated choices")
    sim.add_argument("--prefix", default="sim", help="annotator ids start with PREFIX-")
    stress = commands["stress"]
    stress.add_argument("--annotators", type=int, default=50, help="concurrent annotators")
    stress.add_argument("--submissions", type=int, default=20, help="responses each submits")
    stress.add_argument("--workers", type=int, default=4, help="processes; annotators run as threads in them")
    stress.add_argument("--keep", action="store_true", help="keep the stress study's rows and logs")
    return main


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    override = {"PRIVLENS_STUDY_DB": args.db} if args.db else {}  # --db wins over the config and the environment
    try:
        with patch.dict(os.environ, override):  # for this call only (stress workers inherit it)
            return COMMANDS[args.command](from_config(load_config(args.config)), args)
    except (OSError, ValueError, RuntimeError) as error:  # RuntimeError: a database of another schema version
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
