"""A local HTTPS emulator of the ARM, Microsoft Graph and Entra endpoints the scanner reads.

``Emulator`` serves a tenant described by a data file (``load_tenant``; the
bundled demo is ``contoso-health``) with real response shapes, paging,
error bodies and injectable faults (``FaultRule``). See docs/emulator.md.

Names are resolved lazily (PEP 562) so that building the CLI parser, which
imports ``scanner.emulator.cli``, does not pull in aiohttp and the server.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scanner.emulator.faults import FaultPlan as FaultPlan
    from scanner.emulator.faults import FaultRule as FaultRule
    from scanner.emulator.server import SECRET_ENV as SECRET_ENV
    from scanner.emulator.server import Emulator as Emulator
    from scanner.emulator.server import RecordedRequest as RecordedRequest
    from scanner.emulator.synth import synthetic_tenant as synthetic_tenant
    from scanner.emulator.tenant import Tenant as Tenant
    from scanner.emulator.tenant import bundled_tenant_path as bundled_tenant_path
    from scanner.emulator.tenant import load_tenant as load_tenant
    from scanner.emulator.tenant import resolve_relative_dates as resolve_relative_dates

_EXPORTS = {
    "SECRET_ENV": "scanner.emulator.server",
    "Emulator": "scanner.emulator.server",
    "RecordedRequest": "scanner.emulator.server",
    "FaultPlan": "scanner.emulator.faults",
    "FaultRule": "scanner.emulator.faults",
    "synthetic_tenant": "scanner.emulator.synth",
    "Tenant": "scanner.emulator.tenant",
    "bundled_tenant_path": "scanner.emulator.tenant",
    "load_tenant": "scanner.emulator.tenant",
    "resolve_relative_dates": "scanner.emulator.tenant",
}

__all__ = [
    "SECRET_ENV",
    "Emulator",
    "FaultPlan",
    "FaultRule",
    "RecordedRequest",
    "Tenant",
    "bundled_tenant_path",
    "load_tenant",
    "resolve_relative_dates",
    "synthetic_tenant",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'scanner.emulator' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
