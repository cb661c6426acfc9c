"""The shape of the code: one-way imports, a CLI that answers without
TensorFlow, private Keras API in one module, research outside the package."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "advzoo"


def _modules():
    mods = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods[".".join(parts)] = path
    return mods


def import_graph():
    """`{module: set of advzoo modules it imports}`, counting imports inside
    functions too (a lazy import is still a dependency)."""
    mods = _modules()

    def resolve(name):
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    graph = {m: set() for m in mods}
    for module, path in mods.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[:len(package.split(".")) - node.level + 1]
                    base = ".".join(up + ([base] if base else []))
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base
                           for a in node.names]
            for target in targets:
                resolved = resolve(target) if target.startswith("advzoo") else None
                if resolved and resolved != module:
                    graph[module].add(resolved)
    return graph


def test_there_are_no_import_circles():
    graph = import_graph()
    state, cycles = {}, []

    def visit(node, stack):
        state[node] = "active"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "active":
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert not cycles, "import circles: " + "; ".join(" -> ".join(c) for c in cycles[:5])


def test_the_weights_store_and_the_registry_know_no_family():
    graph = import_graph()
    for module in ("advzoo.presets", "advzoo.registry", "advzoo.recipes", "advzoo.family",
                   "advzoo._paths"):
        assert not {m for m in graph[module] if m.startswith("advzoo.models")}, module
    assert "advzoo.registry" not in graph["advzoo.presets"]
    for module in graph:  # families never reach back up to the registry or the API
        if module.startswith("advzoo.models"):
            assert not graph[module] & {"advzoo.registry", "advzoo.api", "advzoo"}, module


def test_nothing_outside_a_family_branches_on_family_names():
    names = [p.name for p in (PACKAGE / "models").iterdir() if (p / "__init__.py").exists()]
    for path in PACKAGE.rglob("*.py"):
        if "models" in path.relative_to(PACKAGE).parts:
            continue
        text = path.read_text()
        for name in names:
            assert f'== "{name}"' not in text and f"== '{name}'" not in text, (path, name)


def test_private_keras_api_lives_in_one_module():
    users = [p for p in PACKAGE.rglob("*.py") if "keras.src" in p.read_text()]
    assert users == [PACKAGE / "compat.py"], users


def test_cli_lists_and_describes_without_importing_tensorflow():
    code = ("import sys, io, contextlib; from advzoo.cli import main\n"
            "for argv in (['list'], ['info', 'dcgan_fashion_mnist'], ['list', '--pretrained']):\n"
            "    with contextlib.redirect_stdout(io.StringIO()): main(argv)\n"
            "heavy = [m for m in ('tensorflow', 'keras', 'keras_tuner') if m in sys.modules]\n"
            "print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]", out.stdout
    assert out.stderr.strip() == "", out.stderr  # no TensorFlow/oneDNN/CUDA log lines


def test_research_is_outside_the_package_and_uses_no_path_hacks():
    assert not (PACKAGE / "research").exists()
    for path in (ROOT / "research").rglob("*.py"):
        text = path.read_text()
        assert "sys.path" not in text, path
        assert "advzoo.models.dann.dann_presets import _" not in text, path
    for path in (ROOT / "examples").glob("*.py"):
        assert "sys.path" not in path.read_text(), path
