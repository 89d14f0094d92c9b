"""The leaderboard pages: Jinja2 templates rendered into a static site (`bench leaderboard build`)
and, in part 2, by the live server with its own `links`. Sorting and filtering are links to other
views (pre-rendered here, query parameters there), so the table works without JavaScript; the
vendored script only sorts in place. Nothing on a page refers to another host."""
from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Iterable

from benchmark.errors import BenchError
from benchmark.outputs import new_folder

from .board import DEFAULT_SORT, FILTERS, Board, load_board
from .store import Store

ASSETS = ("leaderboard.js", "style.css")


def slug(value: str) -> str:
    """A file-name-safe form of a filter value (the filter links and file names agree on it)."""
    return re.sub(r"[^a-z0-9]+", "-", value.casefold()).strip("-")[:60] or "none"


class StaticLinks:
    """Relative links between the pages of the static site, from a page `depth` folders down."""

    def __init__(self, depth: int):
        self.up = "../" * depth

    def board(self, track: str, sort: tuple[str, str] = DEFAULT_SORT, filt: tuple[str, str] | None = None) -> str:
        return f"{self.up}tracks/{track}/{view_file(sort, filt)}"

    def entry(self, sid: int) -> str:
        return f"{self.up}entries/{sid}.html"

    def result(self, sid: int, part: str) -> str:
        return f"{self.up}entries/{sid}/{part}.json"

    def download(self, track: str, name: str) -> str:
        return f"{self.up}tracks/{track}/{name}"

    def asset(self, name: str) -> str:
        return f"{self.up}static/{name}"


def view_file(sort: tuple[str, str], filt: tuple[str, str] | None) -> str:
    key = sort[0] if re.fullmatch(r"[A-Za-z0-9_.=+-]{1,80}", sort[0]) else slug(sort[0])
    parts = ([f"{filt[0]}-{slug(filt[1])}"] if filt else []) + ([] if sort == DEFAULT_SORT else [f"sort-{key}-{sort[1]}"])
    return "--".join(parts) + ".html" if parts else "index.html"


def environment():
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(loader=PackageLoader("benchmark.leaderboards", "templates"),
                      autoescape=select_autoescape(["html"]), undefined=StrictUndefined, trim_blocks=True,
                      lstrip_blocks=True)
    env.filters["num"] = _num
    env.globals["FILTERS"] = FILTERS
    env.globals["slug"] = slug
    return env


def render_board(env, board: Board, boards: list[Board], links, sort: tuple[str, str] = DEFAULT_SORT,
                 filt: tuple[str, str] | None = None, plot: str | None = None) -> str:
    """One view of a board: sorted by `sort` (column, asc|desc), optionally filtered."""
    return env.get_template("board.html").render(
        board=board, boards=boards, links=links, sort=sort, filt=filt, rows=board.sorted_rows(sort[0], sort[1], filt),
        plot=plot, filters=board.filters())


def render_entry(env, board: Board, boards: list[Board], row, links) -> str:
    parts = [(part, sha, json.dumps(board.track.public_result(result), indent=1)) for part, (sha, result) in row.results.items()]
    confusion = row.results.get("clean", ("", {}))[1].get("metrics", {}).get("generator_confusion")
    return env.get_template("entry.html").render(board=board, boards=boards, row=row, links=links, parts=parts,
                                                 confusion=_shares(confusion) if confusion else None)


def build_site(store: Store, out: str | os.PathLike, tracks: Iterable[str] | None = None) -> list[Path]:
    """Render every registered track (or `tracks`) of the store into the new folder `out`; return
    the files written."""
    from importlib.resources import files

    names = list(tracks) if tracks else [t.name for t, _ in store.tracks()]
    if not names:
        raise BenchError("the store has no tracks yet (bench leaderboard add registers a track)")
    boards = [load_board(store, name) for name in names]
    out = new_folder(out)
    env = environment()
    written: list[Path] = []

    def write(rel: str, data: str | bytes) -> None:
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        (path.write_bytes if isinstance(data, bytes) else path.write_text)(data)
        written.append(path)

    for name in ASSETS:
        write(f"static/{name}", files("benchmark.leaderboards").joinpath("static", name).read_bytes())
    for board in boards:
        name = board.track.name
        plot = _robustness_plot(board, out / "tracks" / name / "robustness.png")
        if plot:
            written.append(plot)
        write(f"tracks/{name}/board.csv", board.to_csv())
        write(f"tracks/{name}/board.json", json.dumps(board.to_json(), indent=1) + "\n")
        views = [None] + [(key, value) for key, values in board.filters().items() for value in values]
        for filt in views:
            for column in board.columns:
                for direction in ("asc", "desc"):
                    sort = (column.key, direction)
                    write(f"tracks/{name}/{view_file(sort, filt)}",
                          render_board(env, board, boards, StaticLinks(2), sort, filt, plot and "robustness.png"))
        for row in board.rows:
            write(f"entries/{row.sid}.html", render_entry(env, board, boards, row, StaticLinks(1)))
            for part, (_, result) in row.results.items():
                write(f"entries/{row.sid}/{part}.json", json.dumps(board.track.public_result(result), indent=1) + "\n")
    first = boards[0]
    write("index.html", render_board(env, first, boards, StaticLinks(0), plot=(
        f"tracks/{first.track.name}/robustness.png" if (out / "tracks" / first.track.name / "robustness.png").exists() else None)))
    return written


def _robustness_plot(board: Board, out: Path) -> Path | None:
    """The ranking metric against each distortion, one curve per entry, from the stored results."""
    from benchmark.plots import plot_robustness

    if not board.track.distortions or not board.rows:
        return None
    # From what the board shows (the public views while the phase is open); a stored result names
    # its own distortion, a public view is named by its part.
    results = [{"distortion": part, **result, "method": f"#{row.sid} {row.method}"}
               for row in board.rows for part, result in row.shown.items()]
    out.parent.mkdir(parents=True, exist_ok=True)
    path, _ = plot_robustness(results, board.track.rank_by, out)
    return path


def _shares(confusion: dict) -> dict:
    """Row-normalised generator confusion (share of each GT generator's edited pixels)."""
    rows = []
    for name, counts in zip(confusion["rows"], confusion["counts"]):
        total = sum(counts) or 1
        rows.append((name, [c / total for c in counts]))
    return {"cols": confusion["cols"], "rows": rows}


def _num(value, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)
