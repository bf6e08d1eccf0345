import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from dgan_blender.annotate import semantic_mask
from dgan_blender.config import load_config
from dgan_blender.dataset.run import RenderJob, _claim, parse_shard
from dgan_blender.dataset.sample import sample_seed
from dgan_blender.dataset.store import DatasetStore, check_out
from dgan_blender.dataset.validate import IncompleteDataset, InvalidDataset, validate_dataset
from dgan_blender.errors import DganError

ROOT = Path(__file__).resolve().parents[2]


def _write(store, i):
    inst = np.zeros((8, 8), np.uint16)
    inst[2:5, 2:5] = 1
    store.write_sample(i, np.zeros((8, 8), np.uint8), inst, semantic_mask(inst),
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


# ---------------------------------------------------------------- sizes, checksums, repair


def _dataset(tmp_path, n=3):
    store = DatasetStore(tmp_path)
    store.prepare()
    for i in range(n):
        _write(store, i)
    store.repair_manifest(n)
    store.write_coco(list(range(n)), "t")
    return store


def _truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _garble(path, at=60):
    data = bytearray(path.read_bytes())
    data[at] ^= 0xFF
    path.write_bytes(bytes(data))


def test_sample_records_sizes_and_checksums(tmp_path):
    store = _dataset(tmp_path, 1)
    files = json.loads(store.path("particles", 0).read_text())["files"]
    for kind in ("images", "instances", "semantic"):
        assert files[kind]["bytes"] == store.path(kind, 0).stat().st_size
    entry = store.read_manifest()[0]
    assert entry["files"]["particles"]["bytes"] == store.path("particles", 0).stat().st_size
    assert store.is_complete(0) and store.is_complete(0, entry) and store.verify([0]) == []


def test_truncated_files_make_a_sample_incomplete(tmp_path):
    store = _dataset(tmp_path, 3)
    _truncate(store.path("images", 1))
    store.path("particles", 2).write_bytes(store.path("particles", 2).read_bytes()[:40])
    entries = store.read_manifest()
    assert [store.is_complete(i, entries.get(i)) for i in range(3)] == [True, False, False]
    assert sorted(store.repair_manifest(3)) == [0]  # stale lines dropped, to be rendered again


def test_verify_finds_same_size_garbage_and_invalidate_redoes_it(tmp_path):
    store = _dataset(tmp_path, 2)
    _garble(store.path("instances", 1))
    assert store.is_complete(1)  # a stat cannot see it ...
    bad = store.verify([0, 1])
    assert [i for i, _ in bad] == [1] and "instances/000001.png" in bad[0][1]  # ... the checksum does
    store.invalidate(1)
    assert not store.is_complete(1)


def test_validate_names_every_bad_file(tmp_path):
    store = _dataset(tmp_path, 3)
    assert validate_dataset(tmp_path, 3) == {"samples": 3, "instances": 3, "ok": True}
    _truncate(store.path("images", 0))
    _garble(store.path("semantic", 1))
    store.path("particles", 2).write_text("{")
    with pytest.raises(InvalidDataset, match="3 bad file.*--verify") as info:
        validate_dataset(tmp_path, 3)
    assert info.value.exit_code == 1
    named = "\n".join(info.value.problems)
    for part in ("images/000000.png", "semantic/000001.png", "particles/000002.json"):
        assert part in named


def test_validate_incomplete_and_missing(tmp_path):
    store = _dataset(tmp_path / "d", 2)
    with pytest.raises(IncompleteDataset, match="2 of 3 samples"):
        validate_dataset(store.root, 3)
    (store.root / "annotations.json").unlink()
    with pytest.raises(IncompleteDataset, match="incomplete data set.*no annotations.json.*rerun"):
        validate_dataset(store.root)
    with pytest.raises(DganError, match="no such folder") as info:
        validate_dataset(tmp_path / "none")
    assert info.value.exit_code == 2


def test_check_out_names_a_file_or_a_file_above(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(DganError, match=r"--out .*f: is a file"):
        check_out(tmp_path / "f")
    with pytest.raises(DganError, match=r"is below .*f, which is a file"):
        check_out(tmp_path / "f" / "a" / "b")
    assert check_out(tmp_path / "new" / "d").is_dir()


def test_second_job_on_a_folder_is_refused(tmp_path):
    store = DatasetStore(tmp_path)
    with store.lock():
        with pytest.raises(DganError, match=f"another 'dgan render' \\(pid {os.getpid()}\\)"):
            with DatasetStore(tmp_path).lock():
                pass
    with store.lock():  # released at the end of the job
        pass


HOLD = "import sys, time; from dgan_blender.dataset.store import DatasetStore\n" \
       "with DatasetStore(sys.argv[1]).lock():\n    print('held', flush=True); time.sleep(600)\n"


def test_lock_of_a_killed_job_does_not_block(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path)], stdout=subprocess.PIPE,
                            text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout.readline().strip() == "held"
    with pytest.raises(DganError, match=f"pid {proc.pid}"):
        with DatasetStore(tmp_path).lock():
            pass
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with DatasetStore(tmp_path).lock():
        assert (tmp_path / ".lock").read_text().strip() == str(os.getpid())


def test_restart_deletes_only_the_data_sets_own_files(tmp_path):
    store = _dataset(tmp_path, 2)
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "images" / "README").write_text("mine too")
    (tmp_path / "run.json").write_text("{}")
    store.clear()
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == [
        "images", "images/README", "notes.txt"]


