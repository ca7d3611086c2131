"""py3langid's language identifier, built once per process and read from an uncompressed copy after the first time.

py3langid decompresses its 4.5 MB LZMA model (68 MB of arrays) on every load:
0.6 s of CPU on a quiet 2-core machine, well over a second on a busy one, paid
by every command that checks a language (an approval's QA precheck, each run's
first answer check). The first load writes the arrays uncompressed to the user's
cache (``$TARJAMA_CACHE_DIR``, else ``$XDG_CACHE_HOME/tarjama``, else
``~/.cache/tarjama``), named after py3langid's version and the model file's size
and time, so an upgrade never reads a stale copy; later loads take about 0.05 s.
A cache that cannot be read or written is skipped: identification never depends
on it. One lock builds the model, so threads drafting two languages at once load
it once, not once each.
"""

from __future__ import annotations

import copy
import io
import tempfile
import threading
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

from tarjama.fsio import atomic_write_bytes, cache_dir

_ARRAYS = ("ptc", "pc", "classes", "nextmove", "nextmove_row", "out_feat")
_lock = threading.Lock()


def identifier(candidates: tuple[str, ...]) -> Any:
    """An identifier restricted to ``candidates`` (sorted ISO 639 codes), shared by every caller that asks for them."""
    with _lock:
        return _restricted(candidates)


@lru_cache(maxsize=16)
def _restricted(candidates: tuple[str, ...]) -> Any:
    restricted = copy.copy(_full_model())  # set_languages re-slices from the full arrays, which the copies share
    restricted.set_languages(list(candidates))
    return restricted


@lru_cache(maxsize=1)
def _full_model() -> Any:
    import numpy as np
    from py3langid.langid import LanguageIdentifier
    from py3langid.modelio import _to_array  # py3langid's own conversion of its DFA rows (no public name for it)

    packaged = _packaged()
    cached = _cache_file(packaged)
    arrays = _read(cached) if cached else None
    if arrays is None:
        arrays = _unpack(packaged)
        if cached:
            _write(cached, arrays)
    ptc, pc, classes, nextmove, nextmove_row, out_feat = (arrays[name] for name in _ARRAYS)
    return LanguageIdentifier(np.asarray(ptc), np.asarray(pc), classes.tolist(), _to_array(nextmove),
                              out_feat.tolist(), norm_probs=True, tk_row=_to_array(nextmove_row))


def _packaged() -> Path:
    from py3langid.langid import MODEL_DIR, MODEL_FILE

    return Path(MODEL_DIR) / MODEL_FILE


def _cache_file(packaged: Path) -> Path | None:
    try:
        stat = packaged.stat()
        return cache_dir() / f"py3langid-{version('py3langid')}-{stat.st_size}-{stat.st_mtime_ns}.npys"
    except (OSError, RuntimeError):  # no home directory, or the package's files are unreadable
        return None


def _unpack(packaged: Path) -> dict[str, Any]:
    import lzma

    import numpy as np

    with lzma.open(packaged) as compressed, tempfile.TemporaryFile() as npz:
        while chunk := compressed.read(1 << 20):
            npz.write(chunk)
        npz.seek(0)
        with np.load(npz, allow_pickle=False) as data:
            return {name: data[name] for name in _ARRAYS}


def _read(path: Path) -> dict[str, Any] | None:
    import numpy as np

    try:
        with path.open("rb") as stream:
            return {name: np.load(stream, allow_pickle=False) for name in _ARRAYS}
    except (OSError, ValueError, EOFError):  # absent, truncated by a full disk, or not ours
        return None


def _write(path: Path, arrays: dict[str, Any]) -> None:
    """Atomically (a reader sees the whole copy or none); a cache that cannot be written is left alone."""
    import numpy as np

    buffer = io.BytesIO()
    for name in _ARRAYS:
        np.save(buffer, arrays[name], allow_pickle=False)
    try:
        atomic_write_bytes(path, buffer.getvalue())
    except OSError:
        pass
