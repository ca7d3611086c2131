"""Publishing: HTML, Hugo Markdown, IPTC ninjs (validated against the official schema), index and Atom feed;
escaping of hostile text in every output; atomic, idempotent, versioned publication."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from html.parser import HTMLParser

import feedparser
import polib
import pytest
import yaml
from babel import dates as babel_dates
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tarjama.context import Context
from tarjama.drafting import draft_item
from tarjama.ingest import load_item
from tarjama.mt.engine import MTEngine
from tarjama.publish.site import publish_item
from tarjama.review.decisions import stamp_approval
from tests.conftest import REPO, settings_for
from tests.support.review import clear_fuzzy

SLUG = "000_220f3de444a27c17"
SHARED_SCHEMA = REPO.parent / "shared" / "schemas" / "ninjs-schema_2.2.json"
HOSTILE_SOURCE = 'قال المتحدث <script>alert("src")</script> إن الاجتماع انتهى.'
HOSTILE_TRANSLATION = 'Le porte-parole "><img src=x onerror=alert(1)> <script>alert("mt")</script> a parlé.'


@pytest.fixture(scope="module")
def ninjs_validator():
    if not SHARED_SCHEMA.exists():
        pytest.fail(f"IPTC's ninjs schema is missing at {SHARED_SCHEMA}: the ninjs outputs cannot be validated")
    from jsonschema import Draft202012Validator, FormatChecker

    checker = FormatChecker()
    assert {"uri", "date-time"} <= set(checker.checkers), "format checks need rfc3986-validator and rfc3339-validator"
    assert not checker.conforms("not a uri", "uri") and not checker.conforms("2025-13-40T00:00:00Z", "date-time")
    return Draft202012Validator(json.loads(SHARED_SCHEMA.read_text(encoding="utf-8")), format_checker=checker)


def approve_all(ws, slug: str, lang: str, reviewer: str = "Amina", edit=None) -> None:
    clear_fuzzy(ws, slug, lang, edit)
    assert stamp_approval(ws.catalog_path(slug, lang), reviewer) == []


@pytest.fixture
def drafted(workspace, sample, libre):
    item = load_item(sample, workspace)
    draft_item(Context.load(workspace), item, ["fr", "en"], MTEngine(settings_for(libre)))
    return workspace


class Tree(HTMLParser):
    """The parsed tags and text of a page."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def find(self, tag: str, **attrs) -> list[dict]:
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]


def test_every_output_of_an_approved_language(drafted, ninjs_validator) -> None:
    ws = drafted
    approve_all(ws, SLUG, "fr")
    results = publish_item(ws, SLUG, "fr")
    assert [(r.lang, r.version) for r in results] == [("fr", 1), ("ar", 1)]
    for lang in ("fr", "ar"):
        folder = ws.published / lang
        provenance = [f"{SLUG}.provenance.json"] if lang == "fr" else []  # a translation's, not the original's
        assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == sorted([
            f"{SLUG}.html", f"{SLUG}.json", f"{SLUG}.md", "feed.xml", "index.html", *provenance])
        doc = json.loads((folder / f"{SLUG}.json").read_text(encoding="utf-8"))
        errors = list(ninjs_validator.iter_errors(doc))
        assert not errors, errors[0].message
        assert doc["language"] == lang and doc["version"] == "1"

    fr = json.loads((ws.published / "fr" / f"{SLUG}.json").read_text(encoding="utf-8"))
    assert fr["associations"] == [{"name": "original", "uri": f"http://localhost:8000/ar/{SLUG}.html", "language": "ar"}]
    assert {"name": "Amina", "role": "reviewer"} in fr["infosources"]
    assert [b["contenttype"] for b in fr["bodies"]] == ["text/plain", "text/html"]
    assert fr["contentcreated"] == "2025-01-30T00:00:00Z"  # the date written in the sample's text

    page = Tree((ws.published / "fr" / f"{SLUG}.html").read_text(encoding="utf-8"))
    assert page.find("html", lang="fr", dir="ltr")
    assert {a["hreflang"] for a in page.find("link", rel="alternate") if "hreflang" in a} == {"ar", "fr"}
    text = "".join(page.text)
    assert "30 janvier 2025" in text and "relu par Amina" in text and "traduction automatique (libre)" in text
    assert [a["href"] for a in page.find("a", hreflang="ar")] == [f"../ar/{SLUG}.html"]
    h1 = text.split("\n")
    assert any(line.endswith("…") for line in h1)  # no headline in the sample: the first sentence, cut

    ar = Tree((ws.published / "ar" / f"{SLUG}.html").read_text(encoding="utf-8"))
    assert ar.find("html", lang="ar", dir="rtl") and "30 يناير 2025" in "".join(ar.text)

    md = (ws.published / "fr" / f"{SLUG}.md").read_text(encoding="utf-8")
    _, front, body = md.split("---\n", 2)
    meta = yaml.safe_load(front)
    assert {k: meta[k] for k in ("lang", "slug", "translationKey", "reviewed_by", "date", "draft")} == {
        "lang": "fr", "slug": SLUG, "translationKey": SLUG, "reviewed_by": "Amina", "date": "2025-01-30", "draft": False}
    assert body.count("\n\n") >= 2  # three paragraphs

    feed = feedparser.parse((ws.published / "fr" / "feed.xml").read_bytes())
    assert feed.bozo == 0 and feed.version == "atom10"
    assert [e.id for e in feed.entries] == [f"http://localhost:8000/fr/{SLUG}.html"]


