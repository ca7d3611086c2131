"""Catalogs: header, entries, atomic locked writes, and re-runs that never destroy human work."""

from __future__ import annotations

import threading
from pathlib import Path

import polib
import pytest

from tarjama.catalog import catalog_lock, read_catalog, update_catalog
from tarjama.drafts import draft_item, item_run_lock
from tarjama.errors import CatalogError, ItemBusyError
from tarjama.fsio import atomic_write_text, locked
from tarjama.ingest import load_item
from tarjama.mt.engine import MTEngine
from tarjama.textutil import normalise_whitespace
from tarjama.workspace import Workspace
from tests.conftest import settings_for
from tarjama.mt.loopback import pseudo_translate, refused_url


def run(workspace: Workspace, path: Path, server, targets=("fr", "en")):
    engine = MTEngine(settings_for(server))
    return draft_item(workspace, load_item(path, workspace), list(targets), engine), engine


def test_catalog_header_and_entries(workspace, sample, libre) -> None:
    results, _ = run(workspace, sample, libre)
    assert [r.lang for r in results] == ["fr", "en"]
    po = polib.pofile(str(workspace.catalog_path("000_220f3de444a27c17", "fr")))
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
    en = polib.pofile(str(workspace.catalog_path("000_220f3de444a27c17", "en")))
    assert en.metadata["Plural-Forms"] == "nplurals=2; plural=(n != 1);"


def test_failed_segment_gets_empty_msgstr_and_a_reason(workspace, sample) -> None:
    results, _ = run(workspace, sample, ("libre", refused_url()))
    assert len(results[0].failed) == 4
    po = read_catalog(workspace.catalog_path("000_220f3de444a27c17", "fr"))
    assert all(e.msgstr == "" and "fuzzy" not in e.flags for e in po)
    assert all(e.comment.startswith("machine translation failed: libre: ") for e in po)


def test_rerun_of_unchanged_item_makes_no_request_and_keeps_bytes(workspace, sample, libre) -> None:
    run(workspace, sample, libre)
    path = workspace.catalog_path("000_220f3de444a27c17", "fr")
    before = path.read_bytes()
    libre.reset()
    results, engine = run(workspace, sample, libre)
    assert libre.requests == [] and sum(engine.requests.values()) == 0
    assert path.read_bytes() == before
    assert results[0].kept == ["p1.s1", "p1.s2", "p2.s1", "p3.s1"] and results[0].drafted == []


def test_translators_edit_survives_and_corrected_sentence_gets_fresh_fuzzy_draft(workspace, sample, libre) -> None:
    run(workspace, sample, libre)
    path = workspace.catalog_path("000_220f3de444a27c17", "fr")
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
    path = workspace.catalog_path("000_220f3de444a27c17", "fr")
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
    with item_run_lock(workspace, "000_220f3de444a27c17"):
        with pytest.raises(ItemBusyError, match="another run"):
            run(workspace, sample, libre)
    assert not workspace.catalog_path("000_220f3de444a27c17", "fr").exists()


def test_catalog_writers_are_serialised_not_raced(workspace, sample, libre) -> None:
    run(workspace, sample, libre, targets=("fr",))
    path = workspace.catalog_path("000_220f3de444a27c17", "fr")

    def add_comment(n: int) -> None:
        def change(po):
            po[0].tcomment = (po[0].tcomment + f"\n{n}").strip()
            return po, None, True
        update_catalog(path, change)

    threads = [threading.Thread(target=add_comment, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(read_catalog(path)[0].tcomment.split("\n")) == [str(n) for n in range(8)]
    with locked(catalog_lock(path), "catalog"), pytest.raises(ItemBusyError):
        update_catalog(path, lambda po: (po, None, True), timeout=0.1)


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
    path = workspace.catalog_path("000_220f3de444a27c17", "fr")
    broken = path.with_name("broken.po")
    broken.write_text('msgid "a"\nmsgstr "b"\nnot po syntax\n', encoding="utf-8")
    with pytest.raises(CatalogError, match="broken.po: cannot read the catalog"):
        read_catalog(broken)


def test_catalog_reads_in_translate_toolkit_as_weblate_does(workspace, sample, libre) -> None:
    """Weblate reads PO files with translate-toolkit: the catalog must come through whole, states intact."""
    from translate.storage import pypo

    run(workspace, sample, libre, targets=("fr",))
    path = workspace.catalog_path("000_220f3de444a27c17", "fr")
    po = polib.pofile(str(path))
    po[0].flags = []
    po.save(str(path))
    store = pypo.pofile.parsefile(str(path))
    units = [u for u in store.units if not u.isheader()]
    assert [u.getcontext() for u in units] == ["p1.s1", "p1.s2", "p2.s1", "p3.s1"]
    assert [u.isfuzzy() for u in units] == [False, True, True, True]
    assert all(u.target and u.source for u in units)
    assert store.gettargetlanguage() == "fr"
