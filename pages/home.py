"""Home, a landing page: what the experiment found in plain words, where to look next, what each model is, and
(folded away unless something needs a rebuild) the state of the build."""
from pathlib import Path

import streamlit as st

from core.config import load_config, to_dict
from core.dashboard import home
from core.dashboard.experiment import ArtifactError
from core.dashboard.layout import wrapping_links_css
from core.methods import count_text
from core.pipeline.artifacts import display_path
from core.pipeline.status import build_warnings, experiment_status
from pages.common import experiment, page_link, report_download

st.title("privlens")
exp = experiment()
paths, manifest = exp.paths, exp.manifest
st.markdown(f"Do *privacy-preserving* emotion models stop relying on gender cues? privlens compares "
            f"{count_text(exp.methods)} that recognise valence by what they leak about the speaker's gender and by "
            "the words they rely on (integrated gradients). The sidebar's *Glossary* explains every term.")

st.subheader("What this experiment found")
try:
    for sentence in home.findings(exp):
        st.markdown(f"- {sentence}")
except ArtifactError as error:
    st.info(f"No findings yet: {error}")

st.subheader("Start here")
with st.container(key="start_here"):
    st.html(f"<style>{wrapping_links_css('start_here')}</style>")
    for number, stop in enumerate(home.START_HERE, start=1):
        page_link(stop.page, f"**{number}. {stop.title}** — {stop.answers}")

st.subheader(f"The {count_text(exp.methods)}")
st.table(home.models_table(exp.methods))

config_file = exp.source
try:
    current = to_dict(load_config(config_file)) if config_file and Path(config_file).is_file() else None
except ValueError as error:  # the TOML was edited into something invalid since the build
    current = None
    st.error(f"The experiment's config no longer loads: {error}")
stages = home.stage_table(experiment_status(paths, current, config_file=config_file))
warnings = build_warnings(paths)
attention = home.needs_attention(stages)
if attention:
    st.warning("Some stages are missing, changed or stale: the rebuild command is under *Build status*.")
    for warning in warnings:
        st.warning(warning)
with st.expander("Build status: stages, warnings, encoder, machine", expanded=attention):
    st.dataframe(stages, hide_index=True, width="stretch")
    if not attention:  # shown above the fold otherwise
        for warning in warnings:
            st.warning(warning)
    st.caption(f"Encoder: {exp.encoder} · git commit {manifest.get('git_commit', 'unknown')[:10]} · "
               f"artifacts in `{display_path(paths.root)}`")
    if machine := exp.machine():
        st.caption(f"Built with {machine}.")
report_download(exp)
