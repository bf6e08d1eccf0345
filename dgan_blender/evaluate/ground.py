"""Detections the micrograph itself does not show: the substrate's own structure taken
for particles.

A network trained on synthetic images alone has never seen the real support's texture.
Where the fitted look's ground differs from it, the network calls small bright bits of
that texture particles: on the BAM TiO2 SEM images (thin bright worm-like ridges on the
support film) the seed-5 chain's network, trained on a look with coarse ground blotches,
found 370 such "particles" among 3550 - none of them near a true particle - and put the
median diameter 14 % low. The image has its own, model-free account of where particles
are: the prior's foreground (``prior.foreground``: polarity from the grey-level tails,
the background trend removed, one Otsu threshold pooled over the images). A detection
with no pixel in it is dropped. Where the two disagree on most detections the foreground
is not trusted (particles hardly brighter than their ground, say) and nothing is dropped.
"""

from __future__ import annotations

import numpy as np
from skimage.segmentation import relabel_sequential

from ..prior import foreground as fgm

# above this share of unseen detections (pooled over the images) the foreground, not the
# network, is taken to be wrong
MAX_UNSEEN_SHARE = 0.5


class Foreground:
    """The images' pooled foreground rule: polarity and threshold from all of them, a
    mask per image on demand (the images are not kept)."""

    def __init__(self, images: list[np.ndarray]):
        imgs = [np.asarray(im, np.float32) for im in images]
        self.polarity, _ = fgm.polarity(imgs)
        self.sign = 1.0 if self.polarity == "bright" else -1.0
        self.threshold = fgm.pooled_threshold([fgm.prepared(im, self.sign) for im in imgs])

    def mask(self, image: np.ndarray) -> np.ndarray:
        return fgm.foreground(fgm.prepared(np.asarray(image, np.float32), self.sign), self.threshold)


def unseen(instances: np.ndarray, fg: np.ndarray) -> np.ndarray:
    """Ids of the instances with no pixel in ``fg``."""
    inst = np.asarray(instances)
    present = np.unique(inst[inst > 0])
    return np.setdiff1d(present, np.unique(inst[fg & (inst > 0)]))


def drop(instances: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """``instances`` without ``ids``, renumbered 1..n in their order."""
    inst = np.where(np.isin(instances, ids), 0, instances)
    return relabel_sequential(inst)[0].astype(instances.dtype, copy=False)


def ground_check(images: list[np.ndarray], instances: list[np.ndarray]) -> tuple[list[np.ndarray], dict]:
    """Every image's instances without the detections its foreground does not show
    (or all kept, where most detections are unseen); and a record of what was done.
    ``dropped(instances, kept)`` gives what was taken out, to show."""
    rule = Foreground(images)
    gone = [unseen(inst, rule.mask(im)) for im, inst in zip(images, instances)]
    n_all = sum(len(np.unique(inst[inst > 0])) for inst in instances)
    n_gone = sum(len(g) for g in gone)
    applied = n_gone <= MAX_UNSEEN_SHARE * n_all
    record = {"detections": n_all, "unseen": n_gone, "applied": bool(applied), "polarity": rule.polarity,
              "threshold": round(float(rule.threshold), 6), "max_unseen_share": MAX_UNSEEN_SHARE}
    if not applied:
        return list(instances), record
    return [drop(inst, g) if len(g) else inst for inst, g in zip(instances, gone)], record


def dropped(instances: np.ndarray, kept: np.ndarray) -> np.ndarray:
    """The detections ``ground_check`` took out of ``instances`` (their ids as they were)."""
    return np.where(kept > 0, 0, instances).astype(instances.dtype, copy=False)
