"""A spilled list reads back the entries it was given, in order, one by one, in slices and streamed."""

from __future__ import annotations

from pathlib import Path

from formats.example import Edit, Example, Reject
from formats.spill import Spilled


def test_spilled_rejects_and_edits_read_back_equal(tmp_path: Path):
    rejects = [Reject.of(Example.from_fields("s", f"f:{n}", f"q {n}", "", "ü" * n, meta={"x": n / 7}), "dedup",
                         "near-duplicate", f"detail {n}") for n in range(500)]
    edits = [Edit(f"s-{n:016x}", "s", "repair", "r", "output", "removed\n" * n, "", n) for n in range(50)]
    spilled_rejects, spilled_edits = Spilled(Reject, tmp_path), Spilled(Edit, tmp_path)
    spilled_rejects.extend(rejects[:10])
    for reject in rejects[10:]:
        spilled_rejects.append(reject)
    spilled_edits.extend(edits)
    assert len(spilled_rejects) == 500 and list(spilled_rejects) == rejects and list(spilled_edits) == edits
    assert spilled_rejects[7] == rejects[7] and spilled_rejects[-1] == rejects[-1]
    assert spilled_rejects[3:9] == rejects[3:9] and spilled_rejects[::50] == rejects[::50]
    assert [r.to_dict() for r in spilled_rejects] == [r.to_dict() for r in rejects]
    spilled_rejects.close()
    assert list(tmp_path.iterdir()) == []  # nothing left behind by name