def test_every_version_says_how_it_was_made_for_people_and_machines(drafted, ninjs_validator) -> None:
    ws = drafted
    approve_all(ws, SLUG, "fr")
    publish_item(ws, SLUG, "fr", publisher="Rédaction de l'exemple")
    fr = json.loads((ws.published / "fr" / f"{SLUG}.json").read_text(encoding="utf-8"))
    assert fr["digitalsourcetype"]["uri"] == "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"
    assert {"name": "Rédaction de l'exemple", "role": "publisher"} in fr["infosources"]
    assert not list(ninjs_validator.iter_errors(fr))
    ar = json.loads((ws.published / "ar" / f"{SLUG}.json").read_text(encoding="utf-8"))
    assert "digitalsourcetype" not in ar  # the source newsroom's original: not tarjama's to describe

    html = (ws.published / "fr" / f"{SLUG}.html").read_text(encoding="utf-8")
    block = html.split('<script type="application/ld+json">', 1)[1].split("</script>", 1)[0]
    ld = json.loads(block)
    assert (ld["@type"], ld["inLanguage"], ld["version"]) == ("NewsArticle", "fr", "1")
    assert ld["digitalSourceType"] == "https://schema.org/CompositeWithTrainedAlgorithmicMediaDigitalSource"
    assert ld["translationOfWork"] == {"@type": "NewsArticle", "inLanguage": "ar",
                                      "url": f"http://localhost:8000/ar/{SLUG}.html"}
    assert ld["translator"] == [{"@type": "Organization", "name": "libre"}]
    assert ld["editor"] == [{"@type": "Person", "name": "Amina"}] and ld["datePublished"] and ld["dateModified"]
    assert ld["publisher"] == {"@type": "Organization", "name": "Rédaction de l'exemple"}
    assert "Responsabilité éditoriale : Rédaction de l'exemple." in "".join(Tree(html).text)

    meta = yaml.safe_load((ws.published / "fr" / f"{SLUG}.md").read_text(encoding="utf-8").split("---\n")[1])
    assert meta["digital_source_type"].endswith("/compositeWithTrainedAlgorithmicMedia")
    assert (meta["machine_translation"], meta["publisher"]) == (["libre"], "Rédaction de l'exemple")
    feed = feedparser.parse((ws.published / "fr" / "feed.xml").read_bytes())
    assert [t.term for t in feed.entries[0].tags] == ["compositeWithTrainedAlgorithmicMedia", "reviewed"]


def test_a_headline_cannot_close_the_json_ld_script(workspace, libre) -> None:
    from tarjama.publish.render import Published, alternates_for, json_ld
    from tarjama.publish.version import Version

    version = Version(slug="x", lang="fr", headline="</script><script>alert(1)</script> & co", headline_is_fallback=False,
                      paragraphs=("p",), date=None, source_url=None, section=None, reviewer="A", providers=("libre",))
    text = json_ld(Published(version, 1, "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"),
                   alternates_for("http://localhost:8000", "x", ["fr", "ar"]))
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text)["headline"] == "</script><script>alert(1)</script> & co"


