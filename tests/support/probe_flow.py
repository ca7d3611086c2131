"""A flow that reports what its process sees and then waits to be told to end: for the warm worker's tests.

It writes ``<folder>/<name>.json`` (its pid, its parent, one environment variable of its run, a module-level
counter it increments), then waits for ``<folder>/<name>.release``. Test scaffolding, not part of the product.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from prefect import flow

RUNS_IN_THIS_PROCESS = []  # a process global: a second run in the same process would see the first one's entry


@flow(name="probe")
def probe(folder: str, name: str) -> str:
    RUNS_IN_THIS_PROCESS.append(name)
    out = Path(folder)
    report = {"pid": os.getpid(), "ppid": os.getppid(), "probe": os.environ.get("TARJAMA_PROBE"),
              "runs_in_this_process": list(RUNS_IN_THIS_PROCESS)}
    (out / f"{name}.part").write_text(json.dumps(report), encoding="utf-8")
    (out / f"{name}.part").rename(out / f"{name}.json")
    released = threading.Event()
    while not (out / f"{name}.release").exists():  # a file, so that a test can end the run from outside
        released.wait(0.1)
    return name
