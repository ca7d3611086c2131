"""The translation memory and post-edit figures: approved segments reused with no MT request, close matches,
TMX exchange, and chrF/TER of what reviewers changed. End to end: item B reuses two sentences of approved item A,
and a wrong number in B's French is refused until overridden with a reason."""

from __future__ import annotations

import datetime as dt
import json

import polib
import pytest
from typer.testing import CliRunner

from cli.main import app
from tarjama.context import Context
from tarjama.drafting import draft_item
from tarjama.ingest import load_item
from tarjama.machine_drafts import read_machine_drafts
from tarjama.memory import close, exact, export_tmx, import_tmx, key_of, rebuild
from tarjama.mt.engine import MTEngine
from tarjama.post_edit import report
from tarjama.review import events as review_log
from tarjama.review.decisions import ApprovalRefused, claim_item, decisions_due, open_review, take_pending
from tarjama.review.events import Channel, Outcome
from tests.conftest import settings_for
from tests.support.review import ask, clear_fuzzy, precheck

S1 = "دعت الأمم المتحدة يوم الخميس إلى وقف فوري لإطلاق النار."
S2 = "وقال الأمين العام إن 12 مدنيا قتلوا."
S3 = "وأكد المتحدث باسم الحكومة أن المفاوضات ستستأنف قريبا."
S4 = "وأضاف أن الوفد سيضم 5 أعضاء."
A = f"---\ntitle: هدنة\ndate: 2025-03-01\n---\n\n{S1} {S2}\n\n{S3}\n"
B = f"---\ntitle: مفاوضات\ndate: 2025-03-02\n---\n\n{S1} {S2}\n\n{S4}\n"


def approve(ws, slug: str, lang: str, reviewer: str, edit=None, overrides=None):
    """The reviewer clears fuzzy (editing first), then approves through the item's run."""
    clear_fuzzy(ws, slug, lang, (lambda po: [edit(entry) for entry in po]) if edit else None)
    request = ask(ws, slug, lang, "approve", reviewer, channel=Channel.DESK, overrides=overrides)
    assert decisions_due(ws, slug, f"run-{slug}") and not decisions_due(ws, slug, "another-run")
    taken = take_pending(Context.load(ws), slug, f"run-{slug}")
    assert not decisions_due(ws, slug, f"run-{slug}")  # decided, and published if approved: the gate may suspend
    return next(m for m in taken.decided if m.request == request.request)


def start(ws, slug: str, langs=("fr",)) -> None:
    claim_item(ws, slug, f"run-{slug}", "d", list(langs), ["libre"])
    open_review(ws, slug, f"run-{slug}", list(langs), dt.timedelta(days=1))


@pytest.fixture
def two_items(workspace):
    (workspace.inbox / "a.md").write_text(A, encoding="utf-8")
    (workspace.inbox / "b.md").write_text(B, encoding="utf-8")
    return workspace


def test_item_b_takes_two_sentences_from_approved_item_a_and_a_wrong_number_needs_an_override(two_items, libre) -> None:
    ws = two_items
    item_a = load_item(ws.inbox / "a.md", ws)
    draft_item(Context.load(ws), item_a, ["fr"], MTEngine(settings_for(libre)))
    start(ws, "a")
    made = approve(ws, "a", "fr", "Amina", edit=lambda e: setattr(e, "msgstr", e.msgstr.replace("[fr]", "[FR]")))
    assert made.outcome is Outcome.APPROVED
    assert exact(ws, [S1, S2], "fr")[S1].reviewer == "Amina"

    libre.reset()
    item_b = load_item(ws.inbox / "b.md", ws)
    result = draft_item(Context.load(ws), item_b, ["fr"], MTEngine(settings_for(libre)))[0]
    asked = {r["q"] for r in libre.requests}
    assert S1 not in asked and S2 not in asked and S4 in asked  # zero MT requests for the two remembered
    po = polib.pofile(str(ws.catalog_path("b", "fr")))
    remembered = next(e for e in po if e.msgid == S1)
    assert remembered.msgstr.startswith("[FR]") and remembered.fuzzy
    assert "translation memory: a p1.s1, approved by Amina on" in remembered.comment
    assert result.new_drafts == 4

    start(ws, "b")
    wrong = approve(ws, "b", "fr", "Karim", edit=lambda e: setattr(e, "msgstr", e.msgstr.replace("12", "21")))
    assert wrong.outcome is Outcome.REFUSED and any("p1.s2:numbers" in b for b in wrong.blockers)
    with pytest.raises(ApprovalRefused):
        precheck(ws, "b", "fr", "approve", "Karim")
    reason = "the ministry corrected the toll to 21"
    overridden = approve(ws, "b", "fr", "Karim", overrides={"p1.s2:numbers": reason})
    assert overridden.outcome is Outcome.APPROVED
    logged = [e for e in review_log.read(ws, "b") if getattr(e, "overrides", None)]
    assert {e.event for e in logged} == {"decision-requested", "decision-made"}
    assert all(e.overrides == {"p1.s2:numbers": reason} for e in logged)


