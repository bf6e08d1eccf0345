"""`train_model`: training on synthetic data sets alone, its model record, resumption
and the time limit (tiny networks and patches)."""

import json

import numpy as np
import pytest
import torch

from dgan_blender.errors import DganError
from dgan_blender.evaluate.train import TrainSettings, load_model, train
from dgan_blender.evaluate.train_job import STATE, train_model
from dgan_blender.evaluate.training_sets import load_training_sets

from .conftest import write_manifest

TINY = TrainSettings(base=4, patch=32, batch=4)
QUIET = dict(settings=TINY, log=lambda _: None)


def weights(path):
    return torch.load(path, map_location="cpu", weights_only=True)["state_dict"]


def same_weights(a, b):
    wa, wb = weights(a), weights(b)
    return wa.keys() == wb.keys() and all(torch.equal(wa[k], wb[k]) for k in wa)


def test_model_records_what_a_user_needs_to_trust_it(synthetic_like, tmp_path):
    summary = train_model([synthetic_like], tmp_path / "m", epochs=2, seed=4, **QUIET)
    _, meta = load_model(tmp_path / "m" / "model.pt")
    assert summary["model"] == str(tmp_path / "m" / "model.pt") and summary["epochs_run"] == 2
    assert meta["pixel_size_nm"] == 14.688 and meta["preset"] == "tio2-sem" and meta["seed"] == 4
    assert meta["look"]["fitted"] is False  # the fixture's records carry no look parameters
    assert len(meta["data_digest"]) == 16 and meta["data"][0]["n_samples"] == 2
    assert set(meta["versions"]) >= {"dgan", "torch"} and meta["trained_by"] == "dgan train"
    assert [h["epoch"] for h in meta["history"]] == [1, 2] and all(np.isfinite(h["loss"]) for h in meta["history"])
    assert meta["epochs_planned"] == 2 and meta["train_seconds"] > 0 and meta["wall_seconds"] >= meta["train_seconds"]
    curve = json.loads((tmp_path / "m" / "curve.json").read_text())
    assert curve["history"] == meta["history"]
    assert not (tmp_path / "m" / STATE).exists()


def test_same_seed_same_weights_other_seed_others(synthetic_like, tmp_path):
    for name, seed in (("a", 1), ("b", 1), ("c", 2)):
        train_model([synthetic_like], tmp_path / name, epochs=1, seed=seed, **QUIET)
    assert same_weights(tmp_path / "a" / "model.pt", tmp_path / "b" / "model.pt")
    assert not same_weights(tmp_path / "a" / "model.pt", tmp_path / "c" / "model.pt")


def test_same_loop_as_eval(synthetic_like, tmp_path):
    """train_model adds bookkeeping, not a second training loop: its weights are those
    of `train` (what `dgan eval` calls) for the same settings."""
    train_model([synthetic_like], tmp_path / "m", epochs=2, seed=3, **QUIET)
    samples = load_training_sets([synthetic_like])[0].samples
    model, _ = train(samples, TrainSettings(base=4, patch=32, batch=4, epochs=2, seed=3), 14.688, log=lambda _: None)
    direct = model.state_dict()
    saved = weights(tmp_path / "m" / "model.pt")
    assert all(torch.equal(saved[k], direct[k].cpu()) for k in saved)


class Kill(Exception):
    pass


def test_a_killed_run_resumes_to_the_uninterrupted_weights(synthetic_like, tmp_path):
    train_model([synthetic_like], tmp_path / "full", epochs=3, seed=7, **QUIET)

    def kill_after_first(epoch, planned, entry):
        assert planned == 3 and entry["epoch"] == epoch
        if epoch == 1:
            raise Kill

    with pytest.raises(Kill):
        train_model([synthetic_like], tmp_path / "cut", epochs=3, seed=7, progress=kill_after_first, **QUIET)
    assert (tmp_path / "cut" / STATE).exists() and not (tmp_path / "cut" / "model.pt").exists()
    seen = []
    train_model([synthetic_like], tmp_path / "cut", epochs=3, seed=7, progress=lambda e, p, _: seen.append(e), **QUIET)
    assert seen == [2, 3]
    assert same_weights(tmp_path / "full" / "model.pt", tmp_path / "cut" / "model.pt")
    _, meta = load_model(tmp_path / "cut" / "model.pt")
    assert [h["epoch"] for h in meta["history"]] == [1, 2, 3]


