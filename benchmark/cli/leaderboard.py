"""`bench leaderboard`: tracks, frozen ground truth, the results store and the static site (the
server, its workers and teams: leaderboard_server.py)."""
from __future__ import annotations

import argparse

from rich_argparse import RichHelpFormatter

from . import leaderboard_server
from .console import say, table_console

STORE_HELP = "results store: a SQLite file path, or a database URL such as postgresql://user@host/db"


def add_parser(sub) -> None:
    p = sub.add_parser("leaderboard", formatter_class=RichHelpFormatter,
                       help="leaderboard tracks, frozen ground truth, results store and pages")
    lb = p.add_subparsers(dest="leaderboard_command", metavar="COMMAND", required=True)

    q = lb.add_parser("list", formatter_class=RichHelpFormatter,
                      help="the packaged tracks, or with --store the boards and failed submissions")
    q.add_argument("--store", help=STORE_HELP)
    q.set_defaults(func=run_list)

    q = lb.add_parser("freeze", formatter_class=RichHelpFormatter,
                      help="write a track's GT pack and its participant bundle from the raw dataset")
    q.add_argument("track", help="track name (bench leaderboard list)")
    q.add_argument("--root", required=True, help="dataset folder, archive or shard")
    q.add_argument("--out", required=True, help="GT pack folder to write (keep it private)")
    q.add_argument("--bundle", help="participant bundle folder to write (default: OUT-bundle beside the pack)")
    q.add_argument("--public-fraction", type=float, metavar="F",
                   help="split the ids into a public share F (boards show only it until the phase is frozen) "
                        "and a private rest; default: no split")
    q.add_argument("--public-seed", type=int, metavar="N",
                   help="seed of the public/private draw (default: a random one; both stay in the private pack)")
    q.add_argument("--workers", type=int, default=None, help="processes (default: all cores; 1 = none)")
    q.add_argument("--quiet", action="store_true", help="no progress bars")
    q.set_defaults(func=run_freeze)

    q = lb.add_parser("audit", formatter_class=RichHelpFormatter,
                      help="the leak audit of a participant bundle: attacks that read no pixels, and the pair "
                           "difference, each against chance")
    q.add_argument("bundle", help="participant bundle folder (bench leaderboard freeze --bundle)")
    q.add_argument("--gt", required=True, help="the track's GT pack (its truth judges the attacks)")
    q.add_argument("--json", action="store_true", help="print the findings as JSON")
    q.add_argument("--quiet", action="store_true", help="no progress bars")
    q.set_defaults(func=run_audit)

    q = lb.add_parser("translate", formatter_class=RichHelpFormatter,
                      help="write a submission named as a hidden track's bundle under the split's ids (what the "
                           "leaderboard scores: bench score on it gives the stored result)")
    q.add_argument("predictions", help="predictions folder/zip named as the bundle's images")
    q.add_argument("--gt", required=True, help="the track's GT pack (its names map)")
    q.add_argument("--out", required=True, help="new .zip to write")
    q.set_defaults(func=run_translate)

    q = lb.add_parser("phase", formatter_class=RichHelpFormatter, help="close a track's phase or open the next (organiser)")
    phase = q.add_subparsers(dest="phase_command", metavar="ACTION", required=True)
    q = phase.add_parser("freeze", formatter_class=RichHelpFormatter,
                         help="freeze the phase: boards rank on the whole split and show the result files; "
                              "no more submissions")
    q.add_argument("track", help="track name")
    q.add_argument("--store", required=True, help=STORE_HELP)
    q.set_defaults(func=run_phase_freeze)
    q = phase.add_parser("open", formatter_class=RichHelpFormatter,
                         help="open the next phase of a frozen track: submissions again, ranked on the whole split, "
                              "the teams' phase limits counted afresh")
    q.add_argument("track", help="track name")
    q.add_argument("--store", required=True, help=STORE_HELP)
    q.set_defaults(func=run_phase_open)

    q = lb.add_parser("init", formatter_class=RichHelpFormatter, help="create a results store")
    q.add_argument("--store", required=True, help=STORE_HELP)
    q.set_defaults(func=run_init)

    q = lb.add_parser("add", formatter_class=RichHelpFormatter,
                      help="score a local submission against a GT pack into the store (or add reported numbers)")
    q.add_argument("predictions", nargs="*", help="predictions folders/zips, one per part of the track "
                                                  "(clean and each distortion; the manifest names its distortion)")
    q.add_argument("--store", required=True, help=STORE_HELP)
    q.add_argument("--gt", required=True, help="the track's GT pack (bench leaderboard freeze)")
    q.add_argument("--reported", nargs="?", const="", default=None, metavar="FILE",
                   help="add reported numbers instead of predictions: the track's packaged paper rows, or a JSON "
                        "file {method, source, metrics: {part: {metric: value}}, supervision, training_data}")
    q.add_argument("--submitter", default="local", help="who submitted it (default: local)")
    q.add_argument("--method", help="method name (default: the predictions' manifest)")
    q.add_argument("--supervision", default="unknown", help="e.g. 'pixel masks', 'image labels', 'none'")
    q.add_argument("--training-data", default="unknown", help="what the method was trained on")
    q.add_argument("--provenance", choices=("rescored", "reproduced"), default="rescored",
                   help="rescored: predictions as submitted; reproduced: bench re-ran the named checkpoint")
    q.add_argument("--checkpoint", help="the checkpoint a reproduced entry was re-run from")
    q.add_argument("--workers", type=int, default=None, help="processes (default: all cores; 1 = none)")
    q.add_argument("--quiet", action="store_true", help="no progress bars")
    q.set_defaults(func=run_add)

    q = lb.add_parser("build", formatter_class=RichHelpFormatter, help="render the static site from the store")
    q.add_argument("--store", required=True, help=STORE_HELP)
    q.add_argument("--out", required=True, help="new or empty folder for the site")
    q.add_argument("--track", action="append", default=[], help="only these tracks (repeatable; default: all)")
    q.set_defaults(func=run_build)
    leaderboard_server.add_parsers(lb)