def test_close_matches_show_their_similarity_and_what_differs(two_items, libre) -> None:
    ws = two_items
    draft_item(Context.load(ws), load_item(ws.inbox / "a.md", ws), ["fr"], MTEngine(settings_for(libre)))
    start(ws, "a")
    approve(ws, "a", "fr", "Amina")
    near = "وقال الأمين العام إن 15 مدنيا قتلوا."
    matches = close(ws, near, "fr")
    assert matches and matches[0].source == S2 and 75 <= matches[0].score < 100
    assert matches[0].source_diff(near) == "وقال الأمين العام إن [-12-] {+15+} مدنيا قتلوا."
    assert close(ws, "خبر لا علاقة له بما سبق على الإطلاق.", "fr") == []
    assert key_of("الأُمَمُ  المتحدة") == key_of("الامم المتحده")


def test_tmx_round_trip_rebuild_and_the_tm_commands(two_items, libre, tmp_path) -> None:
    ws = two_items
    draft_item(Context.load(ws), load_item(ws.inbox / "a.md", ws), ["fr"], MTEngine(settings_for(libre)))
    start(ws, "a")
    approve(ws, "a", "fr", "Amina")
    data = export_tmx(ws)
    assert data.count(b"<tu ") == 4 and S1.encode() in data  # headline and three sentences

    (ws.root / ".tarjama" / "memory.sqlite").unlink()
    assert exact(ws, [S1], "fr") == {}
    assert rebuild(ws) == (1, 4) and S1 in exact(ws, [S1], "fr")

    other = tmp_path / "omegat.tmx"
    other.write_bytes(data.replace(b"xml:lang=\"fr\"", b"xml:lang=\"en-GB\""))
    assert import_tmx(ws, other.read_bytes(), str(other)) == 4
    assert exact(ws, [S1], "en")[S1].item == "tmx:omegat.tmx"

    runner = CliRunner()
    out = ws.root / "out.tmx"
    exported = runner.invoke(app, ["tm", "export", "-o", str(out), "-w", str(ws.root)])
    assert exported.exit_code == 0 and out.read_bytes().count(b"<tu ") == 8
    found = runner.invoke(app, ["tm", "search", "وقال الأمين العام إن 15 مدنيا قتلوا", "-w", str(ws.root)])
    assert found.exit_code == 0 and "% fr" in found.output and "approved by Amina" in found.output
    (tmp_path / "bad.tmx").write_text("<tmx><body><tu>")
    bad = runner.invoke(app, ["tm", "import", str(tmp_path / "bad.tmx"), "-w", str(ws.root)])
    assert bad.exit_code == 2 and bad.output.startswith("error: ") and "not a readable TMX file" in bad.output


def test_post_edit_figures_per_provider_and_the_report_command(two_items, libre) -> None:
    ws = two_items
    draft_item(Context.load(ws), load_item(ws.inbox / "a.md", ws), ["fr"], MTEngine(settings_for(libre)))
    start(ws, "a")
    drafts = read_machine_drafts(ws.catalog_path("a", "fr"))
    fixed = {S1: "Les Nations unies ont appelé jeudi à un cessez-le-feu immédiat."}
    approve(ws, "a", "fr", "Amina", edit=lambda e: setattr(e, "msgstr", fixed.get(e.msgid, e.msgstr)))
    scores = report(ws)
    assert [(s.provider, s.lang, s.segments) for s in scores] == [("libre", "fr", 4)]
    assert scores[0].unchanged == 0.75 and 0 < scores[0].chrf < 100 and scores[0].ter > 0
    assert drafts[S1]["provider"] == "libre"

    runner = CliRunner()
    as_json = runner.invoke(app, ["report", "--json", "-w", str(ws.root)])
    assert json.loads(as_json.output)["scores"][0]["segments"] == 4
    as_csv = runner.invoke(app, ["report", "--csv", "-w", str(ws.root)])
    assert as_csv.output.splitlines()[0] == "provider,lang,segments,unchanged,chrf,ter"
    table = runner.invoke(app, ["report", "-w", str(ws.root)])
    assert table.output.splitlines()[1].split()[:4] == ["libre", "fr", "4", "75%"]
    assert "no approval recorded since 2999-01-01" in runner.invoke(app, ["report", "--since", "2999-01-01", "-w", str(ws.root)]).output