def test_complete_model_is_kept_other_settings_refused_restart_starts_over(synthetic_like, tmp_path):
    out = tmp_path / "m"
    train_model([synthetic_like], out, epochs=1, seed=0, **QUIET)
    before = (out / "model.pt").stat().st_mtime_ns
    seen = []
    summary = train_model([synthetic_like], out, epochs=1, seed=0, progress=lambda *a: seen.append(a), **QUIET)
    assert not seen and summary["epochs_run"] == 1 and (out / "model.pt").stat().st_mtime_ns == before
    with pytest.raises(DganError, match=r"other settings \(seed: 0 -> 1\).*--restart"):
        train_model([synthetic_like], out, epochs=1, seed=1, **QUIET)
    train_model([synthetic_like], out, epochs=1, seed=1, restart=True, **QUIET)
    assert load_model(out / "model.pt")[1]["seed"] == 1


def test_time_limit_plans_whole_epochs_that_an_epoch_count_reproduces(synthetic_like, tmp_path):
    # a limit shorter than one step plans the minimum, one epoch, with a full LR schedule
    summary = train_model([synthetic_like], tmp_path / "t", time_limit_min=1e-4, seed=2, **QUIET)
    assert summary["epochs_planned"] == 1 and summary["epochs_run"] == 1
    train_model([synthetic_like], tmp_path / "e", epochs=1, seed=2, **QUIET)
    assert same_weights(tmp_path / "t" / "model.pt", tmp_path / "e" / "model.pt")


def test_stops_after_the_epoch_that_crosses_the_limit(synthetic_like):
    samples = load_training_sets([synthetic_like])[0].samples
    settings = TrainSettings(base=4, patch=32, batch=4, epochs=5, stop_after_s=0.0)
    _, hist = train(samples, settings, 14.688, log=lambda _: None)
    assert [h["epoch"] for h in hist] == [1]


def test_validation_scores_only(synthetic_like, real_like, tmp_path):
    train_model([synthetic_like], tmp_path / "v", epochs=2, seed=5, val=real_like, val_every=2,
                val_pixel_size_nm=7.344, **QUIET)
    train_model([synthetic_like], tmp_path / "n", epochs=2, seed=5, **QUIET)
    _, meta = load_model(tmp_path / "v" / "model.pt")
    assert "val" not in meta["history"][0] and meta["history"][1]["val"] == meta["val"]
    assert {"dsc", "ap50", "pq", "median_error_pct", "wasserstein_nm", "ks"} <= set(meta["val"])
    assert meta["val"]["n_images"] == 2 and 0 <= meta["val"]["dsc"] <= 1
    # scoring never changes the weights (BatchNorm statistics included)
    assert same_weights(tmp_path / "v" / "model.pt", tmp_path / "n" / "model.pt")


def test_bad_data_sets_are_one_line_errors(synthetic_like, tmp_path):
    import shutil

    with pytest.raises(DganError, match="no training data; pass --data"):
        train_model([], tmp_path / "m", **QUIET)
    with pytest.raises(DganError, match="--epochs 0: give at least 1"):
        train_model([synthetic_like], tmp_path / "m", epochs=0, **QUIET)
    with pytest.raises(DganError, match="no such folder"):
        train_model([tmp_path / "nowhere"], tmp_path / "m", **QUIET)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DganError, match="no manifest.jsonl"):
        train_model([tmp_path / "empty"], tmp_path / "m", **QUIET)
    no_masks = tmp_path / "no_masks"
    shutil.copytree(synthetic_like, no_masks)
    shutil.rmtree(no_masks / "instances")
    with pytest.raises(DganError, match="no instances/"):
        train_model([no_masks], tmp_path / "m", **QUIET)
    assert not (tmp_path / "m").exists()  # refused before anything is written


