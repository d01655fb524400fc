"""promtool runs in CI: `make test` installs or finds it, and a missing promtool fails under CI=true."""

from __future__ import annotations

import re

import pytest

from tests.observability import promtool as pt


def test_make_test_gets_promtool_first():
    makefile = (pt.ROOT / "Makefile").read_text()
    test_target = re.search(r"^test:(.*)$", makefile, re.M)
    assert test_target and "promtool" in test_target.group(1).split()
    assert "apt-get download prometheus " in makefile and "apt-get download prometheus-alertmanager" in makefile and "dpkg-deb -x" in makefile
    assert "make test" in (pt.ROOT / ".ci" / "run").read_text()


@pytest.mark.parametrize(("ci", "outcome"), [("true", pytest.fail.Exception), ("", pytest.skip.Exception)])
def test_missing_promtool_fails_in_ci_and_skips_elsewhere(monkeypatch, tmp_path, ci, outcome):
    monkeypatch.setattr(pt, "LOCAL", tmp_path / "absent")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="promtool not found"):
        pt.promtool()
