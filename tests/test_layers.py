"""The packages are the layers: no import runs against them, and plugins use only the plugin API.

Read from the modules' ``ast`` (every import, at the top or inside a function), so that a
back-import fails here, where a reader sees which module imported what.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: Units of the core, lowest first. A module may import its own unit and units of a lower rank;
#: units of the same rank are independent of each other.
RANKS: dict[str, int] = {
    "heze_hub.errors": 0,
    "heze_hub.files": 0,
    "heze_hub.tables": 0,
    "heze_hub.sandbox": 0,
    "heze_hub.config": 1,
    "heze_hub.receipts": 1,
    "heze_hub.items": 2,
    "heze_hub.store": 3,
    "heze_hub.rules": 4,
    "heze_hub.portal": 4,
    "heze_hub.delivery": 5,
    "heze_hub.plugin": 6,
    "heze_hub.hub": 7,
    "heze_hub.service": 8,
    "heze_hub.cli": 9,
}
#: Units that the base units may use although they share a rank: errors are everyone's.
SHARED = {"heze_hub.errors"}
#: What plugins may import of the hub.
PLUGIN_API = {"heze_hub.plugin"}
#: The portal plugin writes the pages the portal package renders.
# The portal plugin (portal.py and its withdrawal part) renders with heze_hub.portal.
PLUGIN_EXTRA = {"portal.py": {"heze_hub.portal"}, "portal_withdraw.py": {"heze_hub.portal"}}


def unit_of(module: str) -> str | None:
    """The unit (a key of RANKS) a dotted module name belongs to; None outside the hub."""
    if module == "heze_hub":
        return "heze_hub"
    for unit in sorted(RANKS, key=len, reverse=True):
        if module == unit or module.startswith(unit + "."):
            return unit
    return None


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(source: str, module: str, is_package: bool) -> list[tuple[int, str]]:
    """Every module ``source`` imports, absolute, with its line number."""
    found = []
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            # ``from pkg import mod`` imports pkg.mod: count the submodule where there is one.
            for a in node.names:
                sub = f"{target}.{a.name}"
                deeper = unit_of(sub) not in (None, unit_of(target))
                found.append((node.lineno, sub if deeper else target))
    return found


def layer_violations(source: str, module: str, is_package: bool = False) -> list[str]:
    """Imports of ``module`` (whose text is ``source``) that run against the layers."""
    own = unit_of(module)
    if own is None or own == "heze_hub":
        return []
    problems = []
    for line, target in imported_modules(source, module, is_package):
        unit = unit_of(target)
        if unit is None or unit == own:
            continue
        if unit == "heze_hub":
            problems.append(f"{module}:{line} imports the package root (import what it re-exports)")
        elif unit not in SHARED and RANKS[unit] >= RANKS[own]:
            problems.append(f"{module}:{line} imports {target} ({unit} is not below {own})")
    return problems


def plugin_violations(source: str, filename: str) -> list[str]:
    """Imports of the hub by a plugin file other than the plugin API."""
    allowed = PLUGIN_API | PLUGIN_EXTRA.get(filename, set())
    return [
        f"{filename}:{line} imports {target} (plugins import heze_hub.plugin only)"
        for line, target in imported_modules(source, "heze_hub_plugins.x", False)
        if target.startswith("heze_hub")
        and not target.startswith("heze_hub_plugins")
        and not any(target == a or target.startswith(a + ".") for a in allowed)
    ]


def core_modules() -> list[Path]:
    return sorted((ROOT / "heze_hub").rglob("*.py"))


@pytest.mark.parametrize("path", core_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_core_imports_follow_the_layers(path: Path) -> None:
    name = module_name(path)
    assert unit_of(name) is not None, f"{name} belongs to no layer: add it to RANKS"
    source = path.read_text(encoding="utf-8")
    assert layer_violations(source, name, is_package=path.name == "__init__.py") == []


@pytest.mark.parametrize(
    "path",
    [*sorted((ROOT / "plugins").glob("*.py")), ROOT / "examples" / "plugins" / "webhook.py"],
    ids=lambda p: p.name,
)
def test_plugins_import_only_the_plugin_api(path: Path) -> None:
    assert plugin_violations(path.read_text(encoding="utf-8"), path.name) == []


@pytest.mark.parametrize(
    ("module", "planted"),
    [
        ("heze_hub.items.normalize", "from heze_hub.store.db import Store"),
        ("heze_hub.items.masking", "def f():\n    from heze_hub.cli import main\n"),
        ("heze_hub.receipts.bundle", "from heze_hub.config import load_config"),
        ("heze_hub.receipts.bundle", "from heze_hub.store import receipts"),
        ("heze_hub.delivery.engine", "from heze_hub.hub import Hub"),
        ("heze_hub.rules.audit", "from heze_hub.portal.site import Site"),
        ("heze_hub.store.db", "from ..delivery import outbox"),
        ("heze_hub.items.model", "import heze_hub.delivery.channel"),
        ("heze_hub.portal.pages", "from heze_hub import Channel"),
    ],
)
def test_a_planted_back_import_is_caught(module: str, planted: str) -> None:
    path = ROOT / (module.replace(".", "/") + ".py")
    source = path.read_text(encoding="utf-8") + "\n" + planted + "\n"
    assert layer_violations(source, module) != []


def test_a_plugin_reaching_into_the_core_is_caught() -> None:
    source = (ROOT / "plugins" / "weibo.py").read_text(encoding="utf-8")
    assert plugin_violations(source + "\nfrom heze_hub.delivery.http import HttpClient\n",
                             "weibo.py") != []
    assert plugin_violations(source + "\nfrom heze_hub.portal.site import Site\n",
                             "weibo.py") != []


def test_the_plugin_api_exports_what_it_documents() -> None:
    import heze_hub.plugin as api

    missing = [name for name in api.__all__ if not hasattr(api, name)]
    assert missing == []
    assert {"Channel", "ChannelSettings", "DeliveryContext", "HubInfo", "PublishResult",
            "NormalizedItem", "TransientError", "PermanentError", "hookimpl",
            "atomic_write", "HttpClient"} <= set(api.__all__)
