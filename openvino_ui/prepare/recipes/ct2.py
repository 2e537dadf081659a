"""A reader for CTranslate2 `model.bin` files (binary format versions 3-6), numpy only.

Layout: u32 version, str name, u32 revision, u32 n_vars, then per variable: str name, u8 ndim,
u32 dims..., u8 dtype, u32 nbytes, data; then u32 n_aliases and (str alias, str target) pairs.
A str is u16 length (including a trailing NUL) followed by the bytes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}
BFLOAT16 = 5


@dataclass
class CT2Model:
    version: int
    name: str
    variables: dict[str, np.ndarray]  # aliases resolved: every alias maps to its target's array

    def get(self, key: str) -> np.ndarray:
        try:
            return self.variables[key]
        except KeyError:
            raise KeyError(f"the CTranslate2 model has no variable {key!r}") from None


class _Cursor:
    def __init__(self, data: bytes):
        self.data, self.offset = data, 0

    def unpack(self, fmt: str) -> int:
        (value,) = struct.unpack_from("<" + fmt, self.data, self.offset)
        self.offset += struct.calcsize("<" + fmt)
        return value

    def string(self) -> str:
        length = self.unpack("H")
        text = self.data[self.offset : self.offset + length - 1].decode("utf-8")
        self.offset += length
        return text


def read_ct2(path: Path | str) -> CT2Model:
    """Read all variables (as float32/int arrays; bfloat16 is widened to float32)."""
    data = Path(path).read_bytes()
    cur = _Cursor(data)
    version = cur.unpack("I")
    if not 3 <= version <= 6:
        raise ValueError(f"{path}: unsupported CTranslate2 binary version {version} (expected 3-6)")
    name = cur.string()
    cur.unpack("I")  # revision
    variables: dict[str, np.ndarray] = {}
    for _ in range(cur.unpack("I")):
        key = cur.string()
        shape = [cur.unpack("I") for _ in range(cur.unpack("B"))]
        dtype, nbytes = cur.unpack("B"), cur.unpack("I")
        if cur.offset + nbytes > len(data):
            raise ValueError(f"{path}: truncated file (variable {key!r} runs past the end)")
        if dtype == BFLOAT16:
            raw = np.frombuffer(data, np.uint16, nbytes // 2, cur.offset).astype(np.uint32) << 16
            array = raw.view(np.float32)
        elif dtype in DTYPES:
            array = np.frombuffer(data, DTYPES[dtype], nbytes // np.dtype(DTYPES[dtype]).itemsize, cur.offset)
        else:
            raise ValueError(f"{path}: variable {key!r} has unknown dtype code {dtype}")
        variables[key] = array.reshape(shape)
        cur.offset += nbytes
    if cur.offset < len(data):
        for _ in range(cur.unpack("I")):
            alias, target = cur.string(), cur.string()
            variables[alias] = variables[target]
    return CT2Model(version, name, variables)
