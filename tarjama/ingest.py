"""Read an Arabic news item (plain text, Markdown with front matter, or IPTC ninjs JSON).

Every way an item can be wrong ends in an :class:`InputError` naming the file
and the fix; nothing is written while reading.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import yaml
from frontmatter import YAMLHandler

from tarjama.dates import DateError, normalise_date
from tarjama.errors import InputError
from tarjama.item import Item
from tarjama.manifest import read_manifest
from tarjama.months import GREGORIAN, month_number
from tarjama.textutil import arabic_ratio, has_letters, is_control_heavy, normalise_whitespace
from tarjama.urgency import parse_urgency
from tarjama.workspace import Workspace, check_slug

MAX_BYTES = 1_000_000
SECTION_LABEL_MAX = 60
HEADLINE_MAX = 200
_FINAL_PUNCTUATION = ".!?؟…:؛،;,"
_CLOSERS = "\"'”’»)]}›"
_MARKDOWN_SUFFIXES = {".md", ".markdown"}
_JSON_SUFFIXES = {".json"}
_TEXT_DATE = re.compile(r"(?<!\d)(\d{1,2})\s+(" + "|".join(sorted((re.escape(n) for names in GREGORIAN.values() for n in names),
                                                        key=len, reverse=True)) + r")\s+(\d{4})(?!\d)")
_HTML_BLOCKS = ["p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "div"]


def load_item(path: str | Path, workspace: Workspace, taken: dict[str, str] | None = None, *,
              timezone: str = "UTC") -> Item:
    """Read, validate and normalise one item; ``taken`` maps slugs already claimed in this batch;
    ``timezone`` is the newsroom's, for times written without one."""
    path = Path(path)
    data = _read_bytes(path)
    text = _decode(path, data)
    suffix = path.suffix.lower()
    try:
        if suffix in _MARKDOWN_SUFFIXES:
            kind, fields = "markdown", _parse_markdown(path, text, timezone)
        elif suffix in _JSON_SUFFIXES:
            kind, fields = "ninjs", _parse_ninjs(path, text, timezone)
        else:
            kind, fields = "text", _parse_plain(text)
    except RecursionError:
        raise InputError(f"{path}: the item is nested too deeply to read; flatten its structure") from None
    paragraphs = tuple(p for p in fields.pop("paragraphs") if p)
    if not paragraphs:
        raise InputError(f"{path}: no body text to translate; add the article's paragraphs")
    headline = fields.get("headline")
    all_text = " ".join(filter(None, [headline, *paragraphs]))
    ratio = arabic_ratio(all_text)
    if ratio < 0.5:
        raise InputError(
            f"{path}: the text is not Arabic (only {ratio:.0%} of its letters are Arabic); "
            "tarjama translates Arabic items"
        )
    if not fields.get("date"):
        fields["date"] = date_in_text(paragraphs)
    source = workspace.relative(path)
    slug = _choose_slug(path, source, fields.pop("slug", None), workspace, taken or {})
    return Item(slug=slug, source_path=source, kind=kind, paragraphs=paragraphs,
                digest=hashlib.sha256(data).hexdigest(), **fields)


def date_in_text(paragraphs: tuple[str, ...]) -> str | None:
    """The first date written out in the text ("30 يناير 2025"), used when an item states no date."""
    for paragraph in paragraphs:
        for match in _TEXT_DATE.finditer(paragraph):
            try:
                return dt.date(int(match.group(3)), month_number(match.group(2)) or 0, int(match.group(1))).isoformat()
            except ValueError:
                continue
    return None


def _read_bytes(path: Path) -> bytes:
    """The file's bytes; every way of not being a readable item file is one line naming it."""
    try:
        if not path.exists():
            raise InputError(f"{path}: no such file")
        if not path.is_file():
            raise InputError(f"{path}: not a regular file; give the path of a news item")
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InputError(f"{path}: {size} bytes is over the 1 MB limit; split the item or trim it")
        return path.read_bytes()
    except OSError as exc:
        shown = str(path) if len(str(path)) <= 120 else f"{str(path)[:100]}...{path.suffix}"
        raise InputError(f"{shown}: cannot read it ({exc.strerror or exc}); check the path") from None


def _decode(path: Path, data: bytes) -> str:
    if b"\x00" in data:
        raise InputError(f"{path}: binary data, not a text file; give a UTF-8 news item")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); save it as UTF-8"
        ) from None
    if is_control_heavy(text):
        raise InputError(f"{path}: binary data, not a text file; give a UTF-8 news item")
    if not text.strip():
        raise InputError(f"{path}: the file is empty; give an item with Arabic text")
    return text


