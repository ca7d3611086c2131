"""Where tarjama keeps its files: a workspace root holding content/ and translations/.

The root is ``--workspace DIR``, else ``$TARJAMA_WORKSPACE``, else the nearest
folder upwards from the current directory that has ``content/`` and
``translations/`` (the repo root when working in a checkout), else the current
directory.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from tarjama.errors import InputError

SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")
LANG_PATTERN = re.compile(r"^[a-z]{2,3}(?:_[A-Z]{2}|_[A-Z][a-z]{3})?$")


@dataclass(frozen=True)
class Workspace:
    """Paths of one workspace; creating it does not touch the disk."""

    root: Path

    @property
    def content(self) -> Path:
        return self.root / "content"

    @property
    def inbox(self) -> Path:
        return self.content / "inbox"

    @property
    def published(self) -> Path:
        return self.content / "published"

    @property
    def translations(self) -> Path:
        return self.root / "translations"

    @property
    def state_dir(self) -> Path:
        """``.tarjama/``: tarjama's own records beside the content (memory, usage, post-edit figures, desk
        sessions, inbox refusals); git-ignored."""
        return self.root / ".tarjama"

    @property
    def prefect_home(self) -> Path:
        return self.root / ".prefect"

    @property
    def config_file(self) -> Path:
        return self.root / "tarjama.toml"

    def item_dir(self, slug: str) -> Path:
        """The folder of one item's catalogs; refuses a slug that would leave the workspace."""
        check_slug(slug)
        path = (self.translations / slug).resolve()
        if path.parent != self.translations.resolve():
            raise InputError(f"slug {slug!r} would escape the workspace; use letters, digits, '-' or '_'")
        return path

    def catalog_path(self, slug: str, lang: str) -> Path:
        """An item's catalog in one language; the code must be a language code (it becomes a file name)."""
        return self.item_dir(slug) / f"{check_lang(lang)}.po"

    def relative(self, path: Path) -> str:
        """A path as shown in catalogs and reports: relative to the root when inside it."""
        resolved = Path(path).resolve()
        try:
            return resolved.relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return resolved.as_posix()


def check_slug(slug: str, *, field: str = "slug") -> str:
    """Accept only filesystem-safe slugs: no separators, no dots, no escaping the workspace."""
    if not SLUG_PATTERN.match(slug):
        raise InputError(
            f"{field} {slug!r} is not a safe slug; use 1-80 lowercase letters, digits, '-' or '_'"
        )
    return slug


def check_lang(code: str, *, field: str = "language") -> str:
    """Accept only a language code Babel knows (``fr``, ``en``, ``en_GB``): codes from outside (the command line,
    XLIFF and TMX files, the desk's URLs) become file names, so anything else is refused before a path is built.
    The code is shown quoted, so a newline in it cannot start a line of its own."""
    from babel import localedata

    if not isinstance(code, str) or not LANG_PATTERN.match(code) or not localedata.exists(code):
        raise InputError(f"{field}: unknown language code {code!r}; use codes such as fr, en")
    return code


def find_workspace(explicit: str | os.PathLike[str] | None = None) -> Workspace:
    """Resolve the workspace root by the documented precedence."""
    if explicit:
        return _existing(Path(explicit), "--workspace")
    env = os.environ.get("TARJAMA_WORKSPACE")
    if env:
        return _existing(Path(env), "TARJAMA_WORKSPACE")
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "content").is_dir() and (folder / "translations").is_dir():
            return Workspace(folder)
    return Workspace(here)


def _existing(path: Path, origin: str) -> Workspace:
    path = path.expanduser().resolve()
    if path.exists() and not path.is_dir():
        raise InputError(f"{origin} {path} is not a directory; give a folder for content/ and translations/")
    return Workspace(path)
