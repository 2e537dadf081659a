"""Keep chosen layers of an OpenVINO IR in f32 when the device computes in bf16 or fp16.

OpenVINO's `precise` runtime attribute (DisableFP16Compression in C++; the IR writes it as
`<attribute name="precise" version="0"/>` in a layer's rt_info) tells the CPU plugin's bf16 markup
and the GPU's fp16 one to leave that op in f32. Python cannot set the typed attribute (a string
rt_info entry under the same name is ignored: measured, Kokoro's words were as bad as in plain
bf16), so it is written into the saved IR, where the IR reader makes the real attribute of it.

Why: a model whose bulk is fine in bf16 may hold a few ops that are not, such as Kokoro's phase
accumulation (a cumulative sum over every output sample, then a sine) and its iSTFT: in bf16 those
lose words, so Kokoro ran wholly in f32. With only them kept in f32 the rest runs in bf16
(BENCHMARKS.md, Kokoro).
"""

from __future__ import annotations

import os
import re
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

ATTRIBUTE = {"name": "precise", "version": "0"}


def keep_in_f32(xml_path: Path, pattern: str) -> int:
    """Mark every layer of the IR at `xml_path` whose name matches `pattern` (re.search) as precise;
    rewrites the file in place (atomically) and returns how many layers it marked. A layer already
    marked is counted and left as it is."""
    xml_path = Path(xml_path)
    tree = ET.parse(xml_path)
    wanted = re.compile(pattern)
    marked = 0
    for layer in tree.getroot().iter("layer"):
        if not wanted.search(layer.get("name", "")):
            continue
        marked += 1
        info = layer.find("rt_info")
        if info is None:
            info = ET.SubElement(layer, "rt_info")
        if not any(a.get("name") == ATTRIBUTE["name"] for a in info.findall("attribute")):
            ET.SubElement(info, "attribute", dict(ATTRIBUTE))
    fd, tmp = tempfile.mkstemp(prefix=xml_path.name, dir=xml_path.parent)
    os.close(fd)
    try:
        tree.write(tmp, encoding="utf-8", xml_declaration=True)
        # mkstemp's file is owner-only; the IR keeps the permissions it had (others may serve it)
        os.chmod(tmp, xml_path.stat().st_mode & 0o777)
        os.replace(tmp, xml_path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return marked
