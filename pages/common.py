"""What every page shares: the chosen experiment (picked in the app's sidebar), artifact errors shown
with their rebuild command, the synthetic-data notice, and downloadable charts."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError
from streamlit.runtime.pages_manager import PagesManager

from core.dashboard.charts import download_config
from core.dashboard.experiment import Experiment, check_record, open_experiment
from core.dashboard.exports import SYNTHETIC_NOTICE, context_line, with_context, with_context_columns
from core.dashboard.glossary import glossary_markdown, readable_columns
from core.dashboard.layout import wrapping_columns_css
from core.pipeline.artifacts import list_experiments
from core.pipeline.files import ArtifactError
from core.study.faults import StudyDatabaseError
from core.study.setup import StudySetup
from core.study.store import StudyStore, open_store


def run_inside_the_app() -> None:
    """Rerun through app.py a page that Streamlit started without it.

    Until st.navigation has run once in the server's process, Streamlit treats pages/ as a folder of pages
    and runs a linked page's file without app.py: a shared link opened first after a restart showed a bare
    page, without the experiment it names, listing app.py and this module as pages. Called once, when the
    first page imports this module; st.navigation clears the same flag."""
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def show_error(error: ArtifactError) -> None:
    if error.command is None:
        st.error(str(error))
        return
    st.error(f"{error} Rebuild it with:")
    st.code(error.command, language="bash")
    st.caption("For the demo experiment, `make build` does the same.")


@contextmanager
def artifacts_or_stop() -> Iterator[None]:
    """Run the block; a missing, corrupt or older artifact ends the page with its rebuild command."""
    try:
        yield
    except ArtifactError as error:
        show_error(error)
        st.stop()


def study_link() -> dict[str, str] | None:
    """The study link this session came from (``?annotator=…&experiment=…``), kept for the whole session so that
    an annotator who edits the address or follows a link still sees only the task; None for everyone else."""
    if "annotator" in st.query_params:
        st.session_state["study_link"] = {"annotator": st.query_params["annotator"],
                                          "experiment": st.query_params.get("experiment", "")}
    return st.session_state.get("study_link")


def study_name() -> str:
    """The experiment of the study link, else the one picked in the sidebar, for the study pages (which need no
    metric tables)."""
    names = list_experiments()
    if not names:
        st.warning("No experiment has been built yet: run `make build` first.")
        st.stop()
    name = (study_link() or {}).get("experiment") or st.session_state.get("experiment")
    return name if name in names else names[0]


@contextmanager
def study_faults() -> Iterator[None]:
    """Run the block; a study database that cannot be used ends the page with its one-sentence message."""
    try:
        yield
    except StudyDatabaseError as error:
        st.error(str(error))
        st.stop()


@st.cache_resource
def _store(url: str, cap: int, seed: int, max_tasks: int) -> StudyStore:
    return open_store(url, responses_per_task=cap, seed=seed, max_tasks=max_tasks)


def study_store(setup: StudySetup) -> StudyStore:
    """One store (connection pool) per study database and settings, shared by the study pages; a database that
    cannot be used ends the page with its message."""
    s = setup.settings
    with study_faults():
        return _store(setup.url, s.responses_per_task, s.seed, s.max_tasks_per_annotator)


def experiment() -> Experiment:
    """The experiment picked in the sidebar (the first one when a page runs on its own)."""
    names = list_experiments()
    if not names:
        st.warning("No experiment has been built yet. Run `make build` (the demo) or "
                   "`.venv/bin/python -m scripts.build scripts/experiments/<name>.toml`.")
        st.stop()
    name = st.session_state.get("experiment")
    with artifacts_or_stop():
        chosen = open_experiment(name if name in names else names[0])
    if chosen.synthetic:
        st.info(SYNTHETIC_NOTICE, icon=":material/science:")
    st.session_state["export_context"] = context_line(chosen.name, chosen.synthetic)  # what chart() exports with
    return chosen


def seed_picker(seeds: list[int]) -> int:
    """The sidebar's seed, the same on every page that draws it. Streamlit drops a widget's key on a page that
    does not draw it, so the choice is kept under a plain key ("seed_kept") as well."""
    if len(seeds) == 1:
        return seeds[0]
    if st.session_state.get("seed") not in seeds:
        kept = st.session_state.get("seed_kept")
        st.session_state["seed"] = kept if kept in seeds else seeds[0]
    st.session_state["seed_kept"] = st.sidebar.selectbox("Seed", seeds, key="seed")
    return st.session_state["seed_kept"]


def glossary() -> None:
    """The sidebar's glossary, on every page the app frame draws: the words the pages use, explained once."""
    with st.sidebar.expander("Glossary: the words used here", icon=":material/menu_book:"):
        st.markdown(glossary_markdown())


