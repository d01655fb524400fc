"""Recording mocks: stand in for the Pulumi engine and the providers, deterministically.

Every ID, ARN and computed output is derived from the resource's type and name, so the same
stack file always gives byte-identical synth output. Invokes answer from a small table per region.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from typing import Any

from components.catalog import REGIONS
from infra import pulumi_internals as sdk

# The account every synthesized ARN uses (AWS's documentation example account).
MOCK_ACCOUNT = "123456789012"

# EC2-style ID prefixes, so IDs look like what consumers (and policies) expect.
_ID_PREFIX = {
    "aws:ec2/vpc:Vpc": "vpc-",
    "aws:ec2/subnet:Subnet": "subnet-",
    "aws:ec2/securityGroup:SecurityGroup": "sg-",
    "aws:ec2/internetGateway:InternetGateway": "igw-",
    "aws:ec2/natGateway:NatGateway": "nat-",
    "aws:ec2/eip:Eip": "eipalloc-",
    "aws:ec2/routeTable:RouteTable": "rtb-",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce-",
    "aws:ec2/launchTemplate:LaunchTemplate": "lt-",
    "aws:ec2/flowLog:FlowLog": "fl-",
    "aws:kms/key:Key": "",
}


def _digest(*parts: str, length: int = 17) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


@dataclass
class Registration:
    urn: str
    type: str
    name: str
    parent: str
    custom: bool
    provider: str
    inputs: dict[str, Any]
    outputs: dict[str, Any] = field(default_factory=dict)
    # Resource options that change what a rename or a delete does (the inputs do not show them).
    options: dict[str, Any] = field(default_factory=dict)


class RecordingMocks(sdk.Mocks):
    def __init__(self, region: str):
        self.region = region
        self.unanswered_invokes: list[str] = []

    # ---- resources -------------------------------------------------------------------------
    def new_resource(self, args: sdk.MockResourceArgs) -> tuple[str | None, dict]:
        typ, name, inputs = args.typ, args.name, dict(args.inputs)
        if typ == "pulumi:pulumi:StackReference":  # a read (custom unset), answered like a resource
            return inputs.get("name", name), {**inputs, **self._computed(typ, name, inputs, name)}
        if not args.custom:
            return name, inputs
        rid = _ID_PREFIX.get(typ, f"{name}-") + _digest(typ, name)
        outputs = {**inputs, **self._computed(typ, name, inputs, rid)}
        return rid, outputs

    def _computed(self, typ: str, name: str, inputs: dict[str, Any], rid: str) -> dict[str, Any]:
        package, _, rest = typ.partition(":")
        if package == "kubernetes":
            meta = dict(inputs.get("metadata") or {})
            meta.setdefault("name", name)
            return {"metadata": meta}
        if package == "docker-build":
            digest = "sha256:" + hashlib.sha256(repr(sorted(inputs.items(), key=str)).encode()).hexdigest()
            tags = inputs.get("tags") or [name]
            return {"digest": digest, "ref": f"{str(tags[0]).rsplit(':', 1)[0]}@{digest}"}
        if typ == "pulumi:pulumi:StackReference":
            # Stand-in for the earlier stack's outputs: its built image, by digest.
            stack = str(inputs.get("name", name)).rsplit("/", 1)[-1]
            image = f"{MOCK_ACCOUNT}.dkr.ecr.{self.region}.amazonaws.com/llm-platform-{stack}/vllm-serving@sha256:{_digest('image', stack, length=64)}"
            return {"outputs": {"servingImage": image}, "secretOutputNames": []}
        if package != "aws":
            return {}
        module, _, _ = rest.partition("/")
        kind = rest.split(":")[-1]
        physical = inputs.get("name") or inputs.get("namePrefix", "") + name
        out: dict[str, Any] = {"id": rid, "arn": self._arn(module, kind, physical, rid), "name": physical}
        if typ == "aws:eks/cluster:Cluster":
            host = _digest("eks", name, length=32).upper()
            issuer = f"https://oidc.eks.{self.region}.amazonaws.com/id/{host}"
            out.update(
                endpoint=f"https://{host}.gr7.{self.region}.eks.amazonaws.com",
                certificateAuthority={"data": base64.b64encode(f"mock-ca-{name}".encode()).decode()},
                identities=[{"oidcs": [{"issuer": issuer}]}],
                vpcConfig={**(inputs.get("vpcConfig") or {}), "clusterSecurityGroupId": "sg-" + _digest("eks-sg", name)},
                status="ACTIVE",
            )
        elif typ == "aws:ec2/subnet:Subnet":
            out["availabilityZone"] = inputs.get("availabilityZone") or REGIONS[self.region][0]
        elif typ == "aws:ecr/repository:Repository":
            out["repositoryUrl"] = f"{MOCK_ACCOUNT}.dkr.ecr.{self.region}.amazonaws.com/{physical}"
            out["registryId"] = MOCK_ACCOUNT
        elif typ == "aws:s3/bucketV2:BucketV2" or typ == "aws:s3/bucket:Bucket":
            physical = inputs.get("bucket") or physical
            out.update(bucket=physical, arn=f"arn:aws:s3:::{physical}", bucketRegionalDomainName=f"{physical}.s3.{self.region}.amazonaws.com")
        elif typ == "aws:s3/directoryBucket:DirectoryBucket":
            # Directory bucket ARNs are in the s3express namespace (S3 User Guide, directory bucket ARNs).
            physical = inputs.get("bucket") or physical
            out.update(bucket=physical, arn=f"arn:aws:s3express:{self.region}:{MOCK_ACCOUNT}:bucket/{physical}")
        elif typ == "aws:sqs/queue:Queue":
            out["url"] = f"https://sqs.{self.region}.amazonaws.com/{MOCK_ACCOUNT}/{physical}"
        elif typ == "aws:kms/key:Key":
            out["keyId"] = rid
            out["arn"] = f"arn:aws:kms:{self.region}:{MOCK_ACCOUNT}:key/{rid}"
        elif typ == "aws:lb/loadBalancer:LoadBalancer":
            out["dnsName"] = f"internal-{physical}-{_digest('alb', name, length=10)}.{self.region}.elb.amazonaws.com"
        elif typ == "aws:elasticache/replicationGroup:ReplicationGroup":
            # TLS-enabled groups answer on master.<id>.<hash>.<region code>.cache.amazonaws.com.
            out["primaryEndpointAddress"] = f"master.{inputs.get('replicationGroupId', physical)}.{_digest('ec', name, length=6)}.{self.region}.cache.amazonaws.com"
        elif typ == "aws:ec2/launchTemplate:LaunchTemplate":
            out.update(latestVersion=1, defaultVersion=1)
        elif typ == "aws:iam/role:Role":
            out["uniqueId"] = "AROA" + _digest("role", name, length=17).upper()
        return out

    def _arn(self, module: str, kind: str, physical: str, rid: str) -> str:
        resource = kind[0].lower() + kind[1:]
        if module == "iam":
            return f"arn:aws:iam::{MOCK_ACCOUNT}:{resource.lower()}/{physical}"
        return f"arn:aws:{module}:{self.region}:{MOCK_ACCOUNT}:{resource.lower()}/{physical}"

    # ---- invokes ---------------------------------------------------------------------------
    def call(self, args: sdk.MockCallArgs) -> tuple[dict, list | None]:
        token = args.token
        zones = REGIONS[self.region]
        table: dict[str, dict[str, Any]] = {
            "aws:index/getAvailabilityZones:getAvailabilityZones": {
                "names": list(zones),
                "zoneIds": [f"{self.region[:2]}{self.region.split('-')[1][0]}{self.region[-1]}-az{i + 1}" for i in range(len(zones))],
                "id": self.region,
            },
            "aws:index/getCallerIdentity:getCallerIdentity": {
                "accountId": MOCK_ACCOUNT, "arn": f"arn:aws:iam::{MOCK_ACCOUNT}:user/synth", "userId": "AIDASYNTH", "id": MOCK_ACCOUNT,
            },
            "aws:index/getRegion:getRegion": {"name": self.region, "region": self.region, "id": self.region, "endpoint": f"ec2.{self.region}.amazonaws.com"},
            "aws:index/getPartition:getPartition": {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"},
            "aws:ecr/getAuthorizationToken:getAuthorizationToken": {
                "userName": "AWS", "password": "synth-not-a-real-token",
                "proxyEndpoint": f"https://{MOCK_ACCOUNT}.dkr.ecr.{self.region}.amazonaws.com",
                "authorizationToken": base64.b64encode(b"AWS:synth-not-a-real-token").decode(), "id": self.region,
            },
        }
        if token == "aws:ec2/getPrefixList:getPrefixList":
            # Stand-in for the region's S3 prefix list (com.amazonaws.<region>.s3): two S3 ranges of
            # AWS's ip-ranges.json, enough to render the egress policy; deploys read the real list.
            if str(args.args.get("name", "")).endswith(".s3express"):
                # S3 Express One Zone's list: a documentation range (RFC 5737) stands in, so tests
                # can tell the two lists apart; deploys read the real one.
                return {"name": args.args.get("name"), "prefixListId": "pl-0s3xsynth", "id": "pl-0s3xsynth",
                        "cidrBlocks": ["198.51.100.0/24"]}, []
            return {"name": args.args.get("name"), "prefixListId": "pl-0s3synth", "id": "pl-0s3synth",
                    "cidrBlocks": ["52.216.0.0/15", "54.231.0.0/16"]}, []
        if token in table:
            return table[token], []
        if token == "aws:secretsmanager/getSecretVersion:getSecretVersion":
            # Offline there are no keys: every API key secret reads as an empty key set.
            secret = str(args.args.get("secretId", "secret"))
            return {"secretString": "{}", "arn": secret, "id": secret, "versionId": "synth", "versionStages": ["AWSCURRENT"]}, []
        if token == "aws:eks/getAddonVersion:getAddonVersion":
            addon = args.args.get("addonName", "addon")
            return {"version": f"v0.0.0-synth-{addon}", "addonName": addon, "id": addon}, []
        self.unanswered_invokes.append(token)
        return {}, []


class RecordingMonitor(sdk.MockMonitor):
    """The mock monitor, remembering every registration as the engine would receive it."""

    def __init__(self, mocks: RecordingMocks):
        super().__init__(mocks)
        self.registrations: dict[str, Registration] = {}

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """URNs as the engine makes them: the type is qualified by the parent's whole chain of
        component types (the stock mock keeps only the last), and children of the root stack are
        not qualified by it. `pulumi up --target` patterns written against synth then match."""
        if parent:
            parent_type = parent.split("::")[2]
            if parent_type != "pulumi:pulumi:Stack":
                type_ = f"{parent_type}${type_}"
        return "urn:pulumi:" + "::".join([sdk.get_stack(), sdk.get_project(), type_, name])

    def RegisterResource(self, request):  # noqa: N802 (gRPC method name)
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            return response
        urn = self.make_urn(request.parent, request.type, request.name)
        inputs = sdk.deserialize_properties(request.object, keep_unknowns=True)
        state = self.resources[urn].state if urn in self.resources else {}
        self.registrations[urn] = Registration(
            urn=urn,
            type=request.type,
            name=request.name,
            parent=request.parent,
            custom=bool(request.custom),
            provider=request.provider,
            inputs=inputs,
            outputs=state,
            options=self._options(request),
        )
        return response

    def _options(self, request) -> dict[str, Any]:
        """protect, retainOnDelete, and the URNs of aliases the program gave (what a renamed or
        re-parented resource used to be). Type-only aliases, which provider SDKs add to every
        resource of a renamed type, are left out."""
        options: dict[str, Any] = {}
        if request.protect:
            options["protect"] = True
        if request.retainOnDelete:
            options["retainOnDelete"] = True
        aliases = set(request.aliasURNs)
        for alias in request.aliases:
            spec = alias.spec
            if alias.urn:
                aliases.add(alias.urn)
            elif (spec.name and spec.name != request.name) or spec.parentUrn or spec.noParent:
                parent = "" if spec.noParent else (spec.parentUrn or request.parent)
                aliases.add(self.make_urn(parent, spec.type or request.type, spec.name or request.name))
        if aliases:
            options["aliases"] = sorted(aliases)
        return options


__all__ = ["MOCK_ACCOUNT", "RecordingMocks", "RecordingMonitor", "Registration"]
