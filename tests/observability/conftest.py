"""Rendered PrometheusRules of the three synthesized stacks, shared by the promtool tests."""

from __future__ import annotations

import pytest


class Rules(list):
    stacks: list[str]


@pytest.fixture(scope="session")
def synthesized_rules() -> Rules:
    from tests.conftest import synthesized

    found = Rules()
    found.stacks = []
    for stack in ("dev", "staging", "prod"):
        for resource, obj in synthesized(stack).kubernetes_objects():
            if obj["kind"] == "PrometheusRule":
                found.append((resource.name, obj))
                found.stacks.append(stack)
    return found
