"""The inbox: dropped items are picked up once stable; pasted items become inbox files."""

from __future__ import annotations

import pytest

from tarjama.errors import InputError
from tarjama.inbox import InboxScanner, save_pasted_item

ARABIC = "أعلنت الوزارة اليوم عن برنامج جديد لدعم الشباب في المناطق القروية."


def test_scanner_reports_new_and_changed_items_once_stable(workspace) -> None:
    scanner = InboxScanner(workspace)
    assert scanner.scan() == []  # the first look: what is there is taken as handled
    item = workspace.inbox / "new.md"
    item.write_text(ARABIC, encoding="utf-8")
    assert scanner.scan() == []  # just appeared: wait until it stops changing
    assert scanner.scan() == [item]
    assert scanner.scan() == []
    item.write_text(ARABIC + " وأضافت أن البرنامج سيبدأ قريبا.", encoding="utf-8")
    scanner.scan()
    assert scanner.scan() == [item]  # a correction starts a new run
    (workspace.inbox / ".hidden.txt").write_text(ARABIC, encoding="utf-8")
    (workspace.inbox / "notes.pdf").write_bytes(b"%PDF")
    scanner.scan()
    assert scanner.scan() == []
    assert InboxScanner(workspace).scan() == []  # remembered across restarts


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
