"""Models: per-epoch training curves of every model and stage (loss, validation UARs, PrivAdv's λ)."""
from pathlib import Path

import pandas as pd
import plotly.express as px
import streamlit as st

from core.artifacts import ExperimentPaths, list_experiments, read_json
from core.charts import PALETTE
from core.history import HISTORY_METRICS, head_versus_probe, probe_leakage, training_history
from core.views import GENDER_CHANCE

st.title("Models")
experiments = list_experiments()
name = st.session_state.get("experiment") or (experiments[0] if experiments else None)
if name is None:
    st.warning("No experiment has been built yet. Run `make build` (the demo) or "
               "`python -m scripts.build scripts/experiments/<name>.toml`.")
    st.stop()
paths = ExperimentPaths.for_experiment(name)
config = read_json(paths.manifest).get("config", {})
jobs = [(m, s) for m in config.get("methods", {}).get("names", []) for s in config.get("train", {}).get("seeds", [])]
rebuild = f"python -m scripts.build {config.get('source') or 'CONFIG'} --stages train"


@st.cache_data
def load_history(root: str, jobs: list, stamp: tuple):
    return training_history(ExperimentPaths(Path(root)), jobs)


stamp = tuple((paths.model_dir(m, s) / "model.json").stat().st_mtime
              if (paths.model_dir(m, s) / "model.json").exists() else 0.0 for m, s in jobs)
history, missing = load_history(str(paths.root), jobs, stamp)
if missing:
    st.warning(f"No per-epoch history for {', '.join(missing)} (not trained yet, or trained by an older "
               f"privlens). Rebuild with `{rebuild}`.")
if history.empty:
    st.stop()

st.caption(f"Experiment **{name}** · one point per epoch; PrivBias's auxiliary-corpus epochs come before its "
           "primary ones · early stopping keeps each stage's best validation valence UAR")
probes_file = paths.metrics_table("probes")
leakage = probe_leakage(pd.read_csv(probes_file)) if probes_file.exists() else None
st.markdown("A gender head's own validation UAR says what *that head* can read. PrivAdv's falling to 0.5 as λ "
            "rises means the encoder fooled its adversary — not yet that gender left z. Whether it did "
            "shows in a fresh probe trained afterwards (dotted lines: Table 1's gender UAR within, primary "
            "test): an adversary that removed gender brings both down; one that was only fooled leaves the "
            "probe high. GenderExp's head should climb.")
if leakage is not None:
    for row in head_versus_probe(history, leakage).itertuples():
        st.markdown(f"- **{row.model}** seed {row.seed}: own head {row.head:.3f} at its last epoch, "
                    f"fresh probe {row.probe:.3f}")
else:
    st.info("No probe results yet: run the metrics stage to compare the heads with a fresh probe.")
models = st.multiselect("Models", list(dict.fromkeys(history.model)), default=list(dict.fromkeys(history.model)))
shown = history[history.model.isin(models)].assign(seed=lambda f: f.seed.astype(str))
for metric, title in HISTORY_METRICS.items():
    data = shown[shown.metric == metric]
    if data.empty:
        continue
    figure = px.line(data, x="step", y="value", color="model", line_dash="seed", symbol="stage", markers=True,
                     hover_data=["stage", "epoch"], title=title, color_discrete_map=PALETTE,
                     labels={"step": "epoch (counted across stages)", "value": title})
    if metric == "val_gender_uar" and leakage is not None:
        probed = leakage[leakage.model.isin({*data.model, "Gen"} & set(models))].sort_values("gender_uar")
        for i, row in enumerate(probed.itertuples()):  # alternate label sides: close lines stay legible
            figure.add_hline(y=row.gender_uar, line_dash="dot", line_color=PALETTE.get(row.model, "#444"),
                             annotation_text=f"{row.model} fresh probe (seed {row.seed})",
                             annotation_position="bottom right" if i % 2 == 0 else "top left")
        figure.add_hline(y=GENDER_CHANCE, line_dash="dot", line_color="#999", annotation_text="chance")
    st.plotly_chart(figure, config={"toImageButtonOptions": {"format": "png", "filename": f"{name}_{metric}"}})
st.download_button("Download the training history (CSV)", history.to_csv(index=False),
                   file_name=f"{name}_training_history.csv", mime="text/csv")
