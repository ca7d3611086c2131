"""Errors a user can fix: they carry a one-line message and an exit status.

The CLI prints ``str(error)`` and exits with ``error.exit_code``; nothing in
the domain code prints tracebacks for a user mistake.
"""

from __future__ import annotations


class TarjamaError(Exception):
    """Base for errors reported to the user as one line, never a traceback."""

    exit_code = 1


class InputError(TarjamaError):
    """A bad item, option or config value: the user must change their input."""

    exit_code = 2


class ItemBusyError(TarjamaError):
    """Another run holds the item's lock: try again when it has finished."""

    exit_code = 3


class CatalogError(TarjamaError):
    """A PO catalog on disk cannot be read (for instance a translator's broken edit)."""

    exit_code = 2