def _job(tmp_path, **kw):
    cfg = load_config("tio2-sem", ["image.width_px=32", "image.height_px=32", "render.spp=2"])
    return RenderJob(cfg=cfg, count=4, out=tmp_path, **kw)


def test_rerun_with_other_settings_is_refused_count_and_workers_may_differ(tmp_path):
    _claim(_job(tmp_path, seed=2), DatasetStore(tmp_path))
    record = json.loads((tmp_path / "run.json").read_text())
    assert record["seed"] == 2 and record["size"] == [32, 32] and record["config"]["name"] == "tio2-sem"
    _claim(_job(tmp_path, seed=2, workers=3, shard=(1, 2)), DatasetStore(tmp_path))  # same data set
    with pytest.raises(DganError, match=r"seed: 2 -> 3.*--restart"):
        _claim(_job(tmp_path, seed=3), DatasetStore(tmp_path))
    with pytest.raises(DganError, match=r"look.fitted: True -> False"):
        _claim(_job(tmp_path, seed=2, fitted=False), DatasetStore(tmp_path))
    other = _job(tmp_path, seed=2)
    other.cfg.render.spp = 8
    with pytest.raises(DganError, match=r"spp: 2 -> 8"):
        _claim(other, DatasetStore(tmp_path))
    _claim(_job(tmp_path, seed=3, restart=True), DatasetStore(tmp_path))
    assert json.loads((tmp_path / "run.json").read_text())["seed"] == 3


def test_samples_without_a_record_from_another_seed_are_refused(tmp_path):
    store = _dataset(tmp_path, 1)  # samples of seed 3, no run.json (an older version's folder)
    with pytest.raises(DganError, match=r"seed: 3 -> 0"):
        _claim(_job(tmp_path, seed=0), store)


def _dgan(*args):
    return subprocess.run([sys.executable, "-m", "dgan_blender", *map(str, args)], capture_output=True,
                          text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)


def test_cli_validate_faults_are_one_line(tmp_path):
    store = _dataset(tmp_path / "d", 2)
    _truncate(store.path("images", 1))
    r = _dgan("validate", store.root)
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert lines[0].startswith("dgan: ") and "images/000001.png" in lines[0]
    assert lines[-1].startswith("dgan: error: ") and "rerun 'dgan render'" in lines[-1] and len(lines) == 2
    (store.root / "annotations.json").unlink()
    r = _dgan("validate", store.root)
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and "incomplete data set" in r.stderr


def test_cli_os_error_is_one_line(tmp_path):
    (tmp_path / "images").write_text("x")  # a file where the data set needs a folder
    r = _dgan("render", "--size", 32, "--count", 1, "--workers", 0, "--out", tmp_path)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.strip() == f"dgan: error: {tmp_path / 'images'}: File exists"


def test_check_out_refuses_a_read_only_folder(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    if os.geteuid() != 0:
        ro.chmod(0o500)
    elif subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(ro)],
                        capture_output=True).returncode != 0:
        pytest.skip("root, and no permission to mount a read-only file system")
    try:
        with pytest.raises(DganError, match=r"--out .*ro: not writable"):
            check_out(ro)
        with pytest.raises(DganError, match=r"--out .*sub: cannot create it \((Read-only|Permission)"):
            check_out(ro / "sub")
    finally:
        if os.geteuid() == 0:
            subprocess.run(["umount", "-l", str(ro)])
        else:
            ro.chmod(0o700)
