"""Catalogs: header, entries, atomic locked writes, strict reading, and re-runs that never destroy human work."""

from __future__ import annotations

import shutil
import subprocess
import threading
from pathlib import Path

import polib
import pytest

from tarjama.catalog_store import Edit, catalog_lock, read_catalog, update_catalog
from tarjama.context import Context
from tarjama.drafting import draft_item, item_run_lock
from tarjama.errors import CatalogError, ItemBusyError
from tarjama.fsio import atomic_write_text, locked
from tarjama.ingest import load_item
from tarjama.mt.engine import MTEngine
from tarjama.textutil import normalise_whitespace
from tarjama.workspace import Workspace
from tests.conftest import settings_for
from tests.support.mt_servers import pseudo_translate, refused_url

SLUG = "000_220f3de444a27c17"


def run(workspace: Workspace, path: Path, server, targets=("fr", "en")):
    engine = MTEngine(settings_for(server))
    return draft_item(Context.load(workspace), load_item(path, workspace), list(targets), engine), engine


def test_catalog_header_and_entries(workspace, sample, libre) -> None:
    results, _ = run(workspace, sample, libre)
    assert [r.lang for r in results] == ["fr", "en"]
    po = polib.pofile(str(workspace.catalog_path(SLUG, "fr")))
    meta = po.metadata
    assert meta["Language"] == "fr" and meta["Plural-Forms"] == "nplurals=2; plural=(n > 1);"
    assert meta["Content-Type"] == "text/plain; charset=UTF-8" and meta["X-Source-Language"] == "ar"
    assert meta["X-Generator"].startswith("tarjama ") and meta["PO-Revision-Date"] and meta["POT-Creation-Date"]
    assert [e.msgctxt for e in po] == ["p1.s1", "p1.s2", "p2.s1", "p3.s1"]
    entry = po[1]
    assert entry.msgid.startswith("كما شكل اللقاء") and entry.msgstr == pseudo_translate(entry.msgid, "fr")
    assert entry.flags == ["fuzzy"]
    assert entry.comment.startswith("machine translation: libre, ")
    assert entry.occurrences == [("content/inbox/000_220f3de444a27c17.txt", "")]
    assert results[0].counts.drafted == 4 and results[0].failed == []
    en = polib.pofile(str(workspace.catalog_path(SLUG, "en")))
    assert en.metadata["Plural-Forms"] == "nplurals=2; plural=(n != 1);"


def test_failed_segment_gets_empty_msgstr_and_a_reason(workspace, sample) -> None:
    results, _ = run(workspace, sample, ("libre", refused_url()))
    assert len(results[0].failed) == 4
    po = read_catalog(workspace.catalog_path(SLUG, "fr"))
    assert all(e.msgstr == "" and "fuzzy" not in e.flags for e in po)
    assert all(e.comment.startswith("machine translation failed: libre: ") for e in po)


def test_rerun_of_unchanged_item_makes_no_request_and_keeps_bytes(workspace, sample, libre) -> None:
    run(workspace, sample, libre)
    path = workspace.catalog_path(SLUG, "fr")
    before = path.read_bytes()
    libre.reset()
    results, engine = run(workspace, sample, libre)
    assert libre.requests == [] and sum(engine.requests.values()) == 0
    assert path.read_bytes() == before
    assert results[0].kept == ["p1.s1", "p1.s2", "p2.s1", "p3.s1"] and results[0].drafted == []


def test_translators_edit_survives_and_corrected_sentence_gets_fresh_fuzzy_draft(workspace, sample, libre) -> None:
    run(workspace, sample, libre)
    path = workspace.catalog_path(SLUG, "fr")
    po = polib.pofile(str(path))
    po[0].msgstr = "Texte relu par une traductrice."
    po[0].flags = []
    po[0].tcomment = "vérifié avec le service presse"
    po[1].msgstr = "Brouillon retouché, pas encore relu."  # edited but still fuzzy
    old_p2 = po[2].msgid
    old_p2_translation = po[2].msgstr
    po.save(str(path))

    text = sample.read_text(encoding="utf-8")
    corrected = old_p2.replace("وقد عرفت", "وقد شهدت")
    sample.write_text(text.replace("وقد عرفت", "وقد شهدت"), encoding="utf-8")
    libre.reset()
    results, _ = run(workspace, sample, libre, targets=("fr",))

    assert len(libre.requests) == 1 and libre.requests[0]["q"] == corrected
    po = polib.pofile(str(path))
    assert po[0].msgstr == "Texte relu par une traductrice." and po[0].flags == []
    assert po[0].tcomment == "vérifié avec le service presse"
    assert po[1].msgstr == "Brouillon retouché, pas encore relu." and po[1].flags == ["fuzzy"]
    fresh = po[2]
    assert fresh.msgctxt == "p2.s1" and fresh.msgid == corrected and fresh.flags == ["fuzzy"]
    assert fresh.previous_msgid == old_p2
    assert f"previous translation: {old_p2_translation}" in " ".join(fresh.comment.split())  # polib wraps comments
    assert results[0].corrected == ["p2.s1"]
    assert "#| msgid" in path.read_text(encoding="utf-8")


