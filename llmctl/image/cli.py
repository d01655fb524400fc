"""`llmctl image cache STACK`: build (or --verify) the stack's image cache snapshot."""

from __future__ import annotations

import typer

image_app = typer.Typer(no_args_is_help=True, help="Serving images on GPU nodes: the Bottlerocket data-volume image cache.")


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def serving_reference(cfg, account: str, cluster: str) -> str:
    """The exact reference GPU nodes pull: the pinned registry.image, else the release tag the
    stack builds into its own repository (components/registry)."""
    from components.coldstart.imagecache import serving_key

    key = serving_key(cfg.registry)
    if cfg.registry.image:
        return key
    return f"{account}.dkr.ecr.{cfg.region}.amazonaws.com/{cluster}/vllm-serving:{key}"


def private_subnet(ec2, cluster: str) -> str:
    subnets = ec2.describe_subnets(Filters=[{"Name": "tag:karpenter.sh/discovery", "Values": [cluster]}])["Subnets"]
    if not subnets:
        _fail(f"no subnet tagged karpenter.sh/discovery={cluster}; deploy the stack first or pass --subnet-id")
    return sorted(subnets, key=lambda s: s["SubnetId"])[0]["SubnetId"]


@image_app.command("cache")
def cache(
    stack: str = typer.Argument(..., help="Stack: stacks/Pulumi.<stack>.yaml."),
    instance_profile: str | None = typer.Option(None, "--instance-profile", help="Instance profile of the builder: SSM managed-instance core and ECR pull (the Karpenter node role's profile has both)."),
    subnet_id: str | None = typer.Option(None, "--subnet-id", help="Subnet of the builder (default: a private subnet of the stack's cluster)."),
    image: list[str] = typer.Option([], "--image", help="Also pre-pull this pinned image (repeatable), e.g. the DCGM exporter's."),
    verify: bool = typer.Option(False, "--verify", help="Only check the recorded snapshot's tags against stacks/image-cache/<stack>.json."),
) -> None:
    """Pre-pull the serving image into a Bottlerocket data-volume snapshot and record it for the stack."""
    import boto3

    from components.coldstart.imagecache import SERVING, load_record, save_record
    from components.gpu_pools.versions import BOTTLEROCKET
    from components.registry.images import check_image_ref
    from infra.config import ConfigError, load_stack
    from infra.providers import cluster_name
    from llmctl.image.cache import CacheError, CachePlan, Clients, build
    from llmctl.image.cache import verify as verify_record
    from llmctl.synth.runner import project_root

    root = project_root()
    try:
        cfg = load_stack(stack, root)
    except ConfigError as exc:
        _fail(str(exc))
    for ref in image:
        if check_image_ref(ref):
            _fail(f"--image {ref}: {check_image_ref(ref)}")
    ec2 = boto3.client("ec2", region_name=cfg.region)
    if verify:
        record = load_record(stack, root)
        if record is None:
            _fail(f"no image cache recorded for {stack}; run `llmctl image cache {stack}`")
        problems = verify_record(record, ec2)
        typer.echo("\n".join(problems) if problems else f"{record.snapshot_id} holds what stacks/image-cache/{stack}.json records")
        raise typer.Exit(1 if problems else 0)
    if not instance_profile:
        _fail("--instance-profile is required to build the cache")
    cluster = cluster_name(cfg)
    account = boto3.client("sts", region_name=cfg.region).get_caller_identity()["Account"]
    images = {SERVING: serving_reference(cfg, account, cluster), **{ref: ref for ref in image}}
    plan = CachePlan(
        stack=stack, region=cfg.region, kubernetes_version=cfg.cluster.kubernetes_version, bottlerocket=BOTTLEROCKET, images=images,
        subnet_id=subnet_id or private_subnet(ec2, cluster), instance_profile=instance_profile,
        volume_gib=min(p.data_volume_gib for p in cfg.gpu.pools), tags=dict(cfg.tags),
    )
    clients = Clients(ec2, boto3.client("ssm", region_name=cfg.region), boto3.client("ecr", region_name=cfg.region), log=typer.echo)
    try:
        record = build(plan, clients)
    except CacheError as exc:
        _fail(str(exc))
    path = save_record(stack, record, root)
    typer.echo(f"{record.snapshot_id}: {', '.join(images.values())} -> {path.relative_to(root)} (commit it, then pulumi up)")
