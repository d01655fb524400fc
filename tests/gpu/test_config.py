"""Bad GPU pool settings are one clear line naming the stack file, the key and what is allowed."""

from __future__ import annotations

import pytest

from infra.config import ConfigError, load_config
from tests.support.stack_config import SOURCE, stack_raw


def _raw(stack: str = "dev") -> dict:
    return stack_raw(stack)


def _with_pool(stack: str = "dev", **changes) -> dict:
    raw = _raw(stack)
    raw["llm-platform:gpu"]["pools"][0].update(changes)
    return raw


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"families": ["g6", "m7i"]},
            r"^stacks/Pulumi\.t\.yaml: llm-platform:gpu\.pools\[0\]\.families: \[\"g6\", \"m7i\"\]: 'm7i' is not a GPU family; GPU families: g5, g6, g6e, p4d, p4de, p5$",
        ),
        (
            {"families": ["g6", "g4dn"]},
            r"^stacks/Pulumi\.t\.yaml: llm-platform:gpu\.pools\[0\]\.families: .*instance family 'g4dn' is not supported for serving "
            r"\(T4 \(Turing\) has no bfloat16 and 16 GB per GPU\); use one of g5, g6, g6e, p4d, p4de, p5$",
        ),
        (
            {"families": ["g6", "p5e"]},
            r"^stacks/Pulumi\.t\.yaml: llm-platform:gpu\.pools\[0\]: .*instance family 'p5e' cannot be launched by a Karpenter NodePool without a capacity "
            r"reservation \(sold through Capacity Blocks / reservations only\); use one of g5, g6, g6e, p4d, p4de, p5; "
            r"or add capacityReservations with capacity type reserved$",
        ),
        ({"families": ["g7x"]}, r"llm-platform:gpu\.pools\[0\]\.families: \[\"g7x\"\]: .*unknown instance family 'g7x'"),
        ({"gpuLimit": 0}, r"^stacks/Pulumi\.t\.yaml: llm-platform:gpu\.pools\[0\]\.gpuLimit: 0: Input should be greater than 0$"),
        ({"gpuLimit": -4}, r"llm-platform:gpu\.pools\[0\]\.gpuLimit: -4: Input should be greater than 0"),
        ({"capacityTypes": ["on-demand"]}, r"llm-platform:gpu: .*pools\[0\] \(gpu-spot\) is on-demand only but this stack sets spotRequired: true"),
        (
            {"families": ["g6"], "sizes": ["xlarge"]},
            r"llm-platform:gpu\.pools\[0\]: .*spot pool 'gpu-spot' has 1 instance type\(s\) in 1 family; spot needs depth",
        ),
        ({"sizes": ["xlarge", "huge"]}, r"llm-platform:gpu\.pools\[0\]: .*sizes \['huge'\] exist in none of \['g6', 'g6e', 'g5'\]; sizes offered: 12xlarge, 16xlarge"),
        ({"amiVersion": "latest"}, r"llm-platform:gpu\.pools\[0\]: .*amiVersion 'latest' is not a bottlerocket release; use the form v1\.63\.0"),
        ({"dataVolumeIops": 3000, "dataVolumeThroughput": 1000}, r"gp3 allows at most 0\.25 MiB/s per IOPS: dataVolumeThroughput 1000 needs dataVolumeIops >= 4000"),
        ({"families": ["g6"], "sizes": ["12xlarge"], "gpuLimit": 2, "allowShallowSpot": True}, r"gpuLimit 2 is below the GPUs of the smallest node"),
        ({"businessHoursSchedule": "weekdays"}, r"pools\[0\]\.businessHoursSchedule: 'weekdays': .*5-field cron"),
        ({"businessHoursDuration": "30s"}, r"pools\[0\]\.businessHoursDuration: '30s': String should match pattern"),
        ({"terminationGracePeriod": "Never"}, r"pools\[0\]\.terminationGracePeriod: 'Never'"),
        ({"consolidationPolicy": "Always"}, r"pools\[0\]\.consolidationPolicy: 'Always': Input should be 'WhenEmpty' or 'WhenEmptyOrUnderutilized'"),
    ],
)
def test_bad_pool_setting_is_one_clear_line(changes, expected):
    with pytest.raises(ConfigError, match=expected) as info:
        load_config(_with_pool(**changes), SOURCE)
    assert "\n" not in str(info.value)


def test_on_demand_only_pool_is_allowed_once_spot_is_not_required():
    raw = _with_pool(capacityTypes=["on-demand"])
    raw["llm-platform:gpu"]["spotRequired"] = False
    cfg = load_config(raw, SOURCE)
    assert cfg.gpu.pools[0].capacity_types == ["on-demand"]


def test_prod_refuses_a_pool_without_on_demand_fallback():
    raw = _raw("prod")
    raw["llm-platform:gpu"]["pools"][0]["capacityTypes"] = ["spot"]
    with pytest.raises(ConfigError, match=r"^stacks/Pulumi\.t\.yaml: llm-platform:gpu\.pools\[0\]\.capacityTypes: \[\"spot\"\]: a prod pool must include on-demand") as info:
        load_config(raw, SOURCE)
    assert "\n" not in str(info.value)


def test_karpenter_settings_are_validated():
    raw = _raw()
    raw["llm-platform:gpu"]["karpenter"] = {"namespace": "default"}
    with pytest.raises(ConfigError, match=r"llm-platform:gpu\.karpenter\.namespace: 'default': Input should be 'kube-system' or 'karpenter'"):
        load_config(raw, SOURCE)
    raw["llm-platform:gpu"]["karpenter"] = {"replicas": 3, "namespace": "karpenter"}
    assert load_config(raw, SOURCE).gpu.karpenter.replicas == 3


def test_gpu_limit_below_the_endpoints_floor_is_refused():
    raw = _raw("prod")
    raw["llm-platform:gpu"]["pools"][0]["gpuLimit"] = 8  # chat: 4 GPUs x 2 replicas, code: 1 x 2
    with pytest.raises(ConfigError, match=r"^stacks/Pulumi\.t\.yaml: llm-platform:gpu\.pools\[0\]\.gpuLimit: 8: the endpoints on gpu-spot need 10 GPU\(s\) while a release runs both slots"):
        load_config(raw, SOURCE)
