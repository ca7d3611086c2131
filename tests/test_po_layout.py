"""Catalogs are written in GNU gettext's layout: msgcat (and so Poedit, Lokalize or Weblate on save)
leaves them byte-identical, and polib reads back exactly what was written."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import polib
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tarjama.po_layout import ordered_entries, render_po

MSGCAT = shutil.which("msgcat")
pytestmark = pytest.mark.skipif(MSGCAT is None, reason="msgcat (gettext) is installed by make test / .ci/run")

ARABIC = "".join(chr(c) for c in range(0x0621, 0x064B)) + "لالآلإلأ"
MARKS = "\u064b\u064c\u064e\u064f\u0650\u0651\u0652\u0640"  # harakat and tatweel
LATIN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZéèêàçôûÉ"
DIGITS = "0123456789٠١٢٣٤٥٦٧٨٩"
PUNCT = ".,;:!?'\"()[]-–—/%«»“”’…،؛؟\\\t\n"
SPACES = "     \u00a0\u202f\u200c"
text = st.text(alphabet=ARABIC + MARKS + LATIN + DIGITS + PUNCT + SPACES, max_size=400)
word_heavy = st.lists(st.sampled_from(["الحكومة", "المغربية", "27-14", "30.01.2025", "l'État", "«", "»", " ",
                                       "https://example.org/a/b?c=d", "12,4 %", "جنوب-جنوب،", "—", "\n", '"']),
                      max_size=60).map("".join)
string = st.one_of(text, word_heavy)
comment = st.text(alphabet=ARABIC + LATIN + DIGITS + " .,:-", max_size=120)


@st.composite
def catalogs(draw) -> polib.POFile:
    po = polib.POFile()
    po.header = draw(comment).lstrip(" .,:-")
    po.metadata = {"Project-Id-Version": "tarjama x", "Content-Type": "text/plain; charset=UTF-8",
                   "Language": "fr", "X-Tarjama-Review-Note": draw(text.map(lambda t: t.replace("\n", " ")))}
    for n in range(draw(st.integers(1, 6))):
        entry = polib.POEntry(
            msgctxt=f"p{n}.s1", msgid=draw(string) or "x", msgstr=draw(string),
            tcomment="\n".join(draw(st.lists(comment, max_size=3))), comment="\n".join(draw(st.lists(comment, max_size=2))),
            flags=draw(st.sampled_from([[], ["fuzzy"]])), occurrences=[("content/inbox/item.txt", "")],
            obsolete=draw(st.booleans()) and n > 0,
        )
        if draw(st.booleans()):
            entry.previous_msgid = draw(string) or "y"
        po.append(entry)
    return po


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(catalogs())
def test_msgcat_leaves_written_catalogs_byte_identical(po) -> None:
    written = render_po(po)
    with tempfile.TemporaryDirectory() as folder:  # not a whole catalog: kept away from the msgfmt -c check
        path = Path(folder) / "x.po"
        path.write_text(written, encoding="utf-8")
        proc = subprocess.run([MSGCAT, str(path)], capture_output=True, text=True)
        back = polib.pofile(str(path))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == written
    assert [(e.msgctxt, e.msgid, e.msgstr, bool(e.obsolete), e.fuzzy) for e in back] == [
        (e.msgctxt, e.msgid, e.msgstr, e.obsolete, e.fuzzy and bool(e.msgstr))  # untranslated: never fuzzy
        for e in ordered_entries(po)]
