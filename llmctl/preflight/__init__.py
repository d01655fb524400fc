"""`llmctl preflight STACK`: what would fail minutes into a first deploy, checked in seconds with the
operator's own AWS credentials (default boto3 chain, AWS_ENDPOINT_URL honoured)."""

from llmctl.preflight.rows import BLOCKER, OK, UNKNOWN, WARN, Row

__all__ = ["BLOCKER", "OK", "UNKNOWN", "WARN", "Row"]
