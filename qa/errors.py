"""What the user can fix: the CLI prints such an error's message and exits 2; the web app
answers it with a 4xx. Each module's own errors derive from these."""

from __future__ import annotations


class UserError(Exception):
    """A problem with what the user asked for or gave; the message says what to change."""


class MissingPath(UserError, FileNotFoundError):
    """A file or folder the user named (a corpus, a reader) that is not there."""
