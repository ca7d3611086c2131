"""The tarjama command line: drafts without a server, one-line refusals, status, and the temporary Prefect
server that never outlives its command."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import polib
import pytest
from typer.testing import CliRunner

from cli.main import app
from tarjama.context import Context
from tarjama.drafting import draft_item, item_run_lock
from tarjama.ingest import load_item
from tarjama.mt.engine import MTEngine
from tests.conftest import REPO, settings_for
from tests.support.fake_service import JsonAnswers
from tests.support.processes import processes_mentioning
from tests.support.waiting import wait_for

SLUG = "000_220f3de444a27c17"


def cli(workspace, *args: str, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    return subprocess.run([sys.executable, "-m", "cli", *args, "--workspace", str(workspace.root)],
                          capture_output=True, text=True, env={**clean, **(env or {})}, timeout=timeout, cwd=REPO)


def in_process(workspace, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """The command run by the same application in this process (no interpreter to start), for refusals that
    happen before anything runs; the environment is restored afterwards (commands prepare Prefect's)."""
    saved = dict(os.environ)
    try:
        for name in [k for k in os.environ if k.startswith("PREFECT_API")]:
            del os.environ[name]
        os.environ.update(env or {})
        result = CliRunner().invoke(app, [*args, "--workspace", str(workspace.root)])
    finally:
        os.environ.clear()
        os.environ.update(saved)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception  # no traceback
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


@pytest.mark.integration
def test_translate_without_a_server_drafts_counts_corrections_and_leaves_no_server_running(workspace, sample,
                                                                                          libre) -> None:
    env = {"TARJAMA_LIBRE_URL": libre.url}
    first = cli(workspace, "translate", str(sample), "--to", "fr", "--provider", "libre", env=env)
    assert first.returncode == 0, first.stderr
    assert "fr: 4 drafted, 0 failed, 0 kept" in first.stdout and "providers: libre" in first.stdout
    assert "-> translations/000_220f3de444a27c17/fr.po" in first.stdout and "start the review loop" in first.stdout
    assert "Traceback" not in first.stderr and len(libre.requests) == 4

    sample.write_text(sample.read_text(encoding="utf-8").replace("وقد عرفت", "وقد شهدت"), encoding="utf-8")
    second = cli(workspace, "translate", str(sample), "--to", "fr", "--provider", "libre", env=env)
    assert second.returncode == 0, second.stderr
    assert "fr: 1 drafted (1 corrected), 0 failed, 3 kept" in second.stdout  # the corrected sentence counts
    assert processes_mentioning(str(workspace.prefect_home)) == []  # the temporary server stopped with it


def test_refusals_are_one_line_before_anything_runs(workspace, sample, libre) -> None:
    draft_item(Context.load(workspace), load_item(sample, workspace), ["fr"], MTEngine(settings_for(libre)))
    with item_run_lock(workspace, SLUG):
        busy = cli(workspace, "translate", str(sample), "--to", "fr", "--provider", "libre",
                   env={"TARJAMA_LIBRE_URL": libre.url})
    assert busy.returncode == 3 and busy.stderr.count("\n") == 1 and "Traceback" not in busy.stderr
    assert f"item '{SLUG}' is being written by another run" in busy.stderr

    path = workspace.catalog_path(SLUG, "fr")
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('msgstr ""\n', 'msgstr "relu\n', 1), encoding="utf-8")
    broken = cli(workspace, "translate", str(sample), "--to", "fr", "--provider", "libre",
                 env={"TARJAMA_LIBRE_URL": libre.url})
    assert broken.returncode == 2 and broken.stderr.count("\n") == 1 and "Traceback" not in broken.stderr
    assert "fr.po:" in broken.stderr and "end-of-line within string" in broken.stderr
    path.write_text(text, encoding="utf-8")


@pytest.mark.parametrize(("args", "message"), [
    (["--to", "xx"], "unknown language code 'xx'"),
    (["--to", "ar"], "Arabic already"),
    (["--provider", "bing"], "unknown provider 'bing'"),
    (["--provider", "libre"], "TARJAMA_LIBRE_URL"),
    (["--provider", "deepl"], "TARJAMA_DEEPL_API_KEY"),
    (["--provider", "llm"], "TARJAMA_LLM_URL"),
    (["--urgency", "asap"], "--urgency is 'asap'; write one of flash, urgent, normal"),
    (["--urgency", "12"], "--urgency must be a whole number from 1 (most urgent) to 9"),
])
def test_bad_options_exit_2_with_one_line(workspace, sample, args, message) -> None:
    proc = in_process(workspace, "translate", str(sample), *args)
    assert proc.returncode == 2 and message in proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert list(workspace.translations.iterdir()) == []


