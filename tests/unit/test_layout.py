"""The package layout of doc/architecture.rst, checked on the sources.

``trove_mr/common`` is the floor: it imports no other trove_mr package.
No two packages import each other, directly or around a ring: every
import, at module level or inside a function, runs downward.
"""

import ast
import os

import trove_mr

ROOT = os.path.dirname(trove_mr.__file__)


def _module_name(path):
    rel = os.path.relpath(path, os.path.dirname(ROOT))[:-3]
    parts = rel.split(os.sep)
    if parts[-1] == '__init__':
        parts = parts[:-1]
    return '.'.join(parts)


def _imported(path):
    """Every trove_mr module ``path`` imports (absolute or relative)."""
    module = _module_name(path)
    package = module if path.endswith('__init__.py') else \
        module.rpartition('.')[0]
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:
                anchor = package.split('.')
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = '.'.join(anchor + ([base] if base else []))
            yield base
            for alias in node.names:
                yield '%s.%s' % (base, alias.name)


def package_graph():
    """{package: {package it imports: [(file, module), ...]}}."""
    graph = {}
    for folder, _dirs, files in os.walk(ROOT):
        for name in files:
            if not name.endswith('.py'):
                continue
            path = os.path.join(folder, name)
            source = _module_name(path).split('.')
            if len(source) < 2:
                continue
            for target in _imported(path):
                parts = target.split('.')
                if parts[0] != 'trove_mr' or len(parts) < 2:
                    continue
                if not os.path.exists(os.path.join(ROOT, parts[1])):
                    continue  # a name imported from trove_mr/__init__
                if parts[1] != source[1]:
                    graph.setdefault(source[1], {}).setdefault(
                        parts[1], []).append(
                            (os.path.relpath(path, ROOT), target))
    return graph


def rings(graph):
    """Strongly connected sets of more than one package (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, {}):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            ring = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                ring.add(member)
                if member == node:
                    break
            if len(ring) > 1:
                found.append(sorted(ring))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_common_imports_no_other_trove_mr_package():
    above = package_graph().get('common', {})
    assert above == {}, 'common/ imports %s' % above


def test_no_two_packages_import_each_other_directly_or_in_a_ring():
    graph = package_graph()
    found = rings(graph)
    detail = {tuple(ring): {(a, b): graph[a][b][:3] for a in ring
                            for b in ring if b in graph.get(a, {})}
              for ring in found}
    assert found == [], 'import rings between packages: %s' % detail


def test_the_ring_check_finds_a_ring():
    # The check itself: a ring of three and a pair are both found.
    graph = {'a': {'b': []}, 'b': {'c': []}, 'c': {'a': []},
             'd': {'e': []}, 'e': {'d': []}, 'f': {'a': []}}
    assert sorted(rings(graph)) == [['a', 'b', 'c'], ['d', 'e']]


def test_the_graph_sees_imports_inside_functions(tmp_path):
    path = tmp_path / 'mod.py'
    path.write_text('def f():\n    from trove_mr.db import cells\n')
    assert 'trove_mr.db.cells' in set(_imported(str(path)))
