"""One-line config errors: the stack file, the key path as the file writes it, the value and
what is allowed. `_KeyError` lets a cross-section check name the exact key it is about."""

from __future__ import annotations

import json
from ipaddress import IPv4Network
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ValidationError

from infra.stack_yaml import PROJECT, REGION_KEY


class _KeyError(ValueError):
    """A cross-section error that knows the exact key it is about."""

    def __init__(self, loc: tuple[str | int, ...], value: Any, allowed: str):
        super().__init__(allowed)
        self.loc = loc
        self.value = value
        self.allowed = allowed


def one_message(exc: ValidationError, source: str, root: type[BaseModel]) -> str:
    """One line: the file, the key path, the value and what is allowed (first error, count of the rest)."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    ctx_error = (first.get("ctx") or {}).get("error")
    if isinstance(ctx_error, _KeyError):
        loc, value, allowed = ctx_error.loc, ctx_error.value, ctx_error.allowed
    else:
        loc, value = tuple(first["loc"]), first.get("input")
        allowed = _explain(first, loc, root)
    more = f" (and {len(errors) - 1} more error{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    shown = "missing" if first["type"] == "missing" else _show(value)
    return f"{source}: {_key_path(loc, root)}: {shown}: {allowed}{more}"


def _key_path(loc: tuple[str | int, ...], root: type[BaseModel]) -> str:
    if not loc:
        return f"{PROJECT}:<root>"
    head, *rest = loc
    sections = {name: field.alias or name for name, field in root.model_fields.items()}
    path = REGION_KEY if head == "region" else f"{PROJECT}:{sections.get(str(head), head)}"
    for part in rest:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _show(value: Any) -> str:
    if isinstance(value, (dict, list)):
        text = json.dumps(value, default=str, sort_keys=True)
        return text if len(text) <= 80 else text[:77] + "..."
    if isinstance(value, IPv4Network):
        return str(value)
    return repr(value)


def _explain(error: dict[str, Any], loc: tuple[str | int, ...], root: type[BaseModel]) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        keys = _allowed_keys(loc[:-1], root)
        return f"unknown key; allowed keys here: {', '.join(keys)}" if keys else "unknown key"
    if kind == "missing":
        return "required key is missing"
    msg = error["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        msg = msg.removeprefix(prefix)
    return msg


def _allowed_keys(loc: tuple[str | int, ...], root: type[BaseModel]) -> list[str]:
    """The keys a mapping at `loc` accepts, walking the models the way pydantic did."""
    model: Any = root
    for part in loc:
        model = _field_type(model, part)
        if model is None:
            return []
    if isinstance(model, type) and issubclass(model, BaseModel):
        return sorted(f.alias or n for n, f in model.model_fields.items())
    return []


def _field_type(model: Any, part: str | int) -> Any:
    if isinstance(model, type) and issubclass(model, BaseModel):
        for name, field in model.model_fields.items():
            if part in (name, field.alias):
                return _unwrap(field.annotation)
        return None
    origin = get_origin(model)
    if origin in (dict, list):
        return _unwrap(get_args(model)[-1])
    return None


def _unwrap(annotation: Any) -> Any:
    args = [a for a in get_args(annotation) if a is not type(None)]
    if get_origin(annotation) is not None and get_origin(annotation) not in (dict, list) and args:
        return _unwrap(args[0])
    return annotation
