"""Publish an item's versions into ``content/published/<lang>/``, one language at a time, atomically.

Each language folder is a symlink to a complete, immutable version folder
under ``content/published/.versions/``. Publishing builds the next version
folder beside it (unchanged files are hard links, so it is cheap), writes the
item's HTML, Markdown and ninjs plus the language's index and Atom feed,
validates the ninjs, and only then swaps the symlink in one rename. A failure
at any point before the swap leaves the previous version whole and visible.

A re-publication with changed text bumps the item's version and keeps its
first-publication date; the feed keeps one entry per item, updated in place.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from tarjama.clock import now_utc
from tarjama.errors import TarjamaError
from tarjama.fsio import atomic_write_text, locked
from tarjama.publish import provenance, render
from tarjama.publish.render import Published
from tarjama.publish.version import SOURCE_LANGUAGE, Version, load_versions
from tarjama.settings import DEFAULT_SITE_URL
from tarjama.workspace import Workspace

KEEP_VERSIONS = 3
_META = ".meta"


class PublishError(TarjamaError):
    """Publishing failed; the previously published version is untouched."""


@dataclass(frozen=True)
class PublishResult:
    lang: str
    slug: str
    version: int
    changed: bool
    folder: str


def publish_item(workspace: Workspace, slug: str, lang: str, *, site_url: str = DEFAULT_SITE_URL,
                 now: dt.datetime | None = None, publisher: str | None = None,
                 reviewed: bool = True) -> list[PublishResult]:
    """Publish the approved ``lang`` version and the Arabic original, and refresh the links of the
    item's other published languages (``site_url``: the newsroom's ``[site] url``, for absolute links).
    Each language is swapped in atomically on its own. ``reviewed=False`` publishes the drafts as they are, as
    an unreviewed machine translation (the flash path): no reviewer is named, whatever the catalog's header
    says from an earlier approval."""
    now = now or now_utc()
    site = site_url
    original, translation = (dataclasses.replace(v, publisher=publisher or None)
                             for v in load_versions(workspace, slug, lang))
    if not reviewed:
        translation = dataclasses.replace(translation, reviewer=None, reviewed_at=None, reviewed_via=None,
                                          first_reviewer=None)
    root = workspace.published
    others = [other for other in published_languages(root, slug) if other not in (lang, SOURCE_LANGUAGE)]
    langs = [lang, SOURCE_LANGUAGE, *others]
    alternates = render.alternates_for(site, slug, langs)
    document = {"slug": slug, "lang": lang, "translation_of": SOURCE_LANGUAGE,
                 "digital_source_type": kind.iptc if (kind := render.source_type(translation)) else None,
                 "machine_translation": list(translation.providers), "reviewed_by": list(translation.reviewers),
                 "review_status": "reviewed" if reviewed else "unreviewed",
                 "publisher": translation.publisher, "segments": provenance.item_provenance(workspace, slug, lang)}
    results = [publish_version(root, translation, alternates, now, site, document),
               publish_version(root, original, alternates, now, site)]
    if results[0].changed:
        provenance.record_version(workspace, slug, lang, {**document, "version": results[0].version,
                                                          "versioncreated": now.isoformat()})
    for other in others:  # only their links change; their text stays as it was approved
        current = read_published(root / other, slug)
        if current is not None:
            results.append(publish_version(root, current.version, alternates, now, site))
    return results


def stable_paths(workspace: Workspace, slug: str, lang: str) -> list[Path]:
    """The files a publication of ``lang`` leaves at stable addresses (the translation's and the original's)."""
    return [workspace.published / folder / f"{slug}.{ext}" for folder in (lang, SOURCE_LANGUAGE)
            for ext in ("html", "md", "json")]


def html_pages(workspace: Workspace, paths: list[str]) -> list[str]:
    """The HTML pages among ``paths`` (relative to the workspace), relative to the published folder: what the
    desk links to and the notifications give as addresses on the site."""
    pages = []
    for path in paths:
        try:
            relative = (workspace.root / path).relative_to(workspace.published).as_posix()
        except ValueError:
            continue
        if relative.endswith(".html"):
            pages.append(relative)
    return pages


def published_languages(root: Path, slug: str) -> list[str]:
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if not p.name.startswith(".") and (p / _META / f"{slug}.json").exists())


def read_published(folder: Path, slug: str) -> Published | None:
    try:
        data = json.loads((folder / _META / f"{slug}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    version = Version(**{**data["version"], "paragraphs": tuple(data["version"]["paragraphs"]),
                         "providers": tuple(data["version"].get("providers", ()))})
    return Published(version, data["number"], data["firstcreated"], data["versioncreated"],
                     data.get("replaces_unreviewed"), data.get("unreviewed_at"))


def publish_version(root: Path, version: Version, alternates: list[render.Alternate], now: dt.datetime,
                    site: str, provenance_doc: dict | None = None) -> PublishResult:
    lang, slug = version.lang, version.slug
    root.mkdir(parents=True, exist_ok=True)
    with locked(root / f".{lang}.publish.lock", f"published {lang} pages", timeout=30):
        link = root / lang
        current = link.resolve() if link.exists() else None
        previous = read_published(current, slug) if current else None
        changed = previous is None or _content(previous.version) != _content(version)
        stamp = now.isoformat()
        published = Published(
            version=version,
            number=1 if previous is None else previous.number + (1 if changed else 0),
            firstcreated=previous.firstcreated if previous else stamp,
            versioncreated=stamp if changed or previous is None else previous.versioncreated,
            **_correction(previous, version, changed),
        )
        staging = root / ".versions" / f"{lang}-{now.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
        try:
            _build(staging, current, published, alternates, site, provenance_doc)
            _swap(root, link, staging)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        _prune(root / ".versions", lang, keep={staging.name})
    return PublishResult(lang=lang, slug=slug, version=published.number, changed=changed, folder=str(link))


def _correction(previous: Published | None, version: Version, changed: bool) -> dict:
    """A reviewed version that replaces an unreviewed one says which and when; it keeps saying so while it is
    published again unchanged (a refresh of its links)."""
    if previous is None or render.is_unreviewed(version):
        return {}
    if changed and previous.unreviewed:
        return {"replaces_unreviewed": previous.number, "unreviewed_at": previous.versioncreated}
    if not changed:
        return {"replaces_unreviewed": previous.replaces_unreviewed, "unreviewed_at": previous.unreviewed_at}
    return {}


def _content(version: Version) -> tuple:
    """What a reader sees; a change here is a new version."""
    return (version.headline, version.paragraphs, version.date, version.source_url, version.reviewers)


def _build(staging: Path, current: Path | None, published: Published, alternates: list[render.Alternate],
           site: str, provenance_doc: dict | None = None) -> None:
    slug, lang = published.version.slug, published.version.lang
    (staging / _META).mkdir(parents=True)
    own = {f"{slug}.html", f"{slug}.md", f"{slug}.json", f"{_META}/{slug}.json", "index.html", "feed.xml"}
    if provenance_doc is not None:
        own.add(f"{slug}.provenance.json")
        _write(staging / f"{slug}.provenance.json", provenance.dumps(
            {**provenance_doc, "version": published.number, "versioncreated": published.versioncreated}))
    if current is not None:
        for path in current.rglob("*"):
            rel = path.relative_to(current).as_posix()
            if path.is_file() and rel not in own:
                target = staging / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                os.link(path, target)
    doc = render.render_ninjs(published, alternates, site)
    errors = sorted(render.ninjs_validator().iter_errors(doc), key=lambda e: e.path)
    if errors:
        raise PublishError(f"ninjs for {slug} ({lang}) is invalid: {errors[0].message}")
    meta = {"version": dataclasses.asdict(published.version), "number": published.number,
            "firstcreated": published.firstcreated, "versioncreated": published.versioncreated,
            "replaces_unreviewed": published.replaces_unreviewed, "unreviewed_at": published.unreviewed_at}
    _write(staging / _META / f"{slug}.json", json.dumps(meta, ensure_ascii=False, indent=2) + "\n")
    _write(staging / f"{slug}.html", render.render_html(published, alternates))
    _write(staging / f"{slug}.md", render.render_markdown(published))
    _write(staging / f"{slug}.json", json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
    everything = [p for p in (read_published(staging, m.stem) for m in sorted((staging / _META).glob("*.json"))) if p]
    _write(staging / "index.html", render.render_index(lang, everything))
    _write(staging / "feed.xml", render.render_feed(lang, everything, site))


def _write(path: Path, text: str) -> None:
    atomic_write_text(path, text)


def _swap(root: Path, link: Path, staging: Path) -> None:
    """Point ``root/<lang>`` at the new version folder in one atomic rename."""
    if link.exists() and not link.is_symlink():  # a plain folder from elsewhere: keep it as an old version
        link.rename(root / ".versions" / f"{link.name}-legacy-{uuid.uuid4().hex[:8]}")
    temp = root / f".{link.name}.{uuid.uuid4().hex[:8]}.swap"
    os.symlink(os.path.relpath(staging, root), temp)
    os.replace(temp, link)


def _prune(versions: Path, lang: str, keep: set[str]) -> None:
    """Keep the few newest version folders of ``lang`` (enough for a reader mid-request), drop the rest."""
    mine = sorted((p for p in versions.glob(f"{lang}-*") if p.is_dir()), key=lambda p: p.name, reverse=True)
    for old in mine[KEEP_VERSIONS:]:
        if old.name not in keep:
            shutil.rmtree(old, ignore_errors=True)
