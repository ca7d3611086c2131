"""XLIFF 2 round trips with CAT tools: export, edit, import by the rules of a re-run."""

from __future__ import annotations

import polib
from typer.testing import CliRunner

from flows.cli import app
from tarjama.drafts import draft_item
from tarjama.ingest import load_item
from tarjama.mt.engine import MTEngine
from tests.conftest import settings_for

SLUG = "000_220f3de444a27c17"


def test_export_edit_import_refuses_changed_sources_and_keeps_reviews(workspace, sample, libre, tmp_path) -> None:
    from translate.storage import xliff2

    draft_item(workspace, load_item(sample, workspace), ["fr"], MTEngine(settings_for(libre)))
    path = workspace.catalog_path(SLUG, "fr")
    po = polib.pofile(str(path))
    po[3].flags = []  # p3.s1 reviewed in the catalog
    po[3].msgstr = "Revue par Amina."
    po.save(str(path))
    runner = CliRunner()
    out = tmp_path / "fr.xliff"
    exported = runner.invoke(app, ["export", SLUG, "--lang", "fr", "-o", str(out), "-w", str(workspace.root)])
    assert exported.exit_code == 0 and "4 segment(s)" in exported.output
    doc = xliff2.Xliff2File.parsestring(out.read_bytes())
    assert doc.document.getroot().get("trgLang") == "fr" and [u.getid() for u in doc.units] == ["p1.s1", "p1.s2", "p2.s1", "p3.s1"]
    assert [u.isapproved() for u in doc.units] == [False, False, False, True]

    units = {u.getid(): u for u in doc.units}
    units["p1.s1"].target = "Traduit dans OmegaT."
    units["p1.s1"].markapproved(True)
    units["p1.s2"].target = "Brouillon retouché."  # still unreviewed in the tool
    units["p2.s1"].source = "جملة تغيرت منذ التصدير."  # as if the item changed meanwhile
    units["p3.s1"].target = "Écrasement non revu."
    units["p3.s1"].markfuzzy(True)
    out.write_bytes(bytes(doc))
    before = path.read_bytes()

    imported = runner.invoke(app, ["import", str(out), "-w", str(workspace.root)])
    assert imported.exit_code == 1  # something refused: said, and the rest merged
    assert f"{SLUG} fr: 2 updated, 0 unchanged, 2 refused" in imported.output
    assert "refused p2.s1: its source changed" in imported.output and "refused p3.s1: unreviewed in the file" in imported.output
    after = {e.msgctxt: e for e in polib.pofile(str(path))}
    assert after["p1.s1"].msgstr == "Traduit dans OmegaT." and not after["p1.s1"].fuzzy
    assert after["p1.s2"].msgstr == "Brouillon retouché." and after["p1.s2"].fuzzy
    assert after["p3.s1"].msgstr == "Revue par Amina." and not after["p3.s1"].fuzzy  # nothing reviewed is lost
    assert path.read_bytes() != before

    (tmp_path / "junk.xliff").write_text("<xliff")
    bad = runner.invoke(app, ["import", str(tmp_path / "junk.xliff"), "-w", str(workspace.root)])
    assert bad.exit_code == 2 and "not a readable XLIFF 2 file" in bad.output
