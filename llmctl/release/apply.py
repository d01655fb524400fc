"""Applying a stack-file change: the Pulumi Automation API, behind a one-method interface so tests
(and dry runs) inject their own.

`pulumi up --target <URN or URN glob>` with target_dependents false touches only those
resources (ops.apply_batches: a slot's resources, or the endpoint's AIGatewayRoute). For the route
the AI Gateway controller rewrites its HTTPRoute and Envoy Gateway pushes the new weights to the
proxies over xDS in place, without new listeners or connection drops.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from llmctl.release.errors import ReleaseError


class ApplyError(ReleaseError):
    def __init__(self, message: str):
        super().__init__(message, code=1)


class Applier(Protocol):
    def __call__(self, stack: str, targets: list[str] | None) -> None:
        """Bring the stack to the stack file's state; `targets` limits the update (None = whole stack)."""


class PulumiApplier:
    """`pulumi up` of a stack of the project at `root` (Pulumi.yaml, stacks/Pulumi.<stack>.yaml)."""

    def __init__(self, root: Path, on_output: Callable[[str], None] | None = None):
        self.root = root
        self.on_output = on_output

    def __call__(self, stack: str, targets: list[str] | None) -> None:
        try:
            from pulumi import automation as auto

            selected = auto.select_stack(stack_name=stack, work_dir=str(self.root))
            selected.up(target=targets, target_dependents=False if targets else None, on_output=self.on_output,
                        message=f"llmctl release ({', '.join(targets) if targets else 'full update'})")
        except FileNotFoundError:
            raise ApplyError(f"pulumi up -s {stack} failed: the Pulumi CLI is not installed; "
                             "use --no-apply and let CI run `pulumi up`") from None
        except Exception as exc:  # login, lock conflict, failed update: one line, the caller restores
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ApplyError(f"pulumi up -s {stack} failed: {first}") from None
