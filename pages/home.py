"""Home: the experiment picked in the sidebar, what each model is, whether its artifacts are built."""
from pathlib import Path

import pandas as pd
import streamlit as st

from core.config import load_config, to_dict
from core.methods import count_text, description, label
from core.pipeline.artifacts import display_path
from core.pipeline.status import build_warnings, experiment_status
from pages.common import experiment, report_download

st.title("privlens")
exp = experiment()
paths, manifest = exp.paths, exp.manifest
models = exp.methods
st.markdown(f"Do *privacy-preserving* emotion models stop relying on gender cues? privlens compares "
            f"{count_text(models)} that recognise valence by what they leak about the speaker's gender and by the "
            "words they rely on (integrated gradients).")

st.subheader(f"The {count_text(models)}")
st.table(pd.DataFrame({"model": [label(m) for m in models], "what it is": [description(m) for m in models]}))

st.subheader("Artifacts")
config_file = exp.source
try:
    current = to_dict(load_config(config_file)) if config_file and Path(config_file).is_file() else None
except ValueError as error:  # the TOML was edited into something invalid since the build
    current = None
    st.error(f"The experiment's config no longer loads: {error}")
status = pd.DataFrame([s.__dict__ for s in experiment_status(paths, current, config_file=config_file)])
st.dataframe(status, hide_index=True, width="stretch")
if (status.state != "done").any():
    st.warning("Some stages are missing, changed or stale: the rebuild command is in the table.")
for warning in build_warnings(paths):
    st.warning(warning)
model = manifest.get("config", {}).get("model", {})
encoder = (model.get("encoder") or "packaged all-MiniLM-L6-v2") + (
    f" (first {model['layers']} layers)" if model.get("layers") else "")
st.caption(f"Encoder: {encoder} · git commit {manifest.get('git_commit', 'unknown')[:10]} · "
           f"artifacts in `{display_path(paths.root)}`")
if machine := exp.machine():
    st.caption(f"Built with {machine}.")
report_download(exp)