def test_translate_with_a_certificate_file_prefect_cannot_load_is_refused_before_anything_runs(workspace,
                                                                                                sample) -> None:
    proc = in_process(workspace, "translate", str(sample), "--to", "fr",
                      env={"PREFECT_API_SSL_CERT_FILE": str(workspace.root / "missing-ca.pem")})
    assert proc.returncode == 2 and proc.stderr == (
        f"error: PREFECT_API_SSL_CERT_FILE={workspace.root / 'missing-ca.pem'}: no such file; set it to the PEM file "
        "of the certificate authority that signed the API's certificate, or unset it to use certifi's bundle\n")
    assert list(workspace.translations.iterdir()) == []


@pytest.fixture
def unwritable(workspace):
    """The workspace's translations folder made immutable: even root cannot write there (chattr +i)."""
    import shutil

    folder = workspace.translations
    if not shutil.which("chattr") or subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode:
        pytest.skip("chattr +i is not available on this filesystem")
    yield folder
    subprocess.run(["chattr", "-i", str(folder)], check=True)


def test_read_only_workspace_is_refused_before_any_mt_request(workspace, sample, libre, unwritable) -> None:
    proc = cli(workspace, "translate", str(sample), "--provider", "libre", env={"TARJAMA_LIBRE_URL": libre.url})
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert "translations: cannot write there (Operation not permitted)" in proc.stderr
    assert libre.requests == [] and list(workspace.translations.iterdir()) == []


