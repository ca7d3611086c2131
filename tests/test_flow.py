"""The translate-article flow under Prefect's test harness (one server for the session)."""

from __future__ import annotations

import polib
import pytest

from tarjama.run_request import RunRequest

pytestmark = pytest.mark.usefixtures("prefect_harness")


@pytest.fixture
def libre_env(libre, monkeypatch):
    monkeypatch.setenv("TARJAMA_LIBRE_URL", libre.url)
    monkeypatch.setenv("TARJAMA_MT_BACKOFF", "0.01")
    return libre


def test_flow_writes_catalogs_names_the_run_and_publishes_artifacts(workspace, sample, libre_env,
                                                                    monkeypatch) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    from flows.translate_article import translate_article

    monkeypatch.setattr("flows.progress.SHOWN_AFTER_SECONDS", 0.0)  # progress shown at once: the loopback is fast
    state = translate_article(request=RunRequest(item_path=str(sample), targets=["fr", "en"], providers=["libre"]),
                              workspace=str(workspace.root), return_state=True)
    assert state.is_completed()
    results = state.result().drafts
    assert state.result().review == "not started"  # no deployment: drafts only
    assert [(r.lang, r.new_drafts, r.failed) for r in results] == [("fr", 4, []), ("en", 4, [])]
    assert state.result().providers == ["libre"]
    assert len(libre_env.requests) == 8
    for lang in ("fr", "en"):
        po = polib.pofile(str(workspace.catalog_path("000_220f3de444a27c17", lang)))
        assert len(po) == 4 and all(e.fuzzy and e.msgstr for e in po)

    with get_client(sync_client=True) as client:
        run = client.read_flow_run(state.state_details.flow_run_id)
        assert run.name == "000_220f3de444a27c17"
        summary = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["drafts-000-220f3de444a27c17-fr"])))
        assert summary and "translations/000_220f3de444a27c17/fr.po" in summary[0].data
        assert "| 4 | 4 | 0 | 0 |" in summary[0].data and "providers: libre" in summary[0].data
        libre_chars = sum(len(r["q"]) for r in libre_env.requests if r["target"] == "fr")
        assert f"| libre | 4 | {libre_chars} | 0 | 0 | 0 | 4 |" in summary[0].data  # this run's MT usage
        progress = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["mt-progress-000-220f3de444a27c17-en"])))
        assert progress and progress[0].type == "progress" and float(progress[0].data) == 100.0
        assert progress[0].flow_run_id == run.id and progress[0].task_run_id  # made in the engine's threads, the task's


def test_rerun_of_unchanged_item_through_the_flow_makes_no_request(workspace, sample, libre_env) -> None:
    from flows.translate_article import translate_article

    request = RunRequest(item_path=str(sample), targets=["fr"], providers=["libre"])
    translate_article(request=request, workspace=str(workspace.root))
    libre_env.reset()
    results = translate_article(request=request, workspace=str(workspace.root)).drafts
    assert libre_env.requests == [] and results[0].kept == ["p1.s1", "p1.s2", "p2.s1", "p3.s1"]


def test_a_retry_drafts_only_the_language_its_failed_attempt_did_not_finish(workspace, sample, libre_env,
                                                                          monkeypatch) -> None:
    import flows.tasks
    import flows.translate_article
    from flows.translate_article import translate_article

    real, crashes = flows.tasks.draft_language, []

    def crash_en_once(ctx, item, lang, engine, **kwargs):
        if lang == "en" and not crashes:
            crashes.append(lang)
            raise ConnectionResetError("the English thread crashed")  # not a user error: the task retries
        return real(ctx, item, lang, engine, **kwargs)

    monkeypatch.setattr(flows.tasks, "draft_language", crash_en_once)
    monkeypatch.setattr(flows.translate_article, "draft_item", flows.tasks.draft_item.with_options(retry_delay_seconds=0))
    state = translate_article(request=RunRequest(item_path=str(sample), targets=["fr", "en"], providers=["libre"]),
                              workspace=str(workspace.root), return_state=True)
    assert state.is_completed() and crashes == ["en"]
    assert [(r.lang, r.new_drafts) for r in state.result().drafts] == [("fr", 4), ("en", 4)]
    by_target = [r["target"] for r in libre_env.requests]
    assert by_target.count("fr") == 4 and by_target.count("en") == 4  # French was not translated again
    assert flows.tasks._finished == {}  # nothing kept once the step is done


