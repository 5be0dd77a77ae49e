"""The audit report: one self-contained HTML file per build (``report/report.html``) that a stakeholder reads
without the app, offline. A layer above the dashboard and the study: it assembles their logic and charts from the
build's artifacts, never computing a number of its own (``document.write_report`` is the entry point)."""
