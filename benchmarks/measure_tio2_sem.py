"""``dgan measure`` scored against manual masks on the BAM TiO2 SEM micrographs, in folds
(issue #17), beside a model trained on real annotations.

The 30 micrographs (sorted) are split once, by a seeded permutation, into 3 folds of 10.
For a fold, the whole chain (:func:`dgan_blender.measure.measure`: prior, fit, render,
train, segment, report) runs on the other 20 images as a user without annotations runs
it: it is given a folder of links to their images - never a mask - and its trained model
then segments the fold's 10 images (with the boundary weight and neck depth its segment
stage chose), which are scored against their masks. Beside it, the
real-trained baseline: the same network trained by ``dgan eval``'s library call on the 20
images *with* their masks, for the same training time as the chain's train stage (its
recorded epoch seconds; ``--baseline-match epochs`` gives it the same number of epochs
instead), its seed the chain's train seed, segmenting and scored on the same 10 images. The chain
is reproducible from its seed (a killed and resumed run scores the same); a time-matched
baseline is not (how many steps fit in the time depends on the machine's load), an
epoch-matched one is.

Scores per fold and pooled over the folds run: every scored image in one call of
``dgan measure --masks``'s scorer (pixel Dice summed over images, AP50 averaged over
images, PQ from the summed matches, the size distributions from the concatenated
diameters): DSC, AP50, PQ, median error %, Wasserstein nm, KS. A third row per fold
scores the chain on its own 20 images (what ``dgan measure --masks`` reports; the masks
are read only after the chain has finished). And the chain's wall time per stage.

Resumable: all work lives under --out (OUT/fold-K/: real/ and scored/ folders of links,
chain/ the measure run, baseline/ the real-trained model, *-segmented/ predictions); a
rerun with --resume keeps every finished step (the chain continues inside its stages)
and may add folds (--folds 1, later --folds 3). OUT/results.json and results.md hold the
tables of the folds finished so far.

    nice -n 5 .venv/bin/python benchmarks/measure_tio2_sem.py --out out/measure_tio2_sem \\
        [--folds 3] [--budget-minutes 60] [--preset tio2-sem] [--resume]
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dgan_blender.errors import DganError  # noqa: E402
from dgan_blender.io import read_png, write_bytes, write_json  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "bam-tio2-sem"
N_SPLITS = 3
WHAT = "measure benchmark"
STEP = "step.json"
# --tiny: a check that the whole benchmark runs (6 images, 4 + 2 per fold, 64 px scenes)
TINY_IMAGES = 6
TINY_BUDGET = dict(fit_iters=4, fit_pool=2, fit_patch=64, fit_spp=2, synthetic_images=4, image_px=64,
                   render_spp=4, train_epochs=1, train_patch=64, train_batch=2)
ARMS = (("chain", "chain (synthetic only)"), ("real", "real-trained (annotated)"),
        ("chain_own", "chain on its own images"))
SCORE_COLUMNS = (("dsc", "DSC"), ("ap50", "AP50"), ("pq", "PQ"))
SIZE_COLUMNS = (("median_error_pct", "median err %"), ("wasserstein_nm", "W nm"), ("ks", "KS"))


# ------------------------------------------------------------------ split and pooling
def split(names: list[str], n_splits: int = N_SPLITS, seed: int = 0) -> list[list[str]]:
    """``n_splits`` disjoint folds covering every name, each sorted: a seeded permutation
    of the sorted names cut into equal parts (sizes differ by one at most)."""
    names = sorted(names)
    if len(names) < 2 * n_splits:
        raise DganError(f"{len(names)} images cannot make {n_splits} folds with images left to run the chain on; "
                        f"give at least {2 * n_splits}")
    order = np.random.default_rng(seed).permutation(len(names))
    return [sorted(names[i] for i in part) for part in np.array_split(order, n_splits)]


def others(folds: list[list[str]], k: int) -> list[str]:
    """The images the chain of fold ``k`` runs on: every fold but ``k``."""
    return sorted(n for j, fold in enumerate(folds) if j != k for n in fold)


def pooled(masks: Path, per_fold: list[list[tuple]]) -> dict:
    """The scores of all folds' predictions as one set (see the module docstring)."""
    from dgan_blender.measure.scoring import score

    return score(masks, [p for fold in per_fold for p in fold])


