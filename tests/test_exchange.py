"""XLIFF 2 round trips with CAT tools: export, edit, import by the rules of a re-run."""

from __future__ import annotations

import polib
import pytest
from typer.testing import CliRunner

from cli.main import app
from tarjama.context import Context
from tarjama.drafting import draft_item
from tarjama.ingest import load_item
from tarjama.mt.engine import MTEngine
from tests.conftest import settings_for

SLUG = "000_220f3de444a27c17"


def test_export_edit_import_refuses_changed_sources_and_keeps_reviews(workspace, sample, libre, tmp_path) -> None:
    from translate.storage import xliff2

    draft_item(Context.load(workspace), load_item(sample, workspace), ["fr"], MTEngine(settings_for(libre)))
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


# Files from outside: valid XLIFF 2.0 out, states as XLIFF defines them, nothing from the file used as a path.

SCHEMA = __import__("pathlib").Path(__file__).resolve().parents[2] / "shared" / "schemas" / "xliff-2.0" / "xliff_core_2.0.xsd"


def drafted(workspace, sample, libre):
    draft_item(Context.load(workspace), load_item(sample, workspace), ["fr"], MTEngine(settings_for(libre)))
    path = workspace.catalog_path(SLUG, "fr")
    po = polib.pofile(str(path))
    po[0].flags = []  # p1.s1 reviewed
    po[1].msgstr = ""  # p1.s2 not translated yet
    po.save(str(path))
    return path


def test_every_export_is_valid_xliff_2_with_the_states_xliff_defines(workspace, sample, libre) -> None:
    import lxml.etree as et

    from tarjama.exchange import export_xliff

    drafted(workspace, sample, libre)
    schema = et.XMLSchema(et.parse(str(SCHEMA)))
    document = et.fromstring(export_xliff(workspace, SLUG, "fr"))
    assert schema.validate(document), schema.error_log
    ns = {"x": "urn:oasis:names:tc:xliff:document:2.0"}
    states = {u.get("id"): u.find("x:segment", ns).get("state") for u in document.iterfind(".//x:unit", ns)}
    assert states == {"p1.s1": "reviewed", "p1.s2": "initial", "p2.s1": "translated", "p3.s1": "translated"}
    space = "{http://www.w3.org/XML/1998/namespace}space"
    assert all(s.get(space) is None for s in document.iterfind(".//x:segment", ns))
    assert {e.get(space) for e in document.iterfind(".//x:source", ns)} == {"preserve"}


def test_a_translated_unit_stays_unreviewed_only_reviewed_or_final_clear_fuzzy(workspace, sample, libre, tmp_path) -> None:
    from tarjama.exchange import export_xliff, import_xliff

    path = drafted(workspace, sample, libre)
    edited = export_xliff(workspace, SLUG, "fr").decode()
    import re as _re

    def set_unit(text: str, unit: str, state: str, target: str) -> str:
        pattern = rf'(<unit id="{_re.escape(unit)}">\s*<segment)[^>]*>(.*?)<target[^>]*>.*?</target>'
        return _re.sub(pattern, rf'\1 state="{state}">\2<target xml:space="preserve">{target}</target>', text, count=1, flags=_re.S)

    edited = set_unit(edited, "p2.s1", "translated", "Traduit, pas encore relu.")
    edited = set_unit(edited, "p3.s1", "final", "Relu et final.")
    report = import_xliff(workspace, edited.encode(), "fr.xliff")
    assert sorted(report.updated) == ["p2.s1", "p3.s1"]
    after = {e.msgctxt: e for e in polib.pofile(str(path))}
    assert after["p2.s1"].fuzzy and after["p2.s1"].msgstr == "Traduit, pas encore relu."
    assert not after["p3.s1"].fuzzy and after["p3.s1"].msgstr == "Relu et final."


def test_targets_are_held_to_what_the_desk_accepts(workspace, sample, libre) -> None:
    from tarjama.exchange import export_xliff, import_xliff

    path = drafted(workspace, sample, libre)
    before = path.read_bytes()
    data = export_xliff(workspace, SLUG, "fr").decode()
    first = data.index("<target", data.index('<unit id="p2.s1">'))
    end = data.index("</target>", first)
    long_target = data[:first] + '<target xml:space="preserve">' + "x" * 50_000 + data[end:]  # its </target> kept
    report = import_xliff(workspace, long_target.encode(), "fr.xliff")
    assert [s for s, _ in report.refused] == ["p2.s1"] and "too long" in report.refused[0][1]
    escape = data[:first] + '<target xml:space="preserve">Texte&#x9b;2J</target>' + data[end + len("</target>"):]
    report = import_xliff(workspace, escape.encode(), "fr.xliff")  # C1 controls are valid XML 1.0, not valid text here
    assert [s for s, _ in report.refused] == ["p2.s1"] and "control character U+009B" in report.refused[0][1]
    assert path.read_bytes() == before


