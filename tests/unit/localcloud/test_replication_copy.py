"""The local cloud's replica copy: only what changed, manifests last,
removed files removed."""

import os

from trove_mr_localcloud import replication


def _write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(text)


def _read(path):
    with open(path) as f:
        return f.read()


def test_copy_mirrors_the_tree_and_drops_removed_files(tmp_path):
    source, target = tmp_path / 'primary', tmp_path / 'replica'
    _write(str(source / 'data' / 'dump.rdb'), 'rdb-1')
    _write(str(source / 'data' / 'appendonlydir' / 'a.1.incr.aof'), 'set')
    replication.sync_tree(str(source), str(target))
    assert _read(str(target / 'data' / 'dump.rdb')) == 'rdb-1'

    os.unlink(str(source / 'data' / 'appendonlydir' / 'a.1.incr.aof'))
    _write(str(source / 'data' / 'appendonlydir' / 'a.2.incr.aof'), 'set2')
    replication.sync_tree(str(source), str(target))
    assert sorted(os.listdir(str(target / 'data' / 'appendonlydir'))) == \
        ['a.2.incr.aof']
    assert not [n for n in os.listdir(str(target / 'data'))
                if n.endswith('.replicating')]


def test_unchanged_files_are_not_copied_again(tmp_path, monkeypatch):
    source, target = tmp_path / 'primary', tmp_path / 'replica'
    _write(str(source / 'big.rdb'), 'x' * 1000)
    _write(str(source / 'small.aof'), 'a')
    replication.sync_tree(str(source), str(target))
    copied = []
    real_copy = replication.shutil.copy2

    def counting(src, dst, **kwargs):
        copied.append(os.path.basename(src))
        return real_copy(src, dst, **kwargs)
    monkeypatch.setattr(replication.shutil, 'copy2', counting)
    with open(str(source / 'small.aof'), 'a') as f:
        f.write('b')
    replication.sync_tree(str(source), str(target))
    assert copied == ['small.aof']
    assert _read(str(target / 'small.aof')) == 'ab'


def test_a_manifest_is_copied_after_the_files_it_names(tmp_path,
                                                      monkeypatch):
    source, target = tmp_path / 'primary', tmp_path / 'replica'
    for name in ('appendonly.aof.manifest', 'appendonly.aof.1.base.rdb',
                 'appendonly.aof.1.incr.aof'):
        _write(str(source / name), name)
    order = []
    real_copy = replication.shutil.copy2

    def recording(src, dst, **kwargs):
        order.append(os.path.basename(src))
        return real_copy(src, dst, **kwargs)
    monkeypatch.setattr(replication.shutil, 'copy2', recording)
    replication.sync_tree(str(source), str(target))
    assert order[-1] == 'appendonly.aof.manifest'
    assert len(order) == 3


def test_capable_types_read_either_extra_spec():
    class Cinder:
        types = {'a': {'extra_specs': {'replication_capable': 'True'}},
                 'b': {'extra_specs': {'replication_enabled': '<is> True'}},
                 'c': {'extra_specs': {'replication_enabled': 'False'}}}

        def type_by_name_or_id(self, ref):
            return self.types.get(ref)
    assert replication.capable(Cinder(), 'a')
    assert replication.capable(Cinder(), 'b')
    assert not replication.capable(Cinder(), 'c')
    assert not replication.capable(Cinder(), 'missing')
