"""report.html is one self-contained page: nothing it shows lives outside the file."""

import base64
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from dgan_blender.measure import measure
from dgan_blender.measure.budget import budget_for

from .conftest import PX_NM

ROOT = Path(__file__).resolve().parents[2]


class Refs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs, self.tags = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for k, v in attrs:
            if k in ("src", "href", "srcset", "data", "poster", "action"):
                self.refs.append((tag, v))


@pytest.mark.usefixtures("fake_stages")
def test_report_is_self_contained(real_with_masks, tmp_path):
    summary = measure(real_with_masks, tmp_path / "run", preset="tio2-sem", budget=budget_for(1.0, fit_patch=64),
                      pixel_size_nm=PX_NM, workers=0, masks=real_with_masks, command="dgan measure ...")
    page = (tmp_path / "run" / "report.html").read_text()
    parser = Refs()
    parser.feed(page)
    assert parser.refs, "the page shows pictures"
    for tag, ref in parser.refs:
        assert tag == "img" and ref.startswith("data:image/png;base64,"), (tag, ref[:60])
        assert base64.b64decode(ref.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert "link" not in parser.tags and "script" not in parser.tags
    assert not re.search(r"url\(|@import|https?://", page)
    # the numbers a user reads are on the page, and the masks' scores
    assert f"{summary['size_nm']['median_nm']['value']:.1f} nm" in page
    assert "AP50" in page and "Wasserstein" in page and "dgan measure ..." in page
    # one overlay per micrograph, plus size, shapes, real and synthetic crops
    assert len(parser.refs) == 3 + 4


def test_cli_errors_are_one_line(tmp_path):
    proc = subprocess.run([sys.executable, str(ROOT / "cli.py"), "measure", "--real", str(tmp_path / "none"),
                           "--out", str(tmp_path / "run"), "--preset", "tio2-sem"],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "dgan: error: --real" in proc.stderr


@pytest.mark.usefixtures("fake_stages")
def test_cli_prints_the_headline_and_resumes(real_with_masks, tmp_path, capsys, monkeypatch):
    import json

    from dgan_blender.cli import main
    from dgan_blender.measure import budget

    monkeypatch.setitem(budget.TABLE, "fit_patch", (64, "fixed", 32, ""))  # the tiny images
    args = ["measure", "--real", str(real_with_masks), "--out", str(tmp_path / "run"), "--preset", "tio2-sem",
            "--pixel-size", str(PX_NM), "--masks", str(real_with_masks), "--budget-minutes", "1", "--fit-tries", "1"]
    with pytest.raises(SystemExit) as done:
        main(args)
    assert done.value.code == 0
    assert json.loads((tmp_path / "run" / "run.json").read_text())["budget"]["fit_tries"] == 1
    head = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert head["report"].endswith("report.html") and head["n_particles"] > 5
    assert head["median_ci95_nm"][0] <= head["median_nm"] <= head["median_ci95_nm"][1]
    assert set(head["scores"]) >= {"dsc", "ap50", "pq", "median_error_pct", "wasserstein_nm", "ks"}
    with pytest.raises(SystemExit) as again:
        main(args)
    assert again.value.code == 2 and "pass --resume" in capsys.readouterr().err


def test_the_held_out_check_is_on_the_page_and_changes_no_size(real_with_masks, tmp_path, fake_stages,
                                                               monkeypatch):
    """A segment stage that measured the size error on held-out synthetic images: the
    page says it, summary.json carries it, and the reported sizes stay as measured."""
    from dgan_blender.evaluate.size_check import size_bias
    from dgan_blender.measure import adapters

    from .conftest import fake_segment

    true = [[80.0, 100.0, 120.0], [90.0, 110.0]]
    found = [[100.0, 150.0], [99.0, 121.0]]
    scores = {"none": {"dsc": 0.99, "ap50": 0.5, "pq": 0.55, "pq_se": 0.02},
              "0.2": {"dsc": 0.99, "ap50": 0.6, "pq": 0.61, "pq_se": 0.02}}

    def segment_with_check(ctx, out, resumed, progress):
        return fake_segment(ctx, out, resumed, progress) | {
            "split_necks_h": 0.2, "split_scores_held_out": scores, "boundary_weight": 8.0,
            "held_out_sizes": size_bias(found, true, 7)}

    def go(run):
        return measure(real_with_masks, run, preset="tio2-sem", budget=budget_for(1.0, fit_patch=64),
                       pixel_size_nm=PX_NM, workers=0, masks=real_with_masks, command="dgan measure ...")

    plain = go(tmp_path / "plain")
    assert plain["held_out_check"] is None
    monkeypatch.setitem(adapters.ADAPTERS, "segment", segment_with_check)
    summary = go(tmp_path / "run")
    check = summary["held_out_check"]
    assert check["split_necks_h"] == 0.2 and check["pq"] == 0.61 and check["boundary_weight"] == 8.0
    assert check["sizes"]["median_error_pct"] == pytest.approx(10.5, abs=0.01)  # medians 110.5 / 100
    assert summary["size_nm"] == plain["size_nm"] and summary["scores"]["sizes"] == plain["scores"]["sizes"]
    page = (tmp_path / "run" / "report.html").read_text()
    assert "Held-out synthetic check" in page and "+10.5 %" in page and "PQ 0.610" in page
    assert "boundary weight 8 (of 9, the one whose sizes came nearest the truth's), neck depth 0.2" in page


def test_the_fit_note_says_which_try_was_kept(tmp_path):
    from dgan_blender.io import write_json
    from dgan_blender.measure.report import _fit_line
    from dgan_blender.measure.stages import RunContext

    ctx = RunContext(run=tmp_path, real=tmp_path, preset=None, seed=0, budget=budget_for(60))
    tries = [{"try": 0, "realism": 280.2}, {"try": 1, "realism": 279.96}]
    write_json(tmp_path / "02-fit" / "done.json",
               {"record": {"iters": 1300, "end": {"realism": 279.96, "try": 1, "tries": tries}}})
    line = _fit_line(ctx)
    assert "try 2 of 2" in line and "try 1 280.2, try 2 280.0" in line and "realism 280.0" in line
    write_json(tmp_path / "02-fit" / "done.json", {"record": {"iters": 1300, "end": {"realism": 150.0}}})
    assert "try" not in _fit_line(ctx) and "realism 150.0" in _fit_line(ctx)