def _ends_sentence(line: str) -> bool:
    return line.rstrip(_CLOSERS)[-1:] in _FINAL_PUNCTUATION


def _paragraphs(text: str) -> list[str]:
    """Blank lines separate paragraphs; inside a block, a line ending a sentence ends a paragraph
    and other line breaks are hard wraps."""
    paragraphs: list[str] = []
    for block in normalise_whitespace(text).split("\n\n"):
        current: list[str] = []
        for line in block.split("\n"):
            if not line:
                continue
            current.append(line)
            if _ends_sentence(line):
                paragraphs.append(" ".join(current))
                current = []
        if current:
            paragraphs.append(" ".join(current))
    return paragraphs


def _looks_like_headline(line: str) -> bool:
    return len(line) < HEADLINE_MAX and arabic_ratio(line) >= 0.5 and not _ends_sentence(line)


def _parse_plain(text: str) -> dict[str, Any]:
    lines = normalise_whitespace(text).split("\n")
    section = headline = None
    first = lines[0]
    has_more = any(line for line in lines[1:])
    if has_more and len(first) <= SECTION_LABEL_MAX and has_letters(first) and arabic_ratio(first) < 0.5:
        section = first
        lines = lines[1:]
    while lines and not lines[0]:
        lines = lines[1:]
    if lines and _looks_like_headline(lines[0]):
        headline, lines = lines[0], lines[1:]
    return {"section": section, "headline": headline, "paragraphs": _paragraphs("\n".join(lines))}


class _FrontMatter(YAMLHandler):
    """python-frontmatter's YAML handler, loading with :class:`_TextDates` so dates stay text until checked."""

    def load(self, fm: str, **kwargs: object) -> Any:
        return yaml.load(fm, Loader=_TextDates)


_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: linear on hostile nesting, the Python scanner is not


class _TextDates(_SafeLoader):  # type: ignore[misc,valid-type]
    """YAML's safe loader without the timestamp type: ``2025-02-30`` reaches our date check as text
    instead of failing inside PyYAML."""


_TextDates.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _SafeLoader.yaml_implicit_resolvers.items()
}


FOUR_EYES = "four-eyes"  # two different reviewers approve before publication
REVIEW_POLICIES = ("standard", FOUR_EYES)


def _parse_markdown(path: Path, text: str, timezone: str) -> dict[str, Any]:
    handler = _FrontMatter()
    if handler.detect(text) and len(handler.FM_BOUNDARY.findall(text)) < 2:
        raise InputError(f"{path}: the front matter opened with '---' on line 1 is never closed; "
                         "add a '---' line after its fields")
    try:
        if handler.detect(text):
            raw, body = handler.split(text)
            meta = handler.load(raw)
        else:
            meta, body = {}, text
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        if "nesting depth" in problem:  # libyaml's own limit: the same refusal as Python's recursion limit
            raise InputError(f"{path}: the item is nested too deeply to read; flatten its structure") from None
        raise InputError(f"{path}: malformed front matter{where} ({problem}); fix the YAML between the '---' lines") from None
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise InputError(f"{path}: front matter must be a mapping of fields (headline, date, ...)")
    headline = _text_field(path, meta, "headline") or _text_field(path, meta, "title")
    if headline is None:
        match = re.match(r"\s*#\s+(.+?)\s*(?:\n|$)", body)
        if match:
            headline, body = match.group(1), body[match.end():]
    slug = _text_field(path, meta, "slug")
    if slug is not None:
        check_slug(slug, field=f"{path}: front matter field 'slug'")
    review = _text_field(path, meta, "review")
    if review is not None and review not in REVIEW_POLICIES:
        raise InputError(f"{path}: front matter field 'review' is {review[:40]!r}; write one of "
                         f"{', '.join(REVIEW_POLICIES)} (four-eyes: two different reviewers approve)")
    return {
        "headline": normalise_whitespace(headline) if headline else None,
        "date": _date_field(path, meta.get("date"), "date", timezone),
        "source_url": _url_field(path, meta, "source_url"),
        "section": _text_field(path, meta, "section"),
        "slug": slug,
        "review": None if review == "standard" else review,
        "urgency": _urgency_field(path, meta, "front matter field 'urgency'"),
        "paragraphs": _paragraphs(body),
    }


