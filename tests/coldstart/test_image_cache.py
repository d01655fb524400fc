"""`llmctl image cache`: the snapshot build against moto (EC2, ECR) with SSM stubbed at its
boundary by botocore's Stubber (requests checked against the real SSM model)."""

from __future__ import annotations

import pytest
from botocore.stub import ANY, Stubber
from typer.testing import CliRunner

from components.coldstart.imagecache import CacheRecord
from llmctl.cli import app
from llmctl.image.cache import CTR, TAG_PREFIX, CacheError, CachePlan, Clients, build, verify

DIGEST = "sha256:" + "d" * 64
SERVING = "111122223333.dkr.ecr.us-west-2.amazonaws.com/llm-platform-dev/vllm-serving:v0.33.0-0123456789ab"


@pytest.fixture
def aws(aws_credentials):
    import boto3
    from moto import mock_aws

    with mock_aws():
        ec2 = boto3.client("ec2", region_name="us-west-2")
        vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.40.0.0/20")["Subnet"]["SubnetId"]
        ami = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
        boto3.client("iam").create_instance_profile(InstanceProfileName="karpenter-node")
        ssm = boto3.client("ssm", region_name="us-west-2")
        yield ec2, ssm, boto3.client("ecr", region_name="us-west-2"), subnet, ami


def plan(subnet: str) -> CachePlan:
    return CachePlan("dev", "us-west-2", "1.34", "v1.63.0", {"serving": SERVING}, subnet, "karpenter-node", 300, {"team": "ml-platform"})


def expect_ssm(stub: Stubber, ami: str, outputs: list[tuple[str, str]]) -> None:
    stub.add_response("get_parameter", {"Parameter": {"Name": "p", "Value": ami}},
                      {"Name": "/aws/service/bottlerocket/aws-k8s-1.34/x86_64/1.63.0/image_id"})
    stub.add_response("describe_instance_information", {"InstanceInformationList": []}, {"Filters": ANY})
    stub.add_response("describe_instance_information", {"InstanceInformationList": [{"InstanceId": "i-x", "PingStatus": "Online"}]}, {"Filters": ANY})
    for number, (status, out) in enumerate(outputs):
        stub.add_response("send_command", {"Command": {"CommandId": f"00000000-0000-0000-0000-{number:012d}"}},
                          {"InstanceIds": ANY, "DocumentName": "AWS-RunShellScript", "Comment": ANY, "Parameters": ANY})
        stub.add_response("get_command_invocation", {"Status": "InProgress"}, {"CommandId": f"00000000-0000-0000-0000-{number:012d}", "InstanceId": ANY})
        stub.add_response("get_command_invocation", {"Status": status, "StandardOutputContent": out, "StandardErrorContent": "denied" if status != "Success" else ""},
                          {"CommandId": f"00000000-0000-0000-0000-{number:012d}", "InstanceId": ANY})


def test_build_pulls_snapshots_tags_records_and_terminates(aws):
    ec2, ssm, ecr, subnet, ami = aws
    sleeps: list[float] = []
    with Stubber(ssm) as stub:
        expect_ssm(stub, ami, [("Success", "unpacking done"), ("Success", f"{SERVING} application/vnd.oci.image.index.v1+json {DIGEST} 9.8 GiB")])
        record = build(plan(subnet), Clients(ec2, ssm, ecr, sleep=sleeps.append))
        stub.assert_no_pending_responses()
    assert sleeps == [5.0, 5.0, 5.0]  # SSM registration once, each command once
    assert record.images == {"serving": SERVING} and record.digests == {SERVING: DIGEST}
    assert (record.region, record.volume_gib, record.bottlerocket) == ("us-west-2", 300, "v1.63.0")
    snap = ec2.describe_snapshots(SnapshotIds=[record.snapshot_id])["Snapshots"][0]
    tags = {t["Key"]: t["Value"] for t in snap["Tags"]}
    assert tags[f"{TAG_PREFIX}/serving"] == SERVING and tags[f"{TAG_PREFIX}/serving-digest"] == DIGEST
    assert tags[f"{TAG_PREFIX}/stack"] == "dev" and tags["team"] == "ml-platform"
    instance = ec2.describe_instances()["Reservations"][0]["Instances"][0]
    assert instance["State"]["Name"] == "terminated"
    assert instance["MetadataOptions"]["HttpTokens"] == "required"
    assert snap["VolumeSize"] == 300 and snap["Encrypted"]  # the data volume (deleted with the builder)
    assert verify(record, ec2) == []


