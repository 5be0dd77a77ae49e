"""The report's HTML pieces: the document with plotly.js embedded once, sections, tables, figures, prose.

Every piece of text is escaped here or by the dashboard function that made it; nothing refers to a network
address, so the file opens the same on a laptop with no connection.
"""
from __future__ import annotations

import html
import re
from typing import Iterable

import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1b1b;max-width:1180px;margin:0 auto;
padding:1.5rem 2rem 4rem;line-height:1.5}
h1{font-size:1.9rem;margin-bottom:.2rem}h2{border-bottom:2px solid #ddd;padding-bottom:.2rem;margin-top:2.6rem}
h3{margin-top:1.6rem}nav ol{columns:2;font-size:.95rem}.notice{background:#eef4fb;border-left:4px solid #4c78a8;
padding:.6rem 1rem;margin:1rem 0}.warn{background:#fff5e6;border-left:4px solid #e8a33d;padding:.6rem 1rem}
table.t{border-collapse:collapse;font-size:.86rem;margin:.6rem 0 1rem;font-variant-numeric:tabular-nums}
table.t th,table.t td{border-bottom:1px solid #e2e2e2;padding:.25rem .6rem;text-align:left;vertical-align:top}
table.t th{background:#f5f5f5}.small{font-size:.85rem;color:#555}.grid{display:grid;
grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:.8rem}.card{border:1px solid #ddd;border-radius:6px;
padding:.5rem .8rem}.card h4{margin:.1rem 0 .3rem;font-size:.95rem}.check{border-style:dashed;background:#fafafa}
.pair{display:grid;grid-template-columns:1fr 1fr;gap:1rem}pre{background:#f6f6f6;padding:.8rem;overflow-x:auto;
font-size:.8rem}#table1 td{white-space:nowrap}@media print{nav{display:none}}
"""


def document(title: str, sections: Iterable[str], *, subtitle: str = "") -> str:
    """The whole report: plotly.js inlined in one <script>, then the sections; no external resource."""
    head = (f'<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(title)}</title><style>{CSS}</style>"
            f'<script type="text/javascript">{get_plotlyjs()}</script>')
    top = f"<h1>{html.escape(title)}</h1>" + (f'<p class="small">{html.escape(subtitle)}</p>' if subtitle else "")
    return f"<!DOCTYPE html>\n<html lang=\"en\"><head>{head}</head><body>{top}{''.join(sections)}</body></html>\n"


def contents(titles: dict[str, str]) -> str:
    """The table of contents: anchor → section title."""
    items = "".join(f'<li><a href="#{a}">{html.escape(t)}</a></li>' for a, t in titles.items())
    return f"<nav><h2>Contents</h2><ol>{items}</ol></nav>"


def section(anchor: str, title: str, *parts: str) -> str:
    return f'<section id="{anchor}"><h2>{html.escape(title)}</h2>{"".join(parts)}</section>'


def heading(text: str) -> str:
    return f"<h3>{html.escape(text)}</h3>"


def prose(text: str, *, css: str = "") -> str:
    """One paragraph of plain text, where ``**bold**`` and ```code``` (the dashboard's markdown) become tags."""
    escaped = html.escape(text)
    escaped = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", escaped)
    escaped = re.sub(r"`(.+?)`", r"<code>\1</code>", escaped)
    return f'<p class="{css}">{escaped}</p>' if css else f"<p>{escaped}</p>"


def bullets(sentences: Iterable[str]) -> str:
    return "<ul>" + "".join(f"<li>{prose(s)[3:-4]}</li>" for s in sentences) + "</ul>"


def table(frame: pd.DataFrame, *, digits: int = 3) -> str:
    """``frame`` as an escaped HTML table, floats to ``digits`` decimals, empty cells as "–"."""
    return frame.to_html(index=False, border=0, classes="t", na_rep="–", escape=True,
                         float_format=lambda v: f"{v:.{digits}f}")


def figure(fig: go.Figure) -> str:
    """One chart as a div; plotly.js comes from the document's one script, MathJax from nowhere."""
    return fig.to_html(full_html=False, include_plotlyjs=False, include_mathjax=False,
                       config={"displaylogo": False, "responsive": True})


def missing(what: str, why: str) -> str:
    """The sentence that stands in for a part an older or partial build cannot give."""
    return prose(f"No {what} in this build: {why}", css="warn")
