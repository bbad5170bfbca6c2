"""The worked examples of docs/extending.md run as written: a source kind, an output format and a step, each one
module plus its registry line, go through config validation, reading, writing and the ledger."""

import re
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def examples() -> dict[str, str]:
    """The doc's code blocks that are modules, by the path their first line names."""
    doc = (ROOT / "docs" / "extending.md").read_text(encoding="utf-8")
    return {m.group(1): m.group(0)[len("```python\n"):-len("```")] for m in
            re.finditer(r"```python\n# (\S+\.py):[^\n]*\n.*?```", doc, re.DOTALL)}


def test_doc_examples_work_through_the_registries(tmp_path):
    modules = examples()
    assert set(modules) == {"formats/readers/lines_reader.py", "formats/outputs/chatml_roles.py",
                            "filters/min_words.py"}
    for path, code in modules.items():
        target = tmp_path / "ext" / Path(path).name
        target.parent.mkdir(exist_ok=True)
        target.write_text(code, encoding="utf-8")
    (tmp_path / "answers.txt").write_text("Paris is the capital of France.\nYes\n", encoding="utf-8")
    (tmp_path / "pipeline.yaml").write_text(
        "sources:\n  - {name: facts, kind: lines, path: answers.txt, instruction: Tell me a fact.}\n"
        "output: {format: chatml_roles}\n", encoding="utf-8")
    script = textwrap.dedent(f"""
        import sys
        sys.path[:0] = [{str(ROOT)!r}, {str(tmp_path / 'ext')!r}]
        from pathlib import Path
        import formats.outputs as outputs                      # the registry line of the output format
        import chatml_roles
        outputs.OUTPUT_FORMATS["chatml_roles"] = chatml_roles.FORMAT
        outputs.CHAT_SHAPES.append(chatml_roles.FORMAT.chat)
        import formats.readers as readers                      # the registry line of the source kind
        import lines_reader
        readers.SOURCE_KINDS["lines"] = lines_reader.KIND
        from typing import Annotated, Union
        from pydantic import Field
        readers.Source = Annotated[Union[tuple(k.model for k in readers.SOURCE_KINDS.values())],
                                   Field(discriminator="kind")]
        from filters.clean import FilterSettings, clean_batch, shard_steps
        from flows.config import load_config
        from formats.ledger import Ledger
        from formats.readers.jsonl_reader import JsonlSource, read_jsonl
        from formats.trainer_configs import llamafactory_dataset_info
        from formats.writers import atomic_write_jsonl, converted
        from min_words import MinWordsStep

        config, base = load_config({str(tmp_path / 'pipeline.yaml')!r})
        rows = list(readers.read_source(config.sources[0], base))
        assert [r.output for r in rows] == ["Paris is the capital of France.", "Yes"], rows
        ledger = Ledger()
        kept = clean_batch(rows, shard_steps(FilterSettings()) + [MinWordsStep(3)], ledger)   # the step's line
        assert [r.output for r in kept] == ["Paris is the capital of France."]
        assert [(r.stage, r.rule, r.row["meta"]["words"]) for r in ledger.rejects] == [("min-words",
                                                                                         "min-words.too-short", 1)]
        out = Path({str(tmp_path / 'train.jsonl')!r})
        atomic_write_jsonl(out, converted(kept, config.output.format, None))
        entry = llamafactory_dataset_info("d", "chatml_roles")["d"]
        assert entry["columns"] == {{"messages": "turns"}} and entry["tags"]["role_tag"] == "speaker"
        back = list(read_jsonl(JsonlSource(name="back", kind="jsonl", path="train.jsonl"), out.parent))
        assert [(r.instruction, r.output) for r in back] == [("Tell me a fact.", "Paris is the capital of France.")]
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path)
    assert done.stdout.strip() == "ok", done.stderr[-3000:]


def test_a_missing_file_of_a_new_kind_is_reported_with_its_key(tmp_path):
    code = examples()["formats/readers/lines_reader.py"]
    namespace: dict = {}
    exec(compile(code, "lines_reader.py", "exec"), namespace)  # noqa: S102 - the doc's own example
    spec = namespace["LinesSource"](name="x", kind="lines", path="nope.txt", instruction="?")
    assert namespace["KIND"].check(spec, tmp_path) == [f"path: file not found: {tmp_path / 'nope.txt'}"]
    assert namespace["KIND"].name == "lines"
