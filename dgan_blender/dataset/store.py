"""The on-disk data set: per-sample files, the manifest and the COCO file.

A sample is complete when its particles JSON exists and every image it lists has the
byte size it records: the JSON is renamed into place last, after the image and both
masks, so a kill at any moment leaves either a complete sample or none (stray temporary
files are removed on the next run), and a file truncated later (a copy cut short, a full
disk) is found by a stat and rendered again. Each file's CRC-32 is recorded too, for
``verify`` and ``dgan validate``. The manifest is only ever appended to by the driver
and is repaired from the complete samples on start.

The folder is one job's at a time (``lock``) and remembers what made it (``run.json``,
see :mod:`dgan_blender.provenance`).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import zlib
from pathlib import Path

import numpy as np

from ..errors import DganError
from ..io import encode_png, read_png, write_bytes, write_json, write_png
from .coco import annotations_for, coco_document

SUBDIRS = ("images", "instances", "semantic", "particles")
IMAGES = SUBDIRS[:3]
# the files a data set holds besides its sub-folders; --restart deletes these and no others
ROOT_FILES = ("manifest.jsonl", "annotations.json", "contact.png", "run.json")
LOCK = ".lock"
_SAMPLE_FILE = re.compile(r"^\d+\.(png|json)$")


class DamagedSample(DganError):
    """A sample's file changed after it was written: not an input error, so exit 1."""

    exit_code = 1


def checksum(data: bytes) -> dict:
    return {"bytes": len(data), "crc32": zlib.crc32(data)}


def check_out(root: Path) -> Path:
    """``--out`` must be a folder this process can write: a file, a path below a file or
    a folder without write access is one line naming it."""
    root = Path(root)
    for p in (root, *root.parents):
        if p.exists() or p.is_symlink():
            if not p.is_dir():
                where = "is a file" if p == root else f"is below {p}, which is a file"
                raise DganError(f"--out {root}: {where}, not a folder; choose a folder")
            break
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DganError(f"--out {root}: cannot create it ({exc.strerror}); "
                        "choose a folder you can write") from None
    if not os.access(root, os.W_OK | os.X_OK):
        raise DganError(f"--out {root}: not writable; choose a folder you can write")
    return root


