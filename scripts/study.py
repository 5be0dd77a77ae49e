"""Run a trust study: python -m scripts.study {select,export,simulate,stress} [--config TOML] [--db URL].

select    pick the tasks from the build's MAD table and store them in the study database (the build does this
          when the study has none yet)
export    write the raw responses, the tasks, Table 2 and its companions (CSV, Markdown), each labelled with who
          answered (people or simulated annotators)
simulate  fill the study with simulated annotators (choice model: docs/METHODS.md)
stress    concurrent submitters against the database; prints one JSON line and exits 1 on any loss
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from unittest.mock import patch

from core.config import load_config
from core.study.report import study_report
from core.study.setup import StudySetup, from_config
from core.study.simulate import POLICIES, SIMULATED_PREFIX, simulate
from core.study.stress import run_stress


def cmd_select(setup: StudySetup, args: argparse.Namespace) -> int:
    tasks, short = setup.select()
    added = setup.store_tasks(tasks)
    print(tasks.groupby(["gender", "valence_class", "stratum"]).size().unstack("stratum").to_string())
    for row in short.itertuples():
        print(f"short cell: {row.gender} × {row.valence_class} {row.stratum}: {row.got} of {row.wanted}")
    print(f"{added} tasks stored in {setup.shown_url} ({int(tasks.planted.sum())} show the attention check's token; "
          f"rule {setup.settings.attention_rule!r}); list: {setup.paths.study_export('tasks')}")
    return 0


def cmd_export(setup: StudySetup, args: argparse.Namespace) -> int:
    store, paths = setup.open(), setup.paths
    report = study_report(store.responses(), store.tasks(), setup.models, setup.settings)
    paths.study_dir.mkdir(parents=True, exist_ok=True)
    paths.metrics_dir.mkdir(parents=True, exist_ok=True)
    for name, table in report.exports().items():
        path = paths.study_export(name) if name in ("responses", "tasks") else paths.metrics_table(name)
        table.to_csv(path, index=False)
    paths.metrics_table("table2", ".md").write_text(report.markdown(f"Table 2: trust study of {paths.root.name}"))
    print(json.dumps(report.summary))
    print(f"data: {report.label}. {report.rule_text}")
    for warning in report.warnings:
        print(f"warning: {warning}")
    print(f"wrote {paths.study_export('responses')}, {paths.metrics_table('table2')} and companions")
    return 0


def cmd_simulate(setup: StudySetup, args: argparse.Namespace) -> int:
    store = setup.open()
    people = [a for a in store.responses().annotator.unique() if not a.startswith(SIMULATED_PREFIX)]
    if people:
        print(f"error: {setup.shown_url} holds responses of {len(people)} non-simulated annotators; simulate into a "
              f"scratch database: {setup.command('select')} --db sqlite:///scratch.sqlite, then "
              f"{setup.command('simulate')} --db sqlite:///scratch.sqlite --annotators {args.annotators}",
              file=sys.stderr)
        return 2
    counts = simulate(store, setup.models, annotators=args.annotators, policy=args.policy, beta=args.beta,
                      lapse=args.lapse, tasks_per_annotator=args.tasks_per_annotator, seed=args.seed)
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
    except (OSError, ValueError, RuntimeError) as error:  # RuntimeError: StudyDatabaseError, one sentence
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
