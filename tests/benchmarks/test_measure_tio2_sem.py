"""The measure benchmark's split into folds, its pooling of scores over folds and its
resumable steps (no real data, no model: hand-made masks and predictions)."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from dgan_blender.errors import DganError
from dgan_blender.io import write_png

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "measure_tio2_sem.py"
spec = importlib.util.spec_from_file_location("measure_tio2_sem", SCRIPT)
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)

SHAPE = (64, 96)
PX_NM = 5.0


def discs(centres, radius=8):
    yy, xx = np.mgrid[:SHAPE[0], :SHAPE[1]]
    inst = np.zeros(SHAPE, np.int32)
    for k, (cy, cx) in enumerate(centres, start=1):
        inst[(yy - cy) ** 2 + (xx - cx) ** 2 <= radius ** 2] = k
    return inst


def test_split_is_a_seeded_partition_into_equal_folds():
    names = [f"19082{i:02d}" for i in range(30)]
    folds = bench.split(names[::-1], 3, seed=0)  # the input order does not matter
    assert [len(f) for f in folds] == [10, 10, 10]
    assert sorted(n for f in folds for n in f) == names
    assert all(f == sorted(f) for f in folds)
    assert folds == bench.split(names, 3, seed=0)
    assert folds != bench.split(names, 3, seed=1)
    for k in range(3):
        chain = bench.others(folds, k)
        assert len(chain) == 20 and not set(chain) & set(folds[k])


def test_split_refuses_too_few_images():
    with pytest.raises(DganError, match="at least 6"):
        bench.split(["a", "b", "c", "d", "e"], 3)


@pytest.fixture
def scored(tmp_path):
    """Four masked images in two folds with known matches: fold A finds 2 of 3 and 2 of 2
    plus one extra particle; fold B finds 0 of 2 and 1 of 1 (every found particle exact)."""
    truth = {"a1": [(16, 16), (16, 50), (44, 30)], "a2": [(20, 20), (40, 70)],
             "b1": [(30, 30), (30, 70)], "b2": [(32, 48)]}
    found = {"a1": [(16, 16), (16, 50)], "a2": [(20, 20), (40, 70), (44, 40)],
             "b1": [], "b2": [(32, 48)]}
    masks = tmp_path / "masks"
    masks.mkdir()
    for name, centres in truth.items():
        write_png(masks / f"{name}_m.png", np.where(discs(centres) > 0, 255, 0).astype(np.uint8))
    pred = {name: (name, discs(c), PX_NM, 0) for name, c in found.items()}
    return masks, [[pred["a1"], pred["a2"]], [pred["b1"], pred["b2"]]]


def test_pooling_sums_matches_over_folds(scored):
    from dgan_blender.measure.scoring import score

    masks, folds = scored
    a, b = (score(masks, f) for f in folds)
    pool = bench.pooled(masks, folds)
    assert pool["n_scored_images"] == 4
    # PQ from the summed matches (TP 5, FP 1, FN 3, IoU 1): 5 / (5 + 0.5 + 1.5), not the
    # mean of the folds' PQ (0.8 and 0.5)
    assert (a["pq"], b["pq"]) == (0.8, 0.5)
    assert pool["pq"] == round(5 / 7, 4)
    # AP50: the mean over the four images (2/3, 2/3, 0, 1)
    assert pool["ap50"] == round((2 / 3 + 2 / 3 + 0 + 1) / 4, 4)
    # sizes: the diameters of all folds in one distribution
    assert pool["sizes"]["n_truth"] == a["sizes"]["n_truth"] + b["sizes"]["n_truth"] == 8
    assert pool["sizes"]["n_found"] == a["sizes"]["n_found"] + b["sizes"]["n_found"] == 6
    assert min(a["dsc"], b["dsc"]) < pool["dsc"] < max(a["dsc"], b["dsc"])
    assert bench.pooled(masks, folds[::-1])["pq"] == pool["pq"]


def test_table_shows_every_fold_and_the_pooled_rows(scored):
    masks, folds = scored
    empty = bench.pooled(masks, [[(n, np.zeros(SHAPE, np.int32), PX_NM, 0) for n, *_ in f] for f in folds])
    assert empty["sizes"]["n_found"] == 0  # nothing found: NaN size errors
    fold = {"fold": 1, "scores": {"chain": empty, "real": bench.pooled(masks, folds), "chain_own": empty},
            "training": {"chain": {"train_seconds": 60.0, "epochs_run": 2}, "real": {"train_seconds": 59.5,
                                                                                      "epochs_run": 7}},
            "stage_seconds": {"prior": 1.0, "fit": 10.0, "score_segment": 2.0, "baseline": 70.0}}
    text = bench.tables([fold], {"chain": empty, "real": empty}, "header")
    rows = [line for line in text.splitlines() if line.startswith("| 1 |") or line.startswith("| pooled")]
    assert len(rows) == 3 + 2 + 1  # three models of fold 1, two pooled, one line of times
    assert "| - | - | - |" in rows[0]  # NaN shown as '-'
    assert "60 s, 2 ep" in rows[0] and "60 s, 7 ep" in rows[1]
    assert rows[-1].endswith("| 11 |")  # the chain's total: its stages only
    assert bench.finite({"x": [float("nan"), 1.0]}) == {"x": [None, 1.0]}


def test_a_step_killed_midway_leaves_nothing_and_is_redone(tmp_path):
    final = tmp_path / "step"

    def dies(tmp):
        (tmp / "half.txt").write_text("half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        bench.done_once(final, dies)
    assert not final.exists() and (tmp_path / "step.tmp" / "half.txt").exists()
    seconds = bench.done_once(final, lambda tmp: (tmp / "whole.txt").write_text("whole"))
    assert sorted(p.name for p in final.iterdir()) == [bench.STEP, "whole.txt"]
    assert not (tmp_path / "step.tmp").exists()
    assert bench.done_once(final, dies) == seconds  # finished: kept, not redone, its time kept


def test_links_hold_only_the_named_images(tmp_path):
    data = tmp_path / "data"
    (data / "images").mkdir(parents=True)
    (data / "masks").mkdir()
    for n in ("x1", "x2", "x3"):
        (data / "images" / f"{n}.tif").write_bytes(n.encode())
        (data / "masks" / f"{n}_m.tif").write_bytes(b"m")
    folder = bench.link_images(data, ["x1", "x3"], tmp_path / "real")
    files = sorted((folder / "images").iterdir())
    assert [p.name for p in files] == ["x1.tif", "x3.tif"]
    assert files[1].read_bytes() == b"x3" and files[1].is_symlink()
    assert sorted(p.name for p in folder.iterdir()) == ["images", bench.STEP]  # no masks beside them


def test_the_scored_images_are_segmented_as_the_chain_segmented_its_own(tmp_path):
    import json

    seg = tmp_path / "chain" / "05-segment"
    seg.mkdir(parents=True)
    off = {"ground_check": False}
    assert bench.chain_post(tmp_path / "chain") == {"split_h": None, "boundary_weight": 1.0, **off}
    (seg / "done.json").write_text(json.dumps({"record": {"split_necks_h": 0.25, "boundary_weight": 16.0}}))
    assert bench.chain_post(tmp_path / "chain") == {"split_h": 0.25, "boundary_weight": 16.0, **off}
    (seg / "done.json").write_text(json.dumps({"record": {"split_necks_h": None}}))  # a run before the weight
    assert bench.chain_post(tmp_path / "chain") == {"split_h": None, "boundary_weight": 1.0, **off}
    checked = {"detections": 9, "unseen": 1, "applied": True}  # a run with the substrate check
    (seg / "done.json").write_text(json.dumps({"record": {"split_necks_h": None, "ground_check": checked}}))
    assert bench.chain_post(tmp_path / "chain") == {"split_h": None, "boundary_weight": 1.0, "ground_check": True}
