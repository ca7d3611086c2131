"""The shared skeleton of the loopback stand-ins for DeepL and OpenAI-compatible endpoints.

A threaded HTTP server on 127.0.0.1 that logs every request (headers, query and
body), answers after an optional latency, and takes one-off faults from a
script: what a test needs to see the real client's requests and to make the
service misbehave on cue.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse


class Request(dict):
    """One request as the service saw it: method, path, query, headers (lower-case names), body."""


class JsonAnswers(BaseHTTPRequestHandler):
    """A request handler that answers JSON: the stand-ins for Prefect's routes share it."""

    def _answer(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


class _QuietServer(ThreadingHTTPServer):
    """A client that gave up (a timeout under test) is expected: its broken pipe is not printed as an error. The
    listen backlog is a real server's (socketserver's default is 5): Prefect's automations call a webhook for each
    event at once, and on a busy machine connections beyond the fifth were reset before they were accepted (the
    action fails with ``ReadError`` and Prefect does not try it again)."""

    request_queue_size = 128

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class LoopbackHTTP:
    """A threaded HTTP server on 127.0.0.1 serving ``handler``, running inside a ``with`` block."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self._server = _QuietServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def base(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class FakeService(LoopbackHTTP):
    """Subclasses implement :meth:`handle`, returning (status, body, extra headers)."""

    def __init__(self, *, latency: float = 0.0, hang_seconds: float = 3.0) -> None:
        self.latency = latency
        self.hang_seconds = hang_seconds
        self.script: deque[str] = deque()
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        super().__init__(self._handler())

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.script.clear()

    def next_fault(self) -> str | None:
        with self._lock:
            return self.script.popleft() if self.script else None

    def calls(self, path: str) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r["path"] == path]

    def handle(self, request: Request) -> tuple[int, Any, dict[str, str]]:
        raise NotImplementedError

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                self._serve()

            def do_POST(self) -> None:
                self._serve()

            def do_DELETE(self) -> None:
                self._serve()

            def do_PATCH(self) -> None:
                self._serve()

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                url = urlparse(self.path)
                kind = self.headers.get("Content-Type", "")
                if "json" in kind and raw:
                    try:
                        body: Any = json.loads(raw)
                    except ValueError:
                        body = None
                else:
                    body = {k: v if len(v) > 1 else v[0]
                            for k, v in parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True).items()}
                request = Request(method=self.command, path=url.path, query=parse_qs(url.query), body=body,
                                  size=len(raw), headers={k.lower(): v for k, v in self.headers.items()})
                with service._lock:
                    service.requests.append(request)
                if service.latency:
                    time.sleep(service.latency)  # the service's own latency, not synchronisation
                status, payload, headers = service.handle(request)
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
