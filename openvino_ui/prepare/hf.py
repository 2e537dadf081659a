"""Sources that are not PyPI recipes: a Hugging Face folder on disk, a hub repository, a fixture.

Folders that already hold OpenVINO IR are copied as they are; others are converted with
optimum-intel (the task comes from the model's task in models.yaml, see plan.OPTIMUM_TASKS).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from .context import BuildContext
from .errors import HubUnreachable, PrepareError

# File names that mark a folder as OpenVINO IR (LLM/embedding/reranker, VLM parts, Whisper parts).
IR_FILES = (
    "openvino_model.xml",
    "openvino_language_model.xml",
    "openvino_text_embeddings_model.xml",
    "openvino_encoder_model.xml",
    "openvino_decoder_model.xml",
)
_SKIP = {".git", ".cache", ".gitattributes"}


def is_openvino_ir(folder: Path) -> bool:
    return any((Path(folder) / name).is_file() for name in IR_FILES)


def copy_folder(ctx: BuildContext, src: Path, title: str, move: bool = False) -> None:
    """Copy (or move) the files of `src` into ctx.out, one progress bar in bytes; skips VCS/cache entries."""
    files = [
        f for f in sorted(Path(src).rglob("*")) if f.is_file() and not _SKIP & set(f.relative_to(src).parts)
    ]
    with ctx.step(title, total=sum(f.stat().st_size for f in files)) as advance:
        for f in files:
            target = ctx.out / f.relative_to(src)
            target.parent.mkdir(parents=True, exist_ok=True)
            size = f.stat().st_size
            shutil.move(f, target) if move else shutil.copyfile(f, target)
            advance(size)


def convert_folder(ctx: BuildContext, src: Path) -> None:
    """optimum-intel export of the HF folder `src` into ctx.out at the source's weight format."""
    task = ctx.options.get("optimum_task")
    if not task:
        raise PrepareError(
            f"model {ctx.name!r}: a {ctx.job.task!r} model cannot be converted by optimum-intel; "
            "point 'path' at an OpenVINO IR folder instead"
        )
    with ctx.step(f"export {task} ({ctx.weight_format}) with optimum-intel"):
        from ..conversion import optimum_cli_export

        optimum_cli_export(src, ctx.out, task, ctx.weight_format)


def build_local(ctx: BuildContext) -> None:
    src = Path(ctx.options["path"])
    if not src.is_dir():
        raise PrepareError(f"model {ctx.name!r}: the local source folder {src} does not exist")
    ctx.steps(1)
    if is_openvino_ir(src):
        copy_folder(ctx, src, "copy OpenVINO IR")
        ctx.note(f"{src} already holds OpenVINO IR: copied as it is (weight_format not applied)")
        return
    if not (src / "config.json").is_file():
        raise PrepareError(
            f"model {ctx.name!r}: {src} holds neither OpenVINO IR (openvino_model.xml ...) "
            "nor a Hugging Face model (config.json)"
        )
    convert_folder(ctx, src)


def hub_offline_reason() -> str | None:
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        if os.environ.get(var, "").strip().lower() in ("1", "true", "yes", "on"):
            return f"{var} is set"
    return None


def download(ctx: BuildContext, repo_id: str, revision: str | None, into: Path) -> Path:
    """snapshot_download of the repository into `into`; connection problems become HubUnreachable."""
    reason = hub_offline_reason()
    if reason:
        raise HubUnreachable(ctx.name, repo_id, reason)
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import (
        GatedRepoError,
        LocalEntryNotFoundError,
        OfflineModeIsEnabled,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    with ctx.step(f"download {repo_id} from the Hugging Face hub"):
        try:
            return Path(snapshot_download(repo_id=repo_id, revision=revision, local_dir=str(into)))
        except (RepositoryNotFoundError, RevisionNotFoundError, GatedRepoError) as exc:
            raise PrepareError(
                f"model {ctx.name!r}: the hub has no accessible {repo_id}"
                f"{'@' + revision if revision else ''} ({type(exc).__name__}); check "
                "repo_id/revision, or log in with `hf auth login` for gated models"
            ) from None
        except (LocalEntryNotFoundError, OfflineModeIsEnabled, ConnectionError, TimeoutError) as exc:
            raise HubUnreachable(ctx.name, repo_id, f"{type(exc).__name__}: {str(exc)[:200]}") from None
        except OSError as exc:
            if exc.errno is None:  # network errors of httpx/requests are OSError subclasses too
                raise HubUnreachable(ctx.name, repo_id, f"{type(exc).__name__}: {str(exc)[:200]}") from None
            raise
        except Exception as exc:
            if type(exc).__module__.split(".")[0] in ("httpx", "httpcore", "requests", "urllib3"):
                raise HubUnreachable(ctx.name, repo_id, f"{type(exc).__name__}: {str(exc)[:200]}") from None
            raise


def build_hub(ctx: BuildContext) -> None:
    repo_id, revision = ctx.options["repo_id"], ctx.options.get("revision")
    ctx.steps(2)
    snapshot = download(ctx, repo_id, revision, ctx.work / "hub")
    if is_openvino_ir(snapshot):
        copy_folder(ctx, snapshot, "take the OpenVINO IR as it is", move=True)
        return
    convert_folder(ctx, snapshot)


def build_fixture(ctx: BuildContext) -> None:
    from ..fixture_cache import BUILDERS, fixture_path

    name = ctx.options["name"]
    if name not in BUILDERS:
        raise PrepareError(
            f"model {ctx.name!r}: fixture {name!r} is not available in this version "
            f"(known: {', '.join(sorted(BUILDERS))})"
        )
    ctx.steps(2)
    with ctx.step(f"build fixture {name} (cached)"):
        src = fixture_path(name)
    copy_folder(ctx, src, "copy")
