"""Benchmark: a 200-post district PDF, as a coordinator would print it.

Prints posters per second and peak memory, and beside the PDF's time two floors
measured in the same run, in this one process: the QR module matrices of the same
payloads alone (qr.images.qr_matrix), and a PDF of blank pages of the same size
and kind (a palette PNG per page, compressed as the posters are, through the same
PdfPages writer). Their sum is what no poster layout can go under on one core;
the app draws with --workers processes. The last line is one JSON object:
{"posters_per_s", "peak_mb", "posts", "pdf_ms", "pdf_floor_ms", "pdf_ratio", "pdf_qr_floor_ms",
 "pdf_page_floor_ms"}.

    .venv/bin/python bench/posters.py [--paper A5|A4] [--posts 200] [--workers 2]
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qr.posters import PosterInfo, write_pdf  # noqa: E402

ROADS = ["人民路", "解放大道", "中山路", "建设路", "和平街", "胜利路", "长江路", "黄河路", "新华路", "文化路",
         "友谊大街", "光明巷", "滨江大道", "朝阳北路", "G107国道辅路"]
PLACES = ["东湖公园", "人民广场", "滨江公园南门", "幸福里社区", "阳光花园小区", "市第一中学", "火车站北广场",
          "百货大楼", "中心菜市场", "青少年宫"]
CORNERS = ["东南角", "西北角", "东北侧", "西南侧", "北侧", "南侧"]
KINDS = ["intersection", "park", "community", "street", "other"]
DISTRICTS = ["江岸区一元街道", "武昌区中华路街道", "XX县城关镇", "洪山区珞南街道", "江汉区民族街道"]


def district_posts(count: int) -> list[PosterInfo]:
    """Varied names: short parks, crossings, and the long ones that must wrap."""
    infos = []
    for i in range(count):
        kind = KINDS[i % len(KINDS)]
        a, b = ROADS[i % len(ROADS)], ROADS[(i * 7 + 3) % len(ROADS)]
        if kind == "intersection":
            name = f"{a}与{b}交叉口{CORNERS[i % len(CORNERS)]}"
            if i % 3 == 0:
                name = f"XX县{name}文明交通劝导岗"
        elif kind == "park":
            name = PLACES[i % len(PLACES)]
        elif kind == "community":
            name = f"{PLACES[i % len(PLACES)]}{i % 9 + 1}号楼垃圾分类投放点"
        else:
            name = f"{a}{i % 300 + 1}号门前"
        post_id = 1000 + i
        infos.append(PosterInfo(
            post_id=post_id, name=name, kind=kind, district=DISTRICTS[i % len(DISTRICTS)],
            code=f"P{post_id:04d}", qr_version=1 + i % 4,
            payload=f"https://redvest.example.cn/q/{post_id}.{1 + i % 4}.AbCdEf0123_-",
            printed_on=datetime.date(2025, 11, 26),
        ))
    return infos


def _tree_rss_mb() -> float:
    """RSS of this process plus its live children right now (Linux /proc)."""
    total = 0
    pids = [os.getpid()]
    try:
        for line in Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").read_text().split():
            pids.append(int(line))
    except OSError:
        pass
    for pid in pids:
        try:
            for row in Path(f"/proc/{pid}/status").read_text().splitlines():
                if row.startswith("VmRSS:"):
                    total += int(row.split()[1])
        except OSError:
            pass
    return total / 1024


def qr_floor_ms(infos: list[PosterInfo]) -> float:
    """The QR module matrices of every poster's payload, nothing drawn."""
    from qr.images import qr_matrix

    began = time.perf_counter()
    for info in infos:
        qr_matrix(info.payload)
    return (time.perf_counter() - began) * 1000


def page_floor_ms(infos: list[PosterInfo], paper: str) -> float:
    """A PDF of blank pages, one per poster: the same pixel size and palette PNG, the same writer."""
    import io

    from PIL import Image

    from qr.pdfpages import PdfPages
    from qr.posters import DPI, PAPERS, render_poster

    sheet = PAPERS[paper]
    sample = render_poster(infos[0], paper)  # its mode and palette, outside the timing
    began = time.perf_counter()
    with tempfile.TemporaryFile() as fp:
        pdf = PdfPages(fp, (sheet.width_pt, sheet.height_pt), title="floor")
        for _ in infos:
            blank = Image.new(sample.mode, sample.size, 0)
            if sample.mode == "P":
                blank.putpalette(sample.getpalette())
            buf = io.BytesIO()
            blank.save(buf, "PNG", compress_level=3, dpi=(DPI, DPI))
            pdf.add_png(buf.getvalue())
        pdf.close()
    return (time.perf_counter() - began) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--paper", default="A5", choices=["A5", "A4"])
    parser.add_argument("--posts", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    infos = district_posts(args.posts)
    sampled = [0.0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.05):
            sampled[0] = max(sampled[0], _tree_rss_mb())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "district.pdf"
        start = time.perf_counter()
        pages = write_pdf(infos, out, paper=args.paper, workers=args.workers)
        elapsed = time.perf_counter() - start
        size_mb = out.stat().st_size / 1e6
    stop.set()
    sampler.join()

    # ru_maxrss is in kB on Linux; children are counted once they have exited.
    self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    peak_mb = (self_kb + children_kb) / 1024
    rate = pages / elapsed
    print(f"{pages} {args.paper} posters in {elapsed:.2f}s with {args.workers} workers: {rate:.1f} posters/s")
    print(f"PDF {size_mb:.1f} MB ({size_mb / pages * 1000:.0f} kB/page)")
    print(f"peak RSS: self {self_kb / 1024:.0f} MB + largest child {children_kb / 1024:.0f} MB"
          f" = {peak_mb:.0f} MB; "
          f"sampled whole-tree peak {sampled[0]:.0f} MB")
    qr_ms, page_ms = qr_floor_ms(infos), page_floor_ms(infos, args.paper)
    floor = qr_ms + page_ms
    print(f"floor: QR matrices {qr_ms:.0f} ms + blank pages {page_ms:.0f} ms = {floor:.0f} ms "
          f"(one process); the PDF took {elapsed * 1000:.0f} ms, {elapsed * 1000 / floor:.2f}x")
    print(json.dumps({"posters_per_s": round(rate, 1), "peak_mb": round(peak_mb, 1), "posts": pages,
                      "pdf_ms": round(elapsed * 1000, 1), "pdf_floor_ms": round(floor, 1),
                      "pdf_ratio": round(elapsed * 1000 / floor, 2), "pdf_qr_floor_ms": round(qr_ms, 1),
                      "pdf_page_floor_ms": round(page_ms, 1)}))


if __name__ == "__main__":
    main()
