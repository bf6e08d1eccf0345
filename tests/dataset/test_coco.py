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
