"""MkDocs hook: the API pages read the code through one import root, `benchmark`, as users import
it, though `setup.cfg` maps the top-level `datasets/`, `baselines/` and `leaderboards/` into it.
griffe reads source files, not the editable install's import hook, so the package is laid out
as it is imported, with links, under `build/api-src/` before the pages are rendered."""
from __future__ import annotations

import shutil
from pathlib import Path

MAPPED = {"datasets": "datasets", "baselines": "baselines", "leaderboards": "leaderboards"}


def on_startup(command: str, dirty: bool) -> None:
    # on_startup, not on_config: mkdocstrings reads its search paths in its own on_config.
    root = Path(__file__).resolve().parent.parent
    tree = root / "build" / "api-src" / "benchmark"
    if tree.exists():
        shutil.rmtree(tree)
    tree.mkdir(parents=True)
    for entry in (root / "benchmark").iterdir():
        (tree / entry.name).symlink_to(entry)
    for name, folder in MAPPED.items():
        (tree / name).symlink_to(root / folder)
