"""RUN/report.html, summary.json and particles.csv: the page a materials scientist puts
in a lab notebook. One self-contained file - every picture inlined as a base64 PNG, the
style in the page, no link to anything outside it - so it survives being mailed or
archived on its own.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import json
import platform
import time
from importlib import metadata
from pathlib import Path

import numpy as np

from .. import __version__
from ..io import write_bytes, read_png, write_json
from .figures import encode_png, look_comparison, shape_histograms, size_histogram
from .stages import STAGES, RunContext, read_marker, stage_seeds
from .summary import elongations, read_particles, shape_statistics, size_statistics

OUTPUTS = ("report.html", "summary.json", "particles.csv", "refined-preset.toml", "refined-preset.png")
PACKAGES = ("torch", "numpy", "mitsuba", "drjit", "bpy")


def versions() -> dict:
    out = {"dgan-blender": __version__, "python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "absent"
    return out


def _particle_csv(path: Path, rows: list[dict]) -> None:
    from ..evaluate.measure import COLUMNS

    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=(*COLUMNS, "elongation"), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_bytes(path, buf.getvalue().encode())


def build_report(ctx: RunContext, out: Path, progress) -> dict:
    """Reads the segment stage, writes OUT/summary.json, particles.csv, report.html."""
    from ..evaluate.data import load_images
    from ..evaluate.measure import DROPPED_DIR
    from ..evaluate.run import overlay

    seg = ctx.dir("segment")
    samples = load_images(ctx.real, pixel_size_nm=ctx.pixel_size_nm)
    progress.update(completed=0, total=len(samples) + 2)
    rows = read_particles(seg / "particles.csv")
    predicted = []
    for s in samples:
        inst = read_png(seg / "instances" / f"{s.name}.png")[:s.image.shape[0]].astype(np.int32)
        elong = elongations(inst)
        for r in rows:
            if r["image"] == s.name:
                r["elongation"] = elong.get(int(r["particle"]), 1.0)
        predicted.append((s.name, inst, s.pixel_size_nm, s.bar_rows))
    inner = [r for r in rows if not r["on_border"]]
    d = np.array([r["equivalent_diameter_nm"] for r in inner], float)
    stats = size_statistics(d, seed=ctx.seed_of("report"))
    seg_marker = read_marker(seg)
    summary = {
        "n_images": len(samples), "n_particles": len(rows), "n_particles_inner": len(inner),
        "n_particles_border": len(rows) - len(inner),
        "size_nm": stats,
        "held_out_check": _held_out(seg_marker["record"] if seg_marker else {}),
        "ground_check": (seg_marker["record"] if seg_marker else {}).get("ground_check"),
        "circularity": shape_statistics([r["circularity"] for r in inner]),
        "elongation": shape_statistics([r["elongation"] for r in inner]),
        "preset": read_marker(ctx.dir("prior"))["record"] if read_marker(ctx.dir("prior")) else None,
        "seed": ctx.seed, "stage_seeds": stage_seeds(ctx.seed), "budget": ctx.budget.as_dict(),
    }
    if ctx.masks:
        from .scoring import score

        summary["scores"] = score(ctx.masks, predicted)
    write_json(out / "summary.json", summary)
    _particle_csv(out / "particles.csv", rows)
    progress.advance(1)

    truth = {}
    if ctx.masks:
        from ..evaluate.instances import mask_to_instances
        from ..micrograph import read_mask
        from .scoring import find_mask, masks_folder

        folder = masks_folder(ctx.masks)
        for s in samples:
            path = find_mask(folder, s.name)
            if path is not None:
                truth[s.name] = mask_to_instances(read_mask(path)[:s.image.shape[0]])
    counts = {}
    for r in inner:
        counts[r["image"]] = counts.get(r["image"], 0) + 1
    overlays = []
    for s, (_, inst, _, _) in zip(samples, predicted):
        scale = min(1.0, 520 / s.image.shape[1])
        gone = seg / DROPPED_DIR / f"{s.name}.png"
        gone = read_png(gone)[:s.image.shape[0]].astype(np.int32) if gone.exists() else None
        overlays.append((s.name, counts.get(s.name, 0), int(inst.max()),
                         encode_png(overlay(s.image, truth.get(s.name), inst, scale, dropped=gone))))
        progress.advance(1)

    render = ctx.dir("render")
    synth = [read_png(p) for p in sorted((render / "images").glob("*.png"))[:10]]
    synth_nm = read_marker(ctx.dir("prior"))["record"]["pixel_size_nm"]
    real_png, synth_png = look_comparison([(s.image, s.pixel_size_nm) for s in samples], synth, synth_nm,
                                          seed=ctx.seed_of("report"))
    figures = {
        "sizes": size_histogram(d, stats),
        "shapes": shape_histograms(np.array([r["circularity"] for r in inner]),
                                   np.array([r["elongation"] for r in inner])),
        "real": real_png, "synthetic": synth_png,
    }
    page = render_html(ctx, summary, figures, overlays, synth_nm)
    write_bytes(out / "report.html", page.encode())
    progress.advance(1)
    return {"n_particles_inner": len(inner), "median_nm": stats["median_nm"]["value"]}


def _held_out(seg_record: dict) -> dict | None:
    """The segment stage's check on synthetic images it held out: the boundary weight and
    neck depth it chose, their DSC/AP50/PQ, and the size error there (absent in runs made
    before it; runs before the weight used 1)."""
    from ..evaluate.necks import depth_key

    sizes = seg_record.get("held_out_sizes")
    if sizes is None:
        return None
    h = seg_record.get("split_necks_h")
    scores = seg_record.get("split_scores_held_out", {}).get(depth_key(h), {})
    return {"split_necks_h": h, "boundary_weight": seg_record.get("boundary_weight", 1.0),
            **{k: scores.get(k) for k in ("dsc", "ap50", "pq")}, "sizes": sizes}


# ---------------------------------------------------------------------------- HTML
CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#222;margin:0;background:#f4f4f2}
main{max-width:1080px;margin:0 auto;padding:24px 28px 60px;background:#fff}
h1{font-size:26px;margin:0 0 4px} h2{font-size:19px;margin:34px 0 10px;border-bottom:1px solid #ddd;padding-bottom:4px}
.sub{color:#666;margin:0 0 18px} table{border-collapse:collapse;margin:8px 0} td,th{padding:4px 12px 4px 0;text-align:left;vertical-align:top}
th{font-weight:600;color:#444} td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.cards{display:flex;gap:14px;flex-wrap:wrap;margin:14px 0}
.card{background:#f0f4f8;border-radius:8px;padding:10px 16px;min-width:130px}
.card b{display:block;font-size:22px} .card span{color:#555;font-size:13px}
img{max-width:100%} .grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(320px,1fr));gap:14px}
figure{margin:0} figcaption{font-size:13px;color:#555;margin-top:2px}
pre{background:#f6f6f6;padding:10px;overflow-x:auto;font-size:12px;max-height:360px}
.note{color:#555;font-size:13px} details{margin:8px 0} summary{cursor:pointer;color:#335}
"""


