"""Where the report's numbers come from (versions, config, corpora, machine) and what they cannot show."""
from __future__ import annotations

import json
import subprocess
import time

import pandas as pd

from core.dashboard import experiment as built
from core.dashboard.exports import SYNTHETIC_NOTICE
from core.methods import METHODS, description, label, with_role
from core.pipeline.artifacts import PROJECT_ROOT, STAGES, fingerprint
from core.redact import masked_values
from core.report import page
from core.schema import ROLES


def privlens_version() -> str:
    """The checkout that wrote the report, as ``git describe`` names it ("unknown" outside git)."""
    try:
        return subprocess.run(["git", "describe", "--tags", "--always", "--dirty"], cwd=PROJECT_ROOT,
                              capture_output=True, text=True, check=True).stdout.strip() or "unknown"
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def numbers_config(experiment: built.Experiment) -> dict:
    """The config the metrics stage last ran with (the one that made Table 1), secrets masked once more."""
    return masked_values(experiment.metrics_config)


def corpus_sizes(experiment: built.Experiment) -> pd.DataFrame:
    """Utterances per corpus role and split × speaker gender × gold valence, from the corpora stage's tables."""
    parts = []
    for role in ROLES:
        frame = built.read_frame(experiment, experiment.paths.corpus_table(role), "corpora",
                                 ("corpus", "split", "gender", "valence_class"))
        parts.append(frame.assign(role=role))
    rows = pd.concat(parts, ignore_index=True)
    counts = rows.groupby(["role", "corpus", "split", "gender", "valence_class"]).size().unstack(
        ["gender", "valence_class"], fill_value=0)
    counts.columns = [f"{g} {v}" for g, v in counts.columns]
    return counts.assign(total=counts.sum(axis=1)).reset_index()


def flat_config(config: dict, prefix: str = "") -> list[str]:
    """``section.key = value`` lines, as the TOML spells them (values as JSON)."""
    lines = []
    for key, value in sorted(config.items()):
        name = f"{prefix}{key}"
        is_table = isinstance(value, dict) and value and key != "options"
        lines += flat_config(value, f"{name}.") if is_table else [f"{name} = {json.dumps(value)}"]
    return lines


def machines(experiment: built.Experiment) -> pd.DataFrame:
    """Per stage: when it finished, how long it took, and the hardware it recorded."""
    rows, recorded = [], experiment.manifest.get("stages", {})
    for stage, record in sorted(recorded.items(), key=lambda item: STAGES.index(item[0]) if item[0] in STAGES else 99):
        h = record.get("hardware", {})
        where = ", ".join(f"{k} {v}" for k, v in h.items() if v not in (None, "")) or "not recorded"
        rows.append({"stage": stage, "finished": record.get("finished_at", "–"),
                     "seconds": record.get("seconds"), "hardware": where})
    return pd.DataFrame(rows)


def provenance(experiment: built.Experiment) -> str:
    config, manifest = numbers_config(experiment), experiment.manifest
    facts = pd.DataFrame([
        ("experiment", experiment.name), ("privlens (this report)", privlens_version()),
        ("git commit of the build", manifest.get("git_commit", "unknown")),
        ("config hash", fingerprint(config)), ("config file", config.get("source") or "–"),
        ("seeds", ", ".join(map(str, experiment.seeds))), ("encoder", experiment.encoder),
        ("models", ", ".join(label(m) for m in experiment.methods)),
        ("report written", time.strftime("%Y-%m-%d %H:%M:%S"))], columns=["", "value"])
    packages = ", ".join(f"{k} {v}" for k, v in manifest.get("packages", {}).items())
    parts = [page.prose(SYNTHETIC_NOTICE, css="notice")] if experiment.synthetic else []
    parts += [page.table(facts), page.prose(f"Packages: {packages or 'not recorded'}.", css="small"),
              page.heading("Corpora: utterances per split, speaker gender (F/M) and gold valence"),
              _or_missing(lambda: page.table(corpus_sizes(experiment)), "corpus tables"),
              page.heading("Stages and the machines that ran them"), page.table(machines(experiment), digits=1),
              page.heading("Models"), page.table(pd.DataFrame(
                  {"model": [label(m) for m in experiment.methods],
                   "role": [METHODS[m].role if m in METHODS else "–" for m in experiment.methods],
                   "what it is": [description(m) for m in experiment.methods]})),
              f"<details><summary>The configuration, key by key (passwords masked)</summary>"
              f"<pre>{page.html.escape(chr(10).join(flat_config(config)))}</pre></details>"]
    return page.section("provenance", "Provenance", *parts)


def _or_missing(render, what: str) -> str:
    try:
        return render()
    except built.ArtifactError as error:
        return page.missing(what, str(error))


def limitations(experiment: built.Experiment) -> str:
    """What the data is and what each privacy method does not guarantee (docs/METHODS.md says more)."""
    data = (SYNTHETIC_NOTICE if experiment.synthetic else
            "Real corpora: the numbers hold for these corpora, this encoder and these seeds; another corpus, "
            "encoder or set of speakers may behave differently.")
    points = [data,
              "Leakage is what the probes privlens trains can read: a logistic regression and a one-hidden-layer "
              "MLP on the primary train+val representations. A stronger or better-informed attacker may read more; "
              "a leakage near 0.5 is not a proof that gender is gone.",
              "Significance is against Gen only, Holm-adjusted across the compared models; with one seed the "
              "bootstrap over test utterances decides, so the numbers say nothing about variation between "
              "training runs.",
              "Explanations are integrated gradients of the predicted class's probability: they say which words "
              "moved that probability, not why, and MAD counts only words of the gender-perception lexicon."]
    notes = {"PrivAdv": "An adversary that is fooled is not an adversary that removed gender: its own head at "
                        "chance does not stop a fresh probe.",
             "PrivAug": "Swapping gendered words removes only the cues the swap list names; hedges, politeness and "
                        "topic stay.",
             "PrivBias": "Pre-training on a gender-balanced corpus balances the data, not the representation.",
             "PrivErase": "LEACE leaves no linear classifier better than a constant on the rows it was fitted on; "
                          "on held-out rows a linear trace can remain, and nonlinear attackers still read gender.",
             "GenderExp": "A control that should leak most, not a privacy method.",
             "ArtNoise": "The attention check: its planted tokens give the answer away, so its numbers are not "
                         "comparable with a real model's."}
    shown = [f"**{m}**: {notes[m]}" for m in [*with_role("privacy", experiment.methods), *experiment.methods]
             if m in notes]
    return page.section("limitations", "Limitations", page.bullets(points), page.heading("What each method does not "
                        "guarantee"), page.bullets(list(dict.fromkeys(shown))))
