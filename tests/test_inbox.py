"""The inbox: every item without drafts, or whose text changed since its drafts, is due a run, however long
ago it arrived; a file is handed out once it stops changing; pasted items become inbox files."""

from __future__ import annotations

import pytest

from tarjama.context import Context
from tarjama.errors import InputError
from tarjama.inbox import InboxScanner, due_items, save_pasted_item
from tarjama.ingest import load_item
from tarjama.manifest import write_manifest

ARABIC = "أعلنت الوزارة اليوم عن برنامج جديد لدعم الشباب في المناطق القروية."


def test_items_already_in_the_inbox_are_due_not_taken_as_handled(workspace) -> None:
    """Dropped while `tarjama serve` was down (or as it starts): the first looks find them."""
    burst = [workspace.inbox / f"burst-{n:02d}.md" for n in range(50)]
    for n, path in enumerate(burst):
        path.write_text(f"{ARABIC} رقم {n}.", encoding="utf-8")
    scanner = InboxScanner(workspace)
    assert scanner.scan() == {}  # one look: not yet known to be stable
    due = scanner.scan()
    assert sorted(due) == sorted([*burst, workspace.inbox / "000_220f3de444a27c17.txt"])
    assert InboxScanner(workspace).scan() == {}  # a restarted watcher has no memory, and needs none


def test_drafted_items_are_due_again_only_when_their_text_changed(workspace) -> None:
    item_path = workspace.inbox / "000_220f3de444a27c17.txt"
    item = load_item(item_path, workspace)
    write_manifest(workspace, item, ["fr"])  # what a run records when it claims the item
    assert due_items(workspace) == {}
    item_path.write_text(item_path.read_text(encoding="utf-8") + "\nوأضاف أن البرنامج سيبدأ قريبا.\n", encoding="utf-8")
    assert list(due_items(workspace)) == [item_path]
    scanner = InboxScanner(workspace)
    scanner.scan()
    assert list(scanner.scan()) == [item_path]


def test_a_file_still_being_written_is_not_handed_out(workspace) -> None:
    scanner = InboxScanner(workspace)
    scanner.scan()
    partial = workspace.inbox / "arriving.md"
    partial.write_text(ARABIC[:20], encoding="utf-8")
    assert partial not in scanner.scan()
    assert scanner.unsettled == [partial]  # the watcher looks again in SETTLE_SECONDS, not at its next round
    partial.write_text(ARABIC, encoding="utf-8")  # still growing between two looks
    assert partial not in scanner.scan()
    assert partial in scanner.scan()
    assert scanner.unsettled == []  # nothing new: the watcher waits for the next file event
    (workspace.inbox / ".hidden.txt").write_text(ARABIC, encoding="utf-8")
    (workspace.inbox / "notes.pdf").write_bytes(b"%PDF")
    scanner.scan()
    assert not {p.name for p in scanner.scan()} & {".hidden.txt", "notes.pdf"}


def test_pasted_item_is_saved_once_and_bad_text_never_reaches_the_inbox(workspace) -> None:
    path = save_pasted_item(workspace, "عنوان الخبر", ARABIC)
    assert path.parent == workspace.inbox and path.suffix == ".md"
    assert "headline: عنوان الخبر" in path.read_text(encoding="utf-8")
    assert save_pasted_item(workspace, "عنوان الخبر", ARABIC) == path
    with pytest.raises(InputError, match="pasted item: the text is not Arabic"):
        save_pasted_item(workspace, None, "Plain English, not an Arabic item.")
    with pytest.raises(InputError, match="form field 'body'"):
        save_pasted_item(workspace, "عنوان", "   ")
    assert sorted(p.name for p in workspace.inbox.iterdir()) == sorted(["000_220f3de444a27c17.txt", path.name])


def test_a_pasted_items_run_name_is_its_slug_from_the_start_and_stays_it(workspace) -> None:
    import datetime as dt

    from tarjama.inbox import pasted_slug

    day = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)
    expected = pasted_slug(workspace, "عنوان", ARABIC, day)
    assert save_pasted_item(workspace, "عنوان", ARABIC, now=day).stem == expected
    later = day + dt.timedelta(days=3)  # pasted again another day: the same item, not a new slug
    assert pasted_slug(workspace, "عنوان", ARABIC, later) == expected
    assert save_pasted_item(workspace, "عنوان", ARABIC, now=later).stem == expected


def test_the_same_text_pasted_dropped_or_given_as_another_file_is_said_to_be_in_review(workspace, libre) -> None:
    import datetime as dt

    from typer.testing import CliRunner

    from cli.main import app
    from tarjama.drafting import draft_item
    from tarjama.mt.engine import MTEngine
    from tarjama.review.decisions import claim_item, open_review
    from tarjama.review.same_text import refuse_same_text
    from tests.conftest import settings_for

    text = f"{ARABIC}\n\nوأكد المتحدث أن البرنامج سيبدأ قريبا."
    (workspace.inbox / "wire.txt").write_text(text + "\n", encoding="utf-8")
    first = load_item(workspace.inbox / "wire.txt", workspace)
    draft_item(Context.load(workspace), first, ["fr"], MTEngine(settings_for(libre)))
    claim_item(workspace, "wire", "run-1", first.digest, ["fr"], ["libre"])
    open_review(workspace, "wire", "run-1", ["fr"], dt.timedelta(days=1))

    pasted = load_item(save_pasted_item(workspace, None, text), workspace)
    (workspace.inbox / "again.md").write_text(f"---\ndate: 2026-12-01\n---\n\n{text}\n", encoding="utf-8")
    for other in (pasted, load_item(workspace.inbox / "again.md", workspace)):
        assert other.slug != "wire" and other.digest != first.digest and other.text_digest == first.text_digest
        with pytest.raises(InputError, match=r"the same text is already in review as wire \(content/inbox/wire\.txt\)"):
            refuse_same_text(workspace, other)
    refuse_same_text(workspace, first)  # the item itself, run again, is not a duplicate of itself
    result = CliRunner().invoke(app, ["translate", str(workspace.inbox / "again.md"), "-w", str(workspace.root)])
    assert result.exit_code == 2 and result.output.count("\n") == 1 and "already in review as wire" in result.output
    assert not (workspace.translations / "again").exists()
