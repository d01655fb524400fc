"""Build a Bottlerocket data-volume snapshot holding the serving image (AWS's documented approach,
aws-samples/bottlerocket-images-cache and the AWS Containers blog "Reduce container startup time on
Amazon EKS with Bottlerocket data volume"):

1. launch one Bottlerocket instance of the pinned release (standard aws-k8s variant: the data
   volume's containerd store is the same on the NVIDIA variant) in a cluster subnet, IMDSv2 only;
2. wait until SSM sees it, then pull every image into containerd's k8s.io namespace through
   `apiclient exec admin sheltie ctr ...` (Run Command, AWS-RunShellScript) and read back the digest
   containerd resolved;
3. stop the instance, snapshot its data volume (/dev/xvdb) with the image references and digests as
   tags, wait for the snapshot, and always terminate the instance.

Clients are passed in, so tests run the whole flow against moto (EC2) and botocore's Stubber (SSM).
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from components.coldstart.imagecache import SERVING, CacheRecord

DATA_DEVICE = "/dev/xvdb"
CTR = "apiclient exec admin sheltie ctr -a /run/containerd/containerd.sock -n k8s.io"
ECR_HOST = re.compile(r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/")
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
TAG_PREFIX = "llm-platform/image-cache"


class CacheError(Exception):
    """The cache could not be built; str() is one line for the user."""


@dataclass(frozen=True)
class CachePlan:
    stack: str
    region: str
    kubernetes_version: str
    bottlerocket: str  # v1.63.0
    images: dict[str, str]  # role -> reference (role "serving" is what the program compares)
    subnet_id: str
    instance_profile: str
    volume_gib: int
    tags: dict[str, str] = field(default_factory=dict)
    instance_type: str = "m7i.large"  # no GPU needed to pull; network up to 12.5 Gbps

    @property
    def ami_parameter(self) -> str:
        return f"/aws/service/bottlerocket/aws-k8s-{self.kubernetes_version}/x86_64/{self.bottlerocket.lstrip('v')}/image_id"


@dataclass
class Clients:
    ec2: Any
    ssm: Any
    ecr: Any
    sleep: Callable[[float], None] = time.sleep
    log: Callable[[str], None] = lambda message: None
    poll_seconds: float = 5.0
    timeout_seconds: float = 1800.0


def _tags(plan: CachePlan, extra: dict[str, str] | None = None) -> list[dict[str, str]]:
    tags = {**plan.tags, f"{TAG_PREFIX}/stack": plan.stack, **(extra or {})}
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


def launch(plan: CachePlan, c: Clients) -> str:
    ami = c.ssm.get_parameter(Name=plan.ami_parameter)["Parameter"]["Value"]
    reservation = c.ec2.run_instances(
        ImageId=ami, InstanceType=plan.instance_type, MinCount=1, MaxCount=1, SubnetId=plan.subnet_id,
        IamInstanceProfile={"Name": plan.instance_profile},
        MetadataOptions={"HttpTokens": "required", "HttpPutResponseHopLimit": 1, "HttpEndpoint": "enabled"},
        BlockDeviceMappings=[{"DeviceName": DATA_DEVICE, "Ebs": {"VolumeSize": plan.volume_gib, "VolumeType": "gp3", "Encrypted": True,
                                                                  "DeleteOnTermination": True}}],
        TagSpecifications=[{"ResourceType": kind, "Tags": _tags(plan, {"Name": f"{plan.stack}-image-cache-builder"})}
                           for kind in ("instance", "volume")],
    )
    instance_id = reservation["Instances"][0]["InstanceId"]
    c.log(f"launched {instance_id} ({plan.instance_type}, {ami})")
    c.ec2.get_waiter("instance_running").wait(InstanceIds=[instance_id])
    return instance_id


def _until(c: Clients, what: str, check: Callable[[], bool]) -> None:
    waited = 0.0
    while not check():
        if waited >= c.timeout_seconds:
            raise CacheError(f"timed out after {waited:.0f} s waiting for {what}")
        c.sleep(c.poll_seconds)
        waited += c.poll_seconds


def wait_for_ssm(instance_id: str, c: Clients) -> None:
    def online() -> bool:
        info = c.ssm.describe_instance_information(Filters=[{"Key": "InstanceIds", "Values": [instance_id]}])["InstanceInformationList"]
        return bool(info) and info[0].get("PingStatus") == "Online"

    _until(c, f"{instance_id} to register with SSM (needs the SSM endpoints or a NAT route)", online)


def run(instance_id: str, command: str, comment: str, c: Clients) -> str:
    """Run one shell command through SSM and return its output; a failure raises CacheError."""
    command_id = c.ssm.send_command(
        InstanceIds=[instance_id], DocumentName="AWS-RunShellScript", Comment=comment[:100], Parameters={"commands": [command]},
    )["Command"]["CommandId"]
    result: dict[str, Any] = {}

    def done() -> bool:
        try:
            result.update(c.ssm.get_command_invocation(CommandId=command_id, InstanceId=instance_id))
        except c.ssm.exceptions.InvocationDoesNotExist:
            return False
        return result["Status"] not in ("Pending", "InProgress", "Delayed")

    _until(c, comment, done)
    if result["Status"] != "Success":
        raise CacheError(f"{comment}: {result['Status']}: {result.get('StandardErrorContent', '').strip()[:300]}")
    return result.get("StandardOutputContent", "")


def registry_login(image: str, c: Clients) -> str:
    """`--user AWS:<token>` for a private ECR image (a 12-hour token with the caller's pull rights),
    nothing for public registries."""
    match = ECR_HOST.match(image)
    if not match:
        return ""
    data = c.ecr.get_authorization_token(registryIds=[match["account"]])["authorizationData"][0]
    user, _, password = base64.b64decode(data["authorizationToken"]).decode().partition(":")
    return f" --user {user}:{password}"


def pull(instance_id: str, image: str, c: Clients) -> str:
    """Pull into the k8s.io namespace labelled as CRI-managed (kubelet then treats it as present)
    and return the digest containerd resolved."""
    run(instance_id, f"{CTR} images pull --label io.cri-containerd.image=managed{registry_login(image, c)} {image}", f"pull {image}", c)
    listing = run(instance_id, f"{CTR} images ls name=={image}", f"digest of {image}", c)
    digest = DIGEST.search(listing)
    if not digest:
        raise CacheError(f"containerd lists no digest for {image} after the pull")
    c.log(f"pulled {image} ({digest.group(0)})")
    return digest.group(0)


def data_volume(instance_id: str, c: Clients) -> str:
    instance = c.ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
    for mapping in instance.get("BlockDeviceMappings", []):
        if mapping["DeviceName"] == DATA_DEVICE:
            return mapping["Ebs"]["VolumeId"]
    raise CacheError(f"{instance_id} has no {DATA_DEVICE} data volume")


def snapshot(instance_id: str, plan: CachePlan, digests: dict[str, str], c: Clients) -> str:
    c.ec2.stop_instances(InstanceIds=[instance_id])
    c.ec2.get_waiter("instance_stopped").wait(InstanceIds=[instance_id])
    image_tags = {f"{TAG_PREFIX}/{role}": ref for role, ref in plan.images.items()}
    image_tags |= {f"{TAG_PREFIX}/{role}-digest": digests[role] for role in plan.images}
    snap = c.ec2.create_snapshot(
        VolumeId=data_volume(instance_id, c), Description=f"llm-platform {plan.stack}: Bottlerocket {plan.bottlerocket} data volume, images pre-pulled",
        TagSpecifications=[{"ResourceType": "snapshot", "Tags": _tags(plan, {**image_tags, f"{TAG_PREFIX}/bottlerocket": plan.bottlerocket})}],
    )
    c.ec2.get_waiter("snapshot_completed").wait(SnapshotIds=[snap["SnapshotId"]], WaiterConfig={"Delay": 15, "MaxAttempts": 240})
    return snap["SnapshotId"]


def build(plan: CachePlan, c: Clients) -> CacheRecord:
    if SERVING not in plan.images:
        raise CacheError("the cache must hold the serving image")
    instance_id = launch(plan, c)
    try:
        wait_for_ssm(instance_id, c)
        digests = {role: pull(instance_id, ref, c) for role, ref in plan.images.items()}
        snapshot_id = snapshot(instance_id, plan, digests, c)
    finally:
        c.ec2.terminate_instances(InstanceIds=[instance_id])
        c.log(f"terminated {instance_id}")
    return CacheRecord(
        snapshot_id=snapshot_id, region=plan.region, images=dict(plan.images), volume_gib=plan.volume_gib, bottlerocket=plan.bottlerocket,
        created=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), digests={plan.images[r]: d for r, d in digests.items()},
    )


def verify(record: CacheRecord, ec2: Any) -> list[str]:
    """What differs between the recorded cache and the snapshot's own tags (empty: in step)."""
    try:
        snaps = ec2.describe_snapshots(SnapshotIds=[record.snapshot_id])["Snapshots"]
    except ec2.exceptions.ClientError as exc:
        return [f"snapshot {record.snapshot_id}: {exc.response['Error']['Code']}"]
    if not snaps or snaps[0]["State"] != "completed":
        return [f"snapshot {record.snapshot_id} is not completed"]
    tags = {t["Key"]: t["Value"] for t in snaps[0].get("Tags", [])}
    problems = []
    for role, ref in record.images.items():
        if tags.get(f"{TAG_PREFIX}/{role}") != ref:
            problems.append(f"{role}: snapshot tag {tags.get(f'{TAG_PREFIX}/{role}')!r}, record {ref!r}")
        if record.digests.get(ref) and tags.get(f"{TAG_PREFIX}/{role}-digest") != record.digests[ref]:
            problems.append(f"{role}: snapshot digest {tags.get(f'{TAG_PREFIX}/{role}-digest')!r}, record {record.digests[ref]!r}")
    return problems
