import json

import pytest

from dgan_blender import provenance
from dgan_blender.errors import DganError


def test_claim_writes_then_continues_then_refuses(tmp_path):
    rec = provenance.describe(preset="tio2-sem", seed=2, size=[64, 64])
    assert provenance.claim(tmp_path, rec, "data set", "--restart") is False
    assert json.loads((tmp_path / "run.json").read_text())["seed"] == 2
    assert provenance.claim(tmp_path, dict(rec), "data set", "--restart") is True
    other = provenance.describe(preset="tio2-sem", seed=3, size=[64, 64])
    with pytest.raises(DganError, match=r"seed: 2 -> 3.*--restart"):
        provenance.claim(tmp_path, other, "data set", "--restart")


def test_unreadable_record_is_one_line(tmp_path):
    (tmp_path / "run.json").write_bytes(b"\x89PNG\x00\xff")
    with pytest.raises(DganError, match="run.json: unreadable"):
        provenance.claim(tmp_path, provenance.describe(seed=0), "fit", "--restart")


def test_digests_follow_content(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("x")
    b.write_text("x")
    assert provenance.file_digest(a) == provenance.file_digest(b)
    d1 = provenance.files_digest([a, b])
    b.write_text("y")
    assert provenance.files_digest([a, b]) != d1
    assert provenance.file_digest(None) is None
