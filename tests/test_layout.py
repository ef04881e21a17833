"""The package's layout is the pipeline: every module imports, no import cycle, argparse only in the
command line, one prefix map, one way to write outputs safely."""

import ast
import importlib
from pathlib import Path

import peergraph

PACKAGE = Path(peergraph.__file__).resolve().parent


def _modules() -> dict[str, Path]:
    """Every module of the package by dotted name (``python -m`` entry points left out: they run)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__main__":
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _imported(path: Path, name: str) -> set[str]:
    """The names module ``name`` imports, at the top or inside a function (``from a import b`` gives
    ``a`` and ``a.b``; a relative import is resolved against the module's package)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            base = base[:len(base) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def _import_graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: {other for other in _imported(path, name) if other in modules and other != name}
            for name, path in modules.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, as the modules around it, or None."""
    state, stack = {}, []

    def visit(name):
        state[name] = "open"
        stack.append(name)
        for other in sorted(graph[name]):
            if state.get(other) == "open":
                return stack[stack.index(other):] + [other]
            if other not in state:
                found = visit(other)
                if found:
                    return found
        stack.pop()
        state[name] = "done"
        return None

    for name in sorted(graph):
        if name not in state:
            found = visit(name)
            if found:
                return found
    return None


def test_every_module_of_the_package_imports():
    for name in _modules():
        importlib.import_module(name)


def test_the_package_has_no_import_cycle():
    assert _cycle(_import_graph()) is None, " -> ".join(_cycle(_import_graph()))


def test_the_stages_import_each_other_one_way():
    """Packages too: graph, then the consumers in an order, then the command line."""
    def stage(name):
        return ".".join(name.split(".")[:2])
    stages = {}
    for name, others in _import_graph().items():
        stages.setdefault(stage(name), set()).update(stage(other) for other in others if stage(other) != stage(name))
    assert _cycle(stages) is None, " -> ".join(_cycle(stages))


def test_the_cycle_check_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_only_the_command_line_knows_argparse():
    outside = sorted(name for name, path in _modules().items()
                     if "argparse" in _imported(path, name) and not (name == "peergraph.cli" or name.startswith("peergraph.cli.")))
    assert outside == []


def test_the_stages_come_before_the_command_line():
    """No stage imports the command line; the command line is the last layer."""
    graph = _import_graph()
    leaning_back = sorted(f"{name} -> {other}" for name, others in graph.items() for other in others
                          if other.startswith("peergraph.cli") and not name.startswith("peergraph.cli"))
    assert leaning_back == []


def test_each_package_says_what_it_takes_in_and_gives_out():
    for name, path in _modules().items():
        if path.name == "__init__.py":
            docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
            assert "take" in docstring.lower() and "give" in docstring.lower(), name


def test_the_release_names_the_prefixes_of_the_one_map():
    from peergraph.graph.release import STANDARD_PREFIXES
    from peergraph.namespaces import PREFIXES

    assert STANDARD_PREFIXES is PREFIXES   # the one map itself, not a copy that can drift


def test_only_the_output_module_renames_files_into_place():
    """Writing beside a file then renaming it is what ``peergraph.output`` does, once for everyone."""
    renaming = {"replace", "rename", "mkstemp", "mkdtemp", "NamedTemporaryFile"}
    found = []
    for name, path in _modules().items():
        if name == "peergraph.output" or name.startswith("peergraph.output."):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in renaming \
                    and isinstance(node.func.value, ast.Name) and node.func.value.id in ("os", "tempfile"):
                found.append(f"{name}: {node.func.value.id}.{node.func.attr}")
    assert found == []


def test_the_endpoints_modules_stay_short():
    """Modules under about 300 lines; the endpoint, which splits into many concerns, keeps to it."""
    endpoint = PACKAGE / "endpoint"
    long = {path.name: lines for path in endpoint.glob("*.py")
            if (lines := len(path.read_text(encoding="utf-8").splitlines())) > 300}
    assert long == {}
