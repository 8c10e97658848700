"""The package's layers: a module imports only from its own layer and the ones below it."""

from __future__ import annotations

import ast

from qa.config import PACKAGE_DIR

LAYERS = {
    **dict.fromkeys(
        ("config", "schema", "metrics", "files", "base_model", "progress", "errors"), 0
    ),
    "ingest": 1,
    "retrieval": 2,
    "reading": 3,
    "service": 4,
    "evaluation": 5,
    "cli": 6,
}


def test_no_import_runs_back_up_a_layer() -> None:
    upward = []
    modules = sorted(PACKAGE_DIR.rglob("*.py"))
    for path in modules:
        top = path.relative_to(PACKAGE_DIR).with_suffix("").parts[0]
        if top == "__init__":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("qa."):
                target = node.module.split(".")[1]
                if LAYERS[target] > LAYERS[top]:
                    upward.append(
                        f"{path.relative_to(PACKAGE_DIR)}:{node.lineno} imports {node.module}"
                    )
    assert len(modules) > 25 and upward == []


def test_every_module_belongs_to_a_layer() -> None:
    tops = {p.relative_to(PACKAGE_DIR).with_suffix("").parts[0] for p in PACKAGE_DIR.rglob("*.py")}
    assert tops - {"__init__"} == set(LAYERS)


def test_no_two_modules_import_each_other() -> None:
    """A circle (even inside one layer, even deferred into a function) is one module in two
    files."""
    imports: dict[str, set[str]] = {}
    for path in PACKAGE_DIR.rglob("*.py"):
        name = "qa." + ".".join(path.relative_to(PACKAGE_DIR).with_suffix("").parts)
        imports[name.removesuffix(".__init__")] = {
            node.module
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("qa.")
        }
    pairs = sorted(
        {tuple(sorted((a, b))) for a, bs in imports.items() for b in bs if a in imports.get(b, ())}
    )
    assert pairs == []
