"""Tiny fake builders for the prepare tests: they write a pretend IR in milliseconds.

Each build appends the model's name to the file named by $PREPARE_FAKE_COUNTER (if set), so tests
can count how often a model was really built.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from openvino_ui.prepare.context import BuildContext
from openvino_ui.prepare.packages import join_checked


def _count(ctx: BuildContext) -> None:
    counter = os.environ.get("PREPARE_FAKE_COUNTER")
    if counter:
        with open(counter, "a") as handle:
            handle.write(ctx.name + "\n")


def build_ok(ctx: BuildContext) -> None:
    ctx.steps(2)
    with ctx.step("write the model", total=12) as advance:
        (ctx.out / "openvino_model.xml").write_text("<net/>")
        (ctx.out / "openvino_model.bin").write_bytes(b"\0" * 12)
        advance(12)
    with ctx.step("write a scratch file"):
        (ctx.work / "scratch.bin").write_bytes(b"x" * 100)
    _count(ctx)


def build_fail(ctx: BuildContext) -> None:
    _count(ctx)
    (ctx.out / "openvino_model.xml").write_text("<half")  # a partial output that must not survive
    raise RuntimeError("boom: the converter crashed")


def build_enospc(ctx: BuildContext) -> None:
    (ctx.out / "openvino_model.xml").write_text("<half")
    raise OSError(errno.ENOSPC, "No space left on device", str(ctx.out / "openvino_model.bin"))


def build_nothing(ctx: BuildContext) -> None:
    _count(ctx)


def build_bad_checksum(ctx: BuildContext) -> None:
    parts = []
    for i in range(2):
        part = Path(ctx.work) / f"part{i}"
        part.write_bytes(b"weights" * 10)
        parts.append(part)
    join_checked(ctx.name, parts, ctx.work / "joined.bin", "0" * 64, ["fake-weights-part1==1.0"])
