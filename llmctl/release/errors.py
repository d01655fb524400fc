"""The one error type of `llmctl release`: a one-line message and an exit code."""


class ReleaseError(Exception):
    """Usage, config or state errors (exit 2 unless `code` says otherwise)."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code
