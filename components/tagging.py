"""Tags and labels every component puts on its children.

Stack-wide keys (project, environment, team, cost-center, owner, extras) come from the AWS
provider's default_tags; components add `component`, a `Name`, and on serving resources the
owning `team` and the `model`, which override the stack defaults for cost attribution.
"""

from __future__ import annotations

import re


def resource_tags(component: str, name: str | None = None, **extra: str) -> dict[str, str]:
    tags = {"component": component}
    if name:
        tags["Name"] = name
    tags.update({k.replace("_", "-"): v for k, v in extra.items()})
    return tags


_LABEL_BAD = re.compile(r"[^A-Za-z0-9_.-]+")


def label_value(value: str) -> str:
    """A Kubernetes label value for `value` (e.g. a model id with a slash): <= 63 chars,
    alphanumerics at both ends, `/` and other characters turned into `.`."""
    cleaned = _LABEL_BAD.sub(".", value.replace("/", ".")).lower()[:63]
    return cleaned.strip("._-")
