"""The demo's generators are pure: stdlib only, nothing that does I/O or waits."""

from __future__ import annotations

import ast
from pathlib import Path

import listenpost.demo

DEMO = Path(listenpost.demo.__file__).resolve().parent
PURE = ["place", "sound", "radio", "retime", "wav"]
ALLOWED = {
    "__future__",
    "base64",
    "collections",
    "copy",
    "dataclasses",
    "datetime",
    "functools",
    "heapq",
    "io",
    "math",
    "random",
    "sys",
    "typing",
    "wave",
    "array",
}


def test_pure_modules_import_only_the_stdlib_and_each_other() -> None:
    for name in PURE:
        tree = ast.parse((DEMO / f"{name}.py").read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                if node.level:  # relative: another demo module, which must be pure too
                    assert node.module in PURE, f"{name} imports .{node.module}"
                    continue
                roots = {(node.module or "").split(".")[0]}
            else:
                continue
            assert roots <= ALLOWED, f"{name} imports {roots - ALLOWED}"
