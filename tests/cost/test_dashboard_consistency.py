"""The $/replica-hour each slot's dashboard shows is the one `llmctl cost estimate` prices."""

from __future__ import annotations

import re

import pytest

from components.observability.labels import LLM_ENDPOINT, LLM_SLOT
from infra.config import load_stack
from llmctl.cost.capacity import capacity
from llmctl.cost.estimate import Assumptions, per_slot
from llmctl.cost.prices import pinned
from tests.conftest import synthesized
from tests.support.paths import REPO_ROOT, STACKS

TITLE = re.compile(r"Cost per 1M generated tokens \(at \$(?P<usd>[0-9.]+)/replica-hour\)")


@pytest.mark.parametrize("stack", STACKS)
def test_dashboard_and_estimate_price_a_replica_hour_alike(stack):
    inventory = synthesized(stack)
    cfg = load_stack(stack, REPO_ROOT)
    shown = {}
    for _, obj in inventory.kubernetes_objects():
        labels = obj["metadata"].get("labels") or {}
        if obj["kind"] == "ConfigMap" and labels.get("grafana_dashboard") == "1" and LLM_ENDPOINT in labels:
            match = TITLE.search(next(iter(obj["data"].values())))
            if match:
                shown[(labels[LLM_ENDPOINT], labels[LLM_SLOT])] = float(match["usd"])
    estimated = {
        (row["endpoint"], row["slot"]): row["hourly_usd_per_replica"]
        for row in per_slot(capacity(inventory, cfg), pinned(cfg.region), Assumptions.from_config(cfg.cost))
    }
    assert shown, "no dashboard shows a cost panel"
    for key, usd in shown.items():
        assert estimated[key] == pytest.approx(usd, abs=1e-3), key


def test_prod_70b_chat_is_priced_on_48_gib_gpus_only():
    cfg = load_stack("prod", REPO_ROOT)
    rows = per_slot(capacity(synthesized("prod"), cfg), pinned(cfg.region), Assumptions.from_config(cfg.cost))
    chat = next(r for r in rows if (r["endpoint"], r["slot"]) == ("chat", "blue"))
    assert chat["instance_type"].startswith("g6e."), chat
