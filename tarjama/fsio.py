"""Safe file writes: atomic replacement and per-item locks.

A write goes to a temporary file in the same folder, is flushed to disk, then
renamed over the target, so a reader (or a crash) never sees half a file.
Locks are ``filelock`` files beside the data; a second writer is refused with
a clear message instead of racing the first.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
import time
from collections.abc import Callable, Hashable, Iterator
from pathlib import Path
from typing import Generic, TypeVar

from cachetools import LRUCache
from filelock import FileLock, Timeout

from tarjama.errors import ItemBusyError

T = TypeVar("T")


def cache_dir() -> Path:
    """Where tarjama keeps what it can always rebuild (the language model's uncompressed copy, the Prefect
    database template): ``$TARJAMA_CACHE_DIR``, else the XDG base directory convention."""
    explicit = os.environ.get("TARJAMA_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tarjama"


def file_identity(path: Path | None) -> tuple[int, int, int] | None:
    """What changes when a file is replaced or rewritten (inode, size, mtime); None when there is none. Caches
    of parsed files (glossary, reviewers, settings, machine drafts) compare it to read a file again only then."""
    if path is None:
        return None
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


class ParsedFiles(Generic[T]):
    """Files parsed again only when they change (:func:`file_identity`): the one memo behind every reader that is
    asked often (the desk asks for the glossary, the reviewers and the machine drafts on every page and save).
    ``parse`` is called with the path; ``extra`` keys a result by more than the file (the environment, for
    settings). Thread-safe (the desk serves requests from a thread pool, and cachetools' caches are not): the
    cache is used under a lock, the parse runs outside it (a race parses twice, never returns a half-built value)."""

    def __init__(self, parse: Callable[[Path], T], maxsize: int = 256) -> None:
        self._parse = parse
        self._cache: LRUCache = LRUCache(maxsize=maxsize)
        self._lock = threading.Lock()

    def get(self, path: Path, extra: Hashable = ()) -> T:
        key = (file_identity(path), extra)
        with self._lock:
            cached = self._cache.get(path)
        if cached is not None and cached[0] == key:
            return cached[1]
        value = self._parse(path)
        with self._lock:
            self._cache[path] = (key, value)
        return value


def atomic_write_text(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` (UTF-8) in one rename; the folder is created if needed."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` in one rename; the folder is created if needed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


_local_locks: dict[str, threading.Lock] = {}
_local_locks_guard = threading.Lock()


def _local_lock(lock_path: Path) -> threading.Lock:
    with _local_locks_guard:
        return _local_locks.setdefault(str(lock_path), threading.Lock())


@contextlib.contextmanager
def locked(lock_path: Path, what: str, timeout: float = 0) -> Iterator[None]:
    """Hold an exclusive lock, or refuse at once (or after ``timeout`` seconds) when another holds it.

    Threads of this process queue on an in-process lock first (an immediate hand-over, where the
    file lock would poll); the file lock then keeps other processes out.
    """
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    local = _local_lock(lock_path)
    started = time.monotonic()
    acquired = local.acquire(timeout=timeout) if timeout > 0 else local.acquire(blocking=False)
    if not acquired:
        raise ItemBusyError(f"{what} is being written by another run; try again when it has finished")
    try:
        remaining = max(0.0, timeout - (time.monotonic() - started)) if timeout > 0 else 0
        lock = FileLock(str(lock_path), timeout=remaining, is_singleton=False, thread_local=False)
        try:
            lock.acquire()
        except Timeout:
            raise ItemBusyError(f"{what} is being written by another run; try again when it has finished") from None
        try:
            yield
        finally:
            lock.release()
    finally:
        local.release()


def append_jsonl(path: Path, event: dict | list[dict], what: str) -> None:
    """Append JSON lines durably (one fsync for a list); the lock keeps concurrent writers' lines whole."""
    import json

    events = event if isinstance(event, list) else [event]
    if not events:
        return
    lines = "".join(json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n" for e in events)
    with locked(path.with_name(f".{path.name}.lock"), what, timeout=10), open(path, "a", encoding="utf-8") as handle:
        handle.write(lines)
        handle.flush()
        os.fsync(handle.fileno())


def read_jsonl(path: Path) -> list[dict]:
    """All events of a JSON-lines log; a torn last line from a crash is skipped, never fatal."""
    import json

    if not path.exists():
        return []
    events = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict):
            events.append(event)
    return events
