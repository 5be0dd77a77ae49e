"""Privacy metrics for a stakeholder: the summary in words, Table 1 with its leakage references, MAD and Psc with
intervals, the trade-off, and attackers of known strength."""
import pandas as pd
import streamlit as st

from core.dashboard import charts
from core.dashboard import experiment as built
from core.dashboard import privacy_metrics
from core.pipeline import statistics
from pages.common import (MODEL_COLUMN, artifacts_or_stop, chart, download_csv, experiment, numbers, report_download,
                          show_error, wrapping_columns)

st.title("Privacy metrics")
exp = experiment()


@st.cache_data
def load_table(name: str, stamp: float) -> pd.DataFrame:
    return built.metrics_frame(built.open_experiment(name), "table1", privacy_metrics.required_columns())


@st.cache_data
def load_intervals(name: str, stamp: float) -> dict[str, pd.DataFrame]:
    """Mean MAD_i and P_i per model with bootstrap intervals (re-read when the metrics stage reruns)."""
    e = built.open_experiment(name)
    return {"mad": statistics.mean_intervals(built.metrics_frame(e, "mad_utterances", ("method", "mad_i")), "mad_i"),
            "psc": statistics.mean_intervals(built.metrics_frame(e, "psc_utterances", ("method", "p_i")), "p_i")}


@st.cache_data(show_spinner="Bootstrapping the trade-off intervals…")
def load_trade_off(name: str, stamp: float, seed: int) -> pd.DataFrame:
    e = built.open_experiment(name)
    return privacy_metrics.trade_off_intervals(e, built.predictions(e), seed=seed)


@st.cache_data
def load_optional(name: str, stamp: float, table: str) -> pd.DataFrame | None:
    return privacy_metrics.optional_table(built.open_experiment(name), table)


def optional(table: str, what: str) -> pd.DataFrame | None:
    """A table older builds lack: a one-line note with the rebuild command when it is missing."""
    try:
        frame = load_optional(exp.name, stamp, table)
    except built.ArtifactError as error:
        show_error(error)
        return None
    if frame is None:
        st.caption(f"No {what} in this build (`{table}.csv` is newer). Rebuild with `{exp.command('metrics')}`.")
    return frame


stamp, alpha = exp.stamp, privacy_metrics.significance_level(exp)
with artifacts_or_stop():
    table = load_table(exp.name, stamp)

st.subheader("In plain words")
for sentence in privacy_metrics.plain_summary(table, alpha=alpha):
    st.markdown(f"- {sentence}")

st.subheader("Table 1")
st.caption(f"Means over seeds (± standard deviation when there are several) · * = significantly different from Gen "
           f"(Holm-adjusted p < {alpha}; p-values below) · ↑ higher is better, ↓ lower is better · hover a "
           "header, or open *What the columns mean*, for what each column measures")
help_texts = privacy_metrics.column_help(table)
st.dataframe(privacy_metrics.format_table1(table), hide_index=True, width="stretch",
             column_config={**MODEL_COLUMN, **{header: st.column_config.Column(help=text)
                                               for header, text in help_texts.items()}})
if missing := privacy_metrics.missing_optional(table):
    st.caption(f"No {', '.join(f'`{c}`' for c in missing)} column(s): this Table 1 predates them. Rebuild with "
               f"`{exp.command('metrics')}`.")
references = optional("leakage_reference", "leakage references")
if references is not None:
    st.markdown(f"**Read the gender columns against** what the stronger probe reads where no method acted — primary: "
                f"{privacy_metrics.reference_line(references, 'within')}; cross: "
                f"{privacy_metrics.reference_line(references, 'cross')}.")
    with st.expander("Leakage references for every attacker"):
        st.dataframe(privacy_metrics.reference_grid(references), hide_index=True, width="stretch")
