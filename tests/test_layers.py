"""The layering holds: formats at the bottom, filters and report above it, train above those, flows on top; only
flows imports Prefect. Each package is imported on its own in a fresh interpreter, every module of it, and
whatever that pulls in is checked, so a lazy import inside a function counts as much as one at the top."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RANK = {"formats": 0, "filters": 1, "report": 1, "train": 2, "flows": 3}
PREFECT = {"prefect", "prefect_dask"}


def modules(package: str) -> list[str]:
    return sorted(".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
                  for path in (ROOT / package).rglob("*.py"))


def forbidden(package: str) -> set[str]:
    """What a package may not import: any layer at its rank or above (but itself), and Prefect below flows/."""
    above = {other for other, rank in RANK.items() if other != package and rank >= RANK[package]}
    return above | (PREFECT if package != "flows" else set())


@pytest.mark.parametrize("package", [p for p in RANK if p != "flows"])
def test_package_imports_in_isolation_without_higher_layers_or_prefect(package):
    code = (f"import importlib, sys\nfor name in {modules(package)!r}:\n    importlib.import_module(name)\n"
            "print('\\n'.join(sorted({m.split('.')[0] for m in sys.modules})))")
    loaded = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert not set(loaded.stdout.split()) & forbidden(package)


@pytest.mark.parametrize("package", list(RANK))
def test_no_import_statement_crosses_a_layer(package):
    """The static view of the same rule (imports inside functions and TYPE_CHECKING blocks too)."""
    crossing = []
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            else:
                continue
            crossing += [f"{path.relative_to(ROOT)}: {name}" for name in names
                         if name.split(".")[0] in forbidden(package)]
    assert not crossing


def test_no_flows_module_hides_a_package():
    """Prefect loads flows/pipeline.py as a script, with flows/ first on sys.path: a flows/report.py there would
    be imported in place of the report package (the deployment crashed that way once)."""
    assert not {path.stem for path in (ROOT / "flows").glob("*.py")} & set(RANK)