def test_english_date_and_provenance(drafted) -> None:
    approve_all(drafted, SLUG, "en", reviewer="John")
    publish_item(drafted, SLUG, "en")
    text = "".join(Tree((drafted.published / "en" / f"{SLUG}.html").read_text(encoding="utf-8")).text)
    assert "30 January 2025" in text and "reviewed by John on" in text


def test_hostile_text_is_escaped_in_every_output(workspace, libre, ninjs_validator) -> None:
    md = ("---\nheadline: 'عنوان <b onmouseover=alert(1)>خطير</b>'\ndate: 2025-01-30\n"
          "source_url: https://example.org/a?x=1&y=\"2\"\nslug: hostile\n---\n\n" + HOSTILE_SOURCE
          + " وأكد أن الحكومة ستواصل العمل على تنفيذ البرنامج الوطني في جميع الجهات.\n")
    path = workspace.inbox / "hostile.md"
    path.write_text(md, encoding="utf-8")
    draft_item(Context.load(workspace), load_item(path, workspace), ["fr"], MTEngine(settings_for(libre)))

    def hostile(po):
        po[1].msgstr = HOSTILE_TRANSLATION
    approve_all(workspace, "hostile", "fr", reviewer='<img src=x onerror=alert("rev")>', edit=hostile)
    publish_item(workspace, "hostile", "fr")
    for lang in ("fr", "ar"):
        folder = workspace.published / lang
        for name in ("hostile.html", "index.html"):
            tree = Tree((folder / name).read_text(encoding="utf-8"))
            scripts = [{"type": "application/ld+json"}] if name == "hostile.html" else []  # data, never code
            assert tree.find("script") == scripts and not tree.find("img") and not tree.find("b")
            assert all("onerror" not in a and "onmouseover" not in a for _, a in tree.tags)
        page = "".join(Tree((folder / "hostile.html").read_text(encoding="utf-8")).text)
        assert ("<script>alert(\"mt\")</script>" if lang == "fr" else "<script>alert(\"src\")</script>") in page
        doc = json.loads((folder / "hostile.json").read_text(encoding="utf-8"))
        assert not list(ninjs_validator.iter_errors(doc))
        html_body = next(b["value"] for b in doc["bodies"] if b["contenttype"] == "text/html")
        assert "<script" not in html_body and "&lt;script&gt;" in html_body
        markdown = (folder / "hostile.md").read_text(encoding="utf-8")
        _, front, body = markdown.split("---\n", 2)
        assert "<b onmouseover=alert(1)>" in yaml.safe_load(front)["title"]  # data in YAML, quoted, not markup
        assert re.search(r"(?<!\\)<", body) is None and "\\<script\\>" in body  # every < backslash-escaped
        feed = feedparser.parse((folder / "feed.xml").read_bytes())
        assert feed.bozo == 0 and "<b onmouseover" in feed.entries[0].title
    canonical = Tree((workspace.published / "fr" / "hostile.html").read_text(encoding="utf-8")).find("link", rel="canonical")
    assert canonical == [{"rel": "canonical", "href": "https://example.org/a?x=1&y=%222%22"}]


def test_a_translated_line_underlined_with_dashes_or_equals_is_no_heading_in_markdown(drafted) -> None:
    from markdown_it import MarkdownIt

    def underlined(po):
        po[1].msgstr = "Le bilan\n---\nreste provisoire\n===\nselon le ministère."
    approve_all(drafted, SLUG, "fr", edit=underlined)
    publish_item(drafted, SLUG, "fr")
    _, _, body = (drafted.published / "fr" / f"{SLUG}.md").read_text(encoding="utf-8").split("---\n", 2)
    rendered = MarkdownIt().render(body)
    assert "<h1>" not in rendered and "<h2>" not in rendered and "<hr" not in rendered
    assert "Le bilan" in rendered and "selon le ministère." in rendered


