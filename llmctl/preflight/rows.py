"""One preflight row per check: ok / warn / BLOCKER / could-not-check, with the reason and the fix."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

OK, WARN, BLOCKER, UNKNOWN = "ok", "warn", "BLOCKER", "could-not-check"


@dataclass(frozen=True)
class Row:
    check: str
    status: str
    reason: str
    fix: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"check": self.check, "status": self.status, "reason": self.reason, "fix": self.fix}


class UnreachableError(Exception):
    """AWS (or AWS_ENDPOINT_URL) does not answer at all: one line, no table."""


def guarded(check: str, run: Callable[[], Iterable[Row]]) -> list[Row]:
    """Run one check family; an API that is missing, denied or failing becomes could-not-check, never a crash."""
    from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

    try:
        return list(run())
    except EndpointConnectionError as exc:
        raise UnreachableError(str(exc)) from None
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code, message = error.get("Code", "?"), (error.get("Message") or "").strip()
        if code in ("404", "500", "501") or message.startswith("<"):  # an HTML error page: the endpoint lacks the API
            message = "not implemented by this endpoint"
        return [Row(check, UNKNOWN, f"{exc.operation_name}: {code} {message.splitlines()[0][:160] if message else ''}".strip(), _fix_for(code))]
    except BotoCoreError as exc:
        return [Row(check, UNKNOWN, str(exc).splitlines()[0][:200], "check credentials and network, then run preflight again")]


def _fix_for(code: str) -> str:
    if "AccessDenied" in code or code in ("UnauthorizedOperation", "AuthFailure"):
        return "grant the deployer read access to this API, or check it by hand"
    return "check it by hand (the API did not answer usefully here)"


def exit_code(rows: list[Row]) -> int:
    return 1 if any(r.status == BLOCKER for r in rows) else 0


def render_text(stack: str, rows: list[Row]) -> str:
    width = max(len(r.check) for r in rows)
    lines = [f"preflight {stack}:"]
    for r in rows:
        lines.append(f"  {r.status:<15} {r.check:<{width}}  {r.reason}")
        if r.fix and r.status != OK:
            lines.append(f"  {'':<15} {'':<{width}}  fix: {r.fix}")
    blockers = sum(r.status == BLOCKER for r in rows)
    lines.append(f"{blockers} blocker(s), {sum(r.status == WARN for r in rows)} warning(s), "
                 f"{sum(r.status == UNKNOWN for r in rows)} could not be checked")
    return "\n".join(lines)