class DatasetStore:
    def __init__(self, root: Path, digits: int = 6):
        self.root = Path(root)
        self.digits = digits

    def name(self, index: int) -> str:
        return f"{index:0{self.digits}d}"

    def path(self, kind: str, index: int) -> Path:
        ext = "json" if kind == "particles" else "png"
        return self.root / kind / f"{self.name(index)}.{ext}"

    def prepare(self) -> None:
        for sub in SUBDIRS:
            (self.root / sub).mkdir(parents=True, exist_ok=True)
            for stray in (self.root / sub).glob(".*.tmp"):
                stray.unlink(missing_ok=True)
        for name in ROOT_FILES:
            for stray in self.root.glob(f".{name}*.tmp"):
                stray.unlink(missing_ok=True)

    # -------------------------------------------------------------- one job per folder
    @contextlib.contextmanager
    def lock(self):
        """Held for a whole job: a second render into the folder is refused. An flock is
        released by the OS when its process dies, so a killed job never blocks a rerun."""
        import fcntl

        path = self.root / LOCK
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno in (errno.EAGAIN, errno.EACCES):
                    holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
                    raise DganError(f"{self.root}: another 'dgan render' (pid {holder}) is writing "
                                    "this data set; wait for it to finish, or choose another --out") from None
                # a file system without locks (some NFS): the job runs unguarded
            else:
                os.ftruncate(fd, 0)
                os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            yield
        finally:
            os.close(fd)

    def clear(self) -> int:
        """``--restart``: deletes this data set's own files - numbered samples in the known
        sub-folders and the known files at the top - and nothing else. Returns the count."""
        removed = 0
        for sub in SUBDIRS:
            folder = self.root / sub
            if not folder.is_dir():
                continue
            for p in folder.iterdir():
                if p.is_file() and (_SAMPLE_FILE.match(p.name) or p.name.endswith(".tmp")):
                    p.unlink()
                    removed += 1
            with contextlib.suppress(OSError):
                folder.rmdir()  # kept if the user put something else there
        for name in ROOT_FILES:
            p = self.root / name
            if p.is_file():
                p.unlink()
                removed += 1
        return removed

    # -------------------------------------------------------------- samples
    def read_record(self, index: int) -> dict:
        rec = json.loads(self.path("particles", index).read_bytes())
        if not isinstance(rec, dict):
            raise ValueError("not a sample record")
        return rec

    def is_complete(self, index: int, entry: dict | None = None) -> bool:
        """Cheap: a manifest ``entry`` that records sizes is checked by stat alone;
        otherwise the (small) particles JSON is read and its images' sizes are checked.
        Nothing is decoded."""
        if entry is not None and self._entry_matches(index, entry):
            return True
        try:
            rec = self.read_record(index)
            files = rec.get("files")
            if files is None:  # written before sizes were recorded
                return all(self.path(k, index).exists() for k in IMAGES)
            return all(self.path(k, index).stat().st_size == files[k]["bytes"] for k in IMAGES)
        except (OSError, ValueError, KeyError, TypeError):
            return False

    def _entry_matches(self, index: int, entry: dict) -> bool:
        files = entry.get("files")
        if not isinstance(files, dict):
            return False
        try:
            return all(self.path(k, index).stat().st_size == files[k]["bytes"] for k in SUBDIRS)
        except (OSError, KeyError, TypeError):
            return False

    def complete_indices(self, count: int) -> list[int]:
        return [i for i in range(count) if self.is_complete(i)]

    def write_sample(self, index: int, image: np.ndarray, instances: np.ndarray,
                     semantic: np.ndarray, record: dict) -> None:
        files = {}
        for kind, array in zip(IMAGES, (image, instances, semantic)):
            data = encode_png(array)
            write_bytes(self.path(kind, index), data)
            files[kind] = checksum(data)
        write_json(self.path("particles", index), {**record, "files": files})

    def verify(self, indices) -> list[tuple[int, str]]:
        """Reads every file of the given samples and compares its size and CRC-32 with
        the record (decodes images written before checksums were recorded). Returns (index,
        line) per bad file; a rerun renders those samples again once ``invalidate``d."""
        bad = []
        for i in indices:
            try:
                rec = self.read_record(i)
            except (OSError, ValueError) as exc:
                bad.append((i, f"{self.path('particles', i)}: unreadable ({_why(exc)})"))
                continue
            files = rec.get("files") or {}
            for kind in IMAGES:
                path = self.path(kind, i)
                try:
                    data = path.read_bytes()
                except OSError as exc:
                    bad.append((i, f"{path}: {_why(exc)}"))
                    continue
                want = files.get(kind)
                if want is None:
                    try:
                        read_png(path)
                    except OSError:
                        bad.append((i, f"{path}: not a readable PNG"))
                elif checksum(data) != want:
                    bad.append((i, f"{path}: {len(data)} bytes, CRC-32 {zlib.crc32(data)}; written "
                                   f"as {want.get('bytes')} bytes, CRC-32 {want.get('crc32')}"))
        return bad

    def invalidate(self, index: int) -> None:
        """Makes a sample incomplete (its JSON goes), so the next pass renders it again."""
        self.path("particles", index).unlink(missing_ok=True)

    # -------------------------------------------------------------- manifest
    @property
    def manifest(self) -> Path:
        return self.root / "manifest.jsonl"

    def read_manifest(self) -> dict[int, dict]:
        entries: dict[int, dict] = {}
        if self.manifest.exists():
            for line in self.manifest.read_text().splitlines():
                try:
                    entry = json.loads(line)
                    entries[int(entry["index"])] = entry
                except (json.JSONDecodeError, KeyError, TypeError, ValueError):
                    continue  # a line cut by a kill
        return entries

    def repair_manifest(self, count: int, below: int | None = None) -> dict[int, dict]:
        """Keep one line per complete sample; add lines for complete samples whose line
        was lost; rewrite atomically. ``below``: list only indices under it (the files
        of a larger earlier --count stay, unlisted, for a later run to pick up)."""
        entries = self.read_manifest()
        fixed = {}
        end = max([count, *entries.keys()], default=count) + 1
        for i in range(end if below is None else min(end, below)):
            entry = entries.get(i)
            if entry is not None and self._entry_matches(i, entry):
                fixed[i] = entry
            elif self.is_complete(i):
                fixed[i] = self.manifest_entry(i)  # its line was lost, or is stale
        write_bytes(self.manifest, "".join(json.dumps(fixed[i]) + "\n" for i in sorted(fixed)).encode())
        return fixed

    def manifest_entry(self, index: int) -> dict:
        data = self.path("particles", index).read_bytes()
        rec = json.loads(data)
        files = {**rec.get("files", {}), "particles": checksum(data)}
        return {
            "index": index,
            "image": f"images/{self.name(index)}.png",
            "instances": f"instances/{self.name(index)}.png",
            "semantic": f"semantic/{self.name(index)}.png",
            "particles": f"particles/{self.name(index)}.json",
            "seed": rec.get("seed"),
            "sample_seed": rec.get("sample_seed"),
            "n_particles": len(rec.get("particles", [])),
            "layout_attempt": rec.get("layout_attempt", 0),
            "files": files,
        }

    def append_manifest(self, entries: list[dict]) -> None:
        with open(self.manifest, "a") as fh:
            for e in entries:
                fh.write(json.dumps(e) + "\n")
            fh.flush()
            os.fsync(fh.fileno())

    def write_contact_sheet(self, indices: list[int], columns: int = 4) -> Path:
        """The first samples with their instance contours, for a person to look at."""
        from ..annotate import contact_sheet, preview

        tiles = [preview(self._read_mask(i, "images"), self._read_mask(i)) for i in sorted(indices)]
        path = self.root / "contact.png"
        write_png(path, contact_sheet(tiles, columns=columns))
        return path

    def _read_mask(self, index: int, kind: str = "instances") -> np.ndarray:
        try:
            return read_png(self.path(kind, index))
        except OSError:  # same size as written, other bytes: the stat in is_complete passed
            raise DamagedSample(f"{self.path(kind, index)}: not a readable image; rerun 'dgan render' "
                                "with the same arguments plus --verify to render it again") from None

    # -------------------------------------------------------------- COCO
    def write_coco(self, indices: list[int], description: str) -> Path:
        images, anns = [], []
        for image_id, i in enumerate(sorted(indices), start=1):
            inst = self._read_mask(i)
            images.append({"id": image_id, "file_name": f"images/{self.name(i)}.png",
                           "height": int(inst.shape[0]), "width": int(inst.shape[1]),
                           "sample_index": i})
            anns.extend(annotations_for(image_id, inst, len(anns) + 1))
        path = self.root / "annotations.json"
        write_json(path, coco_document(images, anns, description))
        return path


def _why(exc: Exception) -> str:
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else exc.__class__.__name__