def _img(data: bytes, alt: str) -> str:
    if not data:
        return f"<p class=note>({html.escape(alt)}: none)</p>"
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(data).decode()}">'


def _nm(entry: dict) -> tuple[str, str]:
    v, (lo, hi) = entry["value"], entry["ci95"]
    if v is None:
        return "-", "-"
    return f"{v:.1f}", ("-" if lo is None else f"{lo:.1f} - {hi:.1f}")


def _table(rows, head=None) -> str:
    h = "".join(f"<th{' class=n' if i else ''}>{html.escape(str(c))}</th>" for i, c in enumerate(head)) if head else ""
    body = "".join("<tr>" + "".join(f"<td{' class=n' if i else ''}>{html.escape(str(c))}</td>"
                                    for i, c in enumerate(r)) + "</tr>" for r in rows)
    return f"<table>{'<tr>' + h + '</tr>' if h else ''}{body}</table>"


def _scores_section(scores: dict) -> str:
    s = scores["sizes"]

    def f(v, fmt):
        return "-" if v is None or (isinstance(v, float) and v != v) else format(v, fmt)

    rows = [("DSC (pixels)", f(scores["dsc"], ".3f")), ("AP50", f(scores["ap50"], ".3f")),
            ("PQ", f(scores["pq"], ".3f")),
            ("median diameter error", f(s.get("median_error_pct"), "+.1f") + " %"),
            ("Wasserstein distance", f(s.get("wasserstein_nm"), ".1f") + " nm"),
            ("KS statistic", f(s.get("ks"), ".3f")),
            ("particles found / in masks", f"{s['n_found']} / {s['n_truth']}")]
    return (f"<h2>Check against manual masks</h2><p class=note>{scores['n_scored_images']} images scored with "
            f"the masks in {html.escape(scores['masks'])} ({scores['n_unscored_images']} without a mask). The masks "
            "were read only here, after every stage had run.</p>" + _table(rows))


