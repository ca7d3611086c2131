"""``tarjama serve``: serve the translate-article deployment so runs can suspend for review.

Beside Prefect's runner, a watcher thread fails runs whose review deadline has
passed, with a message naming the languages still waiting.
"""

from __future__ import annotations

import logging
import os
import threading

from prefect import serve

from flows.control import DEPLOYMENT_NAME, expire_overdue_reviews
from flows.translate_article import translate_article
from tarjama.workspace import Workspace

log = logging.getLogger("tarjama.serve")


def _watch(workspace: Workspace, every: float, stop: threading.Event) -> None:
    while not stop.wait(every):
        try:
            for line in expire_overdue_reviews(workspace):
                log.warning(line)
        except Exception as exc:  # the server may be restarting: try again next round
            log.debug("timeout watcher: %s", exc)


def serve_deployment(workspace: Workspace, watch_seconds: float | None = None) -> None:
    watch_seconds = watch_seconds or float(os.environ.get("TARJAMA_REVIEW_WATCH_SECONDS", "5"))
    deployment = translate_article.to_deployment(
        name=DEPLOYMENT_NAME,
        parameters={"workspace": str(workspace.root)},
        description="Translate an Arabic news item into reviewed French and English versions. "
                    "Give item_path (e.g. content/inbox/item.txt) or paste headline and body.",
        tags=["tarjama"],
    )
    stop = threading.Event()
    threading.Thread(target=_watch, args=(workspace, watch_seconds, stop), name="review-timeouts", daemon=True).start()
    try:
        serve(deployment, print_starting_message=True)
    finally:
        stop.set()
