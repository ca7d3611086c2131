"""The tarjama command line: translate and status."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from tarjama.cli import app


def test_translate_prints_where_the_drafts_are(workspace, sample, libre, prefect_harness) -> None:
    env = {**os.environ, "TARJAMA_LIBRE_URL": libre.url, "PREFECT_API_URL": prefect_harness}
    proc = subprocess.run([sys.executable, "-m", "tarjama.cli", "translate", str(sample), "--to", "fr",
                           "--provider", "libre", "--workspace", str(workspace.root)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "fr: 4 drafted, 0 failed, 0 kept" in proc.stdout
    assert "-> translations/000_220f3de444a27c17/fr.po" in proc.stdout
    assert len(libre.requests) == 4
    assert "start the review loop" in proc.stdout
    status = CliRunner().invoke(app, ["status", "--json", "--workspace", str(workspace.root)])
    rows = json.loads(status.output)
    assert [(r["slug"], r["lang"], r["drafted"], r["reviewed"], r["untranslated"]) for r in rows] == [
        ("000_220f3de444a27c17", "fr", 4, 0, 0)]


def test_status_counts_reviewed_and_does_not_import_prefect(workspace, sample, libre) -> None:
    from tarjama.drafts import draft_item
    from tarjama.ingest import load_item
    from tarjama.mt.engine import MTEngine
    from tests.conftest import settings_for

    draft_item(workspace, load_item(sample, workspace), ["fr", "en"], MTEngine(settings_for(libre)))
    import polib

    path = workspace.catalog_path("000_220f3de444a27c17", "en")
    po = polib.pofile(str(path))
    po[0].flags = []
    po[1].msgstr = ""
    po.save(str(path))
    code = (
        "import sys, json\nfrom tarjama.cli import app\n"
        f"app(['status', '--json', '--workspace', {str(workspace.root)!r}], standalone_mode=False)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m == 'prefect' or m.startswith('prefect.'))))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    *body, modules = proc.stdout.strip().split("\n")
    assert json.loads(modules) == []
    rows = {r["lang"]: r for r in json.loads("\n".join(body))}
    assert (rows["en"]["reviewed"], rows["en"]["drafted"], rows["en"]["untranslated"]) == (1, 2, 1)
    assert (rows["fr"]["reviewed"], rows["fr"]["drafted"], rows["fr"]["total"]) == (0, 4, 4)


@pytest.mark.parametrize(("args", "message"), [
    (["--to", "xx"], "unknown language code 'xx'"),
    (["--to", "ar"], "Arabic already"),
    (["--provider", "deepl"], "unknown provider 'deepl'"),
    (["--provider", "libre"], "TARJAMA_LIBRE_URL"),
])
def test_bad_options_exit_2_with_one_line(workspace, sample, args, message) -> None:
    proc = subprocess.run([sys.executable, "-m", "tarjama.cli", "translate", str(sample), "--workspace",
                           str(workspace.root), *args], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and message in proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert list(workspace.translations.iterdir()) == []


def test_status_on_an_empty_workspace(workspace) -> None:
    result = CliRunner().invoke(app, ["status", "--workspace", str(workspace.root)])
    assert result.exit_code == 0 and "no items yet" in result.output