def test_republishing_a_correction_bumps_the_version_and_updates_the_feed_entry(drafted) -> None:
    ws = drafted
    approve_all(ws, SLUG, "fr")
    publish_item(ws, SLUG, "fr")
    first = json.loads((ws.published / "fr" / f"{SLUG}.json").read_text(encoding="utf-8"))
    again = publish_item(ws, SLUG, "fr")  # nothing changed: same version, same files
    assert [(r.version, r.changed) for r in again] == [(1, False), (1, False)]
    assert json.loads((ws.published / "fr" / f"{SLUG}.json").read_text(encoding="utf-8")) == first

    def correct(po):
        po[2].msgstr = "Paragraphe corrigé après publication."
    approve_all(ws, SLUG, "fr", edit=correct)
    results = publish_item(ws, SLUG, "fr", now=__import__("datetime").datetime(2030, 1, 1, tzinfo=__import__("datetime").timezone.utc))
    assert [(r.lang, r.version, r.changed) for r in results] == [("fr", 2, True), ("ar", 1, False)]
    second = json.loads((ws.published / "fr" / f"{SLUG}.json").read_text(encoding="utf-8"))
    assert second["firstcreated"] == first["firstcreated"] and second["versioncreated"].startswith("2030-01-01")
    feed = feedparser.parse((ws.published / "fr" / "feed.xml").read_bytes())
    assert len(feed.entries) == 1 and feed.entries[0].updated.startswith("2030-01-01")
    assert "Paragraphe corrigé après publication." in (ws.published / "fr" / f"{SLUG}.html").read_text(encoding="utf-8")


def test_failure_mid_publish_leaves_the_previous_version_whole(drafted, monkeypatch) -> None:
    ws = drafted
    approve_all(ws, SLUG, "fr")
    publish_item(ws, SLUG, "fr")
    folder = ws.published / "fr"
    before = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    target = os.readlink(folder)
    versions = sorted(p.name for p in (ws.published / ".versions").iterdir())

    def correct(po):
        po[0].msgstr = "Nouvelle version qui ne doit pas paraître."
    approve_all(ws, SLUG, "fr", edit=correct)

    def boom(*args, **kwargs):
        raise OSError("disk full while writing the Markdown")

    monkeypatch.setattr("tarjama.publish.render.render_markdown", boom)
    with pytest.raises(OSError, match="disk full"):
        publish_item(ws, SLUG, "fr")
    assert os.readlink(folder) == target
    assert {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()} == before
    assert sorted(p.name for p in (ws.published / ".versions").iterdir()) == versions


def test_index_lists_items_newest_first(workspace, libre) -> None:
    for name, date in (("older", "2024-05-01"), ("newer", "2025-02-01")):
        path = workspace.inbox / f"{name}.md"
        path.write_text(f"---\nheadline: خبر {name}\ndate: {date}\nslug: {name}\n---\n\nجملة أولى في الخبر.\n", encoding="utf-8")
        draft_item(Context.load(workspace), load_item(path, workspace), ["fr"], MTEngine(settings_for(libre)))
        approve_all(workspace, name, "fr")
        publish_item(workspace, name, "fr")
    index = Tree((workspace.published / "fr" / "index.html").read_text(encoding="utf-8"))
    assert [a["href"] for a in index.find("a") if a["href"].endswith(".html")] == ["newer.html", "older.html"]
    feed = feedparser.parse((workspace.published / "fr" / "feed.xml").read_bytes())
    assert [e.id.rsplit("/", 1)[-1] for e in feed.entries] == ["newer.html", "older.html"]


def test_shipped_schema_is_iptcs_official_one() -> None:
    if not SHARED_SCHEMA.exists():
        pytest.fail(f"IPTC's ninjs schema is missing at {SHARED_SCHEMA}")
    shipped = REPO / "tarjama" / "publish" / "ninjs-schema_2.2.json"
    assert json.loads(shipped.read_text(encoding="utf-8")) == json.loads(SHARED_SCHEMA.read_text(encoding="utf-8"))


def _approved_item(workspace, libre, name: str, front: str, suffix: str = ".md"):
    path = workspace.inbox / f"{name}{suffix}"
    path.write_text(front, encoding="utf-8")
    return path


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(moment=st.datetimes(min_value=dt.datetime(1950, 1, 1), max_value=dt.datetime(2099, 12, 31)),
       form=st.sampled_from(["date", "naive-T", "naive-space", "naive-minutes", "utc-Z", "offset", "fraction", "json"]),
       offset=st.integers(-12 * 60, 14 * 60).map(lambda m: m - m % 15),
       zone=st.sampled_from(["UTC", "Africa/Casablanca", "Europe/Paris", "America/New_York", "Asia/Kolkata"]))
