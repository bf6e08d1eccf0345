import json

import numpy as np

from dgan_blender.dataset.run import parse_shard
from dgan_blender.dataset.sample import sample_seed
from dgan_blender.dataset.store import DatasetStore
from dgan_blender.errors import DganError

import pytest


def _write(store, i):
    inst = np.zeros((8, 8), np.uint16)
    inst[2:5, 2:5] = 1
    store.write_sample(i, np.zeros((8, 8), np.uint8), inst, (inst > 0).astype(np.uint8),
                       {"seed": 3, "sample_seed": sample_seed(3, i), "particles": [{"id": 1}]})


def test_manifest_repair_lists_each_complete_sample_once(tmp_path):
    store = DatasetStore(tmp_path)
    store.prepare()
    for i in (0, 1, 3):
        _write(store, i)
    store.append_manifest([store.manifest_entry(0), store.manifest_entry(0)])  # duplicate
    with open(store.manifest, "a") as fh:
        fh.write('{"index": 1, "ima')  # cut by a kill
    (tmp_path / "images" / ".000002.png.123.tmp").write_bytes(b"half")
    store.path("images", 2).write_bytes(b"x")  # incomplete sample: no particles json
    store.prepare()
    fixed = store.repair_manifest(4)
    assert sorted(fixed) == [0, 1, 3]
    lines = store.manifest.read_text().splitlines()
    assert [json.loads(ln)["index"] for ln in lines] == [0, 1, 3]
    assert not list((tmp_path / "images").glob(".*.tmp"))


def test_coco_written_for_complete_samples(tmp_path):
    store = DatasetStore(tmp_path)
    store.prepare()
    _write(store, 0)
    _write(store, 1)
    doc = json.loads(store.write_coco([0, 1], "t").read_text())
    assert len(doc["images"]) == 2 and len(doc["annotations"]) == 2
    assert doc["annotations"][0]["area"] == 9


def test_sample_seed_depends_on_both():
    assert sample_seed(0, 0) != sample_seed(0, 1) != sample_seed(1, 0)
    assert sample_seed(5, 7) == sample_seed(5, 7)


def test_parse_shard():
    assert parse_shard("1/4") == (1, 4)
    assert parse_shard(None) == (0, 1)
    for bad in ("4/4", "x", "1/0"):
        with pytest.raises(DganError):
            parse_shard(bad)
