"""Every private Pulumi SDK internal the project relies on, in one place.

The offline synth (llmctl/synth) runs the real program under the SDK's mocks, which needs a few
things the SDK does not promise to keep: a synchronous await, the root-resource context variable,
the config context variable, the RPC secret/unknown sentinels and the mock monitor's shape. Pulumi
versions them only as a whole, so each is imported here and nowhere else, and
tests/core/test_pulumi_internals.py fails with a clear message on a Pulumi version nobody tested.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pulumi.runtime import config as _config
from pulumi.runtime import mocks as _mocks
from pulumi.runtime import rpc as _rpc
from pulumi.runtime import settings as _settings
from pulumi.runtime.stack import run_pulumi_func as _run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

T = TypeVar("T")

# Pulumi SDK minor versions whose internals the whole suite has run against. Bump after a green
# `make test` on the new version (and update locks/ with `make lock`).
TESTED_PULUMI_MINORS: tuple[str, ...] = ("3.272",)

# The RPC wire format's special keys and the unknown sentinel (pulumi/runtime/rpc.py).
SECRET_SIG: str = _rpc._special_secret_sig
SIG_KEY: str = _rpc._special_sig_key
UNKNOWN: str = _rpc.UNKNOWN
deserialize_properties = _rpc.deserialize_properties

# The mocks API (public but unversioned: its monitor's method names are gRPC's).
Mocks = _mocks.Mocks
MockMonitor = _mocks.MockMonitor
MockResourceArgs = _mocks.MockResourceArgs
MockCallArgs = _mocks.MockCallArgs
set_mocks = _mocks.set_mocks
get_project = _settings.get_project
get_stack = _settings.get_stack


def sync_await(awaitable: Awaitable[T]) -> T:
    return _sync_await(awaitable)


def run_program(body: Callable[[], None]) -> None:
    """Run `body` as the SDK runs a program: in the stack's context, waiting for every RPC."""
    _sync_await(_run_pulumi_func(body))


def reset_root() -> None:
    """Forget the previous program's root stack resource (one process synthesizes several stacks)."""
    _settings.ROOT.set(None)


def root_resource() -> Any:
    return _settings.get_root_resource()


def set_config(config: dict[str, str]) -> None:
    _config.set_all_config(config, [])


def engine_config() -> dict[str, Any]:
    """The stack config the language host (PULUMI_CONFIG) or the mocks (set_all_config) provided."""
    return {**_config.get_config_env(), **_config.CONFIG.get()}


def untested_version_message(version: str) -> str | None:
    """None when `version` is a tested Pulumi minor, else what to do about it."""
    minor = ".".join(version.split(".")[:2])
    if minor in TESTED_PULUMI_MINORS:
        return None
    return (
        f"pulumi {version} is untested: infra/pulumi_internals.py uses SDK internals (_sync_await, settings.ROOT, "
        f"config.CONFIG, rpc._special_secret_sig, rpc._special_sig_key, run_pulumi_func, the mock monitor) checked "
        f"only on {', '.join(TESTED_PULUMI_MINORS)}; install the locked version (locks/dev.txt), or run the suite on "
        f"{minor} and add it to TESTED_PULUMI_MINORS"
    )
