"""A loopback DeepL API v2, as strict as the real one where tarjama's requests are concerned.

POST only for translations; the key only in ``Authorization: DeepL-Auth-Key``
(a key in the query or body is refused with 403, as DeepL does since January
2026); at most 50 texts and 128 KiB per request; ``context`` recorded and not
billed; ``billed_characters`` in every answer; the glossary endpoints the
official client calls. Faults on cue: ``429`` (with Retry-After), ``456``
(quota), ``500``, ``503``, ``hang``. Translations are the demo placeholder's
(``[fr] ...``), followed by ``{rendering}`` for each glossary term found
verbatim in the text, so a test can see the glossary was applied.
"""

from __future__ import annotations

import datetime as dt
import itertools
import time
from typing import Any

from tarjama.mt.placeholder import pseudo_translate
from tests.support.fake_service import FakeService, Request

MAX_TEXTS = 50
MAX_BYTES = 128 * 1024


class FakeDeepL(FakeService):
    def __init__(self, api_key: str = "test-key:fx", *, retry_after: str = "0", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.api_key = api_key
        self.retry_after = retry_after
        self.glossaries: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)

    @property
    def url(self) -> str:
        return self.base

    def translations(self) -> list[Request]:
        return self.calls("/v2/translate")

    def handle(self, request: Request) -> tuple[int, Any, dict[str, str]]:
        body = request["body"] if isinstance(request["body"], dict) else {}
        if "auth_key" in request["query"] or "auth_key" in body:
            return 403, {"message": "Authentication via query or body parameter is not supported"}, {}
        if request["headers"].get("authorization") != f"DeepL-Auth-Key {self.api_key}":
            return 403, {"message": "Wrong endpoint or key"}, {}
        fault = self.next_fault()
        if fault == "hang":
            time.sleep(self.hang_seconds)  # past the client's timeout: the fault under test
            fault = "500"
        if fault == "429":
            return 429, {"message": "Too many requests"}, {"Retry-After": self.retry_after}
        if fault in ("456", "500", "503"):
            return int(fault), {"message": "Quota exceeded" if fault == "456" else "Internal error"}, {}
        path, method = request["path"], request["method"]
        if path == "/v2/translate":
            return self._translate(request, body) if method == "POST" else (405, {"message": "Method not allowed"}, {})
        if path == "/v2/glossaries" and method == "POST":
            return self._create_glossary(body)
        if path.startswith("/v2/glossaries/"):
            glossary_id = path.split("/")[3]
            if glossary_id not in self.glossaries:
                return 404, {"message": "Glossary not found"}, {}
            if method == "DELETE":
                del self.glossaries[glossary_id]
                return 204, b"", {}
            return 200, self._info(glossary_id), {}
        if path == "/v2/usage":
            return 200, {"character_count": 0, "character_limit": 500000}, {}
        return 404, {"message": "Not found"}, {}

    def _translate(self, request: Request, body: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        texts = body.get("text")
        texts = [texts] if isinstance(texts, str) else texts
        if request["size"] > MAX_BYTES:
            return 413, {"message": "Request Entity Too Large"}, {}
        if not texts or len(texts) > MAX_TEXTS:
            return 400, {"message": "Parameter 'text' must hold 1 to 50 texts"}, {}
        target = str(body.get("target_lang", ""))
        if target in ("EN", "PT"):
            return 400, {"message": f"Value for 'target_lang' not supported: {target}"}, {}
        entries: dict[str, str] = {}
        if body.get("glossary_id"):
            glossary = self.glossaries.get(body["glossary_id"])
            if glossary is None:
                return 404, {"message": "Glossary not found"}, {}
            entries = glossary["entries"]
        lang = target.split("-")[0].lower()
        out = []
        for text in texts:
            translated = pseudo_translate(text, lang)
            translated += "".join(f" {{{dst}}}" for src, dst in entries.items() if src in text)
            out.append({"detected_source_language": "AR", "text": translated, "billed_characters": len(text)})
        return 200, {"translations": out}, {}

    def _create_glossary(self, body: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        if body.get("entries_format") != "tsv" or not body.get("entries"):
            return 400, {"message": "Invalid glossary entries"}, {}
        entries = dict(line.split("\t", 1) for line in str(body["entries"]).splitlines() if "\t" in line)
        glossary_id = f"g{next(self._ids):04d}-0000-0000-0000-000000000000"
        self.glossaries[glossary_id] = {"name": body.get("name"), "source_lang": str(body.get("source_lang")).lower(),
                                        "target_lang": str(body.get("target_lang")).lower(), "entries": entries,
                                        "creation_time": dt.datetime.now(dt.UTC).isoformat()}
        return 201, self._info(glossary_id), {}

    def _info(self, glossary_id: str) -> dict[str, Any]:
        g = self.glossaries[glossary_id]
        return {"glossary_id": glossary_id, "name": g["name"], "ready": True, "source_lang": g["source_lang"],
                "target_lang": g["target_lang"], "creation_time": g["creation_time"], "entry_count": len(g["entries"])}
