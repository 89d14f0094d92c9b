"""Status lines for the CLI. Paths and messages are user text: rich would read `[row 0:3]` or
`[/x]` in them as markup (dropping it, or failing on it), so they are escaped."""
from __future__ import annotations

from rich.console import Console
from rich.markup import escape


def say(label: str, text: object, style: str = "green", stderr: bool = False) -> None:
    """Print `label` in `style`, then `text` verbatim."""
    Console(stderr=stderr).print(f"[{style}]{label}[/] {escape(str(text))}", highlight=False, soft_wrap=True)


def table_console() -> Console:
    """A console for tables: the terminal's width, or wide enough that names are not cut when the
    output goes to a file or a pipe (the logs of cluster jobs), where rich would assume 80."""
    console = Console()
    return console if console.is_terminal else Console(width=200)
