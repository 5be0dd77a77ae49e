"""Models: per-epoch training curves of every model and stage (loss, validation UARs, PrivAdv's λ)."""
import streamlit as st

from core import schema
from core.dashboard import experiment as built
from core.dashboard.history import (HISTORY_METRICS, curve_figure, head_versus_probe, probe_leakage, training_history,
                                    verdicts)
from core.methods import BASELINE, colour
from pages.common import artifacts_or_stop, chart, download_csv, experiment

st.title("Models")
exp = experiment()


@st.cache_data
def load(name: str, stamp: float):
    e = built.open_experiment(name)
    history, missing = training_history(e.paths, [(m, s) for m in e.methods for s in e.seeds])
    if not e.paths.metrics_table("per_seed").exists():
        return history, missing, None
    return history, missing, probe_leakage(built.metrics_frame(e, "per_seed", ("method", "seed", "gender_uar_within")))


with artifacts_or_stop():
    history, missing, leakage = load(exp.name, exp.stamp)
if missing:
    st.warning(f"No per-epoch history for {', '.join(missing)} (not trained yet, or trained by an older "
               f"privlens). Rebuild with `{exp.command('train')}`.")
if history.empty:
    st.stop()

st.caption(f"Experiment **{exp.name}** · one point per epoch; PrivBias's auxiliary-corpus epochs come before its "
           "primary ones · early stopping keeps each stage's best validation valence UAR")
st.markdown("A gender head's own validation UAR says what *that head* can read. PrivAdv's falling to 0.5 as its "
            "adversarial weight λ rises means the encoder fooled its adversary — not yet that gender left the "
            "representation z the valence head reads. Whether it did "
            "shows in a fresh probe trained afterwards (dotted lines: Table 1's gender UAR within, primary "
            "test): an adversary that removed gender brings both down; one that was only fooled leaves the "
            "probe high. GenderExp's head should climb.")
if leakage is not None:
    adversarial = set(history[history.metric == "adv_lambda"].model)
    for sentence in verdicts(head_versus_probe(history, leakage), adversarial):
        st.markdown(f"- {sentence}")
    st.caption("Own head: its validation gender UAR at the last epoch; fresh probe: Table 1's gender leak (primary "
               "test). Near chance means within 0.1 of 0.5.")
else:
    st.info(f"No probe results yet: run `{exp.command('metrics')}` to compare the heads with a fresh probe.")
models = st.multiselect("Models", list(dict.fromkeys(history.model)), default=list(dict.fromkeys(history.model)))
shown = history[history.model.isin(models)].assign(seed=lambda f: f.seed.astype(str))
for metric in HISTORY_METRICS:
    data = shown[shown.metric == metric]
    if data.empty:
        continue
    figure = curve_figure(data, metric, symbol="stage")
    figure.update_layout(legend={"orientation": "h", "y": -0.25})  # below: the plot keeps its width when narrow
    if metric == "val_gender_uar" and leakage is not None:
        probed = leakage[leakage.model.isin({*data.model, BASELINE} & set(models))].sort_values("gender_uar")
        for i, row in enumerate(probed.itertuples()):  # alternate label sides: close lines stay legible
            figure.add_hline(y=row.gender_uar, line_dash="dot", line_color=colour(row.model),
                             annotation_text=f"{row.model} fresh probe (seed {row.seed})",
                             annotation_position="bottom right" if i % 2 == 0 else "top left")
        figure.add_hline(y=schema.GENDER_CHANCE, line_dash="dot", line_color="#999", annotation_text="chance")
    chart(figure, f"{exp.name}_{metric}")
with st.expander("The numbers behind these charts"):
    st.dataframe(shown.assign(metric=shown.metric.map(HISTORY_METRICS)), hide_index=True, width="stretch")
download_csv("Download the training history (CSV)", history, f"{exp.name}_training_history.csv", exp)
