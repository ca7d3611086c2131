"""A new workspace's Prefect database, ready at once.

A Prefect server on a new SQLite file first runs every migration of its schema
(about 10 s on a 2-core machine), so the first ``tarjama translate`` in a new
workspace and the first ``make demo`` waited for it. The migrated empty
database is the same for every workspace of one Prefect version: it is built
once per version in tarjama's cache (``$TARJAMA_CACHE_DIR``, else
``~/.cache/tarjama``) by Prefect's own migrations, and a workspace without a
database starts from a copy. Prefect still runs its migrations at start, and
finds nothing to do. A workspace whose server uses another database
(``PREFECT_API_DATABASE_CONNECTION_URL``) is left alone.

Built as ``python -m operations.prefect_db PATH`` (Prefect's server modules
are imported there, not in the command that asks).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

from tarjama.fsio import cache_dir, locked

DATABASE = "prefect.db"  # Prefect's default SQLite file under PREFECT_HOME
OWN_DATABASE = ("PREFECT_API_DATABASE_CONNECTION_URL", "PREFECT_SERVER_DATABASE_CONNECTION_URL")
BUILD_TIMEOUT = 300.0


def seed_database(prefect_home: Path) -> bool:
    """Give ``prefect_home`` a migrated empty database when it has none; False when it has one, the server uses
    another database, or no template could be had (Prefect then migrates a new file itself, as before)."""
    target = prefect_home / DATABASE
    if target.exists() or any(os.environ.get(name) for name in OWN_DATABASE):
        return False
    template = migrated_template()
    if template is None:
        return False
    prefect_home.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(prefix=f".{DATABASE}.", suffix=".tmp", dir=prefect_home)
    os.close(fd)
    try:
        shutil.copyfile(template, partial)
        os.replace(partial, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(partial)
    return True


def migrated_template() -> Path | None:
    """This Prefect version's migrated empty database, built on first use (one builder at a time); None when it
    cannot be had."""
    folder = cache_dir()
    template = folder / f"prefect-{version('prefect')}-{DATABASE}"
    if template.is_file():
        return template
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with locked(folder / f".{template.name}.lock", "the Prefect database template", timeout=BUILD_TIMEOUT):
            if not template.is_file():
                _build(template)
    except (OSError, subprocess.SubprocessError, RuntimeError):
        return None  # no cache to write, or the migrations failed: the server migrates its own file
    return template


def _build(template: Path) -> None:
    with tempfile.TemporaryDirectory(dir=template.parent) as scratch:
        migrated = Path(scratch) / DATABASE
        env = {k: v for k, v in os.environ.items() if k not in OWN_DATABASE}
        done = subprocess.run([sys.executable, "-m", "operations.prefect_db", str(migrated)], env=env,
                              capture_output=True, text=True, timeout=BUILD_TIMEOUT)
        if done.returncode != 0:
            raise RuntimeError(done.stderr[-2000:])
        copy = Path(scratch) / "copy.db"
        with contextlib.closing(sqlite3.connect(migrated)) as source, contextlib.closing(sqlite3.connect(copy)) as dest:
            source.backup(dest)  # one self-contained file, whatever journal mode the migrations left
        os.replace(copy, template)


def _migrate(path: Path) -> None:
    """Prefect's own migrations on a new SQLite file at ``path`` (run in a process of its own)."""
    os.environ["PREFECT_API_DATABASE_CONNECTION_URL"] = f"sqlite+aiosqlite:///{path}"
    from prefect.server.database import provide_database_interface

    async def create() -> None:
        db = provide_database_interface()
        await db.create_db()
        engine = await db.engine()
        await engine.dispose()

    asyncio.run(create())


if __name__ == "__main__":
    _migrate(Path(sys.argv[1]))