def test_status_counts_reviewed_and_does_not_import_prefect(workspace, sample, libre) -> None:
    draft_item(Context.load(workspace), load_item(sample, workspace), ["fr", "en"], MTEngine(settings_for(libre)))
    path = workspace.catalog_path(SLUG, "en")
    po = polib.pofile(str(path))
    po[0].flags = []
    po[1].msgstr = ""
    po.save(str(path))
    code = (
        "import sys, json\nfrom cli.main import app\n"
        f"app(['status', '--json', '--workspace', {str(workspace.root)!r}], standalone_mode=False)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m == 'prefect' or m.startswith('prefect.'))))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    *body, modules = proc.stdout.strip().split("\n")
    assert json.loads(modules) == []
    rows = {r["lang"]: r for r in json.loads("\n".join(body))}
    assert (rows["en"]["reviewed"], rows["en"]["drafted"], rows["en"]["untranslated"]) == (1, 2, 1)
    assert (rows["fr"]["reviewed"], rows["fr"]["drafted"], rows["fr"]["total"]) == (0, 4, 4)


def test_status_says_what_is_known_about_a_server_that_does_not_answer(workspace, sample, libre, monkeypatch) -> None:
    """A server that accepts the connection but does not answer: "did not answer in time", never "no server"."""
    from operations.prefect_env import ServerState, probe_server, run_states_now

    answered = threading.Event()

    class Silent(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            answered.wait(10)  # holds every request until the test ends

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Silent)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("PREFECT_API_URL", f"http://127.0.0.1:{server.server_address[1]}/api")
        assert probe_server(timeout=0.2).state is ServerState.SLOW
        assert run_states_now(["some-run"], timeout=0.2) == {"some-run": "(server did not answer in time)"}
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            monkeypatch.setenv("PREFECT_API_URL", f"http://127.0.0.1:{sock.getsockname()[1]}/api")
            assert probe_server().state is ServerState.DOWN
    finally:
        answered.set()
        server.shutdown()


class _PrefectRoutes(JsonAnswers):
    """Prefect's two routes a decision uses, as a server with CSRF protection answers them (the real server with
    CSRF on is driven by the topology test; this checks the handshake's edge cases quickly)."""

    tokens_issued = 0
    require_auth = False
    busy = 0  # answers still to give as a busy server does (503, Retry-After)
    asked = 0

    def _busy(self) -> bool:
        type(self).asked += 1
        if self.busy <= 0:
            return False
        type(self).busy -= 1
        self.send_response(503)
        self.send_header("Retry-After", "0")
        self.send_header("Content-Length", "0")
        self.end_headers()
        return True

    def do_GET(self) -> None:
        if self._busy():
            return None
        if self.require_auth and not self.headers.get("Authorization"):
            return self._answer(401, {"detail": "Unauthorized"})
        if self.path.startswith("/api/csrf-token"):
            type(self).tokens_issued += 1
            return self._answer(200, {"token": f"t{self.tokens_issued}", "client": "c", "expiration": "2099-01-01T00:00:00Z"})
        state = {"type": "PAUSED", "name": "Suspended", "message": None}
        return self._answer(200, {"id": self.path.rsplit("/", 1)[-1], "state": state})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        if self._busy():
            return None
        if self.headers.get("Prefect-Csrf-Token") != f"t{self.tokens_issued}" or not self.headers.get("Prefect-Csrf-Client"):
            return self._answer(403, {"detail": "Invalid CSRF token or client identifier."})
        status = "ACCEPT" if body.get("run_input", {}).get("decision") == "approve" else "REJECT"
        return self._answer(201, {"status": status, "state": None, "details": {}})



def test_a_decision_reaches_prefect_over_http_with_its_csrf_handshake_and_refusals_are_one_line(monkeypatch) -> None:
    """The reviewer's commands ask Prefect over plain HTTP (no Prefect import): the run's state, the resume with
    its CSRF token (fetched once, fetched again when the server refuses it), and one line when the server is gone
    or wants credentials."""
    from operations.run_api import RETRIES, RunApi
    from tarjama.errors import TarjamaError

    server = ThreadingHTTPServer(("127.0.0.1", 0), _PrefectRoutes)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/api"
    try:
        with RunApi(url) as api:
            state = api.state("1b4e28ba-2fa1-11d2-883f-0016d3cca427")
            assert state is not None and state.paused and state.live
            assert api.resume("r", {"decision": "approve"}) is True
            assert api.resume("r", {"decision": "request_changes"}) is False  # the server's REJECT
            assert _PrefectRoutes.tokens_issued == 1  # one handshake for both
            _PrefectRoutes.tokens_issued += 1  # the server forgets the token: the client asks for a new one
            assert api.resume("r", {"decision": "approve"}) is True and _PrefectRoutes.tokens_issued == 3
            _PrefectRoutes.busy, _PrefectRoutes.asked = 2, 0  # SQLite locked: the server answers 503 twice
            assert api.resume("r", {"decision": "approve"}) is True and _PrefectRoutes.asked == 3
            _PrefectRoutes.busy, _PrefectRoutes.asked = 99, 0  # busy for good: tried as often as Prefect tries
            with pytest.raises(TarjamaError, match="answered 503") as busy:
                api.state("1b4e28ba-2fa1-11d2-883f-0016d3cca427")
            assert _PrefectRoutes.asked == RETRIES + 1 and "\n" not in str(busy.value)
            _PrefectRoutes.busy = 0
        _PrefectRoutes.require_auth = True
        with RunApi(url) as api, pytest.raises(TarjamaError, match="set PREFECT_API_AUTH_STRING"):
            api.state("r")
        monkeypatch.setenv("PREFECT_API_AUTH_STRING", "admin:secret")
        with RunApi(url) as api:
            assert api.state("r") is not None
    finally:
        _PrefectRoutes.require_auth = False
        server.shutdown()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        with RunApi(f"http://127.0.0.1:{sock.getsockname()[1]}/api") as api, \
                pytest.raises(TarjamaError, match="stopped answering") as refused:
            api.state("r")
    assert "\n" not in str(refused.value)


def test_status_on_an_empty_workspace(workspace) -> None:
    result = CliRunner().invoke(app, ["status", "--workspace", str(workspace.root)])
    assert result.exit_code == 0 and "no items yet" in result.output


@pytest.mark.integration  # imports Prefect: seconds
def test_importing_the_orchestration_layer_changes_no_environment_variable() -> None:
    code = ("import os, json, pkgutil, importlib\nbefore = dict(os.environ)\nimport flows\n"
            "for m in pkgutil.iter_modules(flows.__path__):\n    importlib.import_module('flows.' + m.name)\n"
            "print(json.dumps({k: v for k, v in os.environ.items() if before.get(k) != v}))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO,
                          env={k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "DO_NOT"))})
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().split("\n")[-1]) == {}