def test_pixel_sizes_must_agree(synthetic_like, tmp_path):
    import shutil

    other = tmp_path / "other"
    shutil.copytree(synthetic_like, other)
    for rec in (other / "particles").glob("*.json"):
        rec.write_text(json.dumps({"pixel_size_nm": 7.344, "preset": "tio2-sem"}))
    (other / "manifest.jsonl").unlink()
    write_manifest(other, 2)
    with pytest.raises(DganError, match=r"pixel size 7.344 nm differs from .*14.688 nm"):
        train_model([synthetic_like, other], tmp_path / "m", **QUIET)
    sets = load_training_sets([synthetic_like, synthetic_like])
    assert len(sets) == 2 and sets[0].digest == sets[1].digest


def test_manifest_lists_the_samples_and_an_empty_one_is_refused(synthetic_like, tmp_path):
    lines = (synthetic_like / "manifest.jsonl").read_text().splitlines()
    (synthetic_like / "manifest.jsonl").write_text(lines[1] + "\n" + '{"index": 0, "ima')  # cut by a kill
    (s,) = load_training_sets([synthetic_like])
    assert [x.name for x in s.samples] == ["000001"]
    (synthetic_like / "manifest.jsonl").write_text("")
    with pytest.raises(DganError, match="no complete samples"):
        load_training_sets([synthetic_like])


def test_fine_tuning_starts_from_the_given_weights(synthetic_like, tmp_path):
    """init: one more epoch from a model's weights differs from one epoch from scratch,
    is seeded, names its start in the record, and a missing start is one line."""
    train_model([synthetic_like], tmp_path / "a", epochs=2, seed=1, **QUIET)
    start = tmp_path / "a" / "model.pt"
    for name in ("b", "c"):
        train_model([synthetic_like], tmp_path / name, epochs=1, seed=1, init=start, **QUIET)
    train_model([synthetic_like], tmp_path / "d", epochs=1, seed=1, **QUIET)
    assert same_weights(tmp_path / "b" / "model.pt", tmp_path / "c" / "model.pt")
    assert not same_weights(tmp_path / "b" / "model.pt", tmp_path / "d" / "model.pt")
    assert load_model(tmp_path / "b" / "model.pt")[1]["init"] == str(start)
    with pytest.raises(DganError, match="no such model to start from"):
        train_model([synthetic_like], tmp_path / "e", epochs=1, init=tmp_path / "none.pt", **QUIET)


def test_wider_contact_lines_are_trained_recorded_and_part_of_the_settings(synthetic_like, tmp_path):
    """--contact-px changes the targets where particles touch (other weights; the
    fixture's discs do not touch, so there it changes nothing), says so in the model, and
    a rerun into the same folder with the other width is refused like any other setting."""
    import shutil
    from dataclasses import replace

    from dgan_blender.annotate import semantic_mask
    from dgan_blender.io import write_png

    from .conftest import blobs, render

    touching = tmp_path / "touching"
    shutil.copytree(synthetic_like, touching)
    rng = np.random.default_rng(2)
    for i in range(2):
        inst = blobs((64, 64), [(20, 20), (20, 37), (46, 30 + 2 * i)], 10).astype(np.uint16)
        write_png(touching / "images" / f"{i:06d}.png", render(inst, rng))
        write_png(touching / "instances" / f"{i:06d}.png", inst)
        write_png(touching / "semantic" / f"{i:06d}.png", semantic_mask(inst))
    (touching / "manifest.jsonl").unlink()
    write_manifest(touching, 2)
    wide = dict(QUIET, settings=replace(TINY, contact_px=3))
    for name, data, kw in (("a", synthetic_like, QUIET), ("b", synthetic_like, wide),
                           ("c", touching, QUIET), ("d", touching, wide)):
        train_model([data], tmp_path / name, epochs=1, seed=0, **kw)
    assert load_model(tmp_path / "a" / "model.pt")[1]["contact_px"] == 1
    assert load_model(tmp_path / "b" / "model.pt")[1]["contact_px"] == 3
    assert same_weights(tmp_path / "a" / "model.pt", tmp_path / "b" / "model.pt")
    assert not same_weights(tmp_path / "c" / "model.pt", tmp_path / "d" / "model.pt")
    with pytest.raises(DganError, match=r"other settings \(contact_px"):
        train_model([synthetic_like], tmp_path / "a", epochs=1, seed=0, **wide)
