"""OpenAI-compatible stand-ins for a vLLM slot on 127.0.0.1 (http.server on port 0, one thread).

modes: good (answers the eval set), broken (500 on everything), wrong (answers nonsense),
slow (good answers after `delay` seconds), flaky (every other completion is a 500).
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from tests.support.http_standin import JsonHandler, LocalServer
from tests.support.paths import REPO_ROOT


def eval_answers(*names: str) -> dict[str, str]:
    answers = {}
    for name in names or ("default.jsonl", "chat.jsonl"):
        for line in (REPO_ROOT / "evals" / name).read_text().splitlines():
            row = json.loads(line)
            answers[row["prompt"]] = f"The answer is {row['expected']}."
    return answers


class StandIn:
    def __init__(self, mode: str = "good", model: str = "org/model", delay: float = 0.0, answers: dict[str, str] | None = None):
        self.mode, self.model, self.delay = mode, model, delay
        self.answers = eval_answers() if answers is None else answers
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self._count = 0
        self._lock = threading.Lock()
        self._server: LocalServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "use the stand-in as a context manager"
        return self._server.url

    def __enter__(self) -> StandIn:
        self._server = LocalServer(self._handler())
        self._server.server.daemon_threads = True
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.close()

    def _reply(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if self.mode == "broken":
            return 500, {"error": "engine dead"}
        if path == "/health":
            return 200, {}
        if path == "/v1/models":
            return 200, {"object": "list", "data": [{"id": self.model, "object": "model"}]}
        if path == "/v1/chat/completions":
            with self._lock:
                self._count += 1
                count = self._count
            if self.mode == "flaky" and count % 2 == 0:
                return 500, {"error": "overloaded"}
            if body.get("model") not in (None, self.model):
                return 404, {"error": f"model {body.get('model')} does not exist"}
            if self.delay:
                time.sleep(self.delay)
            prompt = body["messages"][-1]["content"]
            text = "I am not sure." if self.mode == "wrong" else self.answers.get(prompt, "ready")
            return 200, {"object": "chat.completion", "model": self.model,
                         "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}]}
        return 404, {"error": "not found"}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(JsonHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, like vLLM's uvicorn
            disable_nagle_algorithm = True  # headers and body go out in separate writes

            def _serve(self, body: dict[str, Any]) -> None:
                standin.requests.append((self.command, self.path, dict(self.headers)))
                self.send_json(*standin._reply(self.path, body))

            def do_GET(self) -> None:  # noqa: N802
                self._serve({})

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length", 0))
                self._serve(json.loads(self.rfile.read(length) or b"{}"))

        return Handler


def copy_project(tmp: Path) -> Path:
    """A throwaway project root: Pulumi.yaml, the stack files and eval sets (never the repo's own)."""
    import shutil

    (tmp / "stacks").mkdir()
    for path in (REPO_ROOT / "stacks").glob("Pulumi.*.yaml"):
        shutil.copy(path, tmp / "stacks" / path.name)
    shutil.copy(REPO_ROOT / "Pulumi.yaml", tmp / "Pulumi.yaml")
    shutil.copytree(REPO_ROOT / "evals", tmp / "evals")
    return tmp


def stack_bytes(root: Path, stack: str) -> bytes:
    return (root / "stacks" / f"Pulumi.{stack}.yaml").read_bytes()
