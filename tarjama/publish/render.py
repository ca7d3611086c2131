"""Render one published version as HTML, Hugo Markdown and IPTC ninjs, and a language's index and feed.

Every text is escaped for where it goes: Jinja2 autoescaping for HTML,
backslash escapes for Markdown, YAML quoting for front matter, JSON for
ninjs. Markup in a source or a translation is shown as text, never run.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from tarjama import __version__
from tarjama.channels import Channel
from tarjama.dates import rfc3339
from tarjama.publish.locale_text import language_name, long_date, text_direction, words
from tarjama.publish.version import SOURCE_LANGUAGE, Version
from tarjama.textutil import escape_markdown

NINJS_SCHEMA_URI = "http://www.iptc.org/std/ninjs/ninjs-schema_2.2.json"


@dataclass(frozen=True)
class Alternate:
    """A link from one language version to another (or to itself)."""

    lang: str
    name: str
    url: str
    relative: str


@dataclass(frozen=True)
class Published:
    """A version with its publication facts: version number and dates. ``replaces_unreviewed`` is the number of
    the unreviewed machine translation (the flash path) this reviewed version corrected, published at
    ``unreviewed_at``."""

    version: Version
    number: int
    firstcreated: str
    versioncreated: str
    replaces_unreviewed: int | None = None
    unreviewed_at: str | None = None

    @property
    def unreviewed(self) -> bool:
        """A translation no person has reviewed yet: published before review, and labelled so everywhere."""
        return is_unreviewed(self.version)


def is_unreviewed(v: Version) -> bool:
    return v.lang != SOURCE_LANGUAGE and not v.reviewer


def page_url(site_url: str, lang: str, slug: str) -> str:
    return f"{site_url.rstrip('/')}/{lang}/{slug}.html"


def alternates_for(site_url: str, slug: str, langs: list[str]) -> list[Alternate]:
    order = sorted(langs, key=lambda lang: (lang != "ar", lang))
    return [Alternate(lang, language_name(lang), page_url(site_url, lang, slug), f"../{lang}/{slug}.html") for lang in order]


@lru_cache(maxsize=1)
def _env() -> Environment:
    return Environment(loader=PackageLoader("tarjama.publish", "templates"),
                       autoescape=select_autoescape(["html"], default=True), trim_blocks=False)


def provenance(v: Version) -> str:
    """The page's visible credit line, in its own language: how the version was made and who answers for it."""
    w = words(v.lang)
    responsible = f" {w['responsible'].format(publisher=v.publisher)}" if v.publisher else ""
    if v.lang == SOURCE_LANGUAGE:
        return w["original"] + responsible
    if is_unreviewed(v):
        return w["unreviewed_credit"].format(providers=", ".join(v.providers) or "MT") + responsible
    return w["provenance"].format(providers=", ".join(v.providers) or "MT", reviewer=reviewer_names(v),
                                  date=long_date(v.reviewed_at, v.lang) or v.reviewed_at or "") + responsible


IPTC_SOURCE_TYPES = "http://cv.iptc.org/newscodes/digitalsourcetype/"
REVIEW_STATUS_SCHEME = "urn:tarjama:review-status"  # tarjama's own two terms: reviewed, unreviewed


@dataclass(frozen=True)
class SourceType:
    """How a version was made, in IPTC's Digital Source Type vocabulary (ninjs) and schema.org's enumeration of it
    (JSON-LD)."""

    code: str
    name: str

    @property
    def iptc(self) -> str:
        return IPTC_SOURCE_TYPES + self.code

    @property
    def schema_org(self) -> str:
        return f"https://schema.org/{self.code[:1].upper()}{self.code[1:]}DigitalSource"


MACHINE_TRANSLATED = SourceType("trainedAlgorithmicMedia", "Created using a model trained on sampled content")
REVIEWED_TRANSLATION = SourceType("compositeWithTrainedAlgorithmicMedia",
                                  "Composite including elements created using a trained model")


def source_type(v: Version) -> SourceType | None:
    """A translation made by MT engines (trained models) and approved by a person, who may have rewritten any part
    of it: a composite with trained algorithmic media. Without a reviewer, the engines' text alone: trained
    algorithmic media. The Arabic original is the source newsroom's: tarjama does not say how it was made."""
    if v.lang == SOURCE_LANGUAGE:
        return None
    return REVIEWED_TRANSLATION if v.reviewer else MACHINE_TRANSLATED


