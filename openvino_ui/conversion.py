"""Helpers for converting models with optimum-intel (the `convert` extra), shared by the prepare
step and the fixture builders (which do not import each other), never used by the serving path.
Importing this module is light: the heavy packages are imported inside the functions."""

from __future__ import annotations

import inspect
import logging
import shutil
import sys
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

# Files VLMPipeline and WhisperPipeline need that optimum's export does not always copy.
_SIDE_FILES = ("preprocessor_config.json", "generation_config.json", "processor_config.json")


def hide_torchvision() -> None:
    """Make torchvision look absent (find_spec -> None, import -> ImportError).

    The only torchvision on PyPI for Linux is a CUDA build; beside CPU torch it fails to load
    ('operator torchvision::nms does not exist') and takes every transformers model import down
    with it. Nothing we convert needs it. Call before transformers is imported.
    """
    sys.modules.setdefault("torchvision", None)  # type: ignore[arg-type]


def lift_optimum_caps() -> None:
    """optimum-intel 2.2 caps the transformers version for some architectures (gemma3, qwen2_vl,
    llama, ...) below the 5.5 we use; their exports work, so clear the caps in this process."""
    from optimum.exporters.openvino import model_configs

    for obj in vars(model_configs).values():
        if inspect.isclass(obj) and getattr(obj, "MAX_TRANSFORMERS_VERSION", None) is not None:
            obj.MAX_TRANSFORMERS_VERSION = None


def optimum_cli_export(
    src: Path, dst: Path, task: str, weight_format: str | None = None, *extra: str
) -> None:
    """Run `optimum-cli export openvino` in this process (with the caps lifted).

    The CLI, unlike `main_export(ov_config=...)`, really compresses weights to int8/int4.
    """
    hide_torchvision()
    lift_optimum_caps()
    from optimum.commands.optimum_cli import main as optimum_main

    argv = ["optimum-cli", "export", "openvino", "--model", str(src), "--task", task]
    argv += ["--library", "transformers"]
    if weight_format:
        argv += ["--weight-format", weight_format]
    argv += [*extra, str(dst)]
    saved = sys.argv
    sys.argv = argv
    try:
        optimum_main()
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise RuntimeError(f"optimum-cli export failed with exit code {exc.code}") from None
    finally:
        sys.argv = saved
    copy_side_files(src, dst)


def main_export_fp32(src: Path, dst: Path, task: str) -> None:
    """Export without weight compression (tiny models), tokenizer included."""
    hide_torchvision()
    lift_optimum_caps()
    from optimum.exporters.openvino import main_export

    main_export(str(src), output=str(dst), task=task, convert_tokenizer=True, library_name="transformers")
    copy_side_files(src, dst)


def copy_side_files(src: Path, dst: Path) -> None:
    for name in _SIDE_FILES:
        if (Path(src) / name).exists() and not (Path(dst) / name).exists():
            shutil.copy2(Path(src) / name, Path(dst) / name)


def whisper_generation_config(
    added: dict[str, int],
    *,
    multilingual: bool,
    bos: int,
    alignment_heads: list[list[int]],
    begin_suppress_tokens: list[int],
    suppress_tokens: list[int],
    language_ids: set[int],
) -> dict[str, Any]:
    """generation_config.json for WhisperPipeline: language/task ids, timestamp tokens, alignment
    heads, suppression. `added` maps the tokenizer's special tokens to their ids."""
    eot, sot = added["<|endoftext|>"], added["<|startoftranscript|>"]
    gc: dict[str, Any] = dict(
        alignment_heads=alignment_heads,
        begin_suppress_tokens=begin_suppress_tokens,
        bos_token_id=bos,
        decoder_start_token_id=sot,
        eos_token_id=eot,
        pad_token_id=eot,
        is_multilingual=multilingual,
        max_initial_timestamp_index=50,
        max_length=448,
        no_timestamps_token_id=added["<|notimestamps|>"],
        prev_sot_token_id=added["<|startofprev|>"],
        return_timestamps=False,
        suppress_tokens=suppress_tokens,
    )
    if multilingual:
        gc.update(
            lang_to_id={k: v for k, v in added.items() if v in language_ids},
            task_to_id={"transcribe": added["<|transcribe|>"], "translate": added["<|translate|>"]},
            forced_decoder_ids=[[1, None], [2, added["<|transcribe|>"]]],
        )
    else:
        gc.update(forced_decoder_ids=[[1, added["<|notimestamps|>"]]])
    return gc