def test_removed_sentence_becomes_obsolete_and_inserted_one_keeps_others(workspace, sample, libre) -> None:
    run(workspace, sample, libre, targets=("fr",))
    path = workspace.catalog_path(SLUG, "fr")
    po = polib.pofile(str(path))
    po[3].msgstr, po[3].flags = "Dernier paragraphe relu.", []
    po.save(str(path))
    paragraphs = sample.read_text(encoding="utf-8").split("\n\n")
    removed = paragraphs[2]  # the second paragraph (the first block is the section label)
    new_first = "انطلقت اليوم أشغال اللقاء."
    text = "\n\n".join([paragraphs[0], new_first, paragraphs[1], *paragraphs[3:]])
    sample.write_text(text, encoding="utf-8")
    assert removed.strip() not in text
    libre.reset()
    results, _ = run(workspace, sample, libre, targets=("fr",))
    po = polib.pofile(str(path))
    assert [e.msgctxt for e in po if not e.obsolete] == ["p1.s1", "p2.s1", "p2.s2", "p3.s1"]
    assert [e.msgid for e in po.obsolete_entries()] == [normalise_whitespace(removed)]
    assert po.find("Dernier paragraphe relu.", by="msgstr").msgctxt == "p3.s1"
    assert [r["q"] for r in libre.requests] == [new_first]
    assert results[0].obsoleted == ["p2.s1"]
    assert "#~ msgid" in path.read_text(encoding="utf-8")


def test_untranslated_entries_are_retried_on_the_next_run(workspace, sample, libre) -> None:
    run(workspace, sample, ("libre", refused_url()), targets=("fr",))
    results, _ = run(workspace, sample, libre, targets=("fr",))
    assert len(libre.requests) == 4 and results[0].counts.drafted == 4


def test_second_run_on_the_same_item_is_refused(workspace, sample, libre) -> None:
    with item_run_lock(workspace, SLUG), pytest.raises(ItemBusyError, match="another run"):
        run(workspace, sample, libre)
    assert not workspace.catalog_path(SLUG, "fr").exists()


