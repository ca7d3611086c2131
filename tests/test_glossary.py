"""The workspace glossary: folded Arabic matching with attached prefixes, and `tarjama glossary check`."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from cli.main import app
from tarjama.arabic import fold
from tarjama.errors import InputError
from tarjama.glossary import check_glossary, load_glossary

GLOSSARY = ("ar,fr,en,note\n"
            "الأمم المتحدة,les Nations unies,the United Nations,\n"
            "مجلس الأمن,le Conseil de sécurité,the Security Council,\n"
            "وزارة الداخلية,le ministère de l'Intérieur,the Ministry of the Interior,\n"
            "الناتو,,,acronym: keep\n")


@pytest.fixture
def root(tmp_path):
    (tmp_path / "glossary.csv").write_text(GLOSSARY, encoding="utf-8")
    return tmp_path


def test_folding_removes_harakat_and_tatweel_and_unifies_letter_forms() -> None:
    assert fold("الأُمَمُ المُتَّحِدَة") == fold("الامم المتحده")
    assert fold("إسرائيل") == fold("اسراييل") and fold("مصطفى") == fold("مصطفي") and fold("جـــديد") == "جديد"


@pytest.mark.parametrize(("text", "expected"), [
    ("قالت الأمم المتحدة إن", ["الأمم المتحدة"]),
    ("وقالت الأمم المُتَّحدة", ["الأمم المتحدة"]),
    ("دعا الأمين العام للأمم المتحدة", ["الأمم المتحدة"]),  # ل + ال written لل
    ("وبالأمم المتحدة ومجلس الأمن", ["الأمم المتحدة", "مجلس الأمن"]),
    ("فوزارة الداخلية أعلنت", ["وزارة الداخلية"]),
    ("كالناتو", ["الناتو"]),
    ("الأمم الأوروبية", []),  # the first word alone is not the term
    ("المتحدة الأمم", []),
])
def test_terms_are_found_with_attached_prefixes(root, text, expected) -> None:
    assert [t.ar for t in load_glossary(root).found_in(text)] == expected


def test_empty_target_means_keep_as_is_and_digest_follows_entries(root) -> None:
    glossary = load_glossary(root)
    assert glossary.entries("fr")["الناتو"] == "الناتو" and glossary.entries("en")["مجلس الأمن"] == "the Security Council"
    before = glossary.digest_for("fr")
    (root / "glossary.csv").write_text(GLOSSARY.replace("le Conseil", "Le Conseil"), encoding="utf-8")
    changed = load_glossary(root)
    assert changed.digest_for("fr") != before and changed.digest_for("en") == glossary.digest_for("en")


@pytest.mark.parametrize(("content", "problem"), [
    ("fr,ar\nx,y\n", "glossary.csv:1: the header must be ar,fr,en,note"),
    ("ar,fr,en,note\nالأمم المتحدة,les Nations unies\n", "glossary.csv:2: 2 columns where the header has 4"),
    ("ar,fr,en,note\n,les Nations unies,,\n", "glossary.csv:2: the ar cell is empty"),
    ("ar,fr,en,note\nالأمم المتحدة,الأمم,,\n", "glossary.csv:2: the fr cell is Arabic"),
    ("ar,fr,en,note\nالأمم المتحدة,a,b,\nالامم المتحده,c,d,\n", "glossary.csv:3: 'الامم المتحده' is already on line 2"),
    ("ar,fr,en,note\n\"الأمم,a,b,\n", "unreadable CSV"),
    ("ar,fr,en,note\nالأمم\x07,a,b,\n", "glossary.csv:2: a control character"),
])
def test_malformed_rows_are_named_by_line(tmp_path, content, problem) -> None:
    (tmp_path / "glossary.csv").write_text(content, encoding="utf-8")
    _, problems = check_glossary(tmp_path)
    assert problems and problem in problems[0] and problems[0].startswith("glossary.csv")
    with pytest.raises(InputError, match=r"glossary\.csv"):
        load_glossary(tmp_path)


def test_not_utf8_is_one_clear_line(tmp_path) -> None:
    (tmp_path / "glossary.csv").write_bytes("ar,fr\nالأمم,x\n".encode("cp1256"))
    assert check_glossary(tmp_path)[1] == ["glossary.csv: not UTF-8 (byte 6); save it as UTF-8"]


def test_glossary_check_command(tmp_path) -> None:
    (tmp_path / "content" / "inbox").mkdir(parents=True)
    (tmp_path / "translations").mkdir()
    runner = CliRunner()
    (tmp_path / "glossary.csv").write_text(GLOSSARY, encoding="utf-8")
    ok = runner.invoke(app, ["glossary", "check", "-w", str(tmp_path)])
    assert ok.exit_code == 0 and "4 term(s), no problem found" in ok.output
    (tmp_path / "glossary.csv").write_text(GLOSSARY + "x,y\n,only fr,,\n", encoding="utf-8")
    bad = runner.invoke(app, ["glossary", "check", "-w", str(tmp_path)])
    assert bad.exit_code == 2 and "Traceback" not in bad.output
    assert bad.output.splitlines() == ["error: glossary.csv:6: 2 columns where the header has 4; quote cells with commas",
                                       "error: glossary.csv:7: the ar cell is empty; every row needs its Arabic term"]
