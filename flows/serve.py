"""``tarjama serve``: serve the translate-article deployment so runs can suspend for review.

Beside Prefect's runner, two watcher threads: one fails runs whose review
deadline has passed, with a message naming the languages still waiting; the
other starts a run for every item dropped into (or corrected in)
``content/inbox/``. A dropped item that ingest refuses is logged with the same
one-line reason the CLI gives, and no run starts.
"""

from __future__ import annotations

import os
import threading

from prefect import serve
from prefect.logging import get_logger

from flows.control import DEPLOYMENT_NAME, expire_overdue_reviews, start_run
from flows.translate_article import translate_article
from tarjama.errors import TarjamaError
from tarjama.inbox import InboxScanner
from tarjama.ingest import load_item
from tarjama.workspace import Workspace

log = get_logger("tarjama.serve")  # under "prefect.", so it shows with the runner's own logs


def _watch(workspace: Workspace, every: float, stop: threading.Event) -> None:
    while not stop.wait(every):
        try:
            for line in expire_overdue_reviews(workspace):
                log.warning(line)
        except Exception as exc:  # the server may be restarting: try again next round
            log.debug("timeout watcher: %s", exc)


def _watch_inbox(workspace: Workspace, every: float, stop: threading.Event) -> None:
    scanner = InboxScanner(workspace)
    while not stop.wait(every):
        try:
            for path in scanner.scan():
                try:
                    item = load_item(path, workspace)
                except TarjamaError as error:
                    log.warning("inbox: not started: %s", error)
                    continue
                run = start_run({"item_path": str(path), "workspace": str(workspace.root)})
                log.info("inbox: %s dropped in; run %s started for %s", path.name, run.id, item.slug)
        except Exception as exc:  # the server may be restarting: try again next round
            log.warning("inbox watcher: %s", exc)


def serve_deployment(workspace: Workspace, watch_seconds: float | None = None) -> None:
    watch_seconds = watch_seconds or float(os.environ.get("TARJAMA_REVIEW_WATCH_SECONDS", "5"))
    inbox_seconds = float(os.environ.get("TARJAMA_INBOX_WATCH_SECONDS", "3"))
    deployment = translate_article.to_deployment(
        name=DEPLOYMENT_NAME,
        parameters={"workspace": str(workspace.root)},
        description="Translate an Arabic news item into reviewed French and English versions. "
                    "Give item_path (e.g. content/inbox/item.txt) or paste headline and body.",
        tags=["tarjama"],
    )
    stop = threading.Event()
    threading.Thread(target=_watch, args=(workspace, watch_seconds, stop), name="review-timeouts", daemon=True).start()
    threading.Thread(target=_watch_inbox, args=(workspace, inbox_seconds, stop), name="inbox", daemon=True).start()
    try:
        serve(deployment, print_starting_message=True)
    finally:
        stop.set()
