import json

import cv2
import numpy as np
import pytest

from dgan_blender.cli import main
from dgan_blender.realism import realism


def _set(make_micrograph, n=6, seed=0):
    return [make_micrograph(96, 96, seed=seed + i).astype(np.float32) for i in range(n)]


def test_identical_sets_give_zero(make_micrograph):
    a = _set(make_micrograph)
    r = realism(a, [x.copy() for x in a], seed=0)
    assert r["realism"] == pytest.approx(0.0, abs=1e-9)
    assert r["histogram"] == pytest.approx(0.0, abs=1e-9) and r["spectrum"] == pytest.approx(0.0, abs=1e-9)
    assert set(r) >= {"realism", "swd_levels", "histogram", "spectrum"}


def test_more_perturbation_is_farther(make_micrograph):
    real = _set(make_micrograph)
    other = _set(make_micrograph, seed=50)  # same kind of images, different content
    rng = np.random.default_rng(0)

    def perturb(s):
        return [np.clip(cv2.GaussianBlur(x, (0, 0), 0.5 + s) + 0.04 * s * rng.standard_normal(x.shape), 0, 1)
                .astype(np.float32) for x in other]

    figures = [realism(real, other)["realism"]] + [realism(real, perturb(s))["realism"] for s in (0.5, 1.0, 2.0)]
    assert figures == sorted(figures), figures
    assert figures[-1] > 2 * figures[0]


def test_seeded(make_micrograph):
    a, b = _set(make_micrograph), _set(make_micrograph, seed=9)
    assert realism(a, b, seed=3) == realism(a, b, seed=3)


def test_cli_prints_json(tmp_path, make_micrograph, capsys):
    for sub, seed in (("real", 0), ("syn", 40)):
        (tmp_path / sub).mkdir()
        for i, img in enumerate(_set(make_micrograph, n=3, seed=seed)):
            cv2.imwrite(str(tmp_path / sub / f"{i}.png"), np.rint(img * 255).astype(np.uint8))
    with pytest.raises(SystemExit) as e:
        main(["realism", "--real", str(tmp_path / "real"), "--synthetic", str(tmp_path / "syn"),
              "--pixel-size-nm", "5", "--real-pixel-size-nm", "5", "--patch", "64", "--json"])
    assert e.value.code == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["realism"] > 0 and out["n_synthetic"] == 3
