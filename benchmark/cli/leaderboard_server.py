"""`bench leaderboard serve | worker | team`: the submission server, its scoring workers and the
teams that may submit."""
from __future__ import annotations

import argparse

from rich_argparse import RichHelpFormatter

from .console import say, table_console

STORE_HELP = "results store: a SQLite file path, or a database URL such as postgresql://user@host/db"


def add_parsers(lb) -> None:
    q = lb.add_parser("serve", formatter_class=RichHelpFormatter,
                      help="run the submission server: live board, entry pages and the JSON API")
    q.add_argument("--store", required=True, help=STORE_HELP)
    q.add_argument("--gt", required=True, action="append", help="a track's GT pack (repeat for several tracks)")
    q.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    q.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    q.add_argument("--jobs", help="folder for uploads, shared with the workers (default: STORE.jobs beside a "
                                  "SQLite store, ./bench-jobs otherwise)")
    q.add_argument("--max-upload-mb", type=int, default=256, help="cap of one upload as sent (default: 256)")
    q.set_defaults(func=run_serve)

    q = lb.add_parser("worker", formatter_class=RichHelpFormatter,
                      help="score uploaded submissions (run any number, on any machine sharing the store)")
    q.add_argument("--store", required=True, help=STORE_HELP)
    q.add_argument("--gt", required=True, action="append", help="GT pack of a track to score (repeatable)")
    q.add_argument("--time-limit", type=float, default=900, help="seconds one scoring may take (default: 900)")
    q.add_argument("--memory-mb", type=int, default=4096, help="memory one scoring may use (default: 4096)")
    q.add_argument("--lease", type=float, default=30, help="seconds after which a silent worker's job is "
                                                           "claimed again (default: 30)")
    q.add_argument("--max-jobs", type=int, help="stop after this many jobs (default: run until interrupted)")
    q.add_argument("--exit-when-idle", type=float, metavar="SECONDS",
                   help="stop once the queue stayed empty this long")
    q.set_defaults(func=run_worker)

    team = lb.add_parser("team", formatter_class=RichHelpFormatter, help="teams allowed to submit to the server")
    tc = team.add_subparsers(dest="team_command", metavar="COMMAND", required=True)
    q = tc.add_parser("add", formatter_class=RichHelpFormatter, help="add a team; its token is written to a new file")
    q.add_argument("name", help="team name (shown as the submitter)")
    q.add_argument("--store", required=True, help=STORE_HELP)
    q.add_argument("--token-file", required=True, help="new file to write the team's token to (mode 0600)")
    q.add_argument("--daily", type=int, help="submissions per track and UTC day (default: no limit)")
    q.add_argument("--phase", type=int, help="submissions per track in this phase (default: no limit)")
    q.set_defaults(func=run_team_add)
    q = tc.add_parser("list", formatter_class=RichHelpFormatter, help="the teams and their limits")
    q.add_argument("--store", required=True, help=STORE_HELP)
    q.set_defaults(func=run_team_list)


def run_serve(args: argparse.Namespace) -> int:
    from benchmark.errors import BenchError
    from benchmark.leaderboards.web.screening import Caps
    from benchmark.leaderboards.web.server import serve

    if args.max_upload_mb < 1:
        raise BenchError("--max-upload-mb is at least 1")
    serve(args.store, args.gt, args.host, args.port, args.jobs, Caps(upload_bytes=args.max_upload_mb << 20))
    return 0


def run_worker(args: argparse.Namespace) -> int:
    from benchmark.leaderboards.worker import Limits, run_worker as work

    limits = Limits(lease_s=args.lease, time_s=args.time_limit, memory_mb=args.memory_mb)
    done = work(args.store, args.gt, limits, max_jobs=args.max_jobs, idle_exit_s=args.exit_when_idle,
                report=lambda line: say("worker", line))
    say("worker", f"stopped after {done} job(s)")
    return 0


def run_team_add(args: argparse.Namespace) -> int:
    from benchmark.leaderboards.store import Store
    from benchmark.leaderboards.teams import add_team

    tid = add_team(Store(args.store), args.name, args.token_file, args.daily, args.phase)
    say("team", f"#{tid} {args.name}: token written to {args.token_file} (give it to the team; it is shown nowhere else)")
    return 0


def run_team_list(args: argparse.Namespace) -> int:
    from rich.markup import escape
    from rich.table import Table

    from benchmark.leaderboards.store import Store

    table = Table("#", "team", "daily limit", "phase limit", "created", title="teams")
    for t in Store(args.store).teams():
        table.add_row(str(t["id"]), escape(t["name"]), str(t["daily_limit"] or "–"), str(t["phase_limit"] or "–"),
                      t["created_at"][:19])
    table_console().print(table)
    return 0
