"""Everything a translation loads on first use, loaded ahead: for a process that forks the runs (the warm worker).

Each run forked after :func:`warm_up` finds the engines' clients imported and the
language-identification model in memory (about 2 s of a cold run's first
request on a small machine). Nothing here starts a thread or opens a
connection: the process that calls it must stay safe to fork.
"""

from __future__ import annotations

import importlib

from tarjama.languages import OFFERED_TARGETS
from tarjama.mt.checks import language_of

CLIENTS = ("deep_translator", "deepl", "openai", "requests", "httpx")
"""The engines' client libraries, imported lazily by the providers (most commands never translate)."""


def warm_up() -> None:
    """Import the clients and load the language model for every offered target."""
    for name in CLIENTS:
        importlib.import_module(name)
    for lang in OFFERED_TARGETS:
        language_of("warm-up", lang)  # builds and caches the identifier for that language's candidates
