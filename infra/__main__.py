"""Composition root: validated config -> providers -> components in dependency order -> exports.

No resources are defined here directly; each concept lives in its component under components/.
"""

import pulumi

from infra.config import ConfigError, config_from_pulumi, load_config
from infra.providers import aws_provider, cluster_name

try:
    cfg = load_config(*config_from_pulumi())
except ConfigError as exc:
    raise pulumi.RunError(str(exc)) from None

aws = aws_provider(cfg)
aws_opts = pulumi.ResourceOptions(provider=aws)
name = cluster_name(cfg)

pulumi.export("clusterName", name)
pulumi.export("region", cfg.region)
