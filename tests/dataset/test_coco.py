import numpy as np
import pytest

from dgan_blender.dataset.coco import annotations_for, coco_document, rle_decode, rle_encode


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rle_round_trip_and_pycocotools_agree(seed):
    mask_utils = pytest.importorskip("pycocotools.mask")
    rng = np.random.default_rng(seed)
    m = rng.random((13, 17)) > 0.6
    m[0, 0] = seed == 1  # both starting states
    rle = rle_encode(m)
    assert np.array_equal(rle_decode(rle), m)
    compressed = mask_utils.frPyObjects(rle, *rle["size"])
    assert np.array_equal(mask_utils.decode(compressed).astype(bool), m)
    assert mask_utils.area(compressed) == m.sum()


def test_annotations_loadable_by_cocoapi(tmp_path):
    coco_mod = pytest.importorskip("pycocotools.coco")
    import json

    inst = np.zeros((20, 30), np.uint16)
    inst[2:6, 3:9] = 4
    inst[10:18, 10:12] = 7
    anns = annotations_for(1, inst, 1)
    doc = coco_document([{"id": 1, "file_name": "a.png", "height": 20, "width": 30}], anns, "t")
    path = tmp_path / "a.json"
    path.write_text(json.dumps(doc))
    coco = coco_mod.COCO(str(path))
    assert sorted(a["particle_id"] for a in coco.loadAnns(coco.getAnnIds())) == [4, 7]
    for a in coco.loadAnns(coco.getAnnIds()):
        assert np.array_equal(coco.annToMask(a).astype(bool), inst == a["particle_id"])
    assert anns[0]["bbox"] == [3, 2, 6, 4]


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_annotations_match_one_mask_per_instance(seed):
    """The one-pass encoder gives, per instance, what encoding its own mask gives:
    runs, area and box (instances touching every border, split in pieces, one pixel)."""
    rng = np.random.default_rng(seed)
    inst = rng.integers(0, 6, (23, 31)).astype(np.uint16) * (rng.random((23, 31)) > 0.3)
    inst[0, 0], inst[-1, -1] = 5, 3  # runs at both ends of the column-major order
    inst[inst == 2] = 0
    inst[11, 17] = 900  # a lone pixel with a large id
    anns = annotations_for(7, inst, 10)
    ids = [int(i) for i in np.unique(inst) if i]
    assert [a["particle_id"] for a in anns] == ids
    assert [a["id"] for a in anns] == list(range(10, 10 + len(ids)))
    for a in anns:
        mask = inst == a["particle_id"]
        ys, xs = np.nonzero(mask)
        assert a["segmentation"] == rle_encode(mask)
        assert np.array_equal(rle_decode(a["segmentation"]), mask)
        assert a["area"] == mask.sum()
        assert a["bbox"] == [xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1]
        assert a["image_id"] == 7
    assert annotations_for(1, np.zeros((4, 5), np.uint16), 1) == []
