"""AWS facts the platform plans with: regions and their zones, EC2 instance types.

Pinned here (not looked up at run time) so config validation, offline synth and cost
estimates agree and are reproducible. Sources: the EC2 instance-type pages for accelerated
computing (docs.aws.amazon.com/ec2/latest/instancetypes/ac.html) and each region's
`aws ec2 describe-availability-zones` output, November 2026.
"""

from components.catalog.instances import (
    GPU_FAMILIES,
    GPU_FAMILY_CATALOG,
    INSTANCE_TYPES,
    KNOWN_FAMILIES,
    NON_GPU_FAMILIES,
    POOL_FAMILIES,
    UNLAUNCHABLE_FAMILIES,
    GpuFamily,
    InstanceType,
    family_of,
    pool_family_error,
    types_in_families,
)
from components.catalog.regions import REGIONS, availability_zones

__all__ = [
    "GPU_FAMILIES",
    "GPU_FAMILY_CATALOG",
    "POOL_FAMILIES",
    "GpuFamily",
    "pool_family_error",
    "INSTANCE_TYPES",
    "KNOWN_FAMILIES",
    "NON_GPU_FAMILIES",
    "UNLAUNCHABLE_FAMILIES",
    "InstanceType",
    "REGIONS",
    "availability_zones",
    "family_of",
    "types_in_families",
]
