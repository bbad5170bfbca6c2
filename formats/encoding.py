"""Guess a file's text encoding from its bytes: BOM, then strict UTF-8, then charset-normalizer."""

from __future__ import annotations

import codecs
from pathlib import Path

from charset_normalizer import from_bytes

_SAMPLE = 1 << 20
# charset-normalizer names the smallest fitting Chinese code page; GB18030 is its superset and safe.
_WIDEN = {"gb2312": "gb18030", "gbk": "gb18030", "cp936": "gb18030", "big5": "big5hkscs",
          "shift_jis": "cp932", "ascii": "utf-8", "iso-8859-1": "cp1252", "latin_1": "cp1252"}


def detect_bytes(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as err:
        if err.start >= len(data) - 4:  # the sample cut a multi-byte character in half
            return "utf-8"
    best = from_bytes(data).best()
    name = (best.encoding if best else "utf-8").lower()
    return _WIDEN.get(name, name)


def detect_encoding(path: Path) -> str:
    with path.open("rb") as handle:
        return detect_bytes(handle.read(_SAMPLE))
