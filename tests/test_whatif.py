"""What-if tables: the configured value's count matches what the check dropped, and other values are counted from
the same scores."""

from filters.noise import NoiseSettings
from filters.whatif import what_if
from formats.example import Example


def _rows():
    lengths = [10, 50, 120, 400, 900, 3_000]
    return [Example.from_fields("s", str(i), "Q?", "", "x" * n) for i, n in enumerate(lengths)]


def test_counts_at_each_value_come_from_the_scores():
    tables = what_if(_rows(), NoiseSettings(max_output_chars=500, min_output_chars=20), 0.8, [0.81, 0.9, 0.97, 1.0])
    longest = tables["noise.too-long · output characters (max_output_chars)"]
    assert longest["current"] == 500 and longest["rows"] == 6
    assert longest["would_drop"] == {"125": 3, "250": 3, "500": 2, "1,000": 1, "2,000": 1}
    shortest = tables["noise.too-short · output characters (min_output_chars)"]
    assert shortest["would_drop"]["20"] == 1 and shortest["would_drop"]["50"] == 1 and shortest["would_drop"]["1"] == 0
    dedup = tables["dedup.threshold · near-duplicates dropped at a stricter threshold"]
    assert dedup["would_drop"] == {"0.8": 4, "0.85": 3, "0.9": 3, "0.95": 2, "1": 1}


def test_sample_run_report_has_a_table_for_every_threshold(sample_run):
    _, report = sample_run
    tables = report["what_if"]
    too_long = tables["noise.too-long · output characters (max_output_chars)"]
    dropped = report["rules"].get("noise.too-long", {}).get("dropped", 0)
    assert dropped <= too_long["would_drop"][f"{too_long['current']:,}"]
    near = tables["dedup.threshold · near-duplicates dropped at a stricter threshold"]
    assert near["would_drop"][f"{near['current']:g}"] == report["duplicates"]["overall"]["near"]
