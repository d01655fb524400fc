"""Eval sets: JSONL files of prompts and how to score each answer.

One JSON object per line, `{"prompt": ..., "expected": ...}`, optionally `"scoring"` (and
`"tolerance"` for numeric) per item. A first line without a prompt sets the set's defaults, e.g.
`{"scoring": "numeric", "tolerance": 0.5}`. Files without either (every set before scoring existed)
keep their meaning: `contains`, case-insensitive.

scoring: exact (whole answer, trimmed, case-insensitive), contains (expected appears in the
answer, case-insensitive), regex (Python `re.search` of expected), json (the answer parses as
JSON, and equals expected when one is given), numeric (the answer's first number is within
`tolerance` of expected).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from llmctl.release.errors import ReleaseError

Scoring = Literal["exact", "contains", "regex", "json", "numeric"]
SCORINGS: tuple[str, ...] = get_args(Scoring)
DEFAULT_MAX_ITEMS = 2000
_NUMBER = re.compile(r"[-+]?(?:\d+(?:[.,]\d+)*(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?")
_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$")


@dataclass(frozen=True)
class EvalItem:
    prompt: str
    expected: str
    scoring: Scoring = "contains"
    tolerance: float = 0.0

    def score(self, answer: str) -> bool:
        """Is `answer` right for this item?"""
        if self.scoring == "exact":
            return answer.strip().casefold() == self.expected.strip().casefold()
        if self.scoring == "contains":
            return self.expected.casefold() in answer.casefold()
        if self.scoring == "regex":
            return re.search(self.expected, answer) is not None
        if self.scoring == "json":
            return _json_matches(answer, self.expected)
        match = _NUMBER.search(answer)
        return match is not None and abs(float(match.group().replace(",", "")) - float(self.expected)) <= self.tolerance


def _json_matches(answer: str, expected: str) -> bool:
    try:
        value = json.loads(_FENCE.sub("", answer.strip()))
    except ValueError:
        return False
    return not expected or value == json.loads(expected)


def _read(path: Path, label: str) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ReleaseError(f"{label}: no such eval set") from None
    except IsADirectoryError:
        raise ReleaseError(f"{label}: is a folder; give a JSONL file of {{\"prompt\": ..., \"expected\": ...}} lines") from None
    except OSError as exc:
        raise ReleaseError(f"{label}: cannot read the eval set: {exc.strerror}") from None
    try:
        if b"\0" in data:
            raise UnicodeDecodeError("utf-8", data, data.index(b"\0"), data.index(b"\0") + 1, "NUL byte")
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ReleaseError(f"{label}: a binary file, not a JSONL eval set (UTF-8 text, one JSON object per line)") from None


def _options(row: dict[str, object], defaults: dict[str, object], where: str) -> tuple[Scoring, float]:
    scoring = row.get("scoring", defaults.get("scoring", "contains"))
    if scoring not in SCORINGS:
        raise ReleaseError(f"{where}: scoring {scoring!r}: must be one of {', '.join(SCORINGS)}")
    tolerance = row.get("tolerance", defaults.get("tolerance", 0.0))
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) or tolerance < 0:
        raise ReleaseError(f"{where}: tolerance {tolerance!r}: must be a number >= 0")
    return scoring, float(tolerance)  # type: ignore[return-value]


def _item(row: object, defaults: dict[str, object], where: str) -> EvalItem:
    keys = {"prompt", "expected", "scoring", "tolerance"}
    if not isinstance(row, dict) or not set(row) <= keys or not isinstance(row.get("prompt"), str) or not row["prompt"].strip():
        raise ReleaseError(f"{where}: expected {{\"prompt\": <text>, \"expected\": <text>}} with non-empty strings "
                           f"(optional: scoring, tolerance)")
    scoring, tolerance = _options(row, defaults, where)
    expected = row.get("expected", "")
    if not isinstance(expected, str) or (not expected.strip() and scoring != "json"):
        raise ReleaseError(f"{where}: expected {{\"prompt\": <text>, \"expected\": <text>}} with non-empty strings")
    _check_expected(scoring, expected, where)
    return EvalItem(row["prompt"], expected, scoring, tolerance)


def _check_expected(scoring: str, expected: str, where: str) -> None:
    try:
        if scoring == "regex":
            re.compile(expected)
        elif scoring == "numeric":
            float(expected)
        elif scoring == "json" and expected:
            json.loads(expected)
    except (re.error, ValueError) as exc:
        raise ReleaseError(f"{where}: expected {expected!r} is not valid for scoring {scoring}: {exc}") from None


def load_eval_set(path: Path, label: str | None = None, max_items: int = DEFAULT_MAX_ITEMS) -> list[EvalItem]:
    """The items of a JSONL eval set; blank lines ignored; at most `max_items` (each costs a
    request to both slots, so a huge set is a mistake more often than a plan)."""
    label = label or str(path)
    items: list[EvalItem] = []
    defaults: dict[str, object] = {}
    for number, line in enumerate(_read(path, label).splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ReleaseError(f"{label}:{number}: not JSON: {exc.msg}") from None
        if isinstance(row, dict) and "prompt" not in row and not items and not defaults and set(row) <= {"scoring", "tolerance"}:
            _options(row, {}, f"{label}:{number}")
            defaults = row
            continue
        items.append(_item(row, defaults, f"{label}:{number}"))
        if len(items) > max_items:
            raise ReleaseError(f"{label}: more than {max_items} items (each is a request to both slots); "
                               f"pass --max-items to allow a larger set")
    if not items:
        raise ReleaseError(f"{label}: empty eval set")
    return items