def run_list(args: argparse.Namespace) -> int:
    from rich.markup import escape
    from rich.table import Table

    console = table_console()
    if not args.store:
        from benchmark.leaderboards.track import get_track, track_names

        table = Table("track", "dataset", "split", "task", "ranked by", "parts", "ground truth", title="packaged tracks")
        for name in track_names():
            t = get_track(name)
            table.add_row(name, escape(t.dataset), t.split, "/".join(t.accepts), t.rank_by, ", ".join(t.parts),
                          "hidden" if t.hidden else "open")
        console.print(table)
        return 0
    from benchmark.leaderboards.board import load_board
    from benchmark.leaderboards.store import Store

    store = Store(args.store)
    for track, _ in store.tracks():
        board = load_board(store, track.name)
        phase = {None: "", "public": f", public phase: {board.n_public} public images only",
                 "final": ", frozen: whole split"}[board.phase]
        table = Table("#", "method", f"{track.rank_by}", "95 % CI", "p vs #1", "provenance", "submission",
                      title=f"{track.title} ({track.name}{phase})")
        for r in board.sorted_rows("rank", "asc"):
            score = r.values["score"]
            table.add_row("–" if r.position is None else str(r.position), escape(r.method),
                          "–" if score is None else f"{score:.4f}",
                          "" if r.low is None else f"[{r.low:.4f}, {r.high:.4f}]",
                          "" if r.p_value is None else f"{r.p_value:.3f}", r.tier, str(r.sid))
        console.print(table)
        for sub in store.submissions(track.name):
            if sub["status"] != "scored":
                say(f"submission {sub['id']} {sub['status']}:", f"{sub['method']}: {sub['error'] or ''}", "yellow")
    return 0


def run_freeze(args: argparse.Namespace) -> int:
    from benchmark.leaderboards.freeze import freeze
    from benchmark.leaderboards.track import get_track

    bundle = args.bundle or f"{str(args.out).rstrip('/')}-bundle"
    header = freeze(get_track(args.track), args.root, args.out, bundle, workers=args.workers, progress=not args.quiet,
                    public_fraction=args.public_fraction, public_seed=args.public_seed)
    say("froze", f"{args.track}: {header['n_images']} images of {header['dataset_spec']} {header['split']} "
                 f"(split hash {header['split_manifest_hash'][:12]}) into {args.out}")
    if "public" in header:
        say("public/private split", f"{header['public']['n_public']} public images "
                                    f"(ids SHA-256 {header['public']['ids_sha256'][:12]})")
    say("participant bundle", bundle + (" (opaque names; leak audit at chance)" if "audit" in header else ""))
    return 0


