"""Expected failures of a run, each carrying the exit code the CLI turns it into.

The CLI catches only ``AuditError``; anything else is an internal error. Every
message is one line a user can act on, with an optional hint.
"""

from __future__ import annotations

from typing import ClassVar


class AuditError(Exception):
    """Base of every expected failure. ``exit_code`` is what ``cli.main`` returns for it."""

    exit_code: ClassVar[int] = 2

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class ConfigError(AuditError):
    """The configuration file is unreadable or invalid (names the file and key path or line:column)."""


class AuthError(AuditError):
    """Authentication failed: wrong secret, unknown tenant, unreachable authority."""


class SnapshotError(AuditError):
    """An inventory snapshot or findings file could not be read."""


class PluginError(AuditError):
    """A rule pack or reporter failed to load, or collides with another."""


class OutputError(AuditError):
    """A report could not be written."""


class UsageError(AuditError):
    """The command line is inconsistent (argparse handles the rest)."""
