"""Imported once, by the warm worker's fork server only: the flow and what its runs would load on first use.

Never import it elsewhere: it spends about 2 s loading what a process that
does not translate never needs (see :mod:`tarjama.warm`). The Prefect modules
below are the ones a run's engine imported in each forked child (found by
comparing a child's ``sys.modules`` before and after its run): task runs and
their futures, the flow's graph helpers (graphviz), the asyncio backend of
anyio, ``netrc`` (httpx reads it for every client).
"""

import gc
import importlib
import os

import prefect.context
import prefect.logging.configuration as logging_configuration

from flows.translate_article import translate_article
from operations import fork_caches
from operations.warm_worker import RUN_DEFAULTS
from tarjama.warm import warm_up

__all__ = ["translate_article"]

RUN_TIME_IMPORTS = ("prefect.task_engine", "prefect.utilities.visualization", "prefect._internal.states",
                    "anyio._backends._asyncio", "anyio.streams.memory", "anyio.streams.stapled", "anyio.streams.tls",
                    "netrc", "rich._emoji_codes", "encodings.utf_8_sig")

for name in RUN_TIME_IMPORTS:
    importlib.import_module(name)
warm_up()
# the settings a run starts with, so that a run whose job adds no Prefect setting finds its logging loaded
for name, value in RUN_DEFAULTS.items():
    os.environ.setdefault(name, value)
prefect.context.refresh_global_settings_context()
fork_caches.install()  # what each run would redo: its logging configuration, TLS contexts, CSRF handshakes, models
logging_configuration.setup_logging()  # loads it once, here: a forked run whose logging settings are these reuses it
gc.collect()
gc.freeze()  # what is loaded by now stays out of the children's collections: a full one walked it all in every run