def run_audit(args: argparse.Namespace) -> int:
    import json

    from rich.table import Table

    from benchmark.leaderboards.audit import ALPHA, TOLERANCE, audit, leaks
    from benchmark.leaderboards.gtpack import GTPack

    findings = audit(args.bundle, GTPack(args.gt), progress=not args.quiet)
    if args.json:
        print(json.dumps([f.to_json() for f in findings], indent=1))
    else:
        table = Table("part", "attack", "AP", "chance", "p", "verdict",
                      title=f"leak audit of {args.bundle} (a leak: AP above chance by more than {TOLERANCE} and p <= {ALPHA})")
        for f in findings:
            table.add_row(f.part, f.attack, "–" if f.ap is None else f"{f.ap:.3f}",
                          "–" if f.chance is None else f"{f.chance:.3f}", "–" if f.p_value is None else f"{f.p_value:.3f}",
                          "[bold red]LEAK[/]" if f.leak else "at chance")
        table_console().print(table)
    found = leaks(findings)
    if found and not args.json:
        say("leaks", f"{len(found)} attack(s) beat chance on {args.bundle}", "bold red")
    return 1 if found else 0


def _registered_track(store, name: str):
    from benchmark.errors import BenchError

    track = next((t for t, _ in store.tracks() if t.name == name), None)
    if track is None:
        raise BenchError(f"track {name} is not registered in this store")
    return track


def run_phase_freeze(args: argparse.Namespace) -> int:
    from benchmark.leaderboards.store import Store
    from benchmark.leaderboards.submit import freeze_phase

    store = Store(args.store)
    track = _registered_track(store, args.track)
    rid = freeze_phase(store, track)
    say("phase frozen", f"{track.name}: ranked on the whole split from now on"
                        + (f" (ranking snapshot {rid})" if rid else "") + "; further submissions are refused")
    return 0


def run_translate(args: argparse.Namespace) -> int:
    from benchmark.errors import BenchError
    from benchmark.leaderboards.fit import open_part, translate
    from benchmark.leaderboards.gtpack import GTPack

    pack = GTPack(args.gt)
    if pack.ids_by_name is None:
        raise BenchError(f"{args.gt}: track {pack.track.name} is not hidden: its bundle names images by their ids")
    if not str(args.out).endswith(".zip"):
        raise BenchError(f"{args.out}: give a .zip to write")
    translate(pack, args.predictions, open_part(pack, args.predictions), args.out)
    say("translated", f"{args.predictions} -> {args.out} (the ids of {pack.track.name})")
    return 0


def run_phase_open(args: argparse.Namespace) -> int:
    from benchmark.leaderboards.store import Store
    from benchmark.leaderboards.submit import open_phase

    store = Store(args.store)
    track = _registered_track(store, args.track)
    number = open_phase(store, track)
    say("phase opened", f"{track.name}: phase {number} takes submissions, ranked on the whole split; the teams' "
                        "phase limits count from now")
    return 0


def run_init(args: argparse.Namespace) -> int:
    from benchmark.leaderboards.store import Store

    store = Store.create(args.store)
    say("results store", store.url)
    return 0


def run_add(args: argparse.Namespace) -> int:
    from benchmark.errors import BenchError
    from benchmark.leaderboards.gtpack import GTPack
    from benchmark.leaderboards.store import Store
    from benchmark.leaderboards.submit import add_reported, add_submission, read_reported

    store, pack = Store(args.store), GTPack(args.gt)
    if args.reported is not None:
        if args.predictions:
            raise BenchError("give predictions or --reported, not both")
        from benchmark.leaderboards.track import get_track

        # A pack keeps the track's scoring definition; the paper rows live in the track's file.
        rows = [read_reported(args.reported)] if args.reported else list(get_track(pack.track.name).reported)
        if not rows:
            raise BenchError(f"track {pack.track.name} packages no reported numbers; give a JSON file to --reported")
        for row in rows:
            say("reported", f"#{add_reported(store, pack, row)} {row.method} ({row.source})")
        return 0
    if not args.predictions:
        raise BenchError(f"give the predictions (one per part: {', '.join(pack.track.parts)}) or --reported")
    sid = add_submission(store, pack, args.predictions, submitter=args.submitter, method=args.method,
                         supervision=args.supervision, training_data=args.training_data, tier=args.provenance,
                         checkpoint=args.checkpoint, workers=args.workers, progress=not args.quiet)
    estimate = store.estimate(sid)
    position = store.latest_ranking(pack.track.name).get(sid, (None, None))[0]
    value = "undefined" if estimate.value is None else f"{estimate.value:.4f}"
    interval = "" if estimate.low is None else f" [{estimate.low:.4f}, {estimate.high:.4f}]"
    say("scored", f"#{sid} {store.submission(sid)['method']}: {estimate.metric} {value}{interval}, "
                  f"rank {position if position is not None else '–'} on {pack.track.name}")
    return 0


def run_build(args: argparse.Namespace) -> int:
    from benchmark.leaderboards.site import build_site
    from benchmark.leaderboards.store import Store

    written = build_site(Store(args.store), args.out, args.track or None)
    say("site", f"{args.out} ({len(written)} files; open {args.out}/index.html)")
    return 0
