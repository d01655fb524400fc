"""Every rule module; importing them registers the rules, then RULES is sorted by area the way the
README's table lists them."""

from ..model import RULES
from . import eks, gateway, gpu, iam, network, quotas, release, storage, tags, workloads  # noqa: F401 (registers the rules)

AREAS: tuple[str, ...] = ("tags", "network", "eks", "iam", "storage", "gpu", "workloads", "release", "gateway")
RULES.sort(key=lambda rule: AREAS.index(rule.area))
