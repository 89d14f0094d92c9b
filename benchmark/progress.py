"""Progress bars for long loops, on stderr so that `--json` output stays clean."""
from __future__ import annotations

from typing import Iterable, Iterator, Sequence, TypeVar

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

T = TypeVar("T")


def track(items: Iterable[T], description: str, total: int | None = None, enabled: bool = True,
          weights: Sequence[int] | None = None) -> Iterator[T]:
    """Yield `items` while a bar counts them; with `weights`, item i advances it by weights[i]
    (chunked work counts the images in each chunk, not the chunks)."""
    console = Console(stderr=True)
    if not (enabled and console.is_terminal):  # in a log file a finished bar is only a blank line
        yield from items
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        if weights is None:
            yield from progress.track(items, total=total, description=description)
            return
        task = progress.add_task(description, total=sum(weights))
        for item, weight in zip(items, weights):
            yield item
            progress.advance(task, weight)
