"""Logging setup for the CLI: our package loggers to stderr; chatty third-party loggers held at WARNING.

Only the ``scanner``, ``rules`` and ``reports`` loggers (and the third-party
ones named below) get a handler and a level, never the root logger, so
embedding the scanner in another program leaves that program's logging alone
(records still propagate, so a host's root handler sees them too). stdout
stays free for a report written to ``-``.
"""

from __future__ import annotations

import logging
import sys

OUR_LOGGERS = ("scanner", "rules", "reports")
# Below WARNING these log every request (and azure-core's HTTP logging policy logs headers).
THIRD_PARTY_LOGGERS = ("azure", "httpx", "httpcore", "msal", "kiota_abstractions", "kiota_http",
                       "kiota_authentication_azure", "kiota_serialization_json", "msgraph", "msgraph_core",
                       "aiohttp", "urllib3")
# azure-identity logs each failed get_token at WARNING with the full service text; the scanner's AuthError
# already says it in one line, so those repeat it unless -vv asks for everything.
_DUPLICATING_LOGGERS = ("azure.identity",)

_MARK = "_ahds_audit_handler"


def _level(verbosity: int, quiet: bool) -> int:
    if quiet:
        return logging.ERROR
    if verbosity >= 2:
        return logging.DEBUG
    if verbosity == 1:
        return logging.INFO
    return logging.WARNING


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at emit time (test runners swap it; a stale stream would be closed)."""

    @property
    def stream(self) -> object:
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        pass


def _handler() -> logging.Handler:
    handler: logging.Handler
    if sys.stderr.isatty():
        from rich.console import Console
        from rich.logging import RichHandler

        handler = RichHandler(console=Console(stderr=True), show_time=False, show_path=False, markup=False,
                              rich_tracebacks=False)
        handler.setFormatter(logging.Formatter("%(message)s"))
    else:
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    setattr(handler, _MARK, True)
    return handler


def configure_logging(verbosity: int, quiet: bool) -> None:
    """Send our loggers to stderr: WARNING by default, INFO with -v, DEBUG with -vv, ERROR only with quiet.

    Third-party loggers stay at WARNING whatever the verbosity (ERROR when quiet). Idempotent: a
    second call replaces the handler the first one installed.
    """
    handler = _handler()
    ours = _level(verbosity, quiet)
    theirs = logging.ERROR if quiet else logging.WARNING
    for name, level in (
        *((n, ours) for n in OUR_LOGGERS),
        *((n, theirs) for n in THIRD_PARTY_LOGGERS),
        *((n, logging.ERROR if verbosity < 2 else theirs) for n in _DUPLICATING_LOGGERS),
    ):
        logger = logging.getLogger(name)
        for old in [h for h in logger.handlers if getattr(h, _MARK, False)]:
            logger.removeHandler(old)
        logger.setLevel(level)
        if "." not in name:  # children (azure.identity) reach the handler through their parent
            logger.addHandler(handler)
