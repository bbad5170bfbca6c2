"""Packed row ids read back exactly as added, find every position of an id, and count and remember the ids of a
run exactly as the plain strings did."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from formats.example import make_id
from formats.rowids import PackedIds, new_ids, pack, pack_all, sorted_lines


def _ids() -> list[tuple[str, str]]:
    rows = [(make_id(source, f"f.jsonl:{n}"), source) for n in range(300) for source in ("web", "a-b")]
    odd = [("web-ABCDEF0123456789", "web"), ("custom id", "web"), ("a-b-0123", "a-b"), ("web-00000000000000zz", "web")]
    return rows[:100] + odd + rows[100:] + [rows[7], odd[1]]  # repeats too


def test_ids_read_back_exactly_and_are_found_where_they_are():
    ids = PackedIds()
    for row_id, source in _ids():
        ids.append(row_id, source)
    assert list(ids) == [i for i, _ in _ids()] and ids[-1] == "custom id" and ids[3:5] == [i for i, _ in _ids()][3:5]
    assert len(ids.other) == 5  # only the ids not of make_id's form are kept as strings
    for row_id, _ in _ids():
        assert ids.positions(row_id) == [n for n, (other, _) in enumerate(_ids()) if other == row_id]
    assert ids.positions("web-0000000000000000") == [] and ids.positions("nope") == []
    firsts = ids.firsts()
    seen: set[str] = set()
    for n, (row_id, _) in enumerate(_ids()):
        assert firsts[n] == (row_id not in seen)
        seen.add(row_id)


def test_new_ids_and_the_ids_file_equal_the_plain_strings(tmp_path: Path):
    ids = PackedIds()
    for row_id, source in _ids():
        ids.append(row_id, source)
    for source in ("web", "a-b"):
        plain = [i for i, s in _ids() if s == source]
        digits, other = ids.of_source(source)
        assert "\n".join(sorted_lines(source, digits, other)) == "\n".join(sorted(plain))
        assert new_ids(tmp_path, source, digits, other) == len(plain)  # no file yet: all are new
        earlier = plain[::3]
        (tmp_path / f"{source}.ids").write_text("\n".join(sorted(earlier)))
        seen = set("\n".join(sorted(earlier)).split())  # as the plain code read the file back
        assert new_ids(tmp_path, source, digits, other) == sum(1 for i in plain if i not in seen)
    assert pack("web-00000000000000ff", "web") == 255 and pack("web-00000000000000FF", "web") is None
    packed, rest = pack_all("web", ["web-0000000000000001", "x"])
    assert packed.tolist() == [1] and rest == ["x"] and isinstance(packed, np.ndarray)
