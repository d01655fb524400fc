"""TeamVolumes ComponentResource: the default StorageClass whose volumes carry the claim's team."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi

from components.cost.volumes import storage_class, volume_tag_parameters
from components.k8s import apply


@dataclass
class TeamVolumesArgs:
    namespace_teams: Mapping[str, str]  # endpoint namespace -> its team
    namespace_owners: Mapping[str, str]  # endpoint namespace -> its team's owner, where declared
    stack_tags: Mapping[str, str]
    depends_on: list[pulumi.Resource] = field(default_factory=list)  # the EBS CSI add-on's nodes


class TeamVolumes(pulumi.ComponentResource):
    """Expects opts.providers (or provider) to hold the cluster's Kubernetes provider."""

    def __init__(self, name: str, args: TeamVolumesArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("llm-platform:cost:TeamVolumes", name, None, opts)
        parameters = volume_tag_parameters(args.namespace_teams, args.namespace_owners, args.stack_tags)
        apply(f"{name}-storage-class", storage_class(parameters), pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on)))
        self.register_outputs({})