def _held_out_note(check: dict | None) -> str:
    """What the held-out synthetic images say about the segmentation, in two sentences."""
    from ..evaluate.necks import WEIGHTS, depth_key, weight_key

    if not check:
        return ""
    s = check["sizes"]
    if s.get("median_error_pct") is None:
        return f"<p class=note>Held-out synthetic check: {html.escape(str(s.get('why', '')))}.</p>"
    lo, hi = s["ci95"]
    pq = check.get("pq")
    return (f"<p class=note><b>Held-out synthetic check.</b> On {s['n_images']} synthetic images of the fitted look "
            f"that the network never saw, whose outlines are known exactly, its particles had a median of "
            f"{s['median_found_nm']:.1f} nm where the true one was {s['median_true_nm']:.1f} nm "
            f"({s['median_error_pct']:+.1f} %, 95 % CI {lo:+.1f} to {hi:+.1f} %"
            + (f"; PQ {pq:.3f}" if pq is not None else "") + f"; boundary weight {weight_key(check['boundary_weight'])}"
            f" (of {len(WEIGHTS)}, the one whose sizes came nearest the truth's), "
            f"neck depth {depth_key(check['split_necks_h'])}). "
            "Touching particles left joined make sizes too large. This is a check, not a correction: real "
            "micrographs differ from synthetic ones, so the sizes above are as measured.</p>")


def _ground_note(check: dict | None) -> str:
    """What the substrate check (``evaluate/ground.py``) did, in one sentence."""
    if not check:
        return ""
    what = (f"{check['unseen']} of {check['detections']} detections had no pixel in the micrographs' own "
            f"foreground (particles {html.escape(check['polarity'])} on their ground, one grey-level threshold "
            "pooled over the images, as the prior reads them)")
    done = ("and were dropped as substrate texture taken for particles." if check["applied"] else
            f"- more than {check['max_unseen_share']:.0%}, so the foreground was not trusted and none was dropped.")
    return f"<p class=note><b>Substrate check.</b> {what} {done}</p>"


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.1f} min"


def _g(v):
    """Three significant digits for the preset's floats (an inferred prior has many)."""
    return f"{v:.3g}" if isinstance(v, float) else v


def _prior_label(preset: dict) -> str:
    if str(preset.get("source", "")).startswith("dgan prior"):
        return "geometry inferred from these micrographs by <b>dgan prior</b>"
    return f"preset <b>{html.escape(str(preset.get('name', '?')))}</b>"


