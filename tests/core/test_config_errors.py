"""Bad network and cluster settings are one-line config errors naming the file, key, value and fix."""

from __future__ import annotations

import pytest

from infra.config import ConfigError, load_config
from tests.support.stack_config import SOURCE, config_error, stack_raw


def raw(stack: str = "dev") -> dict:
    return stack_raw(stack)


def error(config: dict, expected: str) -> None:
    message = config_error(config)
    assert message.startswith(f"{SOURCE}: {expected}"), message


def test_prod_public_endpoint_open_to_the_world_is_refused():
    prod = raw("prod")
    prod["llm-platform:cluster"]["publicAccessCidrs"] = ["0.0.0.0/0"]
    error(prod, "llm-platform:cluster.publicAccessCidrs[0]: '0.0.0.0/0': a prod API endpoint ends private")


def test_public_endpoint_cidrs_must_be_public_ranges():
    dev = raw()
    dev["llm-platform:cluster"]["publicAccessCidrs"] = ["203.0.113.0/24", "10.1.0.0/16"]
    error(dev, "llm-platform:cluster.publicAccessCidrs[1]: '10.1.0.0/16': a private range never reaches the public endpoint")


def test_an_office_cidr_opens_the_public_endpoint_only_while_prod_bootstraps():
    prod = raw("prod")
    prod["llm-platform:cluster"]["bootstrap"] = {"deployerCidrs": ["203.0.113.0/24"]}
    assert load_config(prod, SOURCE).cluster.endpoint_public_cidrs == ["203.0.113.0/24"]


def test_more_azs_than_the_region_has_is_refused_with_its_zones():
    prod = raw("prod")  # us-east-1 has six zones
    prod["llm-platform:network"]["azCount"] = 6
    assert load_config(prod, SOURCE).network.az_count == 6
    dev = raw()
    dev["llm-platform:network"]["azCount"] = 5
    error(dev, "llm-platform:network.azCount: 5: us-west-2 has 4 availability zones (us-west-2a, us-west-2b, us-west-2c, us-west-2d)")


@pytest.mark.parametrize(
    ("section", "key", "value", "expected"),
    [
        ("network", "cidr", "172.20.0.0/16", "llm-platform:network.cidr: '172.20.0.0/16': overlaps cluster.serviceCidr 172.20.0.0/16; choose disjoint ranges"),
        ("network", "cidr", "10.1.0.0/16", "llm-platform:network.cidr: '10.1.0.0/16': overlaps network.reservedCidrs[0] 10.0.0.0/14"),
        ("cluster", "serviceCidr", "10.2.0.0/16", "llm-platform:cluster.serviceCidr: '10.2.0.0/16': overlaps network.reservedCidrs[0] 10.0.0.0/14"),
        ("cluster", "serviceCidr", "100.64.0.0/16", "llm-platform:cluster.serviceCidr: '100.64.0.0/16': must be an RFC 1918 block"),
        ("cluster", "serviceCidr", "172.20.0.0/26", "llm-platform:cluster.serviceCidr: '172.20.0.0/26': must be an RFC 1918 block"),
        ("network", "cidr", "10.60.0.0/22", "llm-platform:network.cidr: '10.60.0.0/22': prefix /22 is outside /16../20"),
        ("network", "natGateways", "none", "llm-platform:network.natGateways: 'none': Input should be 'single' or 'perAz'"),
        ("network", "interfaceEndpoints", ["ecr.api", "sts"], "llm-platform:network.interfaceEndpoints: [\"ecr.api\", \"sts\"]: must include ecr.dkr"),
        ("network", "interfaceEndpoints", ["ecr.api", "ecr.dkr", "sts", "com.amazonaws.us-east-1.ssm"],
         "llm-platform:network.interfaceEndpoints: [\"ecr.api\", \"ecr.dkr\", \"sts\", \"com.amazonaws.us-east-1.ssm\"]: com.amazonaws.us-east-1.ssm"),
        ("network", "interfaceEndpoints", ["ecr.api", "ecr.dkr", "sts", "s3"], "llm-platform:network.interfaceEndpoints: "),
        ("network", "flowLogRetentionDays", 10, "llm-platform:network.flowLogRetentionDays: 10: 10 is not a CloudWatch Logs retention period"),
        ("cluster", "kubernetesVersion", "1.29", "llm-platform:cluster.kubernetesVersion: '1.29': Input should be '1.35' or '1.36'"),
        ("cluster", "adminRoleArns", ["arn:aws:iam::1:user/bob"], "llm-platform:cluster.adminRoleArns: [\"arn:aws:iam::1:user/bob\"]: 'arn:aws:iam::1:user/bob' is not an IAM role ARN"),
        ("cluster", "adminRoleArns", ["arn:aws:iam::444455556666:role/a/admin", "arn:aws:iam::444455556666:role/b/admin"],
         "llm-platform:cluster.adminRoleArns: "),
    ],
)
def test_bad_network_and_cluster_values(section, key, value, expected):
    prod = raw("prod")  # prod reserves 10.0.0.0/14
    prod[f"llm-platform:{section}"][key] = value
    error(prod, expected)


def test_duplicate_admin_role_names_are_named():
    prod = raw("prod")
    prod["llm-platform:cluster"]["adminRoleArns"] = ["arn:aws:iam::444455556666:role/a/admin", "arn:aws:iam::444455556666:role/b/admin"]
    with pytest.raises(ConfigError, match=r"role name\(s\) admin listed twice; each admin role needs a distinct name$"):
        load_config(prod, SOURCE)


def test_every_committed_stack_is_valid_for_the_core():
    for stack in ("dev", "staging", "prod"):
        cfg = load_config(raw(stack), SOURCE)
        assert cfg.network.az_count >= 3 and not cfg.cluster.public_access_cidrs
