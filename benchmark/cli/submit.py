"""`bench submit`: upload a submission to a leaderboard server and, with --wait, wait for its score."""
from __future__ import annotations

import argparse
import json

from rich_argparse import RichHelpFormatter

from .console import say


def add_parser(sub) -> None:
    p = sub.add_parser("submit", formatter_class=RichHelpFormatter,
                       help="upload predictions to a leaderboard server (bench leaderboard serve)")
    p.add_argument("predictions", nargs="+", help="predictions zips, one per part of the track (bench pack --out)")
    p.add_argument("--track", required=True, help="track name on the server")
    p.add_argument("--server", required=True, help="server URL, e.g. http://127.0.0.1:8000")
    p.add_argument("--token-file", required=True, help="file holding the team's token (bench leaderboard team add)")
    p.add_argument("--bundle", help="the participant bundle the predictions were made on: its split hash is checked")
    p.add_argument("--method", help="method name (default: the predictions' manifest; must agree with it)")
    p.add_argument("--supervision", help="e.g. 'pixel masks', 'image labels', 'none'")
    p.add_argument("--training-data", help="what the method was trained on")
    p.add_argument("--wait", action="store_true", help="wait until the submission is scored or failed")
    p.add_argument("--timeout", type=float, default=900, help="seconds to wait with --wait (default: 900)")
    p.add_argument("--json", action="store_true", help="print the server's answer as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run_submit)


def run_submit(args: argparse.Namespace) -> int:
    from benchmark.leaderboards.client import Client, bundle_split_hash, read_token

    fields = {"method": args.method, "supervision": args.supervision, "training_data": args.training_data,
              "split_hash": bundle_split_hash(args.bundle, args.track) if args.bundle else None}
    client = Client(args.server, read_token(args.token_file))
    try:
        answer = client.submit(args.track, args.predictions, {k: v for k, v in fields.items() if v},
                               progress=not args.quiet)
        if not args.json:
            say("queued", f"submission {answer['submission']} ({answer['method']}) on {args.track}")
        if args.wait:
            answer = client.wait(answer["submission"], args.timeout)
    finally:
        client.close()
    if args.json:
        print(json.dumps(answer, indent=1))
    elif answer["status"] == "scored":
        ci = answer["ci95"]
        interval = f" [{ci[0]:.4f}, {ci[1]:.4f}]" if ci and ci[0] is not None else ""
        score = "undefined" if answer["score"] is None else f"{answer['score']:.4f}"
        say("scored", f"#{answer['submission']}: {answer['metric']} {score}{interval}, rank "
                      f"{answer['rank'] if answer['rank'] is not None else '–'}")
    elif answer["status"] == "failed":
        say("failed", f"#{answer['submission']}: {answer['message']} ({answer['error']})", "bold red")
    return 1 if answer.get("status") == "failed" else 0