# ------------------------------------------------------------------ steps, each resumable
def done_once(final: Path, make) -> float:
    """``make(tmp)`` fills FINAL.tmp, which is renamed to FINAL in one step: FINAL exists
    only complete; a leftover .tmp (a kill) is started over. Returns the seconds ``make``
    took, recorded in FINAL/step.json so that a resumed run still reports them."""
    final = Path(final)
    if final.is_dir():
        return float(json.loads((final / STEP).read_text())["seconds"]) if (final / STEP).exists() else float("nan")
    tmp = final.with_name(final.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    t0 = time.monotonic()
    make(tmp)
    seconds = round(time.monotonic() - t0, 1)
    write_json(tmp / STEP, {"seconds": seconds})
    os.replace(tmp, final)
    return seconds


def link_images(data: Path, names: list[str], folder: Path) -> Path:
    """FOLDER/images/: links to the named micrographs (only them: no masks, no other image)."""
    src = {p.stem: p for p in (Path(data) / "images").iterdir()}

    def make(tmp: Path) -> None:
        (tmp / "images").mkdir()
        for name in names:
            (tmp / "images" / src[name].name).symlink_to(src[name].resolve())

    done_once(folder, make)
    return Path(folder)


def segmented(model: Path, images: Path, out: Path, post: dict | None = None) -> tuple[list[tuple], float]:
    """The model's instances on the images, as the scorer takes them (see
    :func:`predictions`), segmented once into OUT; and the seconds that took. ``post``:
    the post-processing the chain's segment stage chose (:func:`chain_post`)."""
    from dgan_blender.evaluate.measure import segment_folder

    seconds = done_once(out, lambda tmp: segment_folder(model, images, tmp, log=lambda msg: None, **(post or {})))
    return predictions(images, out), seconds


def chain_post(run: Path) -> dict:
    """The boundary weight and neck depth the measure run's segment stage chose on its
    held-out synthetic images: the fold's scored images are segmented as it segmented its
    own (runs made before the weight used 1, before the substrate check none was made)."""
    from dgan_blender.measure.stages import read_marker

    record = (read_marker(Path(run) / "05-segment") or {}).get("record", {})
    return {"split_h": record.get("split_necks_h"), "boundary_weight": float(record.get("boundary_weight", 1.0)),
            "ground_check": record.get("ground_check") is not None}


def predictions(images: Path, seg: Path) -> list[tuple]:
    """``dgan segment``'s instances/NAME.png read back as the scorer takes them: (name,
    instances without the information bar, pixel size, bar rows)."""
    from dgan_blender.evaluate.data import load_images

    out = []
    for s in load_images(images):
        inst = read_png(Path(seg) / "instances" / f"{s.name}.png")[:s.image.shape[0]].astype(np.int32)
        out.append((s.name, inst, s.pixel_size_nm, s.bar_rows))
    return out


def run_chain(fold_dir: Path, args, budget, quiet: bool) -> dict:
    """The measure run on the fold's chain images (resumed where a kill left it)."""
    from dgan_blender.measure import measure

    command = " ".join(shlex.quote(a) for a in [sys.executable, *sys.argv])
    if quiet:
        return measure(fold_dir / "real", fold_dir / "chain", preset=args.preset, budget=budget, seed=args.seed,
                       resume=True, command=command, workers=args.workers)
    from dgan_blender.measure.display import StageDisplay
    from dgan_blender.quiet import silence_stdout

    with StageDisplay() as display, silence_stdout():
        return measure(fold_dir / "real", fold_dir / "chain", preset=args.preset, budget=budget, seed=args.seed,
                       resume=True, display=display, command=command, workers=args.workers)


def stage_seconds(run: Path) -> dict[str, float]:
    """Each stage's wall time from its done.json (a resumed stage: its last attempt)."""
    from dgan_blender.measure.stages import STAGES, read_marker

    return {s.name: float((read_marker(run / s.folder) or {}).get("seconds", float("nan"))) for s in STAGES}


def train_baseline(data: Path, train_names: list[str], test_names: list[str], out: Path, budget,
                   seed: int, seconds: float | None, epochs: int | None) -> float:
    """``dgan eval``'s train + score on the annotated images: a time limit of ``seconds``
    (or ``epochs`` epochs); kept in OUT/model.pt once finished; returns the seconds
    it took. Its own metrics.json is a
    cross-check of the scores computed here."""
    from dgan_blender.evaluate.run import evaluate
    from dgan_blender.evaluate.train import TrainSettings
    from dgan_blender.evaluate.train_job import MAX_EPOCHS

    settings = TrainSettings(epochs=epochs or MAX_EPOCHS, seed=seed, patch=budget.train_patch,
                             batch=budget.train_batch, contact_px=budget.train_contact_px,
                             time_limit_s=seconds if epochs is None else None)
    return done_once(out, lambda tmp: evaluate(data, data, tmp, settings, train_names=train_names,
                                               test_names=test_names, log=lambda msg: None))


def run_fold(k: int, folds: list[list[str]], args, budget) -> dict:
    """Everything of fold ``k`` (0-based); returns its record and keeps the predictions
    (``_pred``) for pooling."""
    from dgan_blender.evaluate.train import load_model
    from dgan_blender.measure.scoring import score
    from dgan_blender.measure.stages import stage_seeds

    fold_dir = args.out / f"fold-{k + 1}"
    chain_names, scored_names = others(folds, k), folds[k]
    real = link_images(args.data, chain_names, fold_dir / "real")
    scored = link_images(args.data, scored_names, fold_dir / "scored")
    say(f"fold {k + 1}: chain on {len(chain_names)} images, scored on {', '.join(scored_names)}")

    run_chain(fold_dir, args, budget, args.quiet)
    times = stage_seconds(fold_dir / "chain")
    chain_model = fold_dir / "chain" / "04-train" / "model.pt"
    _, meta = load_model(chain_model)
    chain_train_s = float(meta["train_seconds"])
    pred = {}
    pred["chain"], times["score_segment"] = segmented(chain_model, scored, fold_dir / "chain-segmented",
                                                      chain_post(fold_dir / "chain"))
    own = predictions(real, fold_dir / "chain" / "05-segment")

    match_epochs = int(meta["epochs_run"]) if args.baseline_match == "epochs" else None
    say(f"fold {k + 1}: real-trained baseline, "
        + (f"{match_epochs} epochs" if match_epochs else f"{chain_train_s:.0f} s of training"))
    train_s = train_baseline(args.data, chain_names, scored_names, fold_dir / "baseline", budget,
                             stage_seeds(args.seed)["train"], chain_train_s, match_epochs)
    base_model = fold_dir / "baseline" / "model.pt"
    _, base_meta = load_model(base_model)
    pred["real"], seg_s = segmented(base_model, scored, fold_dir / "baseline-segmented")
    times["baseline"] = round(train_s + seg_s, 1)

    masks = args.data / "masks"
    scores = {arm: score(masks, p) for arm, p in pred.items()}
    scores["chain_own"] = score(masks, own)
    training = {"chain": {"train_seconds": chain_train_s, "epochs_run": meta["epochs_run"]},
                "real": {"train_seconds": _trained_seconds(base_meta), "epochs_run": base_meta["epochs_run"]}}
    return {"fold": k + 1, "chain_images": chain_names, "scored_images": scored_names, "scores": scores,
            "training": training, "stage_seconds": times, "_pred": pred}


def _trained_seconds(meta: dict) -> float | None:
    """Epoch seconds of a ``dgan eval`` model (its curve's last elapsed time)."""
    history = [h for h in meta.get("history", []) if "elapsed_s" in h]
    return float(history[-1]["elapsed_s"]) if history else None


# ------------------------------------------------------------------ tables
def _num(value, fmt: str) -> str:
    return "-" if value is None or (isinstance(value, float) and not np.isfinite(value)) else format(value, fmt)


def score_row(label: str, arm: str, s: dict, training: dict | None) -> str:
    sz = s["sizes"]
    cells = [label, dict(ARMS)[arm], str(s["n_scored_images"])]
    cells += [_num(s[key], ".3f") for key, _ in SCORE_COLUMNS]
    cells += [_num(sz.get("median_error_pct"), "+.1f"), _num(sz.get("wasserstein_nm"), ".1f"),
              _num(sz.get("ks"), ".3f"),
              f"{_num(sz.get('d50_found_nm'), '.1f')} / {_num(sz.get('d50_truth_nm'), '.1f')}",
              f"{sz['n_found']} / {sz['n_truth']}"]
    t = (training or {}).get(arm)
    cells.append(f"{_num(t['train_seconds'], '.0f')} s, {t['epochs_run']} ep" if t else "")
    return "| " + " | ".join(cells) + " |"


def tables(folds: list[dict], pool: dict, header: str) -> str:
    heads = ["fold", "model", "images", *[h for _, h in SCORE_COLUMNS], *[h for _, h in SIZE_COLUMNS],
             "D50 nm found / masks", "particles found / masks", "training"]
    lines = [header, "", "| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
    for f in folds:
        for arm, _ in ARMS:
            lines.append(score_row(str(f["fold"]), arm, f["scores"][arm], f["training"]))
    for arm, s in pool.items():
        lines.append(score_row(f"pooled ({len(folds)})", arm, s, None))
    stage_names = list(folds[0]["stage_seconds"]) if folds else []
    lines += ["", "Wall time per step (s): the chain's stages, then segmenting the scored images with the "
              "chain's model, then the baseline (training, scoring and segmenting).", "",
              "| fold | " + " | ".join(stage_names) + " | chain total |", "|" + "---|" * (len(stage_names) + 2)]
    for f in folds:
        t = f["stage_seconds"]
        chain = sum(v for k, v in t.items() if k not in ("score_segment", "baseline"))
        lines.append(f"| {f['fold']} | " + " | ".join(_num(t[k], ".0f") for k in stage_names)
                     + f" | {chain:.0f} |")
    return "\n".join(lines)


def finite(obj):
    """NaN (a size error with no particle found) as null: results.json stays valid JSON."""
    if isinstance(obj, dict):
        return {k: finite(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [finite(v) for v in obj]
    return None if isinstance(obj, float) and not np.isfinite(obj) else obj


def say(msg: str) -> None:
    print(f"--- {msg}", flush=True)


# ------------------------------------------------------------------ main
def parse(argv) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA, help="the bam-tio2-sem folder (read in place)")
    ap.add_argument("--out", type=Path, default=ROOT / "out" / "measure_tio2_sem")
    ap.add_argument("--folds", type=int, default=N_SPLITS, choices=range(1, N_SPLITS + 1),
                    help=f"how many of the {N_SPLITS} folds to run (the split stays the same)")
    ap.add_argument("--budget-minutes", type=float, default=60.0, help="the chain's budget (dgan measure's)")
    ap.add_argument("--preset", default=None, help="geometry preset for the chain; default: 'dgan prior' "
                    "on the chain's images, as 'dgan measure' does without --preset")
    ap.add_argument("--seed", type=int, default=0, help="the chain's run seed (every fold)")
    ap.add_argument("--split-seed", type=int, default=0, help="seed of the split into folds")
    ap.add_argument("--baseline-match", choices=("time", "epochs"), default="time",
                    help="the real-trained model gets the chain's training time (default) or its epochs")
    ap.add_argument("--workers", type=int, default=None, help="render workers (default: dgan measure's)")
    ap.add_argument("--resume", action="store_true", help="continue (or extend) a run in --out")
    ap.add_argument("--quiet", action="store_true", help="no progress display")
    ap.add_argument("--tiny", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.tiny and args.preset is None:
        args.preset = "tio2-sem"  # the prior is minutes; --tiny checks the wiring
    return args


def image_names(data: Path) -> list[str]:
    from dgan_blender.measure.scoring import find_mask
    from dgan_blender.micrograph import EXTENSIONS

    if not (data / "images").is_dir() or not (data / "masks").is_dir():
        raise DganError(f"--data {data}: no images/ and masks/ in it; give the bam-tio2-sem folder")
    names = sorted(p.stem for p in (data / "images").iterdir() if p.suffix.lower() in EXTENSIONS)
    unmasked = [n for n in names if find_mask(data / "masks", n) is None]
    if unmasked:
        raise DganError(f"{data / 'masks'}: no mask for {', '.join(unmasked[:3])}; every image needs one to be scored")
    return names


def main(argv=None) -> int:
    from dgan_blender import provenance
    from dgan_blender.measure.budget import budget_for

    args = parse(argv)
    args.data, args.out = args.data.resolve(), args.out.resolve()
    t_start = time.monotonic()
    try:
        names = image_names(args.data)
        if args.tiny:
            names = names[:TINY_IMAGES]
        folds = split(names, N_SPLITS, args.split_seed)
        budget = budget_for(args.budget_minutes, **(TINY_BUDGET if args.tiny else {}))
        record = provenance.describe(data=str(args.data), folds=folds, split_seed=args.split_seed, seed=args.seed,
                                     preset=args.preset, budget=budget.as_dict(), baseline=args.baseline_match)
        provenance.claim_resumable(args.out, record, WHAT, args.resume, ours=False)
        results = []
        for k in range(args.folds):
            results.append(run_fold(k, folds, args, budget))
            write_results(args, results, budget, time.monotonic() - t_start)
    except DganError as exc:
        print(f"measure_tio2_sem: error: {exc}", file=sys.stderr)
        return 2
    print("\n" + (args.out / "results.md").read_text())
    return 0


def write_results(args, results: list[dict], budget, seconds: float) -> None:
    masks = args.data / "masks"
    pool = {arm: pooled(masks, [r["_pred"][arm] for r in results]) for arm in ("chain", "real")}
    folds = [{k: v for k, v in r.items() if k != "_pred"} for r in results]
    header = (f"dgan measure on bam-tio2-sem, {len(results)} of {N_SPLITS} folds (split seed {args.split_seed}), "
              f"budget {budget.minutes:g} min{' (--tiny)' if args.tiny else ''}, preset "
              f"{args.preset or 'dgan prior'}, seed {args.seed}; real-trained baseline matched on "
              f"{'training time' if args.baseline_match == 'time' else 'epochs'}. Pooled: the scored images of "
              f"all folds as one set ('chain on its own images' is not pooled: folds share images). "
              f"Benchmark wall time {seconds / 60:.1f} min this invocation.")
    table = tables(folds, pool, header)
    write_json(args.out / "results.json", finite({"data": str(args.data), "split_seed": args.split_seed, "seed": args.seed,
                                           "preset": args.preset, "budget": budget.as_dict(),
                                           "baseline_match": args.baseline_match, "tiny": args.tiny,
                                           "folds": folds, "pooled": pool, "table": table}))
    write_bytes(args.out / "results.md", (table + "\n").encode())


if __name__ == "__main__":
    sys.exit(main())
