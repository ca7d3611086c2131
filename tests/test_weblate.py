"""Weblate as the translators' editor, end to end against the recipe's real Weblate (``make weblate``).

Left out of ``make test`` (marker ``weblate``): it needs the local Weblate that scripts/weblate/up brings up
(about 3 minutes the first time, from the package registries). Run it with ``make test-weblate``.

A run drafts the sample item and waits for review; tarjama connects its workspace to Weblate; a translator
edits a segment and a reviewer approves every French string through Weblate's REST API; one sync merges
their work, and the approval comes back as a decision with the Weblate account as reviewer and ``weblate``
as channel, which the run takes and publishes.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

import httpx
import polib
import pytest
from pydantic import SecretStr

from tarjama.catalog import APPROVED_BY, APPROVED_VIA
from tarjama.context import Context
from tarjama.review import events as review_log
from tarjama.review.events import Channel
from tarjama.settings import Settings, WeblateSettings
from tests.conftest import REPO, make_workspace, start_sample_run
from tests.support.po_blocks import entry_blocks

STATE = Path(REPO) / ".weblate"
URL = "http://127.0.0.1:8700"


def _weblate_up() -> bool:
    try:
        return (STATE / "admin-token").exists() and httpx.get(f"{URL}/healthz/", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


pytestmark = [pytest.mark.weblate, pytest.mark.integration,
              pytest.mark.skipif(not _weblate_up(), reason="no local Weblate: run `make weblate` first")]

EDITED = ("M. Hichame Mellati, directeur des affaires pénales et des grâces et de la surveillance de la criminalité, "
          "président délégué de la commission nationale de coordination des mesures de lutte contre la traite des "
          "êtres humains et de sa prévention, a participé le jeudi 30 janvier 2025 au siège du ministère de "
          "l’Intérieur aux travaux de la table ronde organisée par l’Observatoire national de la migration sur le "
          "thème « Humaniser la gestion des frontières : de la gestion de la vulnérabilité à la stimulation des "
          "opportunités », où il a évoqué les efforts déployés par le Royaume du Maroc.")
DATE_DROPPED = EDITED.replace("le jeudi 30 janvier 2025 ", "")


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), "-c", "user.name=newsroom", "-c", "user.email=n@localhost", *args],
                          check=True, capture_output=True, text=True).stdout


def test_an_approval_in_weblate_publishes_with_its_reviewer_and_channel(served, tmp_path: Path) -> None:
    from operations.weblate_api import WeblateApi
    from operations.weblate_sync import connect, sync

    ws = make_workspace(tmp_path / "ws", "item.txt")
    _git(ws.root, "init", "-q", "-b", "main")
    (ws.root / ".gitignore").write_text(".tarjama/\n.prefect/\ncontent/published/\ntranslations/**/.*.lock\n")
    run = start_sample_run(ws, "item.txt")
    assert run.state.name == "Suspended"
    slug = next(p.parent.name for p in ws.translations.glob("*/fr.po"))
    _git(ws.root, "add", "-A")
    _git(ws.root, "commit", "-q", "-m", "the item and its drafts")

    weblate = WeblateSettings(url=URL, token=SecretStr((STATE / "admin-token").read_text().strip()),
                              project=f"tarjama-test-{uuid.uuid4().hex[:8]}")
    ctx = Context(ws, Settings(weblate=weblate, providers=("libre",)))
    said = connect(ws, weblate)
    assert any("component discovery on" in line for line in said), said

    with WeblateApi(weblate) as api:
        units = api._pages(f"translations/{weblate.project}/{slug}/fr/units/")
        assert units and all(unit["state"] == 10 for unit in units)  # tarjama's drafts arrive as "Needs editing"
        p1_s1 = next(unit for unit in units if unit["context"] == "p1.s1")
        for unit in units:  # a translator rewrites p1.s1 and drops its date; a reviewer approves every string
            target = [DATE_DROPPED] if unit is p1_s1 else unit["target"]
            api._call("PATCH", f"units/{unit['id']}/", json={"target": target, "state": 30})
        assert api.language_stats(slug, "fr").all_approved

        refused: dict = {}  # what `tarjama watch` keeps between its syncs
        first = sync(ctx, refused)  # the approval is checked as any other: QA finds the month missing
        assert first.merged == [f"translations/{slug}/fr.po"] and not first.approvals, first.lines()
        assert len(first.refused) == 1 and "p1.s1" in first.refused[0] and "janvier" in first.refused[0]
        assert sync(ctx, refused).lines() == ["nothing to sync"]  # refused: not asked again while nothing changed

        api._call("PATCH", f"units/{p1_s1['id']}/", json={"target": [EDITED], "state": 30})

    report = sync(ctx, refused)
    assert report.merged == [f"translations/{slug}/fr.po"], report.lines()
    assert len(report.approvals) == 1 and "published" in report.approvals[0], report.lines()

    made = [e for e in review_log.read(ws, slug) if isinstance(e, review_log.DecisionMade) and e.lang == "fr"]
    requested = [e for e in review_log.read(ws, slug) if isinstance(e, review_log.DecisionRequested) and e.lang == "fr"]
    assert requested[-1].channel is Channel.WEBLATE and requested[-1].reviewer == "admin"
    assert made[-1].outcome is review_log.Outcome.APPROVED
    assert "le jeudi 30 janvier 2025 au siège du ministère" in (ws.published / "fr" / f"{slug}.md").read_text(encoding="utf-8")
    assert json.loads((ws.published / "fr" / f"{slug}.provenance.json").read_text())["reviewed_by"] == ["admin"]
    stamped = polib.pofile(str(ws.catalog_path(slug, "fr"))).metadata
    assert (stamped[APPROVED_BY], stamped[APPROVED_VIA]) == ("admin", "weblate")

    # the round trip: tarjama's approval stamp (a header change) leaves every entry as Weblate wrote it
    merged = entry_blocks(_git(ws.root, "show", f"HEAD:translations/{slug}/fr.po"))
    now = entry_blocks((ws.translations / slug / "fr.po").read_text(encoding="utf-8"))
    assert [c for c in merged if c and merged[c] != now[c]] == []
