"""Study database faults as one sentence each: which database (password masked), what went wrong, what to do.

Pages and the command line show a :class:`StudyDatabaseError`'s message as it is, so an annotator or
an organiser never sees a driver's traceback, SQL or "Background on this error at …" link, and never
a password (the URL goes through :func:`core.redact.masked`).
"""
from __future__ import annotations

from core.redact import masked

WHERE = "study.database or PRIVLENS_STUDY_DB"

# (words in the driver's message, lower case) → what it means and what to do; the first match wins
FAULTS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("readonly", "read-only", "read only"),
     "is read-only ({detail}): give privlens write access to it (for SQLite also to its folder, for the -wal and "
     f"-shm files), or point {WHERE} at a writable database"),
    (("file is not a database",),
     f"is not a SQLite database ({{detail}}): point {WHERE} at a study database, or move the file away to start "
     "a new study there"),
    (("unable to open database file",),
     "cannot be opened ({detail}): check that its folder exists and privlens may write there"),
    (("connection refused",),
     f"refused the connection ({{detail}}): check that PostgreSQL runs on that host and port, or fix {WHERE}"),
    (("could not translate host name", "name or service not known", "nodename nor servname", "no route to host",
      "network is unreachable", "name resolution"),
     f"cannot be reached ({{detail}}): check the host name in {WHERE} and the network"),
    (("timeout expired", "timed out"),
     "did not answer before the connection timed out ({detail}): check that the host is up and that no firewall "
     "drops the connection"),
    (("password authentication failed", "authentication failed"),
     f"refused the login ({{detail}}): check the user and password in {WHERE}"),
    (("does not exist",),
     "lacks something it needs ({detail}): create the database first (createdb), or point "
     f"{WHERE} at one that exists"),
    (("nul (0x00)", "nul character", "0x00"),
     "refused a text holding a NUL byte ({detail}): annotator ids must not hold control characters; use another id"),
)


class StudyDatabaseError(RuntimeError):
    """A study database that cannot be used as asked; the message names it and says what to do."""


def describe(error: BaseException, url: str) -> str:
    """One sentence for a driver error ``error`` raised by the database at ``url``."""
    detail = _first_line(getattr(error, "orig", None) or error)
    lowered = detail.lower()
    for words, meaning in FAULTS:
        if any(word in lowered for word in words):
            return f"The study database {masked(url)} {meaning.format(detail=detail)}."
    return (f"The study database {masked(url)} failed ({detail}): check that it is reachable and that {WHERE} "
            "names a privlens study database.")


def _first_line(error: BaseException) -> str:
    """The first line of the driver's message (its hints, SQLAlchemy's SQL and links dropped), at most 300 characters."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0][:300].rstrip(".") if lines else type(error).__name__
