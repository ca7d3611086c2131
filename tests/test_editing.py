"""Segment edits as the desk makes them: group-committed, stale-safe, audited, never losing another writer's change."""

from __future__ import annotations

import threading

import polib
import pytest

from tarjama.catalog_store import read_catalog, render_catalog
from tarjama.context import Context
from tarjama.drafting import draft_item
from tarjama.editing import StaleEditError, read_audit, save_segment, segment_views
from tarjama.errors import InputError
from tarjama.ingest import load_item
from tarjama.mt.engine import MTEngine
from tarjama.po_layout import render_po
from tests.conftest import settings_for


@pytest.fixture
def long_item(workspace, libre):
    text = "\n\n".join(f"هذه الجملة رقم {n} من الخبر الطويل. وهذه جملة ثانية في الفقرة {n}." for n in range(12))
    path = workspace.inbox / "long.txt"
    path.write_text(text, encoding="utf-8")
    draft_item(Context.load(workspace), load_item(path, workspace), ["fr"], MTEngine(settings_for(libre)))
    return workspace


def test_concurrent_saves_are_all_applied_and_audited(long_item) -> None:
    ws = long_item
    segments, counts, _ = segment_views(ws, "long", "fr")
    assert counts.total == 24
    barrier = threading.Barrier(len(segments))
    errors = []

    def save(segment) -> None:
        barrier.wait()
        try:
            save_segment(ws, "long", "fr", segment.id, text=f"Relu {segment.id}.", comment="", reviewed=True,
                         base=segment.fingerprint, reviewer=f"r-{segment.id}")
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(s,)) for s in segments]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    po = read_catalog(ws.catalog_path("long", "fr"))
    assert all(e.msgstr == f"Relu {e.msgctxt}." and not e.fuzzy for e in po)
    audit = read_audit(ws, "long", "fr")
    assert sorted(a["segment"] for a in audit) == sorted(s.id for s in segments)
    assert render_catalog(po) == render_po(po)  # the per-entry cache renders exactly what the layout writes


def test_stale_edit_is_refused_with_the_newer_text(long_item) -> None:
    ws = long_item
    segment = segment_views(ws, "long", "fr")[0][0]
    save_segment(ws, "long", "fr", segment.id, text="Première.", comment="", reviewed=False, base=segment.fingerprint,
                 reviewer="a")
    with pytest.raises(StaleEditError) as info:
        save_segment(ws, "long", "fr", segment.id, text="Seconde.", comment="", reviewed=True, base=segment.fingerprint,
                     reviewer="b")
    assert info.value.current.text == "Première." and info.value.current.fuzzy
    assert read_catalog(ws.catalog_path("long", "fr"))[0].msgstr == "Première."
    assert len(read_audit(ws, "long", "fr")) == 1


def test_another_writers_change_on_disk_is_never_overwritten(long_item) -> None:
    ws = long_item
    segments = segment_views(ws, "long", "fr")[0]  # the desk has parsed and cached the catalog
    path = ws.catalog_path("long", "fr")
    po = polib.pofile(str(path))
    po[1].msgstr = "Changé dans Poedit."
    po.save(str(path))  # another program rewrites the file behind the desk's back
    save_segment(ws, "long", "fr", segments[0].id, text="Relu au bureau.", comment="", reviewed=True,
                 base=segments[0].fingerprint, reviewer="a")
    po = read_catalog(path)
    assert po[0].msgstr == "Relu au bureau." and po[1].msgstr == "Changé dans Poedit."
    with pytest.raises(StaleEditError):
        save_segment(ws, "long", "fr", segments[1].id, text="x", comment="", reviewed=True, base=segments[1].fingerprint,
                     reviewer="a")


def test_empty_translation_cannot_be_marked_reviewed_and_unknown_segment_is_refused(long_item) -> None:
    ws = long_item
    segment = segment_views(ws, "long", "fr")[0][0]
    with pytest.raises(InputError, match="empty translation"):
        save_segment(ws, "long", "fr", segment.id, text="  ", comment="", reviewed=True, base=segment.fingerprint, reviewer="a")
    with pytest.raises(InputError, match=r"no segment 'p99\.s1'"):
        save_segment(ws, "long", "fr", "p99.s1", text="x", comment="", reviewed=True, base="x", reviewer="a")


@pytest.mark.parametrize(("text", "message"), [
    ("Texte\x00caché", r"control character U\+0000"),
    ("Ligne\x1bévasion", r"control character U\+001B"),
    ("x" * 100_000, "too long"),
])
def test_translations_a_catalog_cannot_hold_are_refused_and_nothing_is_stored(long_item, text, message) -> None:
    ws = long_item
    path = ws.catalog_path("long", "fr")
    before = path.read_bytes()
    segment = segment_views(ws, "long", "fr")[0][0]
    with pytest.raises(InputError, match=message):
        save_segment(ws, "long", "fr", segment.id, text=text, comment="", reviewed=True, base=segment.fingerprint,
                     reviewer="a")
    assert path.read_bytes() == before and read_audit(ws, "long", "fr") == []


def test_a_failed_change_leaves_the_cached_catalog_as_it_was_on_disk(long_item) -> None:
    """Group commit applies changes to a copy: one that fails midway leaves nothing behind for the next."""
    from tarjama.catalog_store import Edit, update_catalog

    ws = long_item
    path = ws.catalog_path("long", "fr")

    def half_then_fail(edit: Edit) -> None:
        edit.po[0].msgstr = "changed, then the change failed"
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        update_catalog(path, half_then_fail)
    assert read_catalog(path)[0].msgstr != "changed, then the change failed"
    segment = segment_views(ws, "long", "fr")[0][1]
    save_segment(ws, "long", "fr", segment.id, text="Relu.", comment="", reviewed=True, base=segment.fingerprint,
                 reviewer="a")
    po = polib.pofile(str(path))
    assert po[0].msgstr != "changed, then the change failed" and po[1].msgstr == "Relu."
