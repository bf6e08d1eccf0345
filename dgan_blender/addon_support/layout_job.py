"""``python -m dgan_blender.addon_support.layout_job CONFIG.json SEED OUT.npz``

Blender's own Python lacks the geometry's dependencies (scipy, matplotlib), so Blender
asks the project's environment for the layout and builds the scene itself from the
``.npz`` (plain numpy arrays, readable by any numpy).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    from ..config import from_dict
    from ..errors import DganError
    from ..scenes import make_layout

    try:
        cfg_path, seed, out = argv
        cfg = from_dict(json.loads(Path(cfg_path).read_text()))
        make_layout(cfg, int(seed)).save(Path(out))
    except DganError as exc:
        print(f"dgan: error: {exc}", file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
