"""The MT engine driving the real deep-translator clients against loopback servers."""

from __future__ import annotations

import logging

import pytest

from tarjama.errors import InputError
from tarjama.mt.engine import MTEngine
from tarjama.mt.settings import MTSettings, ProviderConfig
from tarjama.settings import load_settings
from tests.conftest import settings_for
from tests.support.mt_servers import ECHO, EMPTY, ERROR, HANG, QUOTA, TOO_MANY, pseudo_translate, refused_url

SENTENCE = "أعلنت الوزارة اليوم عن برنامج جديد لدعم الشباب."
OTHER = "وحضر اللقاء عدد من المسؤولين."


@pytest.mark.parametrize("protocol", ["libre", "google", "mymemory"])
def test_each_protocol_translates_through_the_real_client(request, protocol: str) -> None:
    server = request.getfixturevalue(protocol)
    engine = MTEngine(settings_for(server))
    result = engine.translate([SENTENCE], "fr")[SENTENCE]
    assert result.ok and result.text == pseudo_translate(SENTENCE, "fr") and result.provider == protocol
    sent = server.requests[0]
    if protocol == "libre":
        assert (sent["method"], sent["path"], sent["source"], sent["target"], sent["format"]) == ("POST", "/translate", "ar", "fr", "text")
    elif protocol == "google":
        assert (sent["path"], sent["sl"], sent["tl"], sent["q"]) == ("/m", "ar", "fr", SENTENCE)
    else:
        assert sent["langpair"] == "ar-SA|fr-FR"


@pytest.mark.parametrize("fault", [TOO_MANY, ERROR, HANG])
def test_transient_faults_are_retried_then_succeed(libre, fault: str) -> None:
    libre.script.extend([fault])
    engine = MTEngine(settings_for(libre))
    result = engine.translate([SENTENCE], "en")[SENTENCE]
    assert result.ok and result.provider == "libre"
    assert len(libre.requests) == 2


@pytest.mark.parametrize(("fault", "reason"), [
    (EMPTY, "empty answer"), (ECHO, "identical to the source"), (QUOTA, "provider warning"),
])
def test_bad_answers_are_rejected_and_the_next_provider_takes_over(mymemory, libre, fault: str, reason: str) -> None:
    mymemory.mode = fault
    engine = MTEngine(settings_for(mymemory, libre))
    result = engine.translate([SENTENCE], "fr")[SENTENCE]
    assert result.ok and result.provider == "libre" and "MYMEMORY" not in result.text
    assert len(mymemory.requests) == 1  # a bad answer is not retried on the same provider


def test_control_characters_from_an_engine_never_reach_a_draft(libre) -> None:
    from tests.support.mt_servers import CONTROL

    libre.mode = CONTROL
    result = MTEngine(settings_for(libre)).translate([SENTENCE], "fr")[SENTENCE]
    assert result.ok and result.text.startswith("[31m[fr]") and result.text.endswith("2J")
    assert not any(ch in result.text for ch in "\x00\x07\x1b\x9b")


def test_mostly_arabic_answer_is_rejected(libre) -> None:
    from tarjama.mt.checks import rejection_reason

    assert rejection_reason(SENTENCE, "Le " + OTHER) == "answer still mostly Arabic"
    assert rejection_reason(SENTENCE, None) == "empty answer"
    assert rejection_reason(SENTENCE, "Le ministère a annoncé un programme.") is None


def test_persistent_failure_falls_through_the_chain_with_reasons(google, libre) -> None:
    google.mode = ERROR
    libre.mode = TOO_MANY
    engine = MTEngine(settings_for(google, libre, attempts=2))
    result = engine.translate([SENTENCE], "fr")[SENTENCE]
    assert not result.ok
    assert result.failures == ("google: request failed (HTTP error status) after 2 attempts",
                               "libre: rate limited (HTTP 429) after 2 attempts")


def test_hang_is_cut_by_the_timeout(libre, google) -> None:
    libre.mode = HANG  # the server holds the request for 2 s before answering 500
    engine = MTEngine(settings_for(libre, google, attempts=1, timeout=0.3))
    result = engine.translate([SENTENCE], "en")[SENTENCE]
    assert result.provider == "google" and "libre" not in result.text
    assert engine.requests == {"libre": 1, "google": 1}
    failed = MTEngine(settings_for(libre, attempts=1, timeout=0.3)).translate([SENTENCE], "en")[SENTENCE]
    assert failed.failures == ("libre: timed out after 0.3 s",)  # cut by the client, not answered by the server