@pytest.mark.integration
def test_a_killed_translate_leaves_no_server_behind_and_first_runs_at_once_share_the_database(workspace, sample,
                                                                                             libre) -> None:
    """SIGKILL the command while it drafts: its temporary Prefect server stops too. And three first runs at
    once in a new workspace all succeed (start-ups, where migrations run, take turns)."""
    libre.latency = 2.0  # keeps the first command drafting long enough to be killed mid-run
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}, "TARJAMA_LIBRE_URL": libre.url}
    proc = subprocess.Popen([sys.executable, "-m", "cli", "translate", str(sample), "--provider", "libre",
                             "--workspace", str(workspace.root)], env=env, cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(lambda: libre.requests, 180, "the command to start drafting")
    servers = wait_for(lambda: processes_mentioning("operations.local_server"), 10, "its temporary server")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    wait_for(lambda: not processes_mentioning(str(workspace.prefect_home)), 60, "the orphaned server to stop")
    assert servers

    libre.latency = 0
    names = []
    for n in range(3):
        item = workspace.inbox / f"first-{n}.txt"
        item.write_bytes(sample.read_bytes())
        names.append(item)
    fresh = workspace.root / ".prefect"
    import shutil

    shutil.rmtree(fresh, ignore_errors=True)  # a new workspace: no database yet
    runs = [subprocess.Popen([sys.executable, "-m", "cli", "translate", str(item), "--to", "fr", "--provider",
                              "libre", "--workspace", str(workspace.root)], env=env, cwd=REPO,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for item in names]
    outcomes = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0], [err for _, err in outcomes]
    assert all("fr: 4 drafted" in out for out, _ in outcomes)
    assert processes_mentioning(str(workspace.prefect_home)) == []


@pytest.mark.parametrize(("args", "env", "message"), [
    (["notify"], {}, "give --webhook URL, or set TARJAMA_NOTIFY_WEBHOOK"),
    (["notify", "--webhook", "ftp://hooks.example.org/x"], {}, "--webhook must be an http:// or https:// URL"),
    (["notify"], {"TARJAMA_NOTIFY_WEBHOOK": "hooks.example.org/secret-path"}, "--webhook must be an http"),
    (["deploy"], {"PREFECT_API_URL": "http://127.0.0.1:9/api"}, "does not answer"),
    (["watch"], {"PREFECT_API_URL": "http://127.0.0.1:9/api"}, "does not answer"),
    (["deploy"], {"TARJAMA_WORKERS_DRAFTING": "0"}, "[workers] drafting (tarjama.toml or TARJAMA_WORKERS_DRAFTING)"),
    (["deploy"], {"TARJAMA_WORKERS_RESTART_AFTER_SECONDS": "95", "TARJAMA_WORKERS_HEARTBEAT_SECONDS": "40"},
     "at least three heartbeats (120 s with heartbeat_seconds = 40)"),
    (["deploy"], {"PREFECT_API_SSL_CERT_FILE": "/nonexistent/ca.pem"},
     "PREFECT_API_SSL_CERT_FILE=/nonexistent/ca.pem: no such file; set it to the PEM file"),
    (["deploy"], {"PREFECT_API_SSL_CERT_FILE": "/nonexistent/ca.pem", "PREFECT_API_TLS_INSECURE_SKIP_VERIFY": "true",
                  "PREFECT_API_URL": "http://127.0.0.1:9/api"}, "does not answer"),  # no file is loaded then
])
def test_topology_commands_refuse_bad_input_in_one_line(workspace, args, env, message) -> None:
    proc = in_process(workspace, *args, env=env)
    assert proc.returncode != 0 and message in proc.stderr, proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert "secret-path" not in proc.stderr  # a webhook URL is a secret, even a wrong one


def test_mark_reviewed_clears_fuzzy_without_an_editor_under_the_lock_and_audited(workspace, sample, libre) -> None:
    import json

    import polib
    from typer.testing import CliRunner

    from cli.main import app

    draft_item(Context.load(workspace), load_item(sample, workspace), ["fr"], MTEngine(settings_for(libre)))
    path = workspace.catalog_path(SLUG, "fr")
    runner = CliRunner()
    one = runner.invoke(app, ["mark-reviewed", SLUG, "p2.s1", "--lang", "fr", "-r", "Amina", "-w", str(workspace.root)])
    assert one.exit_code == 0 and "1 segment(s) marked reviewed (p2.s1)" in one.output
    fuzzy = {e.msgctxt: e.fuzzy for e in polib.pofile(str(path))}
    assert fuzzy == {"p1.s1": True, "p1.s2": True, "p2.s1": False, "p3.s1": True}
    before = path.read_bytes()
    missing = runner.invoke(app, ["mark-reviewed", SLUG, "p9.s9", "--lang", "fr", "-r", "Amina", "-w", str(workspace.root)])
    assert missing.exit_code == 2 and "no segment 'p9.s9'" in missing.output and path.read_bytes() == before
    rest = runner.invoke(app, ["mark-reviewed", SLUG, "--lang", "fr", "-r", "Amina", "-w", str(workspace.root)])
    assert rest.exit_code == 0 and "3 segment(s) marked reviewed" in rest.output
    assert not any(e.fuzzy for e in polib.pofile(str(path)))
    audit = [json.loads(line) for line in path.with_suffix(".audit.jsonl").read_text().splitlines()]
    assert sorted(a["segment"] for a in audit) == ["p1.s1", "p1.s2", "p2.s1", "p3.s1"]
    assert all(a["reviewer"] == "Amina" and a["before"]["fuzzy"] and not a["after"]["fuzzy"] for a in audit)


def test_help_texts_show_the_settings_they_name() -> None:
    """A help text naming a tarjama.toml section keeps its brackets (no markup eats "[notify]")."""
    runner = CliRunner()
    assert "[notify] webhook" in " ".join(runner.invoke(app, ["notify", "--help"]).output.split())
    assert "[mt] suggest_from" in " ".join(runner.invoke(app, ["translate", "--help"]).output.split())
