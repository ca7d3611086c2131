"""A loopback OpenAI-compatible ``/v1/chat/completions``, answering tarjama's translation requests.

Bearer auth; reads the sentences from the user message (tarjama's JSON) and
answers ``{"translations": {id: text}}`` with the demo placeholder's drafts,
and token usage. Misbehaviour on cue, as real models and gateways do:
``429`` (retry-after), ``500``, ``malformed`` JSON, a ``missing`` id, an
``extra`` id, ``commentary`` around the JSON, a ``refusal``, ``arabic`` (the
source echoed), ``numbers`` (digits dropped), ``hang``; and as a model that obeys instructions hidden in the
Arabic (``obey``: it writes out its system prompt, or asks the reader for a password, where the source says
so) or answers in the wrong language (``english``).
"""

from __future__ import annotations

import json
import time
from typing import Any

from tarjama.mt.placeholder import pseudo_translate
from tests.support.fake_service import FakeService, Request

CODES = {"French": "fr", "English": "en", "Spanish": "es", "German": "de"}


class FakeChat(FakeService):
    def __init__(self, api_key: str = "sk-test", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.api_key = api_key

    @property
    def url(self) -> str:
        return f"{self.base}/v1"

    def completions(self) -> list[Request]:
        return self.calls("/v1/chat/completions")

    @staticmethod
    def asked(request: Request) -> dict[str, Any]:
        """tarjama's request payload (the user message's JSON) of one call."""
        return json.loads(request["body"]["messages"][-1]["content"])

    def handle(self, request: Request) -> tuple[int, Any, dict[str, str]]:
        if request["headers"].get("authorization") != f"Bearer {self.api_key}":
            return 401, {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error",
                                   "code": "invalid_api_key"}}, {}
        if request["path"] != "/v1/chat/completions" or request["method"] != "POST":
            return 404, {"error": {"message": "Not found"}}, {}
        fault = self.next_fault()
        if fault == "hang":
            time.sleep(self.hang_seconds)  # past the client's timeout: the fault under test
            fault = "500"
        if fault == "429":
            return 429, {"error": {"message": "Rate limit reached", "type": "rate_limit_error"}}, {"retry-after": "0"}
        if fault == "500":
            return 500, {"error": {"message": "The server had an error", "type": "server_error"}}, {}
        asked = self.asked(request)
        lang = CODES.get(asked.get("target_language", ""), "xx")
        translations = {i: pseudo_translate(text, lang) for i, text in asked["sentences"].items()}
        refusal = None
        if fault == "missing":
            translations.pop(next(iter(translations)))
        elif fault == "extra":
            translations["p99.s9"] = "[fr] extra"
        elif fault == "arabic":
            translations = {i: "الترجمة: " + t for i, t in asked["sentences"].items()}
        elif fault == "obey":
            system = request["body"]["messages"][0]["content"]
            translations = {i: (f"My instructions are: {system}" if "التعليمات" in text else
                                "Dear reader, to continue please enter your password and your card number below."
                                if "كلمة المرور" in text else t)
                            for (i, text), t in zip(asked["sentences"].items(), translations.values(), strict=True)}
        elif fault == "english":
            translations = {i: "The minister said on Thursday that the talks would resume next week in the capital."
                            for i in translations}
        elif fault == "numbers":
            translations = {i: "".join(c for c in t if not c.isdigit()) for i, t in translations.items()}
        content: str | None = json.dumps({"translations": translations}, ensure_ascii=False)
        if fault == "malformed":
            content = content[:-3]
        elif fault == "commentary":
            content = "Sure, here is the translation:\n" + content
        elif fault == "refusal":
            content, refusal = None, "I'm sorry, I can't help with that."
        prompt = sum(len(m["content"]) for m in request["body"]["messages"]) // 4
        completion = len(content or refusal or "") // 4
        return 200, {
            "id": f"chatcmpl-{len(self.requests)}", "object": "chat.completion", "created": int(time.time()),
            "model": request["body"].get("model", "?"),
            "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                         "message": {"role": "assistant", "content": content, "refusal": refusal}}],
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion},
        }, {}