def test_catalog_writers_are_serialised_not_raced(workspace, sample, libre) -> None:
    run(workspace, sample, libre, targets=("fr",))
    path = workspace.catalog_path(SLUG, "fr")

    def add_comment(n: int) -> None:
        def change(edit: Edit) -> None:
            edit.po[0].tcomment = (edit.po[0].tcomment + f"\n{n}").strip()
            edit.changed = True
        update_catalog(path, change)

    threads = [threading.Thread(target=add_comment, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(read_catalog(path)[0].tcomment.split("\n")) == [str(n) for n in range(8)]
    with locked(catalog_lock(path), "catalog"), pytest.raises(ItemBusyError):
        update_catalog(path, lambda edit: None, timeout=0.1)


def test_atomic_write_leaves_old_file_whole_on_failure(tmp_path, monkeypatch) -> None:
    target = tmp_path / "x.txt"
    atomic_write_text(target, "old\n")

    def boom(*args):
        raise OSError("disk full")

    monkeypatch.setattr("os.replace", boom)
    with pytest.raises(OSError):
        atomic_write_text(target, "new\n")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["x.txt"]


def test_broken_catalog_is_a_clear_error(workspace, sample, libre) -> None:
    run(workspace, sample, libre, targets=("fr",))
    path = workspace.catalog_path(SLUG, "fr")
    broken = path.with_name("broken.po")
    broken.write_text('msgid "a"\nmsgstr "b"\nnot po syntax\n', encoding="utf-8")
    with pytest.raises(CatalogError, match=r"broken.po:3: Syntax error; .*left it untouched"):
        read_catalog(broken)


def test_hand_edited_catalog_gettext_rejects_stops_the_run_and_is_never_rewritten(workspace, sample, libre) -> None:
    """A reviewed translation missing its closing quote: polib reads it one character short, gettext
    refuses it. The re-run stops before any MT request, naming the file and line, and leaves it as it was."""
    run(workspace, sample, libre, targets=("fr",))
    path = workspace.catalog_path(SLUG, "fr")
    po = polib.pofile(str(path))
    po[0].msgstr, po[0].flags = "Texte relu par la traductrice.", []
    po.save(str(path))
    lines = path.read_text(encoding="utf-8").split("\n")
    at = lines.index('msgstr "Texte relu par la traductrice."')
    lines[at] = 'msgstr "Texte relu par la traductrice.'  # the closing quote is lost in a hand edit
    broken = "\n".join(lines)
    path.write_text(broken, encoding="utf-8")
    assert polib.pofile(str(path))[0].msgstr == "Texte relu par la traductrice"  # polib reads it, cut short
    msgfmt = shutil.which("msgfmt")
    assert subprocess.run([msgfmt, "-c", "-o", "/dev/null", str(path)], capture_output=True).returncode != 0
    libre.reset()
    with pytest.raises(CatalogError) as info:
        run(workspace, sample, libre, targets=("fr",))
    assert f"fr.po:{at + 1}: end-of-line within string" in str(info.value) and "\n" not in str(info.value)
    assert libre.requests == [] and path.read_text(encoding="utf-8") == broken
    path.unlink()  # the msgfmt check of this test's catalogs must not trip on the broken one on purpose


@pytest.mark.parametrize(("name", "text", "reason"), [
    ("escape", 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\nmsgid "a"\nmsgstr "b\\q"\n',
     "invalid escape"),
    ("duplicate", 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\nmsgctxt "p1"\nmsgid "a"\n'
     'msgstr "b"\n\nmsgctxt "p1"\nmsgid "a"\nmsgstr "c"\n', "duplicate entry"),
    ("orphan", 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\nmsgstr "b"\n', "Syntax error"),
])
def test_catalogs_gettext_rejects_are_refused_by_name(tmp_path, name: str, text: str, reason: str) -> None:
    path = tmp_path / f"{name}-broken.po"
    path.write_text(text, encoding="utf-8")
    assert subprocess.run([shutil.which("msgfmt"), "-o", "/dev/null", str(path)], capture_output=True).returncode != 0
    with pytest.raises(CatalogError, match=reason):
        read_catalog(path)


def test_written_catalogs_are_left_byte_identical_by_msgcat(workspace, sample, libre) -> None:
    """Poedit, Lokalize and Weblate rewrite a catalog through gettext's layout on save: ours already is it."""
    run(workspace, sample, libre)
    for lang in ("fr", "en"):
        path = workspace.catalog_path(SLUG, lang)
        written = path.read_text(encoding="utf-8")
        proc = subprocess.run([shutil.which("msgcat"), str(path)], capture_output=True, text=True)
        assert proc.returncode == 0 and proc.stdout == written


def test_reviewed_duplicate_sentence_survives_when_its_twin_is_deleted(workspace, libre) -> None:
    """The same sentence twice; the translator reviewed the second occurrence; the editor deletes the first.
    The re-run keeps the reviewed translation and drops the unreviewed draft, never the other way round."""
    repeated = "وأكد المتحدث أن الاجتماع سيعقد الأسبوع المقبل."
    first = "أعلنت الوزارة اليوم عن برنامج جديد لدعم الشباب."
    other = "وحضر اللقاء عدد من المسؤولين والخبراء."
    path = workspace.inbox / "twice.txt"
    path.write_text(f"{repeated} {first}\n\n{other}\n\n{repeated}\n", encoding="utf-8")
    run(workspace, path, libre, targets=("fr",))
    catalog = workspace.catalog_path("twice", "fr")
    po = polib.pofile(str(catalog))
    second = po.find("p3.s1", by="msgctxt")
    assert second.msgid == repeated and po.find("p1.s1", by="msgctxt").msgid == repeated
    second.msgstr, second.flags = "Le porte-parole a confirmé la réunion de la semaine prochaine.", []
    po.save(str(catalog))

    path.write_text(f"{first}\n\n{other}\n\n{repeated}\n", encoding="utf-8")  # the first occurrence is deleted
    libre.reset()
    results, _ = run(workspace, path, libre, targets=("fr",))
    po = polib.pofile(str(catalog))
    kept = po.find("p3.s1", by="msgctxt")
    assert kept.msgid == repeated and kept.msgstr.startswith("Le porte-parole") and not kept.fuzzy
    assert libre.requests == [] and results[0].kept == ["p1.s1", "p2.s1", "p3.s1"]
    assert [e.msgstr for e in po.obsolete_entries()] == [pseudo_translate(repeated, "fr")]  # the draft, not the review

    path.write_text(f"{repeated}\n\n{first}\n\n{repeated}\n", encoding="utf-8")  # both occurrences again
    run(workspace, path, libre, targets=("fr",))
    po = polib.pofile(str(catalog))
    assert sum(1 for e in po if not e.obsolete and e.msgid == repeated and not e.fuzzy) == 1
    assert sum(1 for e in po if not e.obsolete and e.msgid == repeated and e.fuzzy) == 1


def test_catalog_reads_in_translate_toolkit_as_weblate_does(workspace, sample, libre) -> None:
    """Weblate reads PO files with translate-toolkit: the catalog must come through whole, states intact."""
    from translate.storage import pypo

    run(workspace, sample, libre, targets=("fr",))
    path = workspace.catalog_path(SLUG, "fr")
    po = polib.pofile(str(path))
    po[0].flags = []
    po.save(str(path))
    store = pypo.pofile.parsefile(str(path))
    units = [u for u in store.units if not u.isheader()]
    assert [u.getcontext() for u in units] == ["p1.s1", "p1.s2", "p2.s1", "p3.s1"]
    assert [u.isfuzzy() for u in units] == [False, True, True, True]
    assert all(u.target and u.source for u in units)
    assert store.gettargetlanguage() == "fr"


def test_an_item_catalog_being_changed_stands_in_even_when_empty(workspace, sample, libre) -> None:
    """QA under a catalog's lock checks the caller's copy, never the file: an empty copy is not "none given"."""
    import polib

    from tarjama.catalog_store import read_item_catalogs

    run(workspace, sample, libre)
    emptied = polib.POFile()
    found = read_item_catalogs(workspace.item_dir(SLUG), instead={"fr": emptied})
    assert found["fr"] is emptied and len(found["en"]) == 4


def test_a_header_an_editor_rewrote_validly_stays_as_they_wrote_it(workspace, sample, libre) -> None:
    """Weblate's save writes ``plural=n > 1;``, its own X-Generator and team: the next run that changes entries
    (a corrected sentence) keeps the rule and the team as the editor wrote them, and names itself as generator."""
    run(workspace, sample, libre)
    path = workspace.catalog_path(SLUG, "fr")
    po = polib.pofile(str(path))
    team = "French <https://weblate.newsroom.lan/projects/tarjama/000/fr/>"
    po.metadata.update({"Plural-Forms": "nplurals=2; plural=n > 1;", "X-Generator": "Weblate 5.14.3",
                        "Language-Team": team})
    po.save(str(path))
    unchanged = path.read_bytes()
    run(workspace, sample, libre)
    assert path.read_bytes() == unchanged  # nothing changed: not written
    sample.write_text(sample.read_text(encoding="utf-8").replace("وقد عرفت", "وقد شهدت"), encoding="utf-8")
    run(workspace, sample, libre)
    meta = polib.pofile(str(path)).metadata
    assert meta["Plural-Forms"] == "nplurals=2; plural=n > 1;" and meta["Language-Team"] == team
    assert meta["X-Generator"].startswith("tarjama ")


@pytest.mark.parametrize("wrong", ["nplurals=2; plural=(n != 1);", "nplurals=1; plural=0;", "nplurals=2; plural=n >;",
                                   "plural=(n > 1);"])
def test_a_plural_rule_that_is_not_the_languages_is_replaced(wrong: str) -> None:
    from tarjama.catalog import kept_plural_forms

    assert kept_plural_forms(wrong, 2, "(n > 1)") == "nplurals=2; plural=(n > 1);"


def test_the_languages_plural_rule_written_another_way_is_kept() -> None:
    from tarjama.catalog import kept_plural_forms

    assert kept_plural_forms("nplurals=2;plural=n>1", 2, "(n > 1)") == "nplurals=2;plural=n>1"
    arabic = "(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5)"
    assert kept_plural_forms(f"nplurals=6; plural={arabic[1:-1]};", 6, arabic) == f"nplurals=6; plural={arabic[1:-1]};"
