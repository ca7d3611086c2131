"""Loopback MT servers that speak the real wire protocols of LibreTranslate, Google's
mobile page (``/m``) and MyMemory: test scaffolding, not part of the product.

The tests and benchmarks drive the real deep-translator clients against them
(only the remote service is stood in for). Answers are the demo placeholder's
drafts (the Arabic transliterated and tagged with the target language, e.g.
``[fr] shrk lsyd ...``). A server can be told to misbehave: 429, 500, hang past
the client's timeout, answer empty, echo the source, send a quota warning, or control characters (NUL, ESC,
BEL, a C1 code) inside the draft.
"""

from __future__ import annotations

import html
import json
import socket
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlparse

from tarjama.mt.placeholder import pseudo_translate
from tests.support.fake_service import LoopbackHTTP

OK, TOO_MANY, ERROR, HANG, EMPTY, ECHO, QUOTA, CONTROL = "ok", "429", "500", "hang", "empty", "echo", "quota", "control"
QUOTA_TEXT = "MYMEMORY WARNING: YOU USED ALL AVAILABLE FREE TRANSLATIONS FOR TODAY. NEXT AVAILABLE IN  10 HOURS"


class LoopbackMTServer(LoopbackHTTP):
    """One loopback provider. ``mode`` is the default behaviour; ``script`` queues one-off modes."""

    def __init__(self, protocol: str, *, latency: float = 0.0, hang_seconds: float = 3.0,
                 api_key: str | None = None, answers: dict[tuple[str, str], str] | None = None) -> None:
        assert protocol in ("libre", "google", "mymemory")
        self.answers = answers or {}  # (source, target language) -> the translation this "engine" gives
        self.protocol = protocol
        self.latency = latency
        self.hang_seconds = hang_seconds
        self.api_key = api_key
        self.mode = OK
        self.script: deque[str] = deque()
        self.requests: list[dict[str, str]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.hold: threading.Event | None = None
        """While set to an event, each request waits until the event is set (a test holds a run mid-drafting)."""
        self._lock = threading.Lock()
        super().__init__(self._handler())

    @property
    def url(self) -> str:
        return self.base + {"libre": "/", "google": "/m", "mymemory": "/get"}[self.protocol]

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.script.clear()
            self.mode = OK
            self.max_in_flight = 0

    def _next_mode(self) -> str:
        with self._lock:
            return self.script.popleft() if self.script else self.mode

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # as real servers do: kept-alive answers are not held back

            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:
                self._serve()

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                self._serve()

            def _serve(self) -> None:
                url = urlparse(self.path)
                params = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
                with server._lock:
                    server.requests.append({"path": url.path, "method": self.command, **params})
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                self._counted = True
                try:
                    gate = server.hold
                    if gate is not None:
                        gate.wait(60)
                    mode = server._next_mode()
                    if server.latency:
                        time.sleep(server.latency)
                    getattr(self, f"_{server.protocol}")(url.path, params, mode)
                finally:
                    self._leave()

            def _leave(self) -> None:
                """A request stops counting as in flight before its answer is sent: once the client has it,
                it may send the next one at once."""
                if getattr(self, "_counted", False):
                    self._counted = False
                    with server._lock:
                        server.in_flight -= 1

            def _send(self, status: int, body: str, content_type: str) -> None:
                data = body.encode("utf-8")
                self._leave()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _common_faults(self, mode: str, json_errors: bool) -> bool:
                if mode == HANG:
                    time.sleep(server.hang_seconds)
                if mode in (TOO_MANY, ERROR, HANG):
                    status = 429 if mode == TOO_MANY else 500
                    body = json.dumps({"error": "Slowdown: too many requests" if status == 429 else "Internal error"})
                    self._send(status, body if json_errors else f"<html><body>{status}</body></html>",
                               "application/json" if json_errors else "text/html")
                    return True
                return False

            def _answer(self, mode: str, text: str, target: str) -> str:
                if mode == CONTROL:
                    return "\x1b[31m" + pseudo_translate(text, target) + "\x00\x07\x9b2J"
                drafted = server.answers.get((text, target)) or pseudo_translate(text, target)
                return {EMPTY: "", ECHO: text, QUOTA: QUOTA_TEXT}.get(mode, drafted)

            def _libre(self, path: str, params: dict[str, str], mode: str) -> None:
                if path != "/translate" or self.command != "POST":
                    self._send(404, json.dumps({"error": "Not Found"}), "application/json")
                    return
                if server.api_key and params.get("api_key") != server.api_key:
                    self._send(403, json.dumps({"error": "Invalid API key"}), "application/json")
                    return
                if self._common_faults(mode, json_errors=True):
                    return
                answer = self._answer(mode, params.get("q", ""), params.get("target", ""))
                self._send(200, json.dumps({"translatedText": answer}), "application/json")

            def _google(self, path: str, params: dict[str, str], mode: str) -> None:
                if self._common_faults(mode, json_errors=False):
                    return
                answer = self._answer(mode, params.get("q", ""), params.get("tl", ""))
                page = (
                    "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Google Translate</title></head>"
                    "<body><div class=\"root-container\"><div class=\"header\">Google Translate</div>"
                    f"<div class=\"result-container\">{html.escape(answer)}</div>"
                    "<div class=\"links-container\"></div></div></body></html>"
                )
                self._send(200, page, "text/html; charset=UTF-8")

            def _mymemory(self, path: str, params: dict[str, str], mode: str) -> None:
                if self._common_faults(mode, json_errors=True):
                    return
                target = params.get("langpair", "|").split("|")[-1].split("-")[0]
                answer = self._answer(mode, params.get("q", ""), target)
                status = 429 if mode == QUOTA else 200
                body = {
                    "responseData": {"translatedText": answer, "match": 0.85},
                    "quotaFinished": mode == QUOTA,
                    "responseDetails": "",
                    "responseStatus": status,
                    "matches": [{"id": "0", "segment": params.get("q", ""), "translation": answer, "quality": "74"}],
                }
                self._send(200, json.dumps(body), "application/json")

        return Handler


def refused_url(path: str = "/") -> str:
    """An address on which nothing listens: connecting is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"
