"""The review desk's way to the review loop: the same decision path as ``tarjama approve``."""

from __future__ import annotations

from dataclasses import dataclass

from operations.delivery import submit_decision
from operations.prefect_env import run_states_now
from tarjama.context import Context
from tarjama.review.report import DecisionReport
from tarjama.review.request import DecisionRequest


@dataclass(frozen=True)
class PrefectChannel:
    """The desk's way to the review loop: the same decision path as ``tarjama approve``."""

    def decide(self, ctx: Context, request: DecisionRequest) -> DecisionReport:
        return submit_decision(ctx, request, wait=90)

    def run_states(self, run_ids: list[str]) -> dict[str, str]:
        return run_states_now(run_ids)
