"""EC2 instance types the platform knows: every GPU type it can pool, and the general-purpose
families used for system nodes (so a typo and a non-GPU family give different errors)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InstanceType:
    name: str
    vcpu: int
    memory_gib: int
    gpus: int = 0
    gpu_model: str = ""
    gpu_memory_gib: int = 0  # per GPU
    nvme_gb: int = 0  # local instance store, 0 when the type has none
    arch: str = "amd64"
    # Network bandwidth in Gbps ("up to" figures for the smaller sizes: a freshly launched
    # instance has its burst credits, and a cold start lasts minutes) and dedicated EBS
    # bandwidth in Gbps; 0 = not catalogued (CPU types). Used by the cold-start budget.
    network_gbps: float = 0
    ebs_gbps: float = 0

    @property
    def family(self) -> str:
        return family_of(self.name)

    @property
    def size(self) -> str:
        return self.name.split(".", 1)[1]


def family_of(instance_type: str) -> str:
    return instance_type.split(".", 1)[0]


@dataclass(frozen=True)
class GpuFamily:
    """One GPU instance family: the one place config validation, the policy pack's default
    allowlist (a generated copy), the cost estimator and the README learn what a pool may use."""

    name: str
    gpu_model: str
    gpu_memory_gib: int  # per GPU
    # A GPU pool may name it (and the policy pack allows it by default).
    poolable: bool = True
    # Sold only as Capacity Blocks / capacity reservations in most regions: a spot or on-demand
    # NodePool would never launch it, so a pool needs a reservation to use it.
    capacity_blocks_only: bool = False
    why: str = ""  # why it is refused or restricted


GPU_FAMILY_CATALOG: dict[str, GpuFamily] = {f.name: f for f in [
    # Turing has no bfloat16, the dtype the served models ship in, and 16 GB per GPU holds no
    # 7B model with a useful KV cache (docs.nvidia.com/cuda/cuda-c-programming-guide, bf16 from sm_80).
    GpuFamily("g4dn", "T4", 16, poolable=False, why="T4 (Turing) has no bfloat16 and 16 GB per GPU"),
    GpuFamily("g5", "A10G", 24),
    GpuFamily("g6", "L4", 24),
    GpuFamily("g6e", "L40S", 48),
    GpuFamily("p4d", "A100", 40),
    GpuFamily("p4de", "A100", 80),
    GpuFamily("p5", "H100", 80),
    GpuFamily("p5e", "H200", 141, capacity_blocks_only=True, why="sold through Capacity Blocks / reservations only"),
    GpuFamily("p5en", "H200", 141, capacity_blocks_only=True, why="sold through Capacity Blocks / reservations only"),
]}


def _gpu(family: str, rows: list[tuple[str, int, int, int, int]]) -> list[InstanceType]:
    info = GPU_FAMILY_CATALOG[family]
    return [
        InstanceType(f"{family}.{size}", vcpu, mem, gpus, info.gpu_model, info.gpu_memory_gib, nvme, "amd64", *_BANDWIDTH[f"{family}.{size}"])
        for size, gpus, vcpu, mem, nvme in rows
    ]


# (network Gbps, EBS Gbps) per GPU type, from the "Network specifications" and "Amazon EBS
# specifications" tables of docs.aws.amazon.com/ec2/latest/instancetypes/ac.html (November 2026).
_BANDWIDTH: dict[str, tuple[float, float]] = {
    "g4dn.xlarge": (25, 3.5), "g4dn.2xlarge": (25, 3.5), "g4dn.4xlarge": (25, 4.75), "g4dn.8xlarge": (50, 9.5),
    "g4dn.16xlarge": (50, 9.5), "g4dn.12xlarge": (50, 9.5), "g4dn.metal": (100, 19),
    "g5.xlarge": (10, 3.5), "g5.2xlarge": (10, 3.5), "g5.4xlarge": (25, 4.75), "g5.8xlarge": (25, 16),
    "g5.16xlarge": (25, 16), "g5.12xlarge": (40, 16), "g5.24xlarge": (50, 19), "g5.48xlarge": (100, 19),
    "g6.xlarge": (10, 5), "g6.2xlarge": (10, 5), "g6.4xlarge": (25, 8), "g6.8xlarge": (25, 16),
    "g6.16xlarge": (25, 20), "g6.12xlarge": (40, 20), "g6.24xlarge": (50, 30), "g6.48xlarge": (100, 60),
    "g6e.xlarge": (20, 5), "g6e.2xlarge": (20, 5), "g6e.4xlarge": (20, 8), "g6e.8xlarge": (25, 16),
    "g6e.16xlarge": (35, 20), "g6e.12xlarge": (100, 20), "g6e.24xlarge": (200, 30), "g6e.48xlarge": (400, 60),
    "p4d.24xlarge": (400, 19), "p4de.24xlarge": (400, 19), "p5.48xlarge": (3200, 80),
    "p5e.48xlarge": (3200, 80), "p5en.48xlarge": (3200, 100),
}

# (size, GPUs, vCPU, memory GiB, NVMe GB)
_GPU_TYPES = [
    *_gpu("g4dn", [
        ("xlarge", 1, 4, 16, 125), ("2xlarge", 1, 8, 32, 225), ("4xlarge", 1, 16, 64, 225),
        ("8xlarge", 1, 32, 128, 900), ("16xlarge", 1, 64, 256, 900), ("12xlarge", 4, 48, 192, 900),
        ("metal", 8, 96, 384, 1800),
    ]),
    *_gpu("g5", [
        ("xlarge", 1, 4, 16, 250), ("2xlarge", 1, 8, 32, 450), ("4xlarge", 1, 16, 64, 600),
        ("8xlarge", 1, 32, 128, 900), ("16xlarge", 1, 64, 256, 1900), ("12xlarge", 4, 48, 192, 3800),
        ("24xlarge", 4, 96, 384, 3800), ("48xlarge", 8, 192, 768, 7600),
    ]),
    *_gpu("g6", [
        ("xlarge", 1, 4, 16, 250), ("2xlarge", 1, 8, 32, 450), ("4xlarge", 1, 16, 64, 600),
        ("8xlarge", 1, 32, 128, 900), ("16xlarge", 1, 64, 256, 1880), ("12xlarge", 4, 48, 192, 3760),
        ("24xlarge", 4, 96, 384, 3760), ("48xlarge", 8, 192, 768, 7520),
    ]),
    *_gpu("g6e", [
        ("xlarge", 1, 4, 32, 250), ("2xlarge", 1, 8, 64, 450), ("4xlarge", 1, 16, 128, 600),
        ("8xlarge", 1, 32, 256, 900), ("16xlarge", 1, 64, 512, 1900), ("12xlarge", 4, 48, 384, 3800),
        ("24xlarge", 4, 96, 768, 3800), ("48xlarge", 8, 192, 1536, 7600),
    ]),
    *_gpu("p4d", [("24xlarge", 8, 96, 1152, 8000)]),
    *_gpu("p4de", [("24xlarge", 8, 96, 1152, 8000)]),
    *_gpu("p5", [("48xlarge", 8, 192, 2048, 30400)]),
    *_gpu("p5e", [("48xlarge", 8, 192, 2048, 30400)]),
    *_gpu("p5en", [("48xlarge", 8, 192, 2048, 30400)]),
]

# General-purpose types for the system node group (on-demand, no GPU).
_CPU_TYPES = [
    InstanceType(name, vcpu, mem)
    for name, vcpu, mem in [
        ("m6i.large", 2, 8), ("m6i.xlarge", 4, 16), ("m6i.2xlarge", 8, 32),
        ("m7i.large", 2, 8), ("m7i.xlarge", 4, 16), ("m7i.2xlarge", 8, 32),
        ("m7a.large", 2, 8), ("m7a.xlarge", 4, 16), ("m7a.2xlarge", 8, 32),
        ("c6i.large", 2, 4), ("c6i.xlarge", 4, 8), ("c7i.large", 2, 4), ("c7i.xlarge", 4, 8),
        ("r6i.large", 2, 16), ("r7i.large", 2, 16), ("r7i.xlarge", 4, 32),
        ("t3.medium", 2, 4), ("t3.large", 2, 8),
    ]
] + [
    InstanceType(name, vcpu, mem, arch="arm64")
    for name, vcpu, mem in [("m7g.large", 2, 8), ("m7g.xlarge", 4, 16), ("c7g.large", 2, 4)]
]

INSTANCE_TYPES: dict[str, InstanceType] = {t.name: t for t in [*_GPU_TYPES, *_CPU_TYPES]}
GPU_FAMILIES: frozenset[str] = frozenset(GPU_FAMILY_CATALOG)
# What a GPU pool may name (the policy pack's default allowlist is generated from this).
POOL_FAMILIES: frozenset[str] = frozenset(f.name for f in GPU_FAMILY_CATALOG.values() if f.poolable)
NON_GPU_FAMILIES: frozenset[str] = frozenset(t.family for t in _CPU_TYPES)
# Families that exist but a spot/on-demand NodePool cannot provision: Mac instances need
# Dedicated Hosts, High Memory (u-*) needs dedicated tenancy, and the capacity-blocks-only GPU
# families need a reservation.
UNLAUNCHABLE_FAMILIES: frozenset[str] = frozenset({"mac1", "mac2", "mac2-m2", "mac2-m2pro", "u-6tb1", "u-12tb1"}) | frozenset(
    f.name for f in GPU_FAMILY_CATALOG.values() if f.capacity_blocks_only
)
KNOWN_FAMILIES: frozenset[str] = GPU_FAMILIES | NON_GPU_FAMILIES | UNLAUNCHABLE_FAMILIES


def pool_family_error(family: str, reserved: bool = False) -> str | None:
    """Why a GPU pool may not name `family` (None when it may). `reserved`: the pool launches into a
    capacity reservation, which is what a capacity-blocks-only family needs."""
    launchable = ", ".join(sorted(f for f in POOL_FAMILIES if not GPU_FAMILY_CATALOG[f].capacity_blocks_only))
    if family not in KNOWN_FAMILIES:
        return f"unknown instance family {family!r}; GPU families: {launchable}"
    info = GPU_FAMILY_CATALOG.get(family)
    if info is None and family in UNLAUNCHABLE_FAMILIES:
        return f"instance family {family!r} cannot be launched by a Karpenter NodePool (dedicated hosts only); use one of {launchable}"
    if info is None:
        return f"{family!r} is not a GPU family; GPU families: {launchable}"
    if not info.poolable:
        return f"instance family {family!r} is not supported for serving ({info.why}); use one of {launchable}"
    if info.capacity_blocks_only and not reserved:
        return (f"instance family {family!r} cannot be launched by a Karpenter NodePool without a capacity reservation "
                f"({info.why}); use one of {launchable}")
    return None


def types_in_families(families: list[str] | tuple[str, ...]) -> list[InstanceType]:
    """All known types of the given families, in catalogue order."""
    wanted = set(families)
    return [t for t in INSTANCE_TYPES.values() if t.family in wanted]
