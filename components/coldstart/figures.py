"""Every fixed figure the cold-start budget uses, each with where it comes from.

`kind` says how far to trust it: "measured" (a published measurement), "documented" (a default
or limit from the vendor's docs), "estimate" (our own reasoning, stated). Formulas built on these
live in budget.py; nothing here is adjusted to make a total come out under a target.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.gpu_pools.models import ImageCacheConfig


@dataclass(frozen=True)
class Figure:
    value: float
    kind: str  # measured | documented | estimate
    source: str


KARPENTER_BATCH = Figure(1, "documented", "Karpenter BATCH_IDLE_DURATION default 1s (karpenter.sh/docs/reference/settings)")
KARPENTER_LAUNCH = Figure(5, "estimate", "Karpenter scheduling simulation + CreateFleet call")
EC2_BOOT = Figure(30, "estimate", "EC2 pending -> running for a Nitro GPU instance")
NODE_JOIN = Figure(30, "measured", "Bottlerocket boot to node registered ~30 s (akingscote.co.uk, 'AWS Bottlerocket - significantly reducing container startup time')")
GPU_INIT = Figure(15, "estimate", "NVIDIA driver load, device plugin advertising nvidia.com/gpu, VPC CNI ready")
# Compressed size of the vllm/vllm-openai images on Docker Hub: 12.64 GB reported for `latest` in
# late 2025 (vllm-project/vllm#27154 and the discuss.vllm.ai thread it links; 28.6 GB unpacked in
# vllm-project/vllm#22377). The v0.33 tag itself was not read from here; this review raised the
# figure from an unsourced 10 GB (it only moves the first-start and before scenarios).
IMAGE_COMPRESSED_GB = Figure(12.64, "measured", "vllm-project/vllm#27154: vllm/vllm-openai:latest is 12.64 GB compressed on Docker Hub (late 2025)")
IMAGE_STARTUP_READ_GB = Figure(6, "estimate", "bytes of the image read while vLLM starts (torch, CUDA libraries, vLLM)")
CONTAINER_CREATE = Figure(2, "estimate", "kubelet finds the image present and creates the container (no pull)")
# AWS ML blog "Reducing container cold start times using SOCI index on DLAMI and DLC": standard
# pulls of 15-20 GB images take 4-6 minutes -> 17.5 GB / 300 s.
PLAIN_PULL_GBPS = Figure(17.5 / 300, "measured", "AWS ML blog (SOCI on DLAMI/DLC): 15-20 GB image pulls take 4-6 min")
SOCI_UNPACK_GBPS = Figure(0.3, "estimate", "SOCI parallel pull: layers fetched in parallel, gzip decompression ~0.3 GB/s across layers")
# Amazon S3 performance guidelines: one connection per 85-90 MB/s of desired throughput.
S3_PER_CONNECTION_GBPS = Figure(0.085, "documented", "Amazon S3 performance guidelines: 85-90 MB/s per connection")
# Request-rate ceilings of the two weight stores, and the streamer's request size: together they
# cap how many nodes can stream one model at their NIC rate at once.
S3_PREFIX_GETS = Figure(5500, "documented", "Amazon S3 performance guidelines: at least 5,500 GET/HEAD per second per prefix, scaling above it is gradual")
S3_EXPRESS_GETS = Figure(200_000, "documented", "S3 User Guide, Optimizing S3 Express One Zone performance: 200,000 reads per second per directory bucket by default")
STREAMER_CHUNK_BYTES = Figure(8 * 2**20, "documented", "run-ai/runai-model-streamer docs/src/env-vars.md: RUNAI_STREAMER_CHUNK_BYTESIZE 8 MiB default for object stores")
S3_LINE_RATE_SHARE = Figure(0.8, "estimate", "share of the NIC line rate usable for S3 GETs (TCP/TLS overhead)")
# Tensorfuse "Reducing GPU cold start" (Llama-3.1-8B on L40S, vLLM): torch.compile 42 s cold /
# 13 s warm cache; CUDA graph capture 54 s / 7 s; whole engine init 94 s / 34 s.
COMPILE_COLD = Figure(42, "measured", "Tensorfuse, Llama-3.1-8B on L40S: torch.compile 42 s without cache")
COMPILE_WARM = Figure(13, "measured", "Tensorfuse, Llama-3.1-8B on L40S: torch.compile 13 s from the compile cache")
CAPTURE_COLD = Figure(54, "measured", "Tensorfuse, Llama-3.1-8B on L40S: CUDA graph capture 54 s cold")
CAPTURE_WARM = Figure(7, "measured", "Tensorfuse, Llama-3.1-8B on L40S: CUDA graph capture 7 s warm")
REFERENCE_LAYERS = 32  # Llama-3.1-8B, the model of the Tensorfuse measurements
ENGINE_INIT_OTHER = Figure(34 - 13 - 7, "measured", "Tensorfuse warm engine init 34 s minus compile 13 s and capture 7 s")
TP_INIT = Figure(10, "estimate", "extra workers and NCCL communicator setup with tensor parallel > 1")
READINESS_PERIOD = Figure(5, "documented", "readinessProbe periodSeconds 5 (components/serving/manifests.py)")
# The gateway's endpoint picker watches the slot's pods and adds one on its Ready update, then
# scrapes its metrics every 50 ms (gateway-api-inference-extension pkg/epp/controller
# pod_reconciler.go; runserver DefaultRefreshMetricsInterval). The NLB health-checks the Envoy
# proxies, not vLLM pods, so no load-balancer health threshold applies (the ALB is gone, #14).
ROUTE_HEALTHY = Figure(1, "estimate", "endpoint picker adds the pod on its Ready event (pod watch) and reads its metrics every 50 ms (GIE EPP defaults)")
FIRST_TOKEN = Figure(1, "estimate", "prefill of a short prompt on a warmed engine")
# Provisioned Rate for Volume Initialization of a restored data volume: the pool's
# imageCache.volumeInitializationRate (default: the EBS maximum, 300 MiB/s).
VOLUME_INIT_MIBPS: int = ImageCacheConfig.model_fields["volume_initialization_rate"].default
