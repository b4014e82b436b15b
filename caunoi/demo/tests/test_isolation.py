"""The demo app sits on top: it may import every app, and no product module imports it.

Every ``.py`` file under ``caunoi/`` outside ``caunoi/demo/`` and outside test folders is parsed,
and each ``import`` (at module level or inside a function) is looked at.
"""

from __future__ import annotations

import ast
from pathlib import Path

import caunoi

ROOT = Path(caunoi.__file__).resolve().parent


def imports_of_demo(source: str, filename: str = "<source>") -> list[str]:
    """The imports of ``caunoi.demo`` (or anything in it) in ``source``, as written."""
    found = []
    for node in ast.walk(ast.parse(source, filename=filename)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        if any(name == "caunoi.demo" or name.startswith("caunoi.demo.") for name in names):
            found.append(f"{filename}:{node.lineno}")
    return found


def product_modules() -> list[Path]:
    return sorted(
        path
        for path in ROOT.rglob("*.py")
        if path.relative_to(ROOT).parts[0] != "demo" and "tests" not in path.relative_to(ROOT).parts
    )


def test_no_product_module_imports_the_demo_app():
    modules = product_modules()
    assert len(modules) > 100  # the walk found the product
    assert ROOT / "monitoring" / "facts.py" in modules

    offenders = [
        hit
        for path in modules
        for hit in imports_of_demo(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    ]

    assert offenders == []


def test_the_check_sees_every_way_of_importing_the_demo():
    source = """
import caunoi.demo.network
from caunoi.demo import content
from caunoi import demo
from caunoi.demo.consults import CASES

def later():
    from caunoi.demo.scale_consults import scale_consults_load

import caunoi.demography  # another name: not the demo
from caunoi.consults import models
"""
    assert imports_of_demo(source) == [f"<source>:{n}" for n in (2, 3, 4, 5, 8)]
