"""A loopback stand-in for a newsroom chat's incoming webhook (Slack's and Mattermost's shape)."""

from __future__ import annotations

from tests.support.fake_service import FakeService


class ChatWebhook(FakeService):
    """It takes {"text": ...} and says ok; a scripted ``"unavailable"`` answers 503 once, as a chat does when it
    is briefly down."""

    def handle(self, request):
        if self.next_fault() == "unavailable":
            return 503, {"ok": False, "error": "service_unavailable"}, {}
        return 200, {"ok": True}, {}

    def texts(self) -> list[str]:
        """What was posted, in order of arrival; the posts the chat refused included."""
        with self._lock:
            return [r["body"]["text"] for r in self.requests if isinstance(r["body"], dict) and "text" in r["body"]]
