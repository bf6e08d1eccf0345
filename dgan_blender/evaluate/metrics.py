"""The benchmark's metrics, with the standard definitions so that numbers are comparable
between runs (not across papers, whose PQ definitions differ).

- DSC: particle vs background Dice, pooled over all test pixels (large images weigh more).
- AP50: per image TP / (TP + FP + FN) with one-to-one matching at IoU > 0.5, then the mean
  over images. An image with no instance on either side counts as 1 (nothing to find,
  nothing found).
- PQ = SQ x RQ with TP, FP, FN and the matched IoUs pooled over all images.

Instances are integer label images (0 = background). ``min_size`` drops instances smaller
than that many pixels from both sides before matching: the manual masks' one-pixel
separators, read with 4-connectivity, leave single-pixel fragments no model finds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class ImageMatch:
    """Matching of one image: counts and the IoUs of the matched pairs."""

    tp: int
    fp: int
    fn: int
    ious: list[float] = field(default_factory=list)

    @property
    def ap50(self) -> float:
        denom = self.tp + self.fp + self.fn
        return 1.0 if denom == 0 else self.tp / denom


def drop_small(instances: np.ndarray, min_size: int) -> np.ndarray:
    """Instances under ``min_size`` px set to background (ids are kept, not renumbered)."""
    inst = np.asarray(instances)
    if min_size <= 1:
        return inst
    counts = np.bincount(inst.ravel())
    small = counts < min_size
    small[0] = False
    return np.where(small[inst], 0, inst)


def match_instances(gt: np.ndarray, pred: np.ndarray, min_size: int = 0) -> ImageMatch:
    """One-to-one matching at IoU > 0.5. Above 0.5 a pair is unique by construction (two
    disjoint masks cannot both overlap one mask by more than half), so no assignment
    problem has to be solved: every pair over the threshold is a match."""
    if gt.shape != pred.shape:
        raise ValueError(f"shapes differ: ground truth {gt.shape}, prediction {pred.shape}")
    g = drop_small(gt, min_size).astype(np.int64).ravel()
    p = drop_small(pred, min_size).astype(np.int64).ravel()
    g_ids, g = np.unique(g, return_inverse=True)  # dense ids, 0 stays 0 when present
    p_ids, p = np.unique(p, return_inverse=True)
    g_off = 0 if g_ids[0] == 0 else 1
    p_off = 0 if p_ids[0] == 0 else 1
    g, p = g + g_off, p + p_off
    ng, npred = len(g_ids) + g_off, len(p_ids) + p_off
    inter = np.bincount(g * npred + p, minlength=ng * npred).reshape(ng, npred)
    area_g, area_p = inter.sum(1), inter.sum(0)
    inter = inter[1:, 1:]
    n_gt, n_pred = ng - 1, npred - 1
    if n_gt == 0 or n_pred == 0:
        return ImageMatch(0, n_pred, n_gt)
    union = area_g[1:, None] + area_p[None, 1:] - inter
    iou = inter / np.maximum(union, 1)
    gi, pi = np.nonzero(iou > 0.5)
    tp = len(gi)
    return ImageMatch(tp, n_pred - tp, n_gt - tp, iou[gi, pi].tolist())


def dice_counts(gt_fg: np.ndarray, pred_fg: np.ndarray) -> tuple[int, int]:
    """(2 |G & P|, |G| + |P|) of one image, to be summed over images (pooled DSC)."""
    g, p = np.asarray(gt_fg, bool), np.asarray(pred_fg, bool)
    return 2 * int(np.count_nonzero(g & p)), int(np.count_nonzero(g) + np.count_nonzero(p))


def panoptic(matches: list[ImageMatch]) -> dict:
    """PQ, SQ, RQ pooled over images."""
    tp = sum(m.tp for m in matches)
    fp = sum(m.fp for m in matches)
    fn = sum(m.fn for m in matches)
    iou_sum = sum(sum(m.ious) for m in matches)
    sq = iou_sum / tp if tp else 0.0
    denom = tp + 0.5 * fp + 0.5 * fn
    rq = tp / denom if denom else 1.0
    return {"pq": sq * rq if denom else 1.0, "sq": sq, "rq": rq, "tp": tp, "fp": fp, "fn": fn}


def evaluate_pairs(pairs, min_sizes=(0, 20)) -> dict:
    """Metrics over (gt_instances, pred_instances) pairs. Keys for ``min_size`` 0 are
    plain (``ap50``, ``pq``, ...); others get a suffix (``ap50_min20``)."""
    pairs = list(pairs)
    num = den = 0
    for gt, pred in pairs:
        a, b = dice_counts(gt > 0, pred > 0)
        num, den = num + a, den + b
    out: dict = {"dsc": num / den if den else 1.0, "n_test_images": len(pairs)}
    for size in min_sizes:
        matches = [match_instances(gt, pred, size) for gt, pred in pairs]
        suffix = f"_min{size}" if size else ""
        out[f"ap50{suffix}"] = float(np.mean([m.ap50 for m in matches])) if matches else 0.0
        for key, value in panoptic(matches).items():
            out[f"{key}{suffix}"] = value
    return out
