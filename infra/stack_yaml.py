"""Reading a stack file's YAML: the `config:` mapping, duplicate keys refused (with both lines),
config namespaces checked. infra/config.py validates what this returns into a StackConfig."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import yaml

PROJECT = "llm-platform"
REGION_KEY = "aws:region"
# Config namespaces a stack file may use: the project's, and those of the providers and engine the
# program runs with (pulumi_aws, pulumi_kubernetes, pulumi_docker_build, Pulumi itself). Anything
# else is a typo Pulumi would pass on silently (`llm-platfrom:cost` would drop the budget).
NAMESPACES = (PROJECT, "aws", "kubernetes", "docker-build", "pulumi")


class ConfigError(Exception):
    """A stack file that cannot be used; str() is the one-line message shown to the user."""


class _Duplicate(yaml.YAMLError):
    def __init__(self, key: Any, first: int, second: int):
        super().__init__(f"duplicate key {key!r} at lines {first} and {second}")
        self.key, self.first, self.second = key, first, second


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping (PyYAML keeps the last silently;
    Pulumi itself refuses such a stack file). Keys supplied by a merge (`<<: *anchor`) may be
    overridden, as YAML intends."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if not isinstance(key, (str, int, float, bool)):
                continue  # a complex key; the config model rejects it with its own message
            if key in seen:
                raise _Duplicate(key, seen[key], line)
            seen[key] = line
        return super().construct_mapping(node, deep)


def parse_stack_text(text: str, label: str) -> dict[str, Any]:
    """The `config:` mapping of a stack file's text, YAML errors (duplicate keys included) reported
    with their lines. `pulumi up` never reads the YAML through here (it hands the program engine
    config), and Pulumi refuses duplicate keys itself; llmctl reads the file, so it checks."""
    try:
        doc = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 (a SafeLoader subclass)
    except _Duplicate as exc:
        raise ConfigError(f"{label}: duplicate key {exc.key!r} at lines {exc.first} and {exc.second}: "
                          f"YAML would keep only the second; remove one") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "somewhere"
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{label}: YAML syntax error at {where}: {problem}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("config"), dict):
        raise ConfigError(f"{label}: expected a top-level `config:` mapping of Pulumi config keys")
    return doc["config"]


def read_stack_file(path: Path, source: str | None = None) -> dict[str, Any]:
    """The `config:` mapping of a stack file, YAML errors reported with their line."""
    path_label = source or str(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ConfigError(f"{path_label}: no such stack file; stacks live in stacks/Pulumi.<stack>.yaml") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path_label}: cannot read the stack file: {exc}") from None
    return parse_stack_text(text, path_label)


def check_namespace(key: str, source: str) -> None:
    """Pulumi config keys are `<namespace>:<name>`; only the project's and the providers' count."""
    namespace, colon, name = key.partition(":")
    if not colon or not namespace or not name:
        raise ConfigError(f"{source}: {key}: a config key needs a namespace, e.g. {PROJECT}:{key.strip(':')}")
    if namespace not in NAMESPACES:
        close = difflib.get_close_matches(namespace, NAMESPACES, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]}:{name}? " if close else ""
        raise ConfigError(f"{source}: {key}: unknown namespace {namespace!r}; {hint}allowed namespaces: {', '.join(sorted(NAMESPACES))}")
