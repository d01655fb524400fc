"""Stack-file edits keep comments and layout, change only what they must, and are atomic."""

from __future__ import annotations

import os

import pytest

from llmctl.release.errors import ReleaseError
from llmctl.release.stackfile import set_slot, set_weights, write_atomic
from tests.release.standin import copy_project, stack_bytes
from tests.support.paths import STACKS


@pytest.fixture()
def root(tmp_path):
    return copy_project(tmp_path)


@pytest.mark.parametrize("stack", STACKS)
def test_round_trip_changes_only_the_weight_lines(root, stack):
    path = root / "stacks" / f"Pulumi.{stack}.yaml"
    set_slot(path, f"stacks/{path.name}", "chat", "green", "org/candidate", None, 1)
    text = path.read_text()
    before = text.splitlines()
    # Writing the current weights back is byte-identical: the round trip itself changes nothing.
    set_weights(path, f"stacks/{path.name}", "chat", {"blue": 100, "green": 0})
    assert path.read_text() == text
    set_weights(path, f"stacks/{path.name}", "chat", {"blue": 40, "green": 60})
    after = path.read_text().splitlines()
    changed = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    assert [after[i].strip() for i in changed] == ["blue: 40", "green: 60"]
    assert all(before[i].split(":")[0] == after[i].split(":")[0] for i in changed)


def test_weights_must_sum_to_100(root):
    path = root / "stacks" / "Pulumi.dev.yaml"
    with pytest.raises(ReleaseError, match=r"^weights \{'blue': 50, 'green': 60\}: blue \+ green must be 100, got 50 \+ 60 = 110$"):
        set_weights(path, "stacks/Pulumi.dev.yaml", "chat", {"blue": 50, "green": 60})


def test_an_invalid_result_is_never_written(root):
    before = stack_bytes(root, "dev")
    with pytest.raises(ReleaseError, match=r"refusing to write an invalid stack file: stacks/Pulumi.dev.yaml: "
                                           r"llm-platform:endpoints.chat: .*slot green has weight 50 but no model"):
        set_weights(root / "stacks" / "Pulumi.dev.yaml", "stacks/Pulumi.dev.yaml", "chat", {"blue": 50, "green": 50})
    assert stack_bytes(root, "dev") == before


def test_unknown_endpoint(root):
    with pytest.raises(ReleaseError, match="llm-platform:endpoints.nope: no such endpoint"):
        set_weights(root / "stacks" / "Pulumi.dev.yaml", "stacks/Pulumi.dev.yaml", "nope", {"blue": 100, "green": 0})


def test_interrupted_write_leaves_the_old_file_and_no_temp(root, monkeypatch):
    path = root / "stacks" / "Pulumi.dev.yaml"
    before = path.read_bytes()

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(path, "config: {}\n")
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["Pulumi.dev.yaml", "Pulumi.prod.yaml", "Pulumi.staging.yaml"]


def test_a_layout_ruamel_cannot_keep_is_refused_by_prepare_but_weights_edit_in_place(root):
    path = root / "stacks" / "Pulumi.dev.yaml"
    # Sequences flush with their key: a valid layout ruamel would rewrite, so set_slot refuses...
    path.write_text(path.read_text().replace("    adminRoleArns:\n      - arn", "    adminRoleArns:\n    - arn"))
    before = path.read_bytes()
    with pytest.raises(ReleaseError, match="cannot set the slot without changing other lines"):
        set_slot(path, "stacks/Pulumi.dev.yaml", "chat", "green", "org/m", None, None)
    assert path.read_bytes() == before
    # ...while weights are edited digit by digit, whatever the layout around them.
    set_slot(root / "stacks" / "Pulumi.staging.yaml", "stacks/Pulumi.staging.yaml", "chat", "green", "org/m", None, 1)
    staging = root / "stacks" / "Pulumi.staging.yaml"
    text = staging.read_text().replace("      weights:\n        blue: 100\n        green: 0\n",
                                       "      weights: {blue: 100,   green: 0}  # flow style, odd spacing\n", 1)
    staging.write_text(text)
    set_weights(staging, "stacks/Pulumi.staging.yaml", "chat", {"blue": 60, "green": 40})
    assert staging.read_text() == text.replace("{blue: 100,   green: 0}", "{blue: 60,   green: 40}")