def _prior_table(text: str) -> str:
    """The preset's geometry in a few lines a reader checks against the histogram."""
    import tomllib

    try:
        d = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return ""
    p = {k: _g(v) for k, v in d.get("particles", {}).items()}
    law = {k: _g(v) for k, v in d.get("particles", {}).get("diameter", {}).items()}
    a = d.get("agglomerates", {})
    rows = [("pixel size", f"{d.get('image', {}).get('pixel_size_nm', '?')} nm"),
            ("particle kind", p.get("kind", "?")),
            ("diameter law", f"{law.get('kind', '?')}, median {law.get('median_nm', '?')} nm, "
                             f"sigma_log {law.get('sigma_log', '-')}, {law.get('min_nm', '?')}-{law.get('max_nm', '?')} nm"),
            ("elongation", f"{p.get('elongation_min', '?')}-{p.get('elongation_max', '?')}"),
            ("coverage per image", f"{p.get('coverage', '?')}-{p.get('coverage_max', p.get('coverage', '?'))}"),
            ("agglomerates", f"{a.get('sizes', '-')} sizes, {a.get('layers', '-')} stacking")]
    return "<table>" + "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>"
                               for k, v in rows) + "</table>"


def _prior_figure(ctx: RunContext) -> str:
    """prior.png, where 'dgan prior' inferred the geometry (its size histogram and outlines)."""
    path = ctx.dir("prior") / "prior.png"
    return _img(path.read_bytes(), "inferred prior") if path.exists() else ""


def _fit_line(ctx: RunContext) -> str:
    m = read_marker(ctx.dir("fit")) or {}
    end = (m.get("record") or {}).get("end") or {}
    keys = [k for k in end if "realism" in k]
    if not keys:
        return ""
    tries = end.get("tries") or []
    kept = (f" The look of try {end['try'] + 1} of {len(tries)} (other training seeds, the same images and "
            "layouts) was kept, the one nearest the held-out real images: "
            + ", ".join(f"try {t['try'] + 1} {t['realism']:.1f}" for t in tries) + ".") if len(tries) > 1 else ""
    return (f"<p class=note>Fit: {m['record'].get('iters', '?')} iterations; "
            + ", ".join(f"{html.escape(k)} {v:.1f}" for k, v in end.items()
                        if "realism" in k and isinstance(v, (int, float)))
            + " (sliced Wasserstein distance of image patches to the real ones; lower is closer)." + kept + "</p>")


def _provenance(ctx: RunContext) -> str:
    seeds = stage_seeds(ctx.seed)
    rows = []
    for st in STAGES:
        m = read_marker(ctx.dir(st.name)) if st.name != "report" else None
        t = "this page" if st.name == "report" else (
            "-" if m is None else _duration(m["seconds"]) + (" (resumed; time after the resume)" if m.get("resumed") else ""))
        rows.append((st.title, seeds[st.name], t))
    budget = ctx.budget.as_dict()
    brow = [(k, v) for k, v in budget.items()]
    vers = [(k, v) for k, v in versions().items()]
    return ("<h2>Provenance</h2>"
            f"<p><b>Command</b></p><pre>{html.escape(ctx.command or '(library call)')}</pre>"
            f"<p>Run folder <code>{html.escape(str(ctx.run.resolve()))}</code>; run seed {ctx.seed}; "
            f"real images <code>{html.escape(str(ctx.real))}</code> (digest {html.escape(str(ctx.record.get('real_digest')))}); "
            f"written {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.</p>"
            + _table(rows, ("stage", "seed", "wall time"))
            + "<details><summary>Budget split (" + f"{budget['minutes']:g} min)</summary>"
            + _table(brow) + "</details>"
            + "<details><summary>Versions</summary>" + _table(vers) + "</details>")


