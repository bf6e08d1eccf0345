"""``python -m dgan_blender.addon_support.finish_scene LAYOUT.npz ARRAYS.npz OUT``

The second half of ``dgan scene`` when a real Blender did the rendering: Blender's
Python has no opencv, so it hands the rendered arrays over and the project's environment
writes the annotations and PNGs exactly as :func:`dgan_blender.scenes.make_scene` does.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np


def write_outputs(layout, image: np.ndarray, instances: np.ndarray, out: Path) -> int:
    from ..scenes import write_scene_outputs

    write_scene_outputs(layout, image, instances, out)
    return len(layout.particles)


def main(argv: list[str]) -> int:
    from ..layout import Layout

    layout_path, arrays_path, out = argv
    layout = Layout.load(Path(layout_path))
    with np.load(arrays_path) as z:
        image, instances = z["image"], z["instances"].astype(np.uint16)
    n = write_outputs(layout, image, instances, Path(out))
    print(json.dumps({"particles": n}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