def json_ld(p: Published, alternates: list[Alternate]) -> str:
    """A schema.org NewsArticle describing the version, for search engines and archives; ``<`` escaped so the
    text can never close the script element it sits in."""
    v = p.version
    urls = {alt.lang: alt.url for alt in alternates}
    doc: dict = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": v.headline,
                 "inLanguage": v.lang, "url": urls.get(v.lang), "datePublished": p.firstcreated,
                 "dateModified": p.versioncreated, "version": str(p.number)}
    kind = source_type(v)
    if kind is not None:
        doc["digitalSourceType"] = kind.schema_org
        doc["translationOfWork"] = {"@type": "NewsArticle", "inLanguage": SOURCE_LANGUAGE,
                                    "url": urls.get(SOURCE_LANGUAGE)}
        doc["translator"] = [{"@type": "Organization", "name": provider} for provider in v.providers]
        if v.reviewers:
            doc["editor"] = [{"@type": "Person", "name": name} for name in v.reviewers]
        if p.unreviewed:
            doc["creativeWorkStatus"] = "Draft"  # schema.org's term for a work not yet through its editorial stage
            doc["backstory"] = words(v.lang)["unreviewed"]
        elif (note := correction_note(p)) is not None:
            doc["correction"] = {"@type": "CorrectionComment", "text": note, "datePublished": p.versioncreated}
    if v.publisher:
        doc["publisher"] = {"@type": "Organization", "name": v.publisher}
    if v.source_url:
        doc["isBasedOn"] = v.source_url
    text = json.dumps({k: val for k, val in doc.items() if val is not None}, ensure_ascii=False, indent=1)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def correction_note(p: Published) -> str | None:
    """For a reviewed version that replaced an unreviewed one: says so, with when that one went out."""
    if p.replaces_unreviewed is None:
        return None
    lang = p.version.lang
    when = long_date(p.unreviewed_at, lang) or p.unreviewed_at or ""
    return words(lang)["correction"].format(number=p.replaces_unreviewed, date=when)


def reviewer_names(v: Version) -> str:
    """The reviewers as the page's language lists them (Babel): "Samia et Karim", "Samia and Karim"."""
    from babel.lists import format_list

    return format_list(list(v.reviewers), locale=v.lang) if v.reviewers else ""


def reviewer_channel(via: str | None) -> str:
    """How the reviewer's name was obtained, as provenance says it (catalogs approved before 0.x lack it)."""
    try:
        return f" ({Channel(via).describe()})" if via else ""
    except ValueError:
        return ""


def render_html(p: Published, alternates: list[Alternate]) -> str:
    v = p.version
    return _env().get_template("article.html").render(
        v=v, dir=text_direction(v.lang), date=long_date(v.date, v.lang), w=words(v.lang),
        alternates=alternates, provenance=provenance(v), json_ld=Markup(json_ld(p, alternates)),
        unreviewed=words(v.lang)["unreviewed"] if p.unreviewed else None, correction=correction_note(p),
    )


def render_markdown(p: Published) -> str:
    v = p.version
    front = {
        "title": v.headline, "date": v.date or p.firstcreated, "lastmod": p.versioncreated, "lang": v.lang,
        "slug": v.slug, "translationKey": v.slug, "source_url": v.source_url, "reviewed_by": v.reviewer,
        "first_reviewed_by": v.first_reviewer,
        "reviewed_at": v.reviewed_at, "reviewed_via": v.reviewed_via, "version": p.number, "draft": False,
        "digital_source_type": kind.iptc if (kind := source_type(v)) else None,
        "machine_translation": list(v.providers) if kind else None, "publisher": v.publisher,
        "review_status": ("unreviewed" if p.unreviewed else "reviewed") if kind else None,
        "credit": provenance(v), "correction": correction_note(p),
        "replaces_unreviewed_version": p.replaces_unreviewed,
    }
    front = {k: val for k, val in front.items() if val is not None}
    header = yaml.safe_dump(front, allow_unicode=True, sort_keys=False, width=1000)
    body = "\n\n".join(escape_markdown(paragraph) for paragraph in v.paragraphs)
    return f"---\n{header}---\n\n{body}\n"


def body_html(v: Version) -> str:
    return "".join(f"<p>{escape(paragraph)}</p>" for paragraph in v.paragraphs)