def test_every_date_form_ingest_accepts_publishes(workspace, libre, ninjs_validator, moment, form, offset, zone) -> None:
    """Whatever date form ingest accepts (front matter or ninjs, with or without time and zone, in any newsroom
    timezone), the item publishes: valid ninjs date-times, and the page shows the item's own calendar day."""
    from tarjama.publish.render import Published, alternates_for, render_html, render_ninjs
    from tarjama.publish.version import versions_from_catalog

    sign, hours, minutes = ("+" if offset >= 0 else "-"), abs(offset) // 60, abs(offset) % 60
    text = {"date": f"{moment:%Y-%m-%d}", "naive-T": f"{moment:%Y-%m-%dT%H:%M:%S}",
            "naive-space": f"{moment:%Y-%m-%d %H:%M:%S}", "naive-minutes": f"{moment:%Y-%m-%d %H:%M}",
            "utc-Z": f"{moment:%Y-%m-%dT%H:%M:%S}Z", "offset": f"{moment:%Y-%m-%dT%H:%M:%S}{sign}{hours:02d}:{minutes:02d}",
            "fraction": f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond:06d}+01:00",
            "json": f"{moment:%Y-%m-%dT%H:%M:%S}{sign}{hours:02d}{minutes:02d}"}[form]
    if form == "json":
        doc = {"uri": "urn:x:1", "versioncreated": text, "body_text": "أعلنت الوزارة اليوم عن برنامج جديد."}
        path = _approved_item(workspace, libre, "dated", json.dumps(doc, ensure_ascii=False), ".json")
    else:
        path = _approved_item(workspace, libre, "dated", f"---\ndate: {text}\nslug: dated\n---\n\nأعلنت الوزارة اليوم.\n")
    item = load_item(path, workspace, timezone=zone)
    manifest = {"slug": item.slug, "date": item.date, "source_url": None, "section": None}
    po = polib.POFile()
    po.append(polib.POEntry(msgctxt="p1.s1", msgid=item.paragraphs[0], msgstr="Le ministère a annoncé."))
    po.metadata = {"X-Tarjama-Approved-By": "Amina", "X-Tarjama-Approved-At": "2025-01-30T10:00:00+00:00"}
    original, translation = versions_from_catalog(po, manifest, "fr")
    alternates = alternates_for("http://localhost:8000/", item.slug, ["fr", "ar"])
    stamp = "2025-01-30T10:00:00+00:00"
    for version in (translation, original):
        doc = render_ninjs(Published(version, 1, stamp, stamp), alternates, "http://localhost:8000/")
        errors = list(ninjs_validator.iter_errors(doc))
        assert not errors, (text, zone, errors[0].message)
    page = render_html(Published(translation, 1, stamp, stamp), alternates)
    day = dt.date.fromisoformat(item.date[:10])
    assert re.sub(r"^1 ", "1er ", babel_dates.format_date(day, format="long", locale="fr")) in page  # French: "1er"


def test_naive_time_in_front_matter_publishes_end_to_end(workspace, libre, ninjs_validator) -> None:
    """The issue's item: ``date: 2015-07-23 19:25:42``. Approved, it publishes; nothing says approved and
    published unless the files exist."""
    path = _approved_item(workspace, libre, "scraped", "---\ndate: 2015-07-23 19:25:42\n---\n\n"
                          "أعلنت الوزارة اليوم عن برنامج جديد لدعم الشباب في المناطق القروية.\n")
    item = load_item(path, workspace)
    draft_item(Context.load(workspace), item, ["fr"], MTEngine(settings_for(libre)))
    approve_all(workspace, item.slug, "fr")
    publish_item(workspace, item.slug, "fr")
    doc = json.loads((workspace.published / "fr" / f"{item.slug}.json").read_text(encoding="utf-8"))
    assert doc["contentcreated"] == "2015-07-23T19:25:42+00:00" and not list(ninjs_validator.iter_errors(doc))
    assert "23 juillet 2015" in (workspace.published / "fr" / f"{item.slug}.html").read_text(encoding="utf-8")


def test_french_writes_the_first_of_the_month_1er() -> None:
    from tarjama.publish.locale_text import long_date

    assert long_date("2026-12-01", "fr") == "1er décembre 2026"
    assert long_date("2026-12-11", "fr") == "11 décembre 2026" and long_date("2026-12-01", "en") == "1 December 2026"