download_csv("Download Table 1 (CSV, every column)", table, f"{exp.name}_table1.csv", exp)
with st.expander("Every column: std, p-values (bootstrap and t-test), significance"):
    st.caption("Columns with no values in this build (std and t-test need several seeds) are left out.")
    st.dataframe(privacy_metrics.every_column(table), hide_index=True, width="stretch", column_config=MODEL_COLUMN)
with st.expander("What the columns mean"):
    st.markdown("\n".join(f"- **{header}** – {text}" for header, text in help_texts.items()))

try:
    intervals = load_intervals(exp.name, stamp)
except built.ArtifactError as error:
    show_error(error)
else:
    left, right = wrapping_columns("mad_psc", 2, min_px=420)
    with left:
        chart(charts.interval_bars(intervals["mad"], title="MAD vs Gen (95% bootstrap interval)", axis="MAD ↑",
                                   reference_label="no change from Gen"), f"{exp.name}_mad")
    with right:
        chart(charts.interval_bars(intervals["psc"], title="Psc (95% bootstrap interval)", axis="Psc ↓",
                                   reference=None), f"{exp.name}_psc")
    numbers("the MAD and Psc charts", pd.concat(intervals, names=["metric"]).reset_index(level=0))

st.subheader("Privacy–utility trade-off")
st.markdown("Each point is a model. **Left** = an attacker learns less about the speaker's gender; **up** = "
            "valence is recognised better. ArtNoise (✕) is the attention check: its test sentences contain planted "
            "tokens that give the answer away, so it only *looks* like the best model.")
try:
    points = privacy_metrics.scatter_points(table, load_trade_off(exp.name, stamp, exp.seeds[0]))
    st.caption(f"Whiskers: 95% bootstrap intervals over utterances (seed {exp.seeds[0]}).")
except built.ArtifactError as error:
    show_error(error)
    points = privacy_metrics.scatter_points(table)
for column, split in zip(wrapping_columns("trade_off", 2, min_px=420), ("within", "cross")):
    with column:
        chart(charts.privacy_utility(points, split, untrained=privacy_metrics.untrained_level(references, split)),
              f"{exp.name}_privacy_utility_{split}")
numbers("the trade-off charts", points.drop(columns="model"))

st.subheader("Attackers of known strength")
st.markdown("How much would a better-equipped attacker read? **Left:** the linear attacker given more labelled "
            "utterances — a line still rising at its right end means more data would read more than Table 1 shows. "
            "**Right:** attackers of growing capacity given all of them — a deeper one above the linear one reads "
            "gender that no straight line separates, which linear erasure (PrivErase) does not remove.")
curve = optional("attacker_curve", "attacker curve")
if curve is not None:
    split = st.radio("Attacked corpus", ("within", "cross"), horizontal=True, key="attacker_split",
                     format_func=lambda s: "primary test split" if s == "within" else "cross corpus")
    seed = exp.seeds[0]
    budget, capacity = (privacy_metrics.budget_curve(curve, seed=seed, split=split),
                        privacy_metrics.capacity_curve(curve, seed=seed, split=split))
    left, right = wrapping_columns("attackers", 2, min_px=420)
    with left:
        chart(charts.attacker_budget(budget, split,
                                     untrained=privacy_metrics.untrained_level(references, split, "logreg")),
              f"{exp.name}_attacker_budget_{split}")
    with right:
        chart(charts.attacker_capacity(capacity, split, untrained=privacy_metrics.untrained_level(references, split)),
              f"{exp.name}_attacker_capacity_{split}")
    numbers("the attacker charts", curve.loc[budget.index.union(capacity.index)])  # the full-budget linear point once
    st.caption(f"Seed {seed}. Bars: below the full budget, the 2.5–97.5 percentiles over seeded gender-stratified "
               "subsamples of the labelled utterances; at the full budget (and on the right), 95% bootstrap intervals "
               "over test utterances. Dashed: the untrained encoder (left: its linear probe; right: the stronger "
               "probe); dotted: chance.")
report_download(exp)