def test_unreachable_provider_is_skipped_for_the_rest_of_the_run(libre) -> None:
    texts = [f"{SENTENCE} رقم {n}" for n in range(20)]
    engine = MTEngine(settings_for(("google", refused_url("/m")), libre, concurrency=4))
    results = engine.translate(texts, "fr")
    assert all(r.ok and r.provider == "libre" for r in results.values())
    assert engine.requests["google"] <= engine.settings.breaker_threshold + engine.settings.concurrency * engine.settings.attempts
    assert engine.requests["libre"] == 20


def test_offline_run_stops_trying_unreachable_providers() -> None:
    """Offline, the breaker skips each provider after a few refused connections, so the run spends no more
    backoff waits than those few (the time it takes is measured in benchmarks/, not asserted here)."""
    waits: list[float] = []
    settings = settings_for(("google", refused_url("/m")), ("mymemory", refused_url("/get")), backoff=0.5,
                            max_backoff=8, concurrency=1)
    engine = MTEngine(settings, sleep=waits.append)
    results = engine.translate([f"{SENTENCE} {n}" for n in range(30)], "fr")
    assert not any(r.ok for r in results.values())
    assert all("connection failed" in r.reason or "unreachable in this run" in r.reason for r in results.values())
    assert sum("skipped: unreachable in this run" in r.reason for r in results.values()) >= 25
    threshold = settings.breaker_threshold
    assert engine.requests["google"] <= threshold and engine.requests["mymemory"] <= threshold
    assert len(waits) <= 2 * threshold


def test_identical_segments_cost_one_request_and_concurrency_is_bounded(libre) -> None:
    libre.latency = 0.05
    texts = [f"{SENTENCE} {n}" for n in range(24)] * 2
    engine = MTEngine(settings_for(libre, concurrency=3))
    results = engine.translate(texts, "fr")
    assert len(results) == 24 and len(libre.requests) == 24
    assert libre.max_in_flight == 3


def test_text_without_letters_is_copied_without_a_request(google) -> None:
    engine = MTEngine(settings_for(google))
    result = engine.translate(["2025.", "(1)"], "fr")
    assert result["2025."].text == "2025." and result["2025."].provider == "copied"
    assert google.requests == []


def test_long_sentence_is_sent_in_pieces_within_the_provider_limit(mymemory, sample, workspace) -> None:
    from tarjama.ingest import load_item
    from tarjama.segment import segment_item

    sentence = segment_item(load_item(sample, workspace))[0].text
    engine = MTEngine(settings_for(mymemory))
    result = engine.translate([sentence], "en")[sentence]
    assert result.ok and len(mymemory.requests) >= 2
    assert all(len(r["q"]) < 500 for r in mymemory.requests)
    assert " ".join(r["q"] for r in mymemory.requests) == sentence


def test_api_key_never_appears_in_reasons_or_logs(libre, caplog) -> None:
    secret = "s3cr3t-key-123"
    libre.api_key = "another-key"  # the server refuses ours with 403
    caplog.set_level(logging.DEBUG)
    engine = MTEngine(settings_for(libre, libre_key=secret))
    refused = engine.translate([SENTENCE], "fr")[SENTENCE]
    assert not refused.ok and "API key refused" in refused.reason
    down = MTEngine(settings_for(("libre", refused_url()), libre_key=secret, attempts=1))
    result = down.translate([SENTENCE], "fr")[SENTENCE]
    assert "connection failed" in result.reason
    assert secret not in refused.reason + result.reason + caplog.text
    assert secret not in repr(down.settings)


def test_keyless_libre_server_works_and_keyed_one_gets_the_key(libre) -> None:
    assert MTEngine(settings_for(libre)).translate([SENTENCE], "fr")[SENTENCE].ok
    libre.api_key = "k1"
    assert MTEngine(settings_for(libre, libre_key="k1")).translate([OTHER], "fr")[OTHER].ok
    assert libre.requests[-1]["api_key"] == "k1"


def test_settings_precedence_is_defaults_toml_environment_then_explicit(tmp_path, monkeypatch) -> None:
    config = tmp_path / "tarjama.toml"
    config.write_text('providers = ["libre"]\n[mt]\nconcurrency = 6\ntimeout = 20\n[libre]\nurl = "http://127.0.0.1:9/"\n'
                      'api_key = "tomlkey"\n')
    settings = load_settings(config)
    assert settings.providers == ("libre",) and settings.mt.concurrency == 6 and settings.mt.attempts == 3
    monkeypatch.setenv("TARJAMA_PROVIDERS", "google, mymemory")
    monkeypatch.setenv("TARJAMA_MT_TIMEOUT", "5")
    monkeypatch.setenv("TARJAMA_LIBRE_API_KEY", "envkey")
    settings = load_settings(config)
    assert settings.providers == ("google", "mymemory")  # the environment wins over tarjama.toml
    assert settings.mt.timeout == 5 and settings.mt.concurrency == 6
    mt = settings.mt_settings()
    assert mt.chain == ("google", "mymemory")
    assert mt.provider("libre") == ProviderConfig(url="http://127.0.0.1:9/", api_key="envkey")
    assert "envkey" not in repr(settings) and "envkey" not in repr(mt)
    explicit = settings.mt_settings(["libre"], concurrency=2)  # a run's parameters win over both
    assert explicit.chain == ("libre",) and explicit.concurrency == 2


