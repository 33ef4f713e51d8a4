"""The radio cores are pure: stdlib only, no asyncio / DB / web / MQTT."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import listenpost.radio

RADIO = Path(listenpost.radio.__file__).resolve().parent
PURE = [
    "records",
    "site_records",
    "_fields",
    "_parse_calls",
    "normalise",
    "_convert",
    "channels",
    "session",
    "events",
]
FORBIDDEN = {
    "asyncio",
    "sqlalchemy",
    "fastapi",
    "starlette",
    "aiomqtt",
    "websockets",
    "paho",
    "uvicorn",
    "aiosqlite",
    "asyncpg",
    "anyio",
    "trio",
    "httpx",
    "socket",
    "threading",
    "time",
    "datetime",
    "random",
    "os",
    "orjson",
}
ALLOWED = {
    "__future__",
    "base64",
    "binascii",
    "collections",
    "dataclasses",
    "json",
    "math",
    "re",
    "types",
    "typing",
}


def _imports(module: str) -> set[str]:
    tree = ast.parse((RADIO / f"{module}.py").read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            found.add("." * node.level + (node.module or ""))
    return found


@pytest.mark.parametrize("module", PURE)
def test_imports_are_stdlib_or_sibling_pure_modules(module: str) -> None:
    for name in _imports(module):
        if name.startswith("."):
            assert name.lstrip(".") in PURE, f"{module} imports {name}"
            continue
        top = name.split(".")[0]
        assert top not in FORBIDDEN, f"{module} imports {name}"
        assert top in ALLOWED, f"{module} imports {name}"


def test_importing_the_cores_loads_nothing_forbidden() -> None:
    # Load the modules under stub packages so the package __init__ files (owned by the
    # rest of the server) do not count; then look at what ended up in sys.modules.
    code = f"""
import importlib, sys, types
for name, path in (("listenpost", {str(RADIO.parent)!r}), ("listenpost.radio", {str(RADIO)!r})):
    pkg = types.ModuleType(name); pkg.__path__ = [path]; sys.modules[name] = pkg
for module in {PURE!r}:
    importlib.import_module("listenpost.radio." + module)
forbidden = {sorted(FORBIDDEN - {"os", "time", "threading", "socket", "datetime", "random"})!r}
print(sorted(m for m in sys.modules if m.split(".")[0] in forbidden))
"""
    out = subprocess.run(
        [sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_modules_are_short() -> None:
    for module in PURE:
        lines = (RADIO / f"{module}.py").read_text().count("\n")
        assert lines < 300, f"{module}.py has {lines} lines"
