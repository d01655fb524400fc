"""The release tests' default project: a throwaway copy of the stack files and eval sets, made the
working directory (tests that need more define their own `root`)."""

from __future__ import annotations

import pytest

from tests.release.standin import copy_project


@pytest.fixture()
def root(tmp_path, monkeypatch):
    project = copy_project(tmp_path)
    monkeypatch.chdir(project)
    return project
