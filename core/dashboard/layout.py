"""Layout that survives a narrow window: a row of Streamlit columns that wraps instead of shrinking.

Streamlit stacks columns only below 640 px of window; between that and about 1100 px, beside the sidebar,
two charts or three model cards side by side are squeezed to 250 px or less. The CSS here turns one keyed
container's row of columns into a grid that puts as many columns on a row as fit at ``min_px`` each.
"""
from __future__ import annotations

import re


def wrapping_columns_css(key: str, min_px: int) -> str:
    """CSS for the columns inside ``st.container(key=key)``: a grid of cells at least ``min_px`` wide.

    >>> "minmax(260px, 1fr)" in wrapping_columns_css("cards", 260)
    True
    """
    if not re.fullmatch(r"[A-Za-z0-9_-]+", key) or min_px <= 0:
        raise ValueError(f"need a plain container key and a positive width, got {key!r} and {min_px}")
    scope = f".st-key-{key}"
    return (f"{scope} [data-testid='stHorizontalBlock'] {{display: grid !important; gap: 1rem; "
            f"grid-template-columns: repeat(auto-fill, minmax({min_px}px, 1fr));}} "
            f"{scope} [data-testid='stColumn'] {{width: auto !important; min-width: 0 !important;}}")


def wrapping_links_css(key: str) -> str:
    """CSS letting the page links inside ``st.container(key=key)`` wrap onto more lines instead of being cut."""
    if not re.fullmatch(r"[A-Za-z0-9_-]+", key):
        raise ValueError(f"need a plain container key, got {key!r}")
    return (f".st-key-{key} [data-testid='stPageLink'] a, .st-key-{key} [data-testid='stPageLink'] a * "
            "{white-space: normal !important; overflow: visible !important; text-overflow: clip !important; "
            "height: auto !important;}")