def render_ninjs(p: Published, alternates: list[Alternate], site_url: str) -> dict:
    """An IPTC ninjs 2.2 document; the other versions are associations, the original one of them."""
    v = p.version
    text = "\n\n".join(v.paragraphs)
    doc: dict = {
        "uri": page_url(site_url, v.lang, v.slug),
        "standard": {"name": "ninjs", "version": "2.2", "schema": NINJS_SCHEMA_URI},
        "type": "text",
        "representationtype": "full",
        "version": str(p.number),
        "firstcreated": p.firstcreated,
        "versioncreated": p.versioncreated,
        "pubstatus": "usable",
        "language": v.lang,
        "slugline": v.slug,
        "headlines": [{"role": "main", "contenttype": "text/plain", "value": v.headline}],
        "bodies": [
            {"role": "main", "contenttype": "text/plain", "value": text, "charcount": len(text), "wordcount": len(text.split())},
            {"role": "main", "contenttype": "text/html", "value": body_html(v)},
        ],
        "associations": [
            {"name": "original" if alt.lang == "ar" else f"translation-{alt.lang}", "uri": alt.url, "language": alt.lang}
            for alt in alternates if alt.lang != v.lang
        ],
    }
    if v.date:
        doc["contentcreated"] = rfc3339(v.date)
    if v.source_url:
        doc["altids"] = [{"role": "source-url", "value": v.source_url}]
    sources = []
    if v.reviewer:
        sources += [{"name": name, "role": "reviewer"} for name in v.reviewers]
        doc["ednote"] = (f"Machine translation from Arabic reviewed by {' and '.join(v.reviewers)} on {v.reviewed_at}"
                         f"{reviewer_channel(v.reviewed_via)}.")
    sources += [{"name": provider, "role": "machine-translation"} for provider in v.providers]
    if v.publisher:
        sources.append({"name": v.publisher, "role": "publisher"})
    if kind := source_type(v):
        doc["digitalsourcetype"] = {"uri": kind.iptc, "name": kind.name}
        doc["descriptions"] = [{"role": "disclosure", "contenttype": "text/plain", "value": provenance(v)}]
        if p.unreviewed:
            doc["ednote"] = ("Machine translation from Arabic, not yet reviewed by a person; a reviewed version "
                             "will replace it as the next version.")
        elif (note := correction_note(p)) is not None:
            doc["descriptions"].append({"role": "correction", "contenttype": "text/plain", "value": note})
    if v.source_url:
        sources.append({"name": "original source", "role": "originator", "uri": v.source_url})
    if sources:
        doc["infosources"] = sources
    return doc


def render_index(lang: str, published: list[Published]) -> str:
    rows = [{"slug": p.version.slug, "headline": p.version.headline, "date": long_date(p.version.date, lang),
             "datetime": p.version.date} for p in newest_first(published)]
    return _env().get_template("index.html").render(lang=lang, dir=text_direction(lang), w=words(lang), items=rows)


def newest_first(published: list[Published]) -> list[Published]:
    return sorted(published, key=lambda p: (p.version.date or p.firstcreated, p.firstcreated), reverse=True)


def render_feed(lang: str, published: list[Published], site_url: str) -> str:
    """An Atom feed of the language's items, one entry per item (its id never changes)."""
    from feedgen.feed import FeedGenerator

    base = site_url.rstrip("/")
    feed = FeedGenerator()
    feed.id(f"{base}/{lang}/feed.xml")
    feed.title(f"tarjama: {words(lang)['news']} ({language_name(lang)})")
    feed.language(lang)
    feed.author({"name": "tarjama"})
    feed.link(href=f"{base}/{lang}/feed.xml", rel="self")
    feed.link(href=f"{base}/{lang}/index.html", rel="alternate")
    feed.generator("tarjama", version=__version__)
    items = newest_first(published)
    updated = max((p.versioncreated for p in items), default=dt.datetime.now(dt.UTC).isoformat())
    feed.updated(updated)
    for p in reversed(items):  # feedgen prepends entries: add oldest first so the newest leads
        v = p.version
        entry = feed.add_entry()
        entry.id(page_url(site_url, lang, v.slug))
        entry.title(v.headline)
        entry.link(href=page_url(site_url, lang, v.slug), rel="alternate")
        entry.published(p.firstcreated)
        entry.updated(p.versioncreated)
        entry.summary(_entry_summary(p))
        for name in v.reviewers:
            entry.author({"name": name})
        if kind := source_type(v):
            entry.category(term=kind.code, scheme=IPTC_SOURCE_TYPES, label=kind.name)
            status = "unreviewed" if p.unreviewed else "reviewed"
            entry.category(term=status, scheme=REVIEW_STATUS_SCHEME, label=words(lang)[f"{status}_term"])
    return feed.atom_str(pretty=True).decode("utf-8")


def _entry_summary(p: Published) -> str:
    """The entry's first paragraph, after the label a feed reader shows: unreviewed, or corrected by review."""
    v = p.version
    first = v.paragraphs[0] if v.paragraphs else v.headline
    label = words(v.lang)["unreviewed"] + "." if p.unreviewed else correction_note(p)
    return f"{label} {first}" if label else first


@lru_cache(maxsize=1)
def ninjs_validator():
    """A validator for IPTC's ninjs 2.2 schema (shipped with tarjama, MIT licence), format checks on."""
    from jsonschema import Draft202012Validator, FormatChecker

    schema = json.loads(resources.files("tarjama.publish").joinpath("ninjs-schema_2.2.json").read_text(encoding="utf-8"))
    return Draft202012Validator(schema, format_checker=FormatChecker())
