"""Reviewers of the desk: name, languages, and a password stored only as a scrypt hash.

They live in ``reviewers.toml`` in the workspace (git-ignored), managed with
``tarjama reviewer add NAME --lang fr`` and written with tomli-w. Hashing uses
the standard library's ``hashlib.scrypt`` with a random salt per password.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os
import secrets
import tomllib
from dataclasses import dataclass
from pathlib import Path

import tomli_w

from tarjama.errors import InputError
from tarjama.fsio import ParsedFiles, atomic_write_text, locked

_N, _R, _P = 2**14, 8, 1


@dataclass(frozen=True)
class Reviewer:
    name: str
    languages: tuple[str, ...]
    password_hash: str

    def may_review(self, lang: str) -> bool:
        return lang in self.languages


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


@functools.lru_cache(maxsize=1)
def dummy_hash() -> str:
    """Checked against for unknown names, so that a login takes as long whether or not the name exists."""
    return hash_password(secrets.token_urlsafe(16))


def verify_password(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        actual = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                                dklen=len(base64.b64decode(digest)))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, base64.b64decode(digest))


def reviewers_file(root: Path) -> Path:
    return Path(os.environ.get("TARJAMA_REVIEWERS_FILE") or root / "reviewers.toml")


def load_reviewers(path: Path) -> dict[str, Reviewer]:
    """The configured reviewers (re-read when the file changes, so additions apply without a restart)."""
    return _parsed.get(path)


def _parse(path: Path) -> dict[str, Reviewer]:
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: malformed TOML ({exc})") from None
    reviewers = {}
    for name, entry in data.get("reviewers", {}).items():
        if not isinstance(entry, dict) or not entry.get("password_hash") or not entry.get("languages"):
            raise InputError(f"{path}: reviewer {name!r} needs languages and password_hash")
        reviewers[name] = Reviewer(name, tuple(entry["languages"]), entry["password_hash"])
    return reviewers


_parsed: ParsedFiles[dict[str, Reviewer]] = ParsedFiles(_parse, maxsize=16)


def save_reviewer(path: Path, name: str, languages: list[str], password: str) -> None:
    """Add or replace a reviewer; the password itself is never written."""
    name = name.strip()
    if not name or len(name) > 100 or any(c in name for c in "\n\r\t\x00"):
        raise InputError("reviewer name must be one line of 1 to 100 characters")
    if len(password) < 8:
        raise InputError("password must be at least 8 characters")
    with locked(path.with_name(f".{path.name}.lock"), str(path), timeout=10):
        reviewers = dict(load_reviewers(path))
        reviewers[name] = Reviewer(name, tuple(languages), hash_password(password))
        table = {"reviewers": {r.name: {"languages": list(r.languages), "password_hash": r.password_hash}
                               for r in reviewers.values()}}
        header = "# tarjama review desk reviewers: passwords are stored only as scrypt hashes\n\n"
        atomic_write_text(path, header + tomli_w.dumps(table))
        os.chmod(path, 0o600)
