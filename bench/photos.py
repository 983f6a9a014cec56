"""How long a 12-megapixel duty photo takes to ingest, and what it costs in memory.

    .venv/bin/python bench/photos.py [--runs 15] [--dir /path/on/the/real/disk]

Targets: median ingest under 250 ms (validate, decode, re-encode, thumbnail,
hash, and both files fsynced into a LocalStorage), peak process memory under
150 MB, a decompression bomb refused in under 50 ms. Beside the ingest, timed in
turns with it, its floor: Pillow's draft decode of the same JPEG alone
(``ingest_ms``, ``ingest_floor_ms``, ``ingest_ratio`` in the last line).

The test picture is generated in one child process and measured in another
that only reads it from disk, and this parent never loads Pillow: Linux carries
a process's peak RSS across exec, so a child forked from a parent that had
built a 12 MP image would report the parent's peak as its own. fsync costs
depend on the disk: pass --dir on the production volume for honest numbers
(/tmp may be tmpfs). The last line printed is one JSON object for scripts.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import random
import resource
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


def make_photo_jpeg(path: str, size: tuple[int, int] = (4000, 3000), seed: int = 1) -> int:
    """A 12 MP JPEG with detail at every scale (gradient, shapes, sensor-like
    grain) so it decodes and compresses like a phone photo, not a flat test card."""
    from PIL import Image, ImageChops, ImageDraw

    rng = random.Random(seed)
    width, height = size
    base = Image.linear_gradient("L").resize(size)
    image = Image.merge("RGB", [base, base.point(lambda v: 255 - v), base.point(lambda v: v // 2 + 60)])
    draw = ImageDraw.Draw(image)
    for _ in range(80):
        x0, y0 = rng.randrange(width), rng.randrange(height)
        x1, y1 = x0 + rng.randrange(width // 20, width // 3), y0 + rng.randrange(height // 20, height // 3)
        fill = tuple(rng.randrange(256) for _ in range(3))
        (draw.rectangle if rng.random() < 0.5 else draw.ellipse)((x0, y0, x1, y1), fill=fill)
    grain = Image.effect_noise(size, 18)
    image = ImageChops.add(image, Image.merge("RGB", [grain] * 3), 1.0, -128)
    image.save(path, "JPEG", quality=92)
    return os.path.getsize(path)


def bomb_png(width: int, height: int) -> bytes:
    """A PNG header claiming a huge canvas; real bombs add a tiny zlib stream
    that inflates to gigabytes, which we must never start decoding."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 4096)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def measure(photo_path: str, runs: int, store_dir: str) -> dict:
    """Runs in the child process."""
    from server.evidence.imaging import CONTENT_TYPE, PhotoTooLarge, _fit, process_photo
    from server.evidence.storage import LocalStorage, photo_key, thumb_key

    with open(photo_path, "rb") as f:
        upload = f.read()
    store = LocalStorage(store_dir)

    def ingest() -> float:
        started = time.perf_counter()
        photo = process_photo(upload)
        store.put(photo_key(photo.sha256), photo.jpeg, CONTENT_TYPE)
        store.put(thumb_key(photo.sha256), photo.thumbnail, CONTENT_TYPE)
        return (time.perf_counter() - started) * 1000

    def draft_decode() -> float:
        """The floor: Pillow opening the same JPEG and decoding it at the draft scale the ingest
        asks libjpeg for (1/2, 1/4 or 1/8 while decoding), nothing else."""
        from PIL import Image

        started = time.perf_counter()
        with Image.open(io.BytesIO(upload)) as image:
            image.draft("RGB", _fit(*image.size, 1600))
            image.load()
        return (time.perf_counter() - started) * 1000

    ingest()  # warm-up: first-call imports and allocations are not per-photo costs
    draft_decode()
    ingest_ms, floor_ms = [], []
    for _ in range(runs):  # in turns, so load elsewhere on the machine hits both alike
        ingest_ms.append(ingest())
        floor_ms.append(draft_decode())

    bomb_ms = []
    # 400 MP trips Pillow's own ceiling; 60 MP only ours (50 MP default).
    for bomb in (bomb_png(20_000, 20_000), bomb_png(10_000, 6_000)):
        for _ in range(runs):
            started = time.perf_counter()
            try:
                process_photo(bomb)
            except PhotoTooLarge:
                bomb_ms.append((time.perf_counter() - started) * 1000)
            else:
                raise AssertionError("decompression bomb was accepted")

    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    with open("/proc/self/status") as status:  # VmHWM: this exec's own peak, to cross-check
        hwm_kb = next((int(line.split()[1]) for line in status if line.startswith("VmHWM:")), peak_kb)
    ingest_p50, floor_p50 = statistics.median(ingest_ms), statistics.median(floor_ms)
    return {
        "ingest_ms": round(ingest_p50, 1),
        "ingest_floor_ms": round(floor_p50, 1),
        "ingest_ratio": round(ingest_p50 / floor_p50, 2),
        "ingest_ms_p50": round(ingest_p50, 1),
        "ingest_ms_max": round(max(ingest_ms), 1),
        "peak_mb": round(peak_kb / 1024, 1),
        "vm_hwm_mb": round(hwm_kb / 1024, 1),
        "bomb_reject_ms": round(max(statistics.median(bomb_ms[:runs]), statistics.median(bomb_ms[runs:])), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--dir", default=None, help="where the LocalStorage goes (default: a temp dir)")
    parser.add_argument("--make", metavar="PHOTO", help=argparse.SUPPRESS)
    parser.add_argument("--child", metavar="PHOTO", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.make:
        print(make_photo_jpeg(args.make))
        return
    if args.child:
        print(json.dumps(measure(args.child, args.runs, args.dir)))
        return

    def run_child(*options: str) -> str:
        done = subprocess.run([sys.executable, os.path.abspath(__file__), *options],
                              check=True, capture_output=True, text=True, cwd=ROOT)
        return done.stdout.strip().splitlines()[-1]

    with tempfile.TemporaryDirectory(dir=args.dir) as work:
        photo = os.path.join(work, "photo.jpg")
        size = int(run_child("--make", photo))
        store = os.path.join(work, "store")
        result = json.loads(run_child("--child", photo, "--runs", str(args.runs), "--dir", store))

    print(f"photo: 4000x3000 JPEG, {size / 1e6:.1f} MB; {args.runs} runs after one warm-up; "
          f"store under {work}")
    print(f"ingest median {result['ingest_ms_p50']} ms (max {result['ingest_ms_max']} ms), target < 250 ms")
    print(f"peak process memory {result['peak_mb']} MB (ru_maxrss of the measuring process; "
          f"VmHWM {result['vm_hwm_mb']} MB), target < 150 MB")
    print(f"decompression bomb refused in {result['bomb_reject_ms']} ms "
          "(median, worse of two), target < 50 ms")
    print(f"floor: Pillow's draft decode of the same JPEG alone {result['ingest_floor_ms']} ms (median); "
          f"ingest / floor {result['ingest_ratio']}")
    print(json.dumps({key: result[key] for key in ("ingest_ms_p50", "peak_mb", "bomb_reject_ms", "ingest_ms",
                                                    "ingest_floor_ms", "ingest_ratio")}))


if __name__ == "__main__":
    main()
