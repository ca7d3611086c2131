"""The inbox: every item without drafts, or whose text changed since its drafts, is due a run, however long
ago it arrived; a file is handed out once it stops changing; pasted items become inbox files."""

from __future__ import annotations

import pytest

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
    partial.write_text(ARABIC, encoding="utf-8")  # still growing between two looks
    assert partial not in scanner.scan()
    assert partial in scanner.scan()
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
