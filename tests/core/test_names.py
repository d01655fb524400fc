"""One annotated type per kind of name (components/names.py), and no other copy of the rule."""

from __future__ import annotations

import re

import pytest

from components import names
from tests.support.paths import REPO_ROOT


@pytest.mark.parametrize(("pattern", "limit"), [
    (names.TEAM_NAME, 32), (names.POOL_NAME, 42), (names.ENDPOINT_NAME, 22),
])
def test_each_rule_accepts_its_limit_and_nothing_longer(pattern, limit):
    assert re.match(pattern, "a" * limit) and not re.match(pattern, "a" * (limit + 1))
    assert re.match(pattern, "applied-ai2") and re.match(pattern, "x")
    for bad in ("Applied", "applied_ai", "-ai", "ai-", "2ai", ""):
        assert not re.match(pattern, bad), bad


def test_no_module_writes_its_own_dns_label_pattern():
    sources = [p for folder in ("components", "infra") for p in (REPO_ROOT / folder).rglob("*.py") if p.name != "names.py"]
    assert sources
    copies = sorted(str(p.relative_to(REPO_ROOT)) for p in sources if re.search(r"\[a-z0-9-\]\{0,\d+\}", p.read_text()))
    assert copies == [], f"use the types in components/names.py: {copies}"
