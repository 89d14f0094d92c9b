"""The leak audit of every packaged track's bundle on the demo data, beside the same audit of the
bundle as the leaderboard wrote it before hidden tracks got opaque bundles (named by the image ids,
as `bench data export` writes them, originals beside their edits):

    python tools/leak_audit_demo.py OUT [--images diffseg=600,dolos=120,semitruths=2000,cocoglide=60] [--size 64]

writes the demo data of every format into OUT/data, freezes each packaged track twice (the track
itself, and its old layout: the same track open, without `unpaired`), audits both bundles with
`bench leaderboard audit` and prints one markdown table per track: each attack's AP, its chance
level, the permutation p-value and the verdict (docs/leaderboard.md shows the output)."""
from __future__ import annotations

import argparse
import dataclasses
import re
import sys
import time
from pathlib import Path

IMAGES = {"diffseg": 600, "dolos": 120, "semitruths": 2000, "cocoglide": 60}


def old_layout(track):
    """The track as the leaderboard froze it before: open (ids as names, the export's encoding), and
    every original beside its edits."""
    return dataclasses.replace(track, hidden=False, dataset=re.sub(r";?unpaired=\d+", "", track.dataset)
                               .replace("[]", ""))


def cell(f) -> str:
    if f.ap is None:
        return "– (one label)"
    p = "" if f.p_value is None else f", p {f.p_value:.3f}"
    return f"{f.ap:.3f} / {f.chance:.3f}{p}" + (" **LEAK**" if f.leak else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="new folder")
    parser.add_argument("--images", default=",".join(f"{k}={v}" for k, v in IMAGES.items()))
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()

    from benchmark.datasets.demo import write_demo
    from benchmark.errors import BenchError
    from benchmark.leaderboards.audit import audit
    from benchmark.leaderboards.freeze import freeze
    from benchmark.leaderboards.gtpack import GTPack
    from benchmark.leaderboards.track import get_track, track_names

    images = {k: int(v) for k, v in (item.split("=") for item in args.images.split(","))}
    for fmt, n in images.items():
        write_demo(fmt, args.out / "data" / fmt, images=n, size=args.size, seed=7, workers=args.workers)
    for name in track_names():
        track = get_track(name)
        root = args.out / "data" / track.dataset.split("[")[0]
        rows: dict[tuple[str, str], list[str]] = {}
        sizes = []
        for label, version in (("bundle", track), ("old layout", old_layout(track))):
            base = args.out / label.replace(" ", "-") / name
            started = time.monotonic()
            try:
                freeze(version, root, base / "gt", base / "bundle", workers=args.workers, progress=False)
            except BenchError as exc:
                print(f"{name} ({label}): {exc}", file=sys.stderr)
                return 1
            pack = GTPack(base / "gt")
            findings = audit(base / "bundle", pack)
            sizes.append(f"{label}: {len(pack.records)} images ({sum(r.label for r in pack.records)} edited), "
                         f"{time.monotonic() - started:.1f} s")
            for f in findings:
                rows.setdefault((f.part, f.attack), ["", ""])[0 if label == "bundle" else 1] = cell(f)
        print(f"\n**{name}** (`{track.dataset}`, {track.split}; {'; '.join(sizes)})\n")
        print("| part | attack | bundle: AP / chance | old layout: AP / chance |")
        print("|---|---|---|---|")
        for (part, attack), (new, old) in rows.items():
            print(f"| {part} | {attack} | {new} | {old} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