def _parse_ninjs(path: Path, text: str, timezone: str) -> dict[str, Any]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: malformed JSON at line {exc.lineno} column {exc.colno} ({exc.msg})") from None
    except RecursionError:
        raise InputError(f"{path}: the JSON is nested too deeply to read; a ninjs item is a flat object") from None
    except ValueError:  # Python refuses integers of more than 4300 digits
        raise InputError(f"{path}: the JSON holds a number too long to read; remove it") from None
    if not isinstance(doc, dict):
        raise InputError(f"{path}: a ninjs item must be a JSON object with 'uri' and 'body_text' or 'body_html'")
    language = _text_field(path, doc, "language")
    if language and not language.lower().startswith("ar"):
        raise InputError(f"{path}: field 'language' is {language!r}; tarjama translates Arabic ('ar') items")
    body_text = _text_field(path, doc, "body_text")
    body_html = _text_field(path, doc, "body_html")
    if body_text:
        paragraphs = _paragraphs(body_text)
    elif body_html:
        paragraphs = _html_paragraphs(body_html)
    else:
        raise InputError(f"{path}: missing body; a ninjs item needs 'body_text' or 'body_html'")
    headline = _text_field(path, doc, "headline")
    return {
        "headline": normalise_whitespace(headline) if headline else None,
        "date": _date_field(path, doc.get("versioncreated"), "versioncreated", timezone),
        "uri": _text_field(path, doc, "uri"),
        "source_url": _url_field(path, doc, "uri") if str(doc.get("uri", "")).startswith("http") else None,
        "urgency": _urgency_field(path, doc, "field 'urgency'"),
        "paragraphs": paragraphs,
    }


def _html_paragraphs(html: str) -> list[str]:
    """The text of each innermost block; inline markup adds no spaces (``<b>أخرى</b>.`` stays ``أخرى.``)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for br in soup.find_all("br"):
        br.replace_with("\n")
    blocks = [el for el in soup.find_all(_HTML_BLOCKS) if not el.find(_HTML_BLOCKS)]
    texts = [el.get_text() for el in blocks] if blocks else [soup.get_text()]
    return [p for text in texts for p in _paragraphs(text)]


def _text_field(path: Path, meta: dict[str, Any], name: str) -> str | None:
    value = meta.get(name)
    if value is None:
        return None
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise InputError(f"{path}: field {name!r} must be text, not {type(value).__name__}")
    value = str(value).strip()
    return value or None


def _urgency_field(path: Path, meta: dict[str, Any], where: str) -> str | None:
    """flash, urgent or normal, from its word or IPTC's number (1 to 9)."""
    value = meta.get("urgency")
    if value is None or value == "":
        return None
    return parse_urgency(value, f"{path}: {where}").value


def _url_field(path: Path, meta: dict[str, Any], name: str) -> str | None:
    """An http(s) URL, percent-encoded where needed so that it is a valid URI in every output."""
    from urllib.parse import urlsplit

    from requests.utils import requote_uri

    value = _text_field(path, meta, name)
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c in value for c in "\n\r\t "):
        raise InputError(f"{path}: field {name!r} must be an http(s) URL, not {value!r}")
    return requote_uri(value)


def _date_field(path: Path, value: Any, name: str, timezone: str) -> str | None:
    """A date kept as ISO 8601 text (see :mod:`tarjama.dates`); anything unreadable is refused, not guessed."""
    try:
        return normalise_date(value, timezone)
    except DateError as exc:
        raise InputError(f"{path}: field {name!r}: {exc}") from None


def _choose_slug(path: Path, source: str, explicit: str | None, workspace: Workspace, taken: dict[str, str]) -> str:
    """Explicit slugs are kept or refused; derived ones get a suffix when another item owns the name."""
    if explicit:
        owner = taken.get(explicit) or _owner(workspace, explicit)
        if owner and owner != source:
            raise InputError(f"{path}: slug {explicit!r} is already used by {owner}; choose another slug")
        return explicit
    base = _slugify(path.stem) or "item-" + hashlib.sha1(path.name.encode()).hexdigest()[:10]
    owner = taken.get(base) or _owner(workspace, base)
    if owner and owner != source:
        return f"{base[:70]}-{hashlib.sha1(source.encode()).hexdigest()[:8]}"
    return base


def _slugify(stem: str) -> str:
    from slugify import slugify

    return slugify(stem, max_length=60, regex_pattern=r"[^a-z0-9_-]+").strip("-_")



def _owner(workspace: Workspace, slug: str) -> str | None:
    """The source file that first used ``slug``, from the item's manifest."""
    return (read_manifest(workspace, slug) or {}).get("source_path")
