"""Reading and writing the text files of corpora and lexicons, so every reader names lines the same way."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path


class CorpusFormatError(ValueError):
    """Malformed corpus input; ``str(error)`` is ``"<file>:<line>: <problem>"`` (line 1-based)."""

    def __init__(self, path: str | Path, line: int, problem: str) -> None:
        super().__init__(f"{path}:{line}: {problem}")
        self.path = Path(path)
        self.line = line


def text_lines(path: Path) -> Iterator[tuple[int, str]]:
    """Every line with its 1-based number and its line end, decoded one line at a time as UTF-8 (a BOM
    on the first is dropped), so a bad byte is reported on its own line, not where a read buffer began."""
    with open(path, "rb") as f:
        for line_no, raw in enumerate(f, start=1):
            try:
                yield line_no, raw.decode("utf-8-sig" if line_no == 1 else "utf-8")
            except UnicodeDecodeError as error:
                problem = f"not UTF-8 text (byte 0x{raw[error.start]:02x} at column {error.start + 1})"
                raise CorpusFormatError(path, line_no, problem) from None


def numbered_lines(path: Path) -> Iterator[tuple[int, str]]:
    """Non-blank lines, stripped, with their 1-based numbers in the file; BOM and CR removed.

    Shared by every reader of line-based files (corpora, lexicons) so errors name the right line.
    """
    for line_no, line in text_lines(path):
        if line.strip():
            yield line_no, line.strip()


def write_text(path: Path, text: str) -> None:
    """UTF-8 with ``"\\n"`` line ends on every platform, creating folders: generated files are byte-stable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