def test_provenance_says_which_segments_came_from_memory_an_engine_or_a_person(two_items, libre) -> None:
    from tarjama.editing import save_segment, segment_views

    ws = two_items
    draft_item(Context.load(ws), load_item(ws.inbox / "a.md", ws), ["fr"], MTEngine(settings_for(libre)))
    start(ws, "a")
    assert approve(ws, "a", "fr", "Amina").outcome is Outcome.APPROVED
    draft_item(Context.load(ws), load_item(ws.inbox / "b.md", ws), ["fr"], MTEngine(settings_for(libre)))
    start(ws, "b")
    s4 = next(v for v in segment_views(ws, "b", "fr")[0] if v.source == S4)
    rewritten = "Il a ajouté que la délégation comptera 5 membres."
    save_segment(ws, "b", "fr", s4.id, text=rewritten, comment="", reviewed=True, base=s4.fingerprint,
                 reviewer="Karim")
    assert approve(ws, "b", "fr", "Karim").outcome is Outcome.APPROVED

    published = json.loads((ws.published / "fr" / "b.provenance.json").read_text(encoding="utf-8"))
    assert published["version"] == 1 and published["reviewed_by"] == ["Karim"]
    assert published["digital_source_type"].endswith("/compositeWithTrainedAlgorithmicMedia")
    by_id = {s["segment"]: s for s in published["segments"]}
    assert by_id["p1.s1"] == {"segment": "p1.s1", "drafted_by": "memory", "written_by_person": False, "edited_by": [],
                              "reviewed": True, "accepted_as_low_risk": False}  # S1: item a's approved translation
    assert by_id[s4.id]["drafted_by"] == "libre" and by_id[s4.id]["written_by_person"]
    assert by_id[s4.id]["edited_by"] == ["Karim"]
    assert by_id["headline"]["drafted_by"] == "libre" and not by_id["headline"]["written_by_person"]
    assert str(ws.root) not in json.dumps(published)  # no server path in a published file

    runner = CliRunner()
    shown = runner.invoke(app, ["provenance", "b", "--lang", "fr", "-w", str(ws.root)])
    assert shown.exit_code == 0, shown.output
    assert f"{s4.id:<10} drafted by libre      written by a person (Karim); reviewed" in shown.output
    assert "p1.s1      drafted by memory     memory's draft kept; reviewed" in shown.output
    as_json = json.loads(runner.invoke(app, ["provenance", "b", "--lang", "fr", "--version", "1", "--json",
                                             "-w", str(ws.root)]).output)
    assert as_json["segments"] == published["segments"]
    missing = runner.invoke(app, ["provenance", "b", "--lang", "fr", "--version", "7", "-w", str(ws.root)])
    assert missing.exit_code == 2 and "no published version 7 of b in fr" in missing.output


def test_six_approvals_at_once_all_reach_the_memory_every_time(workspace) -> None:
    """Six languages approved at the same moment (six runs, six writers): every reviewed segment is remembered,
    round after round; a writer waits for the lock instead of failing."""
    import threading

    from tarjama.memory import memory_path, remember

    langs = ["fr", "en", "es", "de", "it", "pt"]

    def catalog(lang: str, round_: int) -> polib.POFile:
        po = polib.POFile()
        po.metadata = {"X-Tarjama-Approved-By": "Amina", "X-Tarjama-Approved-At": "2026-12-01T10:00:00+00:00"}
        for n in range(40):
            po.append(polib.POEntry(msgctxt=f"p{n}.s1", msgid=f"{S1} {n} {round_}", msgstr=f"{lang} {n} {round_}"))
        return po

    for round_ in range(12):
        barrier = threading.Barrier(len(langs))
        errors: list[BaseException] = []

        def approve_one(lang: str, round_: int = round_, barrier: threading.Barrier = barrier,
                        errors: list[BaseException] = errors) -> None:
            po = catalog(lang, round_)
            barrier.wait()
            try:
                remember(workspace, f"item-{lang}", lang, po)
            except BaseException as exc:  # every failure is the finding
                errors.append(exc)

        threads = [threading.Thread(target=approve_one, args=(lang,)) for lang in langs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        import sqlite3

        with sqlite3.connect(memory_path(workspace)) as db:
            counts = dict(db.execute("SELECT lang, count(*) FROM segments GROUP BY lang").fetchall())
        assert counts == dict.fromkeys(langs, 40), f"round {round_}: {counts}"
        for lang in langs:
            assert exact(workspace, [f"{S1} 7 {round_}"], lang)[f"{S1} 7 {round_}"].target == f"{lang} 7 {round_}"


def test_a_memory_that_cannot_be_written_is_said_in_status_and_the_run_log(two_items, libre) -> None:
    from tarjama.memory import memory_path
    from tarjama.review.events import RecordFailed
    from tarjama.status import collect_status

    ws = two_items
    draft_item(Context.load(ws), load_item(ws.inbox / "a.md", ws), ["fr"], MTEngine(settings_for(libre)))
    start(ws, "a")
    memory_path(ws).parent.mkdir(parents=True, exist_ok=True)
    memory_path(ws).mkdir()  # a directory where the database should be: sqlite cannot open it
    made = approve(ws, "a", "fr", "Amina")
    assert made.outcome is Outcome.APPROVED  # the approval stands
    failed = [e for e in review_log.read(ws, "a") if isinstance(e, RecordFailed)]
    assert [(e.lang, e.record, e.request) for e in failed] == [("fr", "translation memory", made.request)]
    row = next(r for r in collect_status(ws) if r.slug == "a" and r.lang == "fr")
    assert row.review.startswith("published v1") and "translation memory not updated (" in row.review
    assert "`tarjama tm rebuild` makes it again" in row.review
