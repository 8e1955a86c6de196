"""The import graph of sugar_mm has no cycle: arrows only go down, from composing modules to ground modules.

Every module under ``sugar_mm/`` is parsed with ``ast`` (nothing is imported). An arrow goes from a module to each
sugar_mm module it imports, at module level or inside a function, with relative imports resolved, and
``from pkg import name`` pointing at ``pkg.name`` when that is a module. Importing ``a.b.c`` also runs the
``__init__`` of ``a`` and ``a.b``; those implicit arrows are left out (packages re-export their submodules, which
would make every package a cycle with its own modules), so a cycle here is one a module creates by what it names.
Imports under ``if TYPE_CHECKING:`` never run and are left out too.
"""
import ast
import os
import os.path as osp
from typing import Dict, List, Optional, Set

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
PACKAGE = 'sugar_mm'


def module_files(root: str = ROOT, package: str = PACKAGE) -> Dict[str, str]:
    """``{dotted module name: file}`` of every ``.py`` file of ``package`` (a package is its ``__init__``)."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(osp.join(root, package)):
        dirnames[:] = sorted(d for d in dirnames if d != '__pycache__')
        for fname in sorted(filenames):
            if not fname.endswith('.py'):
                continue
            parts = osp.relpath(osp.join(dirpath, fname), root)[:-3].split(os.sep)
            if parts[-1] == '__init__':
                parts = parts[:-1]
            out['.'.join(parts)] = osp.join(dirpath, fname)
    return out


def _type_checking_nodes(tree: ast.AST) -> Set[int]:
    """ids of the nodes under ``if TYPE_CHECKING:`` / ``if typing.TYPE_CHECKING:``."""
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            test = node.test
            name = test.id if isinstance(test, ast.Name) else test.attr if isinstance(test, ast.Attribute) else None
            if name == 'TYPE_CHECKING':
                skip.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return skip


def resolve_from(module: str, is_package: bool, level: int, target: Optional[str]) -> str:
    """The absolute name of ``from <level dots><target> import ...`` written in ``module``."""
    if level == 0:
        return target or ''
    base = module.split('.') if is_package else module.split('.')[:-1]
    if level > 1:
        base = base[:-(level - 1)]
    return '.'.join(base + ([target] if target else []))


def imports_of(module: str, path: str, modules: Dict[str, str]) -> Set[str]:
    """The sugar_mm modules that ``module`` (file ``path``) imports anywhere in its code."""
    with open(path, encoding='utf-8') as f:
        tree = ast.parse(f.read(), filename=path)
    is_package = osp.basename(path) == '__init__.py'
    skip = _type_checking_nodes(tree)
    found: Set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = resolve_from(module, is_package, node.level, node.module)
            found.add(base)
            for alias in node.names:
                if f'{base}.{alias.name}' in modules:  # ``from pkg import submodule``
                    found.add(f'{base}.{alias.name}')
    internal = set()
    for name in found:
        # ``import a.b.c`` names module a.b.c; keep the longest prefix that is one of ours
        parts = name.split('.')
        while parts and '.'.join(parts) not in modules:
            parts.pop()
        if parts:
            internal.add('.'.join(parts))
    internal.discard(module)
    return internal


def import_graph(root: str = ROOT, package: str = PACKAGE) -> Dict[str, Set[str]]:
    modules = module_files(root, package)
    return {m: imports_of(m, p, modules) for m, p in modules.items()}


def find_cycles(graph: Dict[str, Set[str]]) -> List[List[str]]:
    """The strongly connected components with more than one module (Tarjan), each as one cycle through it."""
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    on_stack: Set[str] = set()
    components: List[List[str]] = []

    def visit(v: str) -> None:  # recursion depth is bounded by the module count (~100)
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                components.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return [_cycle_through(graph, comp) for comp in components]


def _cycle_through(graph: Dict[str, Set[str]], component: List[str]) -> List[str]:
    """One concrete cycle ``[a, b, ..., a]`` inside a strongly connected component (shortest from its first)."""
    members = set(component)
    start = component[0]
    parent: Dict[str, str] = {}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(graph[v] & members):
                if w == start:  # back at the start: walk the parents from v
                    path = [v]
                    while path[-1] != start:
                        path.append(parent[path[-1]])
                    return path[::-1] + [start]
                if w not in parent:
                    parent[w] = v
                    nxt.append(w)
        frontier = nxt
    raise AssertionError(f'{component} is not strongly connected')


# ------------------------------------------------------------------------------------------------ the tests
def test_the_parser_sees_every_kind_of_import(tmp_path):
    pkg = tmp_path / 'pkg'
    (pkg / 'sub').mkdir(parents=True)
    (pkg / '__init__.py').write_text('from . import a\n')
    (pkg / 'a.py').write_text('from .sub import b\n')
    (pkg / 'sub' / '__init__.py').write_text('')
    (pkg / 'sub' / 'b.py').write_text('def f():\n    from ..c import x\n    import pkg.sub.d\n')
    (pkg / 'c.py').write_text('from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import y\n'
                              'from pkg import sub\n')
    (pkg / 'sub' / 'd.py').write_text('from .. import a\n')
    graph = import_graph(str(tmp_path), 'pkg')
    assert graph == {'pkg': {'pkg.a'}, 'pkg.a': {'pkg.sub', 'pkg.sub.b'}, 'pkg.sub': set(),
                     'pkg.sub.b': {'pkg.c', 'pkg.sub.d'}, 'pkg.c': {'pkg', 'pkg.sub'}, 'pkg.sub.d': {'pkg', 'pkg.a'}}
    # function-level and submodule imports close the cycles; the shortest one through 'pkg' is reported
    assert find_cycles(graph) == [['pkg', 'pkg.a', 'pkg.sub.b', 'pkg.c', 'pkg']]
    (pkg / 'c.py').write_text('')
    (pkg / 'sub' / 'd.py').write_text('')
    assert find_cycles(import_graph(str(tmp_path), 'pkg')) == []


def test_sugar_mm_has_no_import_cycle():
    graph = import_graph()
    assert 'sugar_mm.registry' in graph and 'sugar_mm.models.bridges.builder' in graph
    cycles = find_cycles(graph)
    assert not cycles, 'import cycles (each a -> b -> ... -> a):\n' + '\n'.join(' -> '.join(c) for c in cycles)