def test_the_pull_command_uses_the_cri_namespace_and_an_ecr_login(aws):
    ec2, ssm, ecr, subnet, ami = aws
    sent: list[str] = []
    with Stubber(ssm) as stub:
        expect_ssm(stub, ami, [("Success", ""), ("Success", DIGEST)])
        stub_send = ssm.send_command

        def record_send(**kwargs):
            sent.append(kwargs["Parameters"]["commands"][0])
            return stub_send(**kwargs)

        ssm.send_command = record_send
        build(plan(subnet), Clients(ec2, ssm, ecr, sleep=lambda s: None))
    assert sent[0].startswith(f"{CTR} images pull --label io.cri-containerd.image=managed --user AWS:")
    assert sent[0].endswith(f" {SERVING}")
    assert sent[1] == f"{CTR} images ls name=={SERVING}"


def test_a_failed_pull_leaves_no_instance_and_no_snapshot(aws):
    ec2, ssm, ecr, subnet, ami = aws
    with Stubber(ssm) as stub:
        expect_ssm(stub, ami, [("Failed", "")])
        with pytest.raises(CacheError, match=f"pull {SERVING}: Failed: denied"):
            build(plan(subnet), Clients(ec2, ssm, ecr, sleep=lambda s: None))
    assert ec2.describe_instances()["Reservations"][0]["Instances"][0]["State"]["Name"] == "terminated"
    assert ec2.describe_snapshots(Filters=[{"Name": "tag-key", "Values": [f"{TAG_PREFIX}/stack"]}])["Snapshots"] == []


def test_ssm_never_online_times_out(aws):
    ec2, ssm, ecr, subnet, ami = aws
    with Stubber(ssm) as stub:
        stub.add_response("get_parameter", {"Parameter": {"Name": "p", "Value": ami}}, {"Name": ANY})
        for _ in range(3):
            stub.add_response("describe_instance_information", {"InstanceInformationList": []}, {"Filters": ANY})
        with pytest.raises(CacheError, match="timed out after 10 s waiting for i-.* to register with SSM"):
            build(plan(subnet), Clients(ec2, ssm, ecr, sleep=lambda s: None, timeout_seconds=10))


def test_verify_reports_a_snapshot_that_no_longer_matches_the_record(aws):
    ec2, *_ = aws
    volume = ec2.create_volume(AvailabilityZone="us-west-2a", Size=300)["VolumeId"]
    snap = ec2.create_snapshot(VolumeId=volume, TagSpecifications=[{"ResourceType": "snapshot", "Tags": [
        {"Key": f"{TAG_PREFIX}/serving", "Value": SERVING}, {"Key": f"{TAG_PREFIX}/serving-digest", "Value": "sha256:" + "e" * 64}]}])["SnapshotId"]
    record = CacheRecord(snap, "us-west-2", {"serving": SERVING}, 300, "v1.63.0", digests={SERVING: DIGEST})
    assert verify(record, ec2) == [f"serving: snapshot digest {'sha256:' + 'e' * 64!r}, record {DIGEST!r}"]
    assert verify(CacheRecord("snap-0000000000000000a", "us-west-2", {}, 300, "v1.63.0"), ec2) == [
        "snapshot snap-0000000000000000a: InvalidSnapshot.NotFound"]


@pytest.mark.parametrize(("args", "message"), [
    (["image", "cache", "dev"], "error: --instance-profile is required to build the cache"),
    (["image", "cache", "dev", "--image", "nvcr.io/nvidia/k8s/dcgm-exporter:latest"], "error: --image nvcr.io/nvidia/k8s/dcgm-exporter:latest: tag 'latest' moves"),
    (["image", "cache", "nosuch", "--instance-profile", "p"], "error: "),
])
def test_cli_input_errors_are_one_line_exit_2(args, message, aws_credentials):
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert result.output.startswith(message) and len(result.output.strip().splitlines()) == 1