# A table's model names stay in view when it scrolls sideways.
MODEL_COLUMN = {"model": st.column_config.TextColumn(width="medium", pinned=True)}

# Streamlit folds the sidebar by itself only on phone-sized windows; below 1000 px it leaves the pages ~500 px.
# Once per browser tab (sessionStorage), a window that narrow starts with the sidebar folded; its button reopens it.
FOLD_SIDEBAR_WHEN_NARROW = """<script>
const app = window.parent;
if (app.innerWidth < 1000 && !app.sessionStorage.getItem("privlens-sidebar-folded")) {
  app.sessionStorage.setItem("privlens-sidebar-folded", "1");
  const fold = (tries) => {
    const button = app.document.querySelector('[data-testid="stSidebarCollapseButton"] button');
    if (button) button.click(); else if (tries > 0) setTimeout(() => fold(tries - 1), 100);
  };
  fold(50);
}
</script>"""


def fold_sidebar_when_narrow() -> None:
    """Start with the sidebar folded in a window under 1000 px wide (once per tab: a reopened one stays open)."""
    st.sidebar.iframe(FOLD_SIDEBAR_WHEN_NARROW, height="content", tab_index=-1, alt="")


def wrapping_columns(key: str, count: int, *, min_px: int) -> list:
    """``count`` columns that wrap onto new rows, never narrower than ``min_px`` (core.dashboard.layout)."""
    with st.container(key=key):
        st.html(f"<style>{wrapping_columns_css(key, min_px)}</style>")
        return st.columns(count)


def numbers(what: str, frame: pd.DataFrame) -> None:
    """A chart's text alternative: the plotted numbers, under readable headers, in a folded table."""
    with st.expander(f"The numbers behind {what}"):
        st.dataframe(readable_columns(frame), hide_index=True, width="stretch")


def page_link(page: str, label: str) -> None:
    """A link to another page (``label``: Markdown); a page run on its own (no navigation registered, as
    under AppTest) shows the label as text, since there is nowhere to go."""
    try:
        st.page_link(page, label=label)
    except StreamlitPageNotFoundError:
        st.markdown(label)


def chart(figure: go.Figure, filename: str, *, key: str | None = None,
          on_select: Callable[[], None] | None = None, context: str | None = None) -> None:
    """A plotly chart whose toolbar camera saves it as PNG or SVG (the sidebar's choice), subtitled with
    ``context`` (default: the experiment this page opened, and whether its corpora were synthetic) so a saved
    image says where it comes from. With ``on_select``, clicking a point calls it, and the selection event is in
    ``st.session_state[key]``."""
    figure = with_context(figure, context or st.session_state.get("export_context", "privlens"))
    st.plotly_chart(figure, config=download_config(filename, st.session_state.get("chart_format", "png")),
                    width="stretch", key=key, on_select=on_select or "ignore", selection_mode="points")


def report_download(exp: Experiment) -> None:
    """The build's audit report (one offline HTML file) as a download, or the command that writes it."""
    path = exp.paths.report
    st.subheader("Audit report")
    if not path.is_file():
        st.caption(f"No audit report in this build yet. Write it with `{exp.command('report')}` (a full build "
                   "writes it too).")
        return
    try:
        check_record(exp, path, "report")
    except ArtifactError as error:
        show_error(error)
        return
    st.download_button("Download the audit report", path.read_bytes(), file_name=f"{exp.name}_report.html",
                       mime="text/html", key="report_download", icon=":material/download:")
    st.caption("One self-contained HTML file, readable offline: provenance, Table 1, leakage, explanations, the "
               "trust study and the limitations, without the app.")


def download_csv(label: str, frame: pd.DataFrame, filename: str, exp: Experiment) -> None:
    """A CSV download of ``frame`` led by the experiment's name and corpora columns (core.dashboard.exports)."""
    st.download_button(label, with_context_columns(frame, exp.name, exp.synthetic).to_csv(index=False),
                       file_name=filename, mime="text/csv")


run_inside_the_app()
