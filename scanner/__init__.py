"""ahds-audit: read-only security compliance scanner for Azure Health Data Services FHIR."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ahds-audit")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"
