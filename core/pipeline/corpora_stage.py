"""The build's first stage: the three corpora loaded (the demo ones generated first where configured), refused
when a later stage could not use one, and stored as tables with their fingerprints.

A refused set writes nothing: an empty split or one with a single gender or valence class is named here, with
the counts, in seconds, rather than as an IndexError in training or a UAR that means nothing hours later.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from core.config import CorpusConfig, resolve_path, to_dict
from core.data import corpora as loaders
from core.data.corpora.common import count_lines, small_splits, unusable_splits
from core.data.demo_corpora import generate_demo_corpora
from core.pipeline.artifacts import code_fingerprint, fingerprint, read_json, table_fingerprint, write_json
from core.pipeline.writing import written
from core.schema import DEMO_LAYOUTS, ROLES

if TYPE_CHECKING:
    from core.pipeline.build import BuildContext

# The splits whose size decides whether reported numbers mean anything: the primary corpus trains the
# probes (train, val) and is scored on test; the auxiliary one only pre-trains PrivBias; cross is scored whole.
MEASURED_SPLITS = {"primary": ("train", "val", "test"), "auxiliary": ("train",), "cross": ("all",)}


def stage_corpora(ctx: BuildContext) -> dict:
    """Generate the demo corpora if configured, load all three, refuse them when a stage could not use one
    (:func:`refuse_unusable`: nothing is written then), store their tables and fingerprints."""
    loaded = {}
    for role in ROLES:
        kind, path, options = _corpus_source(ctx, role, getattr(ctx.config.data, role))
        loaded[role] = (loaders.load_corpus(kind, path, **options), path)
    tables = {role: corpus.table if role != "cross" else corpus.table.assign(split="all")
              for role, (corpus, _) in loaded.items()}
    refuse_unusable(ctx, {role: (table, loaded[role][1]) for role, table in tables.items()})
    for role, table in tables.items():
        for warning in small_splits(table, role, MEASURED_SPLITS[role]):
            ctx.warn(warning)
        with written(ctx.paths.corpus_table(role)) as path:
            table.to_parquet(path, index=False)
    ctx._corpora = None
    ctx.manifest.record_run(to_dict(ctx.config), {role: table_fingerprint(t) for role, t in tables.items()})
    return {"skipped": {role: dict(corpus.skipped) for role, (corpus, _) in loaded.items()},
            "utterances": {r: len(getattr(ctx.corpora, r)) for r in ROLES}}


def needed_splits(ctx: BuildContext, role: str) -> tuple[str, ...]:
    """The splits of ``role``'s corpus some stage reads: those its numbers are measured on (MEASURED_SPLITS),
    and train and val where a configured method trains on it (PrivBias on the auxiliary corpus)."""
    trained = any(role in ctx.recipe(method).corpora for method in ctx.config.methods.names)
    return tuple(dict.fromkeys([*MEASURED_SPLITS[role], *(("train", "val") if trained else ())]))


def refuse_unusable(ctx: BuildContext, tables: dict[str, tuple[pd.DataFrame, Path]]) -> None:
    """ValueError with the counts per split × gender × valence class when a needed split is empty or holds one
    gender or one valence class: found here in seconds, not as an IndexError in training or a meaningless UAR."""
    problems = []
    for role, (table, path) in tables.items():
        splits = needed_splits(ctx, role)
        if found := unusable_splits(table, splits):
            counts = "".join(f"\n      {line}" for line in count_lines(table, splits))
            problems.append(f"  {role} corpus ({path}): {'; '.join(found)}; utterances per split × gender × "
                            f"valence class:{counts}")
    if problems:
        raise ValueError("the corpora stage refused its corpora (nothing was written): each split a stage reads "
                         "needs utterances of both genders and of at least two valence classes.\n" +
                         "\n".join(problems))


def _corpus_source(ctx: BuildContext, role: str, source: CorpusConfig) -> tuple[str, Path, dict]:
    if source.path or ctx.config.data.demo_seed < 0:
        if not source.path or not source.kind:
            raise ValueError(f"[data.{role}] needs kind and path (or set data.demo_seed for the demo corpora)")
        corpus_format = loaders.FORMATS.get(source.kind)
        files = corpus_format.path_options if corpus_format else ()  # an unknown kind fails in load_corpus
        options = {k: str(resolve_path(ctx.config, v)) if k in files else v for k, v in source.options.items()}
        return source.kind, resolve_path(ctx.config, source.path), options
    _ensure_demo_corpora(ctx)
    kind = DEMO_LAYOUTS[role]
    return source.kind or kind, ctx.paths.demo_corpus(kind), dict(source.options)


def _ensure_demo_corpora(ctx: BuildContext) -> None:
    stamp = ctx.paths.demo_stamp
    wanted = fingerprint(ctx.config.data.demo_seed, ctx.config.data.demo_scale, code_fingerprint(generate_demo_corpora))
    if stamp.exists() and read_json(stamp).get("fingerprint") == wanted:
        return
    with written(ctx.paths.demo_corpora, removing=[]):  # no stamp yet: the next run writes them all again
        generate_demo_corpora(ctx.paths.demo_corpora, seed=ctx.config.data.demo_seed, scale=ctx.config.data.demo_scale)
    write_json(stamp, {"fingerprint": wanted})