@pytest.mark.parametrize(("env", "value", "message"), [
    ("TARJAMA_PROVIDERS", "bing", "unknown provider 'bing'"),
    ("TARJAMA_MT_TIMEOUT", "soon", r"setting \[mt\] timeout \(tarjama.toml or TARJAMA_MT_TIMEOUT\): .*valid number"),
    ("TARJAMA_TIMEZONE", "Mars/Olympus", "unknown timezone 'Mars/Olympus'"),
    ("TARJAMA_MT_CONCURRENCY", "0", "greater than or equal to 1"),
])
def test_bad_settings_are_one_line_naming_the_setting(monkeypatch, env, value, message) -> None:
    monkeypatch.setenv(env, value)
    with pytest.raises(InputError, match=message) as info:
        load_settings(None)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("where", ["environment", "toml"])
def test_a_misspelt_setting_is_named_with_the_right_name_never_its_value(monkeypatch, tmp_path, where) -> None:
    secret = "0a1b2c3d-4e5f-6789-abcd-ef0123456789:fx"
    config = tmp_path / "tarjama.toml"
    if where == "environment":
        monkeypatch.setenv("TARJAMA_DEEPL_KEY", secret)
    else:
        config.write_text(f'[deepl]\nkey = "{secret}"\n')
    with pytest.raises(InputError) as info:
        load_settings(config)
    message = str(info.value)
    assert secret not in message and secret[:8] not in message and "\n" not in message
    assert "setting [deepl] key" in message and "did you mean api_key (TARJAMA_DEEPL_API_KEY)?" in message


def test_malformed_toml_and_unknown_explicit_provider_are_refused(tmp_path) -> None:
    config = tmp_path / "tarjama.toml"
    config.write_text("[mt\n")
    with pytest.raises(InputError, match=r"tarjama\.toml: malformed TOML"):
        load_settings(config)
    with pytest.raises(InputError, match="unknown provider 'bing'"):
        load_settings(None).mt_settings(["bing"])


def test_provider_without_its_url_or_key_is_refused_up_front() -> None:
    with pytest.raises(InputError, match="TARJAMA_LIBRE_URL"):
        MTEngine(MTSettings(chain=("libre",)))
    with pytest.raises(InputError, match="TARJAMA_MICROSOFT_API_KEY"):
        MTEngine(MTSettings(chain=("microsoft",)))


def test_qcri_is_skipped_for_french(libre) -> None:
    settings = settings_for(libre)
    settings = MTSettings(chain=("qcri", "libre"), timeout=0.5, backoff=0.01,
                          providers={**settings.providers, "qcri": ProviderConfig(api_key="k")})
    result = MTEngine(settings).translate([SENTENCE], "fr")[SENTENCE]
    assert result.provider == "libre"


def test_the_example_settings_file_is_valid() -> None:
    from tests.conftest import REPO

    settings = load_settings(REPO / "tarjama.example.toml")
    assert settings.providers == ("google", "mymemory") and settings.libre.url == "http://127.0.0.1:5000/"


def test_every_provider_has_its_settings_section_and_nothing_else_does() -> None:
    """One list of providers (tarjama.mt.providers): the settings model has a section for each real one, the demo's
    placeholder needs none, and each deep-translator provider's module gets the request timeout."""
    import deep_translator

    from tarjama.mt.providers import PROVIDERS, _RequestsWithTimeout, install_timeouts
    from tarjama.mt.settings import ProviderConfig
    from tarjama.settings import Settings

    sections = {name for name, field in Settings.model_fields.items()
                if isinstance(field.annotation, type) and issubclass(field.annotation, ProviderConfig)}
    assert sections == set(PROVIDERS)
    install_timeouts()
    for provider in PROVIDERS.values():
        module = getattr(deep_translator, provider.name, None)
        assert isinstance(getattr(module, "requests", None), _RequestsWithTimeout) == provider.deep_translator