@pytest.mark.parametrize("lang", ["../../../outside/victim", "/tmp/victim", "fr\nerror: forged line", "french", ""])
def test_a_target_language_from_a_file_is_never_a_path(workspace, sample, libre, tmp_path, lang) -> None:
    from tarjama.exchange import export_xliff

    drafted(workspace, sample, libre)
    outside = workspace.root.parent / "outside"
    outside.mkdir(exist_ok=True)
    victim = outside / "victim.po"
    untouched = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\nmsgid "untouched"\nmsgstr ""\n'
    victim.write_text(untouched)
    data = export_xliff(workspace, SLUG, "fr").decode().replace('trgLang="fr"', f'trgLang="{lang}"')
    (tmp_path / "evil.xliff").write_text(data, encoding="utf-8")
    result = CliRunner().invoke(app, ["import", str(tmp_path / "evil.xliff"), "-w", str(workspace.root)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and ("trgLang" in lines[0] or "no target language" in lines[0])
    assert victim.read_text() == untouched and not list(outside.glob(".*lock*"))


@pytest.mark.parametrize("command", [["approve", SLUG, "--lang", "french", "-r", "Ali"], ["check", SLUG, "--lang", "../fr"],
                                     ["publish", SLUG, "--lang", "fr/../../x"], ["export", SLUG, "--lang", "french"],
                                     ["translate", "x.txt", "--to", "french"]])
def test_language_options_are_checked_before_any_path_with_one_message(workspace, command) -> None:
    result = CliRunner().invoke(app, [*command, "-w", str(workspace.root)])
    assert result.exit_code == 2, result.output
    option = "--to" if "--to" in command else "--lang"
    assert result.output.strip().splitlines()[-1].startswith(f"error: {option}: unknown language code ")


DOCTYPES = [
    '<!DOCTYPE xliff [<!ENTITY x "injected">]>',
    '<!DOCTYPE xliff SYSTEM "xliff.dtd">',
    '<!DOCTYPE lolz [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>',
]


@pytest.mark.parametrize("doctype", DOCTYPES)
def test_xliff_declaring_a_doctype_or_entities_is_refused_whole(workspace, sample, libre, doctype) -> None:
    from tarjama.errors import InputError
    from tarjama.exchange import export_xliff, import_xliff

    path = drafted(workspace, sample, libre)
    before = path.read_bytes()
    data = export_xliff(workspace, SLUG, "fr").decode().replace("?>", "?>\n" + doctype, 1)
    data = data.replace("</target>", "&x;</target>", 1) if "ENTITY x" in doctype else data
    with pytest.raises(InputError, match="nothing was read"):
        import_xliff(workspace, data.encode(), "evil.xliff")
    with pytest.raises(InputError, match="nothing was read"):
        import_xliff(workspace, data.encode("utf-16"), "evil.xliff")
    assert path.read_bytes() == before


def test_tmx_with_entities_or_a_bad_language_is_refused_its_own_doctype_is_not(workspace) -> None:
    from tarjama.errors import InputError
    from tarjama.memory import import_tmx

    unit = '<tu><tuv xml:lang="ar"><seg>سلام</seg></tuv><tuv xml:lang="{lang}"><seg>{text}</seg></tuv></tu>'
    tmx = ('<?xml version="1.0" encoding="UTF-8"?>\n{doctype}<tmx version="1.4"><header srclang="ar" datatype="PlainText" '
           'segtype="sentence" adminlang="en" o-tmf="x" creationtool="x" creationtoolversion="1"/><body>{units}</body></tmx>')
    good = tmx.format(doctype='<!DOCTYPE tmx SYSTEM "tmx14.dtd">\n', units=unit.format(lang="fr", text="paix"))
    assert import_tmx(workspace, good.encode(), "good.tmx") == 1
    evil = tmx.format(doctype='<!DOCTYPE tmx [<!ENTITY x "injected">]>\n', units=unit.format(lang="fr", text="&x;"))
    with pytest.raises(InputError, match="declares XML entities"):
        import_tmx(workspace, evil.encode(), "evil.tmx")
    bad_lang = tmx.format(doctype="", units=unit.format(lang="../../x", text="paix"))
    with pytest.raises(InputError, match=r"bad\.tmx: translation unit 1, xml:lang: unknown language code"):
        import_tmx(workspace, bad_lang.encode(), "bad.tmx")
