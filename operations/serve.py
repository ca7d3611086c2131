"""``tarjama serve``: the review loop on one machine: the deployment, a worker and the watchers in one process.

The deployment and its pool are ``tarjama deploy``'s; the worker is the one
``prefect worker start`` would run for that pool (warm by default, see
:mod:`operations.warm_worker`), so runs take one path whether one machine or
many run them. Beside it, two watcher threads:

* reviews: fails runs whose review deadline has passed (naming the languages
  still waiting) and wakes suspended runs whose item has decision requests
  that no sender delivered;
* the inbox (watchfiles, plus a look every few seconds): every inbox item
  with no drafts, or whose text changed since its drafts, gets a run, however
  long ago it arrived (items dropped while serve was down are found at
  start). One run per item text: the run's idempotency key makes a second
  start for the same text return the first run. A dropped item that ingest
  refuses is said once, with the same one-line reason the CLI gives, in
  serve's terminal, in ``tarjama status`` and as a Prefect event.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from prefect.logging import get_logger

from flows.events import Milestone, emit_milestone
from flows.names import DEPLOYMENT
from operations.control import ReviewWatch
from operations.deploy import deploy
from operations.run_api import Run, RunApi
from operations.runs import ItemStart, runs_of, start_item_runs
from operations.warm_worker import run_worker
from tarjama.errors import TarjamaError
from tarjama.inbox import SETTLE_SECONDS, InboxScanner, record_refusal
from tarjama.ingest import load_item
from tarjama.item import Item
from tarjama.review import events as review_log
from tarjama.review.events import RunStarted
from tarjama.review.same_text import refuse_same_text
from tarjama.review.state import fold
from tarjama.settings import Settings
from tarjama.workspace import Workspace

log = get_logger("tarjama.serve")  # under "prefect.", so it shows with the runner's own logs


def _watch_reviews(workspace: Workspace, every: float, stop: threading.Event) -> None:
    reviews = ReviewWatch(workspace)
    try:
        while not stop.wait(every):
            try:
                for line in reviews.round():
                    log.warning(line)
            except Exception as exc:  # the server may be restarting: try again next round
                log.debug("review watcher: %s", exc)
    finally:
        reviews.close()


def refuse(workspace: Workspace, settings: Settings, path: Path, digest: str, reason: str) -> None:
    """An inbox file that gets no run is said where people look: serve's terminal, ``tarjama status``, and a
    Prefect event (``tarjama.inbox.refused``, which ``tarjama notify`` posts to the chat)."""
    line = f"inbox: {path.name}: not started: {reason}"
    print(line, flush=True)
    log.warning(line)
    try:
        record_refusal(workspace, path, digest, reason)
    except (OSError, TarjamaError) as exc:
        log.warning("inbox: %s: refusal not recorded for status (%s)", path.name, exc)
    emit_milestone(Milestone.INBOX_REFUSED, settings, path.stem, [], line, file=workspace.relative(path), reason=reason)


class InboxWatcher:
    """Starts a run for every due inbox item; remembers refusals and starts (one log line per item text;
    an item stays due until its run claims it, and the idempotency key makes a repeat start a no-op)."""

    def __init__(self, workspace: Workspace, settings: Settings) -> None:
        self.workspace = workspace
        self.settings = settings
        self.scanner = InboxScanner(workspace)
        self.refused: dict[Path, str] = {}
        self.started: dict[Path, str] = {}
        self.api = RunApi()  # one connection pool for the watcher's life, shared by the threads that start runs

    def look(self) -> None:
        """Start the runs of every due item at once (a burst of dispatches is handed over together)."""
        due = []
        live: dict[str, list[Run]] | None = None  # the workspace's live runs by item, asked once per look if needed
        for path, digest in self.scanner.scan().items():
            if digest in (self.refused.get(path), self.started.get(path)):
                continue
            try:
                item = load_item(path, self.workspace, timezone=self.settings.timezone)
            except TarjamaError as error:
                self._refuse(path, digest, error)
                continue
            try:
                if live is None:
                    live = self._live_runs()
                drafting = self._drafting_run(item, live.get(item.slug, []))
            except Exception as exc:  # the server may be restarting: the item stays due, the next look asks again
                log.warning("inbox: %s: not started yet (%s)", path.name, exc)
                continue
            if drafting:  # a pasted item its run saved here, before its drafts: that run is the file's
                log.info("inbox: %s: already being drafted by run %s", path.name, drafting)
                continue
            try:
                refuse_same_text(self.workspace, item)
            except TarjamaError as error:
                self._refuse(path, digest, error)
                continue
            due.append((path, digest, item))
        if not due:
            return

        starts = [ItemStart(item.source_path, item.digest,
                            {"request": {"item_path": str(path)}, "workspace": str(self.workspace.root)}, item.slug)
                  for path, _digest, item in due]
        try:
            runs = start_item_runs(self.api, self.workspace, starts)
        except Exception as exc:  # the server may be restarting: the items stay due, the next look retries
            log.warning("inbox: %d item(s): runs not started yet (%s)", len(due), exc)
            return
        for (path, digest, item), run in zip(due, runs, strict=True):
            if isinstance(run, Exception):
                log.warning("inbox: %s: run not started yet (%s)", path.name, run)
                continue
            self.started[path] = digest
            log.info("inbox: %s: run %s (%s) for %s", path.name, run.name, run.id, item.slug)

    def _refuse(self, path: Path, digest: str, error: TarjamaError) -> None:
        self.refused[path] = digest
        refuse(self.workspace, self.settings, path, digest, str(error))

    def _live_runs(self) -> dict[str, list[Run]]:
        by_item: dict[str, list[Run]] = {}
        for run in runs_of(self.api, None, self.workspace):
            by_item.setdefault(run.name, []).append(run)
        return by_item

    def _drafting_run(self, item: Item, live: list[Run]) -> str | None:
        """A live run that drafts this very text of the item, or is about to (it has not claimed the item yet);
        None when there is none. A run given a pasted item saves it here, then claims it, then writes its drafts:
        until then the file looks due, and without this the watcher would start a second run for it. A live run
        that claimed another text of the item (an editor corrected the file) is no reason to wait."""
        if not live:
            return None
        events = review_log.read(self.workspace, item.slug)
        review = fold(events)
        claimed = {e.run_id for e in events if isinstance(e, RunStarted)}
        for run in live:
            if run.id not in claimed or (run.id == review.current_run and review.source_digest == item.digest):
                return run.id
        return None

    def run(self, stop: threading.Event) -> None:
        import watchfiles

        self.workspace.inbox.mkdir(parents=True, exist_ok=True)
        every_ms = int(self.settings.inbox.watch_seconds * 1000)
        with self.api:
            for _ in watchfiles.watch(self.workspace.inbox, stop_event=stop, yield_on_timeout=True,
                                      rust_timeout=every_ms, debounce=every_ms, raise_interrupt=False):
                try:
                    self.look()
                    while self.scanner.unsettled and not stop.wait(SETTLE_SECONDS):  # a new file: due once unchanged
                        self.look()
                except Exception as exc:  # the server may be restarting: try again next round
                    log.warning("inbox watcher: %s", exc)


def _sync_weblate(workspace: Workspace, settings: Settings, stop: threading.Event) -> None:
    from operations.weblate_sync import sync
    from tarjama.context import Context

    refused: dict[tuple[str, str], str] = {}
    last_error = ""
    while True:
        try:
            for line in sync(Context(workspace, settings), refused).lines():
                if line != "nothing to sync":
                    log.warning("weblate: %s", line)
            last_error = ""
        except TarjamaError as exc:  # Weblate down, a merge to do by hand: said once, tried again every round
            if str(exc) != last_error:
                log.warning("weblate: %s", exc)
            last_error = str(exc)
        if stop.wait(settings.weblate.sync_seconds):
            return


def start_watchers(workspace: Workspace, settings: Settings, stop: threading.Event) -> list[threading.Thread]:
    """The inbox and review watchers (and the Weblate sync where ``[weblate] url`` is set), in daemon threads
    until ``stop`` is set."""
    threads = [threading.Thread(target=_watch_reviews, args=(workspace, settings.review.watch_seconds, stop),
                                name="reviews", daemon=True),
               threading.Thread(target=InboxWatcher(workspace, settings).run, args=(stop,), name="inbox", daemon=True)]
    if settings.weblate.url:
        threads.append(threading.Thread(target=_sync_weblate, args=(workspace, settings, stop), name="weblate",
                                        daemon=True))
    for thread in threads:
        thread.start()
    return threads


def serve_deployment(workspace: Workspace, settings: Settings) -> None:
    """One machine: ``tarjama deploy``'s pool and deployment, one worker in this process (``[serve] limit`` runs
    at once, started as ``[workers] execution`` says) and the watchers. The runs take the workers' path.

    The limit is the pool's alone, as on the workers' topology: the server frees a run's slot when it suspends
    for review, where a worker's own limit waits for its process to end, and Prefect's engine ends a run's
    heartbeat thread only at its next 1 s tick (half a second a run, each holding back the next item of a
    burst)."""
    deployed = deploy(workspace, settings, drafting=settings.serve.limit)  # one machine: its limit is the pool's
    for line in deployed.lines:
        log.info(line)
    stop = threading.Event()
    start_watchers(workspace, settings, stop)
    print(f"serving {DEPLOYMENT} from pool {deployed.pool}: {settings.serve.limit} run(s) drafting at once in this process "
          f"({settings.workers.execution} start); Ctrl-C stops", flush=True)
    try:
        asyncio.run(run_worker(deployed.pool, settings.workers.execution))
    finally:
        stop.set()


def watch(workspace: Workspace, settings: Settings) -> None:
    """Workers run the flow runs (``tarjama deploy``): this process only watches the inbox and the reviews,
    until interrupted. One per workspace is enough; a second one starts no duplicate run (idempotency keys)."""
    stop = threading.Event()
    threads = start_watchers(workspace, settings, stop)
    log.info("watching %s and the reviews of %s", workspace.relative(workspace.inbox), workspace.root)
    try:
        while all(thread.is_alive() for thread in threads):
            threads[0].join(timeout=1.0)
    finally:
        stop.set()
