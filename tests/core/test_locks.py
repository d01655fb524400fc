"""The hashed lock files (locks/) pin every package `make` installs, within pyproject's ranges."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import version

import pytest
from packaging.requirements import Requirement

from tests.support.paths import REPO_ROOT

LOCKS = REPO_ROOT / "locks"
_PIN = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s;]+)(?:\s*;[^\\]*)?\s*\\$")


def locked(name: str) -> dict[str, str]:
    """package (normalised) -> pinned version; every pin carries at least one sha256."""
    text = (LOCKS / f"{name}.txt").read_text()
    pins = {}
    for block in re.split(r"\n(?=\S)", text):
        if block.startswith("#") or not block.strip():
            continue
        first = block.splitlines()[0]
        match = _PIN.match(first)
        assert match, f"locks/{name}.txt: not an exact pin: {first!r}"
        assert "--hash=sha256:" in block, f"locks/{name}.txt: {first!r} has no hash"
        pins[_norm(match.group(1).split("[")[0])] = match.group(2)
    return pins


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


PYPROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]


@pytest.mark.parametrize(("lock", "requirements"), [
    ("runtime", PYPROJECT["dependencies"]),
    ("dev", PYPROJECT["dependencies"] + PYPROJECT["optional-dependencies"]["dev"]),
])
def test_every_declared_dependency_is_locked_within_its_range(lock, requirements):
    pins = locked(lock)
    assert len(requirements) >= 11
    outside = {}
    for text in requirements:
        req = Requirement(text)
        pinned = pins.get(_norm(req.name))
        if pinned is None or pinned not in req.specifier:
            outside[req.name] = (str(req.specifier), pinned)
    assert outside == {}, f"locks/{lock}.txt is stale for {outside}: run `make lock`"


def test_runtime_and_dev_locks_agree():
    runtime, dev = locked("runtime"), locked("dev")
    assert set(runtime) <= set(dev)
    assert {k: v for k, v in runtime.items() if dev[k] != v} == {}


def test_the_scan_lock_pins_checkov_and_its_input():
    assert "checkov==3.3.30" in (LOCKS / "scan.in").read_text().splitlines()
    assert locked("scan")["checkov"] == "3.3.30"


def test_the_suite_runs_on_the_locked_pulumi_sdks():
    dev = locked("dev")
    for package in ("pulumi", "pulumi-aws", "pulumi-kubernetes", "pulumi-policy"):
        assert version(package) == dev[package], f"{package} {version(package)} installed, {dev[package]} locked: install locks/dev.txt"
