"""A catalog another tool saved keeps that tool's lines wherever tarjama changes nothing.

``fixtures/weblate-saved-fr.po`` is the sample item's French catalog as Weblate 5.14.3 saved it after a
translator's edits through its API (the recipe's Weblate, README: Weblate): translate-toolkit wraps two of
them where gettext would not, and writes its own header values.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import polib

from tarjama.catalog_store import Edit, read_catalog, update_catalog
from tarjama.po_layout import render_entry
from tests.support.po_blocks import entry_blocks

FIXTURE = Path(__file__).parent / "fixtures" / "weblate-saved-fr.po"
WEBLATE_WRAPPED = ("p1.s2", "p2.s1")  # the two entries Weblate laid out its own way


def _edit_p1_s1(edit: Edit) -> None:
    entry = next(e for e in edit.po if e.msgctxt == "p1.s1")
    entry.msgstr = "Le ministère a présenté mardi à Rabat le nouveau dispositif d’aide aux victimes."
    edit.changed = True


def test_the_fixture_is_laid_out_unlike_gettext() -> None:
    """The other tests mean something only while Weblate's lines differ from what tarjama's writer makes."""
    po = polib.pofile(str(FIXTURE))
    saved = entry_blocks(FIXTURE.read_text(encoding="utf-8"))
    for context in WEBLATE_WRAPPED:
        entry = next(e for e in po if e.msgctxt == context)
        assert render_entry(entry).rstrip("\n") != saved[context]


def test_a_change_here_leaves_every_other_entry_as_weblate_wrote_it(tmp_path: Path) -> None:
    path = tmp_path / "fr.po"
    shutil.copy(FIXTURE, path)
    update_catalog(path, _edit_p1_s1)
    before, after = entry_blocks(FIXTURE.read_text(encoding="utf-8")), entry_blocks(path.read_text(encoding="utf-8"))
    assert before.keys() == after.keys()
    assert [context for context in before if before[context] != after[context]] == ["p1.s1"]
    # among them the two entries Weblate wrapped its own way, and the header (tarjama changed no value in it)
    assert all(after[context] == before[context] for context in (*WEBLATE_WRAPPED, ""))
    assert read_catalog(path).metadata["Plural-Forms"] == "nplurals=2; plural=n > 1;"


def test_an_entry_changed_here_is_written_in_gettexts_layout(tmp_path: Path) -> None:
    path = tmp_path / "fr.po"
    shutil.copy(FIXTURE, path)

    def rewrite_p1_s2(edit: Edit) -> None:
        entry = next(e for e in edit.po if e.msgctxt == "p1.s2")
        entry.msgstr += " "
        entry.msgstr = entry.msgstr.rstrip()  # the same text: nothing to write
        entry.flags.append("fuzzy")
        edit.changed = True

    update_catalog(path, rewrite_p1_s2)
    entry = next(e for e in polib.pofile(str(path)) if e.msgctxt == "p1.s2")
    assert "fuzzy" in entry.flags
    assert entry_blocks(path.read_text(encoding="utf-8"))["p1.s2"] == render_entry(entry).rstrip("\n")


def test_a_file_not_laid_out_one_entry_per_block_is_rewritten_whole(tmp_path: Path) -> None:
    """A comment cut from its entry by a blank line belongs to that entry (gettext's reading): keeping blocks
    as they are would drop it, so such a file is written in gettext's layout instead, the comment kept."""
    path = tmp_path / "fr.po"
    path.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
                    '#. a note for the translator\n\nmsgctxt "p1.s1"\nmsgid "نص"\nmsgstr "texte"\n\n'
                    'msgctxt "p1.s2"\nmsgid "نص آخر"\nmsgstr "autre"\n', encoding="utf-8")

    def touch_p1_s2(edit: Edit) -> None:
        next(e for e in edit.po if e.msgctxt == "p1.s2").msgstr = "un autre texte"
        edit.changed = True

    update_catalog(path, touch_p1_s2)
    written = path.read_text(encoding="utf-8")
    assert '#. a note for the translator\nmsgctxt "p1.s1"' in written
    assert next(e for e in polib.pofile(written) if e.msgctxt == "p1.s1").comment == "a note for the translator"
