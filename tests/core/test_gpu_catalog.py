"""One GPU family catalog: config validation and the policy pack's default allowlist agree on
every family, and the pack's generated copy equals the catalog."""

from __future__ import annotations

import json

import pytest

from components.catalog import GPU_FAMILY_CATALOG, POOL_FAMILIES, pool_family_error
from components.gpu_pools.models import GpuPoolConfig
from policies.llm_policies.model import PLATFORM_FACTS_FILE, Settings


def _pool(family: str) -> dict:
    return {"name": "gpu-spot", "families": [family], "capacityTypes": ["spot", "on-demand"], "gpuLimit": 64, "allowShallowSpot": True}


def test_the_policy_packs_copy_equals_the_catalog():
    copy = json.loads(PLATFORM_FACTS_FILE.read_text())
    assert copy["poolFamilies"] == sorted(POOL_FAMILIES)
    assert set(copy["families"]) == set(GPU_FAMILY_CATALOG)
    assert Settings().allowed_instance_families == tuple(sorted(POOL_FAMILIES))


@pytest.mark.parametrize("family", sorted(GPU_FAMILY_CATALOG))
def test_a_family_passes_config_and_policy_or_neither(family):
    info = GPU_FAMILY_CATALOG[family]
    policy_allows = family in Settings().allowed_instance_families
    # A capacity-blocks-only family passes config only with a reservation; the policy cannot see one.
    config_allows = pool_family_error(family, reserved=info.capacity_blocks_only) is None
    assert config_allows == policy_allows == info.poolable


def test_g4dn_fails_config_and_policy():
    with pytest.raises(ValueError, match=r"instance family 'g4dn' is not supported for serving \(T4 \(Turing\) has no bfloat16"):
        GpuPoolConfig.model_validate(_pool("g4dn"))
    assert "g4dn" not in Settings().allowed_instance_families
    GpuPoolConfig.model_validate(_pool("g6e"))  # the same pool with a supported family passes


def test_capacity_blocks_only_families_need_a_reservation():
    blocks = sorted(f.name for f in GPU_FAMILY_CATALOG.values() if f.capacity_blocks_only)
    assert blocks == ["p5e", "p5en"]
    for family in blocks:
        assert "without a capacity reservation" in pool_family_error(family)
        assert pool_family_error(family, reserved=True) is None


def test_the_pack_requires_exactly_the_log_types_the_cluster_enables():
    from components.cluster.render import LOG_TYPES
    from policies.llm_policies.model import EKS_LOG_TYPES

    assert EKS_LOG_TYPES == LOG_TYPES == ("api", "audit", "authenticator", "controllerManager", "scheduler")
