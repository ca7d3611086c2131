"""Ingest: the three item formats, normalisation, slugs, and every refused input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tarjama.errors import InputError
from tarjama.ingest import MAX_BYTES, load_item
from tarjama.manifest import write_manifest
from tarjama.workspace import Workspace

ARABIC = "أعلنت الوزارة اليوم عن برنامج جديد لدعم الشباب في المناطق القروية."


def write(ws: Workspace, name: str, content: str | bytes) -> Path:
    path = ws.inbox / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def test_sample_has_section_label_no_headline_and_three_paragraphs(sample: Path, workspace: Workspace) -> None:
    item = load_item(sample, workspace)
    assert item.section == "actualités"
    assert item.headline is None  # the first Arabic line is a long sentence, not a headline
    assert len(item.paragraphs) == 3
    assert item.paragraphs[0].startswith("شارك السيد هشام ملاطي")
    assert "  " not in item.paragraphs[0] and not item.paragraphs[1].endswith(" ")
    assert item.slug == "000_220f3de444a27c17"
    assert item.source_path == "content/inbox/000_220f3de444a27c17.txt"
    assert item.kind == "text"


def test_plain_text_headline_and_whitespace_normalised(workspace: Workspace) -> None:
    text = f"\ufeffالحكومة تطلق برنامجا جديدا\r\n\r\n\r\n\r\n{ARABIC}\u00a0\u00a0 \r\nسطر\u202fثان.   \n"
    item = load_item(write(workspace, "news.txt", text), workspace)
    assert item.headline == "الحكومة تطلق برنامجا جديدا"
    assert item.section is None
    assert item.paragraphs == (ARABIC, "سطر ثان.")


def test_markdown_front_matter(workspace: Workspace) -> None:
    md = (
        "---\ntitle: عنوان الخبر\ndate: 2025-01-30\nsource_url: https://example.org/a\n"
        "section: actualités\nslug: roundtable-2025\n---\n\n" + ARABIC + "\n\nفقرة ثانية هنا.\n"
    )
    item = load_item(write(workspace, "a.md", md), workspace)
    assert (item.headline, item.date, item.source_url, item.section, item.slug) == (
        "عنوان الخبر", "2025-01-30", "https://example.org/a", "actualités", "roundtable-2025")
    assert item.paragraphs == (ARABIC, "فقرة ثانية هنا.")
    assert item.kind == "markdown"


def test_markdown_headline_from_heading_when_no_front_matter_headline(workspace: Workspace) -> None:
    item = load_item(write(workspace, "b.md", f"---\ndate: 2025-01-30\n---\n# عنوان من المتن\n\n{ARABIC}\n"), workspace)
    assert item.headline == "عنوان من المتن"
    assert item.paragraphs == (ARABIC,)


def test_ninjs_body_text_and_html(workspace: Workspace) -> None:
    doc = {"uri": "https://example.org/n/1", "headline": "عنوان", "versioncreated": "2025-01-30T10:00:00Z",
           "language": "ar", "body_text": ARABIC + "\n\nفقرة أخرى."}
    item = load_item(write(workspace, "n.json", json.dumps(doc, ensure_ascii=False)), workspace)
    assert item.paragraphs == (ARABIC, "فقرة أخرى.") and item.uri == doc["uri"]
    assert item.date == "2025-01-30T10:00:00+00:00" and item.kind == "ninjs"
    doc2 = {"uri": "urn:x:2", "body_html": f"<p>{ARABIC}</p><p>فقرة <b>أخرى</b>.</p><p>سطر<br>ثان و<i>ثالث</i>.</p>"}
    item2 = load_item(write(workspace, "n2.json", json.dumps(doc2, ensure_ascii=False)), workspace)
    assert item2.paragraphs == (ARABIC, "فقرة أخرى.", "سطر ثان وثالث.")  # inline markup adds no space


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.txt", "", "empty"),
        ("blank.txt", "  \n\t\n \u00a0\n", "empty"),
        ("latin1.txt", "caf\xe9 قهوة".encode("latin-1", errors="ignore") + b"\xe9\xff", "not UTF-8"),
        ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        ("french.txt", "Le ministère annonce un nouveau programme pour les jeunes. " * 3, "not Arabic"),
        ("badfm.md", "---\ntitle: [unclosed\n---\n" + ARABIC, "malformed front matter"),
        ("listfm.md", "---\n- a\n- b\n---\n" + ARABIC, "front matter must be a mapping"),
        ("bad.json", '{"uri": "x", "body_text": ', "malformed JSON"),
        ("array.json", "[1, 2]", "JSON object"),
        ("nobody.json", json.dumps({"uri": "x", "headline": "عنوان"}), "missing body"),
        ("nobody.md", "---\ntitle: عنوان\n---\n\n", "no body text"),
        ("escape.md", f"---\nslug: ../../etc\n---\n{ARABIC}\n", "not a safe slug"),
        ("french.json", json.dumps({"uri": "x", "language": "fr", "body_text": ARABIC}), "'language'"),
        ("baddate.md", f"---\ndate: next tuesday\n---\n{ARABIC}\n", "not an ISO 8601 date"),
        ("impossible.md", f"---\ndate: 2025-02-30\n---\n{ARABIC}\n", "'2025-02-30' is not a real date"),
        ("badtime.md", f"---\ndate: 2025-01-30 25:61\n---\n{ARABIC}\n", "is not a real date or time (hour must be in 0..23)"),
        ("unclosed.md", f"---\ntitle: عنوان\ndate: 2025-01-30\n\n{ARABIC}\n", "never closed"),
        ("deep.json", "[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ("deepfm.md", "---\ntitle: " + "[" * 5_000 + "\n---\n" + ARABIC, "nested too deeply"),
        ("bignum.json", '{"uri": "x", "body_text": "' + ARABIC + '", "n": ' + "9" * 5000 + "}", "number too long"),
        ("badurl.md", f"---\nsource_url: javascript:alert(1)\n---\n{ARABIC}\n", "must be an http(s) URL"),
        ("badurgency.md", f"---\nurgency: asap\n---\n{ARABIC}\n",
         "front matter field 'urgency' is 'asap'; write one of flash, urgent, normal"),
        ("badurgency.json", json.dumps({"uri": "x", "urgency": 12, "body_text": ARABIC}),
         "field 'urgency' must be a whole number from 1 (most urgent) to 9"),
        ("boolurgency.json", json.dumps({"uri": "x", "urgency": True, "body_text": ARABIC}),
         "field 'urgency' is 'True'; write one of flash, urgent, normal (or IPTC's 1 to 9)"),
    ],
)
def test_bad_input_is_refused_with_a_named_one_line_error(workspace: Workspace, name: str, content, message: str) -> None:
    path = write(workspace, name, content)
    with pytest.raises(InputError) as info:
        load_item(path, workspace)
    text = str(info.value)
    assert message in text and str(path) in text and "\n" not in text


def test_file_over_one_megabyte_is_refused(workspace: Workspace) -> None:
    path = write(workspace, "big.txt", (ARABIC + "\n") * (MAX_BYTES // len(ARABIC.encode()) + 10))
    with pytest.raises(InputError, match="over the 1 MB limit"):
        load_item(path, workspace)


def test_missing_file_and_directory_are_refused(workspace: Workspace) -> None:
    with pytest.raises(InputError, match="no such file"):
        load_item(workspace.inbox / "nope.txt", workspace)
    with pytest.raises(InputError, match="not a regular file"):
        load_item(workspace.inbox, workspace)
    with pytest.raises(InputError, match=r"cannot read it \(File name too long\)") as info:
        load_item(workspace.inbox / ("ا" * 200 + ".txt"), workspace)  # 400 bytes: over the 255-byte limit
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(("written", "timezone", "stored"), [
    ("2015-07-23 19:25:42", "UTC", "2015-07-23T19:25:42+00:00"),  # scraped news: a time without a zone
    ("2015-07-23 19:25:42", "Africa/Casablanca", "2015-07-23T19:25:42+01:00"),
    ("2015-07-23T19:25:42Z", "Africa/Casablanca", "2015-07-23T19:25:42+00:00"),  # a zone given is kept
    ("2015-07-23T19:25+0200", "UTC", "2015-07-23T19:25:00+02:00"),
    ("'2015-07-23'", "Asia/Tokyo", "2015-07-23"),  # a date alone stays a date
])
def test_dates_are_normalised_at_ingest(workspace: Workspace, written: str, timezone: str, stored: str) -> None:
    path = write(workspace, "dated.md", f"---\ndate: {written}\n---\n{ARABIC}\n")
    assert load_item(path, workspace, timezone=timezone).date == stored


def test_two_items_never_share_a_slug(workspace: Workspace) -> None:
    (workspace.inbox / "a").mkdir()
    (workspace.inbox / "b").mkdir()
    first = load_item(write(workspace, "a/news.txt", ARABIC), workspace)
    write_manifest(workspace, first, ["fr"])
    second = load_item(write(workspace, "b/news.txt", ARABIC), workspace)
    assert first.slug == "news" and second.slug.startswith("news-") and second.slug != first.slug
    assert load_item(workspace.inbox / "a" / "news.txt", workspace).slug == "news"  # stable for its owner
    assert load_item(workspace.inbox / "b" / "news.txt", workspace).slug == second.slug
    in_batch = load_item(workspace.inbox / "b" / "news.txt", workspace, taken={"news": "elsewhere.txt"})
    assert in_batch.slug != "news"


def test_explicit_slug_taken_by_another_item_is_refused(workspace: Workspace) -> None:
    one = load_item(write(workspace, "one.md", f"---\nslug: same\n---\n{ARABIC}\n"), workspace)
    write_manifest(workspace, one, ["fr"])
    with pytest.raises(InputError, match=r"already used by content/inbox/one\.md"):
        load_item(write(workspace, "two.md", f"---\nslug: same\n---\n{ARABIC}\n"), workspace)


def test_arabic_file_name_gets_a_safe_derived_slug(workspace: Workspace) -> None:
    item = load_item(write(workspace, "خبر اليوم.txt", ARABIC), workspace)
    assert item.slug and all(c.isascii() for c in item.slug) and "/" not in item.slug


def test_cli_refuses_bad_input_with_exit_2_no_traceback_nothing_written(workspace: Workspace) -> None:
    good = workspace.inbox / "000_220f3de444a27c17.txt"
    bad = write(workspace, "french.txt", "Bonjour tout le monde, ceci est un texte en français.")
    env = {**os.environ, "TARJAMA_WORKSPACE": str(workspace.root)}
    proc = subprocess.run([sys.executable, "-m", "cli", "translate", str(good), str(bad)],
                          capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "Traceback" not in proc.stderr
    assert "french.txt" in proc.stderr and "not Arabic" in proc.stderr
    assert list(workspace.translations.iterdir()) == []  # the good item was not drafted either