def test_failed_segments_are_reported_not_fatal(workspace, sample, monkeypatch) -> None:
    from flows.translate_article import translate_article
    from tests.support.mt_servers import refused_url

    monkeypatch.setenv("TARJAMA_LIBRE_URL", refused_url())
    monkeypatch.setenv("TARJAMA_MT_BACKOFF", "0.01")
    state = translate_article(request=RunRequest(item_path=str(sample), targets=["fr"], providers=["libre"]),
                              workspace=str(workspace.root), return_state=True)
    assert state.is_completed()
    failed = state.result().drafts[0].failed
    assert len(failed) == 4 and all("connection failed" in reason for _, reason in failed)


def test_bad_item_fails_the_flow_with_the_input_error(workspace) -> None:
    from flows.translate_article import translate_article

    bad = workspace.inbox / "empty.txt"
    bad.write_text("")
    state = translate_article(request=RunRequest(item_path=str(bad)), workspace=str(workspace.root), return_state=True)
    assert state.is_failed() and state.message == f"{bad}: the file is empty; give an item with Arabic text"


def test_pasted_item_becomes_an_inbox_file_and_is_drafted(workspace, libre_env) -> None:
    from flows.translate_article import translate_article

    body = "أعلنت الوزارة اليوم عن برنامج جديد لدعم الشباب. وسيبدأ التنفيذ الشهر المقبل."
    result = translate_article(request=RunRequest(headline="برنامج جديد للشباب", body=body, targets=["fr"],
                                                  providers=["libre"]), workspace=str(workspace.root))
    saved = list(workspace.inbox.glob("pasted-*.md"))
    assert len(saved) == 1 and result.slug == saved[0].stem
    assert [(r.lang, r.new_drafts) for r in result.drafts] == [("fr", 3)]  # headline + 2 sentences


def test_pasted_text_that_is_not_arabic_is_refused_and_not_saved(workspace) -> None:
    from flows.translate_article import translate_article

    state = translate_article(request=RunRequest(body="This is English text, not an Arabic news item."),
                              workspace=str(workspace.root), return_state=True)
    assert state.is_failed() and "pasted item: the text is not Arabic" in state.message
    assert [p.name for p in workspace.inbox.iterdir()] == ["000_220f3de444a27c17.txt"]


def test_the_provider_chain_comes_from_the_one_settings_model(workspace, sample, libre_env, monkeypatch) -> None:
    """No explicit providers: the run uses the configured chain (environment over tarjama.toml) and says so."""
    from flows.translate_article import translate_article

    (workspace.root / "tarjama.toml").write_text('providers = ["google"]\n', encoding="utf-8")
    monkeypatch.setenv("TARJAMA_PROVIDERS", "libre")
    result = translate_article(request=RunRequest(item_path=str(sample), targets=["fr"]), workspace=str(workspace.root))
    assert result.providers == ["libre"] and len(libre_env.requests) == 4
    from tarjama.review.state import item_review

    assert item_review(workspace, "000_220f3de444a27c17").providers == ("libre",)  # recorded with the run


def test_parameters_of_the_run_form_have_titles_choices_and_hide_what_the_deployment_decides() -> None:
    from prefect.utilities.callables import parameter_schema

    from flows.translate_article import translate_article

    schema = parameter_schema(translate_article.fn).model_dump()  # what a deployment's Run form is built from
    assert list(schema["properties"]) == ["request"]  # one model; what the deployment decides is left out
    assert schema["properties"]["request"]["title"] == "Item and options"
    props = schema["definitions"]["RunRequest"]["properties"]
    assert set(props) == {"item_path", "headline", "body", "targets", "providers", "suggest_from", "urgency"}
    assert all(p.get("title") and p.get("description") for p in props.values())
    assert "flash" in str(props["urgency"]) and "null" in str(props["urgency"])  # empty: the item's own
    assert {"fr", "en"} <= set(props["targets"]["items"]["enum"])
    assert "libre" in str(props["providers"]) and "deepl" in str(props["suggest_from"])


def test_the_resume_form_offers_the_waiting_languages_and_hides_the_request_id() -> None:
    from prefect._internal.pydantic.v2_schema import create_v2_schema

    from flows.forms import decision_form

    form = decision_form(["fr", "en"], "## Review")
    schema = create_v2_schema(form.__name__, model_base=form)
    assert schema["properties"]["language"]["enum"] == ["fr", "en"]
    assert set(schema["properties"]) == {"language", "decision", "reviewer", "note"}
    assert "additionalProperties" not in schema  # a wake-up's request id is accepted by the server
    assert all(p.get("title") and p.get("description") for p in schema["properties"].values())
    answered_earlier = decision_form(["en"], "x")(language="fr", reviewer="Amina")  # a replay loads old answers
    assert answered_earlier.language == "fr"
