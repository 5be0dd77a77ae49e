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


def numbered_lines(path: Path) -> Iterator[tuple[int, str]]:
    """Non-blank lines, stripped, with their 1-based numbers in the file; BOM and CR removed.

    Shared by every reader of line-based files (corpora, lexicons) so errors name the right line.
    """
    line_no = 0
    try:
        with open(path, encoding="utf-8-sig") as f:
            for line_no, line in enumerate(f, start=1):
                if line.strip():
                    yield line_no, line.strip()
    except UnicodeDecodeError:
        raise CorpusFormatError(path, line_no + 1, "not UTF-8 text") from None


def write_text(path: Path, text: str) -> None:
    """UTF-8 with ``"\\n"`` line ends on every platform, creating folders: generated files are byte-stable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
