"""The apps depend on each other one way, and no modules import each other in a circle.

From the bottom: practice (the tenant core) <- phonecodes <- accounts <- mfa <- oidc <-
practice.console, and the bench (development tooling, outside the product) on top of everything.
A module may import its own app and the apps below it, never one above (accounts never imports
mfa: the second factor joins the sign-in as a stage named in settings). Imports inside functions
count too: a late import is still a dependency.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ["practice", "phonecodes", "accounts", "mfa", "oidc", "practice.console", "bench"]
# Where the layers' modules live; and the product's packages (its apps and config/).
PACKAGES = ("practice", "phonecodes", "accounts", "mfa", "oidc", "bench")
PRODUCT_PACKAGES = ("practice", "phonecodes", "accounts", "mfa", "oidc", "config")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_of(module: str) -> str | None:
    """The most specific layer a dotted module name belongs to."""
    found = None
    for layer in LAYERS:
        if module == layer or module.startswith(layer + "."):
            found = layer
    return found


def project_modules(packages=PACKAGES) -> dict[str, Path]:
    modules = {}
    for top in packages:
        for path in (ROOT / top).rglob("*.py"):
            if "migrations" not in path.parts:
                modules[module_name(path)] = path
    return modules


def imports_of(path: Path, module: str) -> set[str]:
    found = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            # "from package import module" imports the module.
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def test_no_app_imports_an_app_above_it():
    upward = []
    for module, path in project_modules().items():
        own = LAYERS.index(layer_of(module))
        for imported in imports_of(path, module):
            layer = layer_of(imported)
            if layer is not None and LAYERS.index(layer) > own:
                upward.append(f"{module} -> {imported}")
    assert upward == []


def test_no_modules_import_each_other_in_a_circle():
    modules = project_modules()
    graph = {
        module: {name for name in imports_of(path, module) if name in modules and name != module}
        for module, path in modules.items()
    }
    # A package's __init__ importing its own submodules is how packages work, not a circle.
    for module in graph:
        graph[module] = {name for name in graph[module] if not name.startswith(module + ".")}
    circles, state = [], {}

    def visit(module, trail):
        state[module] = "open"
        for name in sorted(graph[module]):
            if state.get(name) == "open":
                circles.append(" -> ".join([*trail[trail.index(name) :], name]))
            elif name not in state:
                visit(name, [*trail, name])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert circles == []


def test_bench_is_tooling_that_the_product_does_not_know():
    from bench import settings as bench_settings
    from config import settings as production_settings

    # Only the bench's own settings install it: no deployment carries its command or its
    # admin site.
    assert "bench" not in production_settings.INSTALLED_APPS
    assert [*production_settings.INSTALLED_APPS, "bench"] == bench_settings.INSTALLED_APPS
    # No app of the product, and nothing in config/, imports it (the rule above says so of the
    # apps; config/ is no layer).
    importers = [
        f"{module} -> {imported}"
        for module, path in project_modules(PRODUCT_PACKAGES).items()
        for imported in imports_of(path, module)
        if layer_of(imported) == "bench"
    ]
    assert importers == []