def render_html(ctx: RunContext, summary: dict, figures: dict, overlays, synth_nm: float) -> str:
    st = summary["size_nm"]
    med, medci = _nm(st["median_nm"])
    size_rows = [(label, *_nm(st[key])) for label, key in
                 (("median", "median_nm"), ("mean", "mean_nm"), ("D10", "d10_nm"), ("D50", "d50_nm"),
                  ("D90", "d90_nm"))]
    circ, elong = summary["circularity"], summary["elongation"]
    prior_text = (ctx.dir("prior") / "preset.toml").read_text()
    params = ctx.dir("fit") / "params.toml"
    params_text = params.read_text() if params.exists() else "(none)"
    preset = summary.get("preset") or {}
    shapes = _table([("circularity", circ.get("median", "-"), circ.get("p10", "-"), circ.get("p90", "-")),
                     ("elongation", elong.get("median", "-"), elong.get("p10", "-"), elong.get("p90", "-"))],
                    ("", "median", "10 %", "90 %"))
    tiles = "".join(f"<figure>{_img(png, name)}<figcaption><b>{html.escape(name)}</b>: {n_in} particles measured, "
                    f"{n_all - n_in} cut by the border</figcaption></figure>" for name, n_in, n_all, png in overlays)
    checked = summary.get("ground_check") or {}
    legend = ("red: predicted outlines" + ("; green: manual masks; yellow: both" if "scores" in summary else "")
              + ("; blue: dropped by the substrate check" if checked.get("applied") and checked.get("unseen") else "")
              + ". The information bar is cropped.")
    parts = [
        f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>Particle sizes - {html.escape(ctx.run.name)}</title>"
        f"<style>{CSS}</style></head><body><main>",
        f"<h1>Particle size distribution</h1><p class=sub>{summary['n_images']} micrographs from "
        f"<code>{html.escape(str(ctx.real))}</code>, segmented by a U-Net trained only on synthetic images "
        f"({_prior_label(preset)}, look fitted to these micrographs).</p>",
        "<div class=cards>"
        f"<div class=card><b>{med} nm</b><span>median diameter<br>95 % CI {medci} nm</span></div>"
        f"<div class=card><b>{summary['n_particles_inner']}</b><span>particles measured<br>"
        f"({summary['n_particles_border']} cut by the border, left out)</span></div>"
        f"<div class=card><b>{summary['n_images']}</b><span>images</span></div></div>",
        "<h2>Size distribution</h2>", _img(figures["sizes"], "size histogram"),
        "<p class=note>Equivalent circular diameter of each particle's visible area. Particles cut by the image "
        "border are left out. Intervals: percentile bootstrap over particles (2000 resamples, seeded); they show "
        "the sampling spread, not the segmentation error.</p>",
        _table(size_rows, ("", "nm", "95 % CI (nm)")), _held_out_note(summary.get("held_out_check")),
        _ground_note(summary.get("ground_check")),
        "<h2>Shape</h2>", _img(figures["shapes"], "shape histograms"), shapes,
    ]
    if "scores" in summary:
        parts.append(_scores_section(summary["scores"]))
    parts += [
        f"<h2>Segmented micrographs</h2><p class=note>{legend}</p><div class=grid>{tiles}</div>",
        f"<h2>Real and synthetic side by side</h2><p class=note>Top: crops of the real micrographs; bottom: "
        f"synthetic images of the fitted look the network was trained on; both at {synth_nm:g} nm per pixel.</p>",
        _img(figures["real"], "real crops"), "<br>", _img(figures["synthetic"], "synthetic crops"),
        f"<h2>Prior and look</h2><p>Geometry: {_prior_label(preset)} "
        f"({html.escape(str(preset.get('source', '?')))}).</p>" + _prior_table(prior_text) + _prior_figure(ctx)
        + _fit_line(ctx) +
        f"<details><summary>preset.toml</summary><pre>{html.escape(prior_text)}</pre></details>"
        f"<details><summary>fitted look (params.toml)</summary><pre>{html.escape(params_text)}</pre></details>",
        _provenance(ctx),
        "<details><summary>summary.json</summary><pre>" + html.escape(json.dumps(summary, indent=1)) + "</pre></details>",
        "</main></body></html>",
    ]
    return "\n".join(parts)
