"""Stack files as config dicts to change in a test, and the one-line error load_config gives for one."""

from __future__ import annotations

import copy

import pytest

from infra.config import ConfigError, load_config, read_stack_file
from tests.support.paths import REPO_ROOT

SOURCE = "stacks/Pulumi.t.yaml"  # the file name errors carry in these tests


def stack_raw(stack: str) -> dict:
    """A private copy of stacks/Pulumi.<stack>.yaml's config keys."""
    return copy.deepcopy(read_stack_file(REPO_ROOT / "stacks" / f"Pulumi.{stack}.yaml"))


def config_error(config: dict, source: str = SOURCE) -> str:
    """The ConfigError `config` raises: one line that starts with the file name."""
    with pytest.raises(ConfigError) as info:
        load_config(config, source)
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"{source}: "), message
    return message
