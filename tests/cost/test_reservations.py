"""Preflight of capacity reservations against EC2 (moto lacks DescribeCapacityReservations:
botocore's Stubber checks requests and responses against the real service model)."""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import Stubber

from components.gpu_pools.models import GpuPoolConfig
from llmctl.cost.reservations import check_reservations

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
BLOCK = {"id": "cr-0abc123def4567890", "instanceType": "p5e.48xlarge", "count": 2, "type": "capacity-block",
         "start": "2026-12-01T11:30:00Z", "end": "2026-12-15T11:30:00Z", "hourlyUsd": 31.464}


def _pool(**reservation) -> GpuPoolConfig:
    return GpuPoolConfig.model_validate({"name": "h200", "families": ["p5e"], "capacityTypes": ["reserved"], "gpuLimit": 16,
                                         "capacityReservations": [{**BLOCK, **reservation}]})


def _ec2(*responses):
    ec2 = boto3.client("ec2", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(ec2)
    for method, body, params in responses:
        if isinstance(body, str):
            stub.add_client_error(method, service_error_code=body, http_status_code=400, expected_params=params)
        else:
            stub.add_response(method, body, params)
    stub.activate()
    return ec2, stub


def _cr(state="active", itype="p5e.48xlarge", count=2, kind="capacity-block", start=datetime(2026, 12, 1, 11, 30, tzinfo=UTC),
        end=datetime(2026, 12, 15, 11, 30, tzinfo=UTC)) -> dict:
    return {"CapacityReservationId": "cr-0abc123def4567890", "InstanceType": itype, "State": state, "TotalInstanceCount": count,
            "ReservationType": kind, "StartDate": start, "EndDate": end, "AvailabilityZone": "us-east-1a"}


BY_ID = {"CapacityReservationIds": ["cr-0abc123def4567890"]}


def test_an_active_block_as_configured_passes():
    ec2, stub = _ec2(("describe_capacity_reservations", {"CapacityReservations": [_cr()]}, BY_ID))
    assert check_reservations(ec2, [_pool()], NOW) == []
    stub.assert_no_pending_responses()


def test_a_missing_reservation_is_an_error():
    ec2, _ = _ec2(("describe_capacity_reservations", "InvalidCapacityReservationId.NotFound", BY_ID))
    (finding,) = check_reservations(ec2, [_pool()], NOW)
    assert str(finding) == ("error: gpu pool h200, reservation cr-0abc123def4567890: not found in this account and region; "
                            "Karpenter would never launch reserved nodes")


@pytest.mark.parametrize(
    ("reservation", "expected"),
    [
        (_cr(state="expired"), ["error: gpu pool h200, reservation cr-0abc123def4567890: no p5e.48xlarge reservation is active or scheduled (found: p5e.48xlarge expired)"]),
        (_cr(itype="p5en.48xlarge"), ["error: gpu pool h200, reservation cr-0abc123def4567890: no p5e.48xlarge reservation is active or scheduled (found: p5en.48xlarge active)"]),
        (_cr(end=datetime(2026, 12, 1, 11, 0, tzinfo=UTC)), ["error: gpu pool h200, reservation cr-0abc123def4567890: ended 2026-12-01T11:00:00+00:00"]),
        (_cr(state="scheduled", start=datetime(2026, 12, 3, 11, 30, tzinfo=UTC)),
         ["warning: gpu pool h200, reservation cr-0abc123def4567890: starts 2026-12-03T11:30:00+00:00: reserved pods stay pending until then"]),
        (_cr(end=datetime(2026, 12, 2, 6, 0, tzinfo=UTC)),
         ["warning: gpu pool h200, reservation cr-0abc123def4567890: ends 2026-12-02T06:00:00+00:00, within 24 h: "
          "EC2 reclaims Capacity Block instances before the end"]),
        (_cr(count=1, kind="default"),
         ["warning: gpu pool h200, reservation cr-0abc123def4567890: holds 1 x p5e.48xlarge, the stack expects 2 (the estimate overstates it)",
          "warning: gpu pool h200, reservation cr-0abc123def4567890: is a default reservation, the stack says capacity-block"]),
    ],
)
def test_state_type_count_and_window_are_checked(reservation, expected):
    ec2, _ = _ec2(("describe_capacity_reservations", {"CapacityReservations": [reservation]}, BY_ID))
    assert [str(f) for f in check_reservations(ec2, [_pool()], NOW)] == expected


def test_tag_selected_reservations_filter_on_tags_and_owner():
    pool = _pool(id=None, tags={"purpose": "llm"}, ownerId="444455556666")
    params = {"Filters": [{"Name": "tag:purpose", "Values": ["llm"]}, {"Name": "owner-id", "Values": ["444455556666"]}]}
    ec2, stub = _ec2(("describe_capacity_reservations", {"CapacityReservations": [_cr()]}, params))
    assert check_reservations(ec2, [pool], NOW) == []
    stub.assert_no_pending_responses()
    ec2, _ = _ec2(("describe_capacity_reservations", {"CapacityReservations": []}, params))
    assert [f.message for f in check_reservations(ec2, [pool], NOW)] == ["not found in this account and region; Karpenter would never launch reserved nodes"]


def test_preflight_rows_block_on_a_missing_reservation_and_pass_an_active_one():
    from llmctl.preflight.capacity import reservation_rows
    from llmctl.preflight.rows import BLOCKER, OK

    ec2, stub = _ec2(("describe_capacity_reservations", {"CapacityReservations": [_cr()]}, BY_ID),
                     ("describe_capacity_reservations", "InvalidCapacityReservationId.NotFound", BY_ID))
    plain = GpuPoolConfig.model_validate({"name": "g6", "families": ["g6"], "gpuLimit": 4})
    (ok,) = reservation_rows(ec2, [_pool(), plain], NOW)
    assert (ok.check, ok.status) == ("reservations h200", OK)
    (blocked,) = reservation_rows(ec2, [_pool()], NOW)
    assert (blocked.status, blocked.reason) == (
        BLOCKER, "cr-0abc123def4567890: not found in this account and region; Karpenter would never launch reserved nodes")
    stub.assert_no_pending_responses()
