"""Private Pulumi SDK internals live in infra/pulumi_internals.py only, and only on tested versions."""

from __future__ import annotations

import re
from importlib.metadata import version

import pytest

from infra import pulumi_internals
from tests.core.test_locks import locked
from tests.support.paths import REPO_ROOT

PRIVATE = re.compile(r"from pulumi\.runtime|import pulumi\.runtime|_sync_await|_special_\w+|\bROOT\.set|\bCONFIG\.get")


def test_the_installed_pulumi_is_a_tested_version():
    message = pulumi_internals.untested_version_message(version("pulumi"))
    if message:
        pytest.fail(message, pytrace=False)


def test_an_untested_version_gets_a_clear_message():
    assert pulumi_internals.untested_version_message("3.272.9") is None
    message = pulumi_internals.untested_version_message("3.300.1")
    assert message.startswith("pulumi 3.300.1 is untested: infra/pulumi_internals.py uses SDK internals (_sync_await, settings.ROOT,")
    assert message.endswith("run the suite on 3.300 and add it to TESTED_PULUMI_MINORS")


def test_the_locked_pulumi_is_a_tested_version():
    assert pulumi_internals.untested_version_message(locked("dev")["pulumi"]) is None


def test_no_other_module_reaches_into_the_sdk():
    paths = [p for folder in ("components", "infra", "llmctl", "policies", "scripts", "tests", "benchmarks") for p in (REPO_ROOT / folder).rglob("*.py")]
    assert len(paths) > 100
    offenders = sorted(
        str(p.relative_to(REPO_ROOT)) for p in paths
        if p.name not in ("pulumi_internals.py", "test_pulumi_internals.py") and PRIVATE.search(p.read_text())
    )
    assert offenders == [], f"use infra/pulumi_internals.py instead of Pulumi SDK internals in {offenders}"


def test_every_internal_still_exists():
    for name in ("SECRET_SIG", "SIG_KEY", "UNKNOWN"):
        assert isinstance(getattr(pulumi_internals, name), str) and getattr(pulumi_internals, name), name
    assert pulumi_internals.engine_config() is not None
