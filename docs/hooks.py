"""MkDocs hook: the pages that are made from other files.

- The API pages are written from the one list in `docs/api/pages.yml` (a page per area, the objects
  it documents) and get their navigation entries under the `API` entry of `mkdocs.yml`.
- mkdocstrings (griffe) reads source files, not the editable install's import hook, and
  `setup.cfg` maps the top-level `datasets/`, `baselines/` and `leaderboards/` into the one import
  root `benchmark`: the package is laid out as it is imported, with links, under `build/api-src/`.
- The home page is README.md, its links into `docs/` made relative to the site.
- The `<!-- needs: ... -->` mark above an example the tests do not run is shown as a line.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import yaml
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

ROOT = Path(__file__).resolve().parent.parent
API_LIST = ROOT / "docs" / "api" / "pages.yml"
API_INDEX = "api/index.md"
MAPPED = {"datasets": "datasets", "baselines": "baselines", "leaderboards": "leaderboards"}


def _api_pages() -> list[dict]:
    pages = yaml.safe_load(API_LIST.read_text())
    for page in pages:
        missing = {"page", "title", "intro", "objects"} - set(page)
        if missing:
            raise ValueError(f"{API_LIST}: page {page.get('page', '?')} lacks {', '.join(sorted(missing))}")
    return pages


def on_startup(command: str, dirty: bool) -> None:
    # on_startup, not on_config: mkdocstrings reads its search paths in its own on_config.
    tree = ROOT / "build" / "api-src" / "benchmark"
    if tree.exists():
        shutil.rmtree(tree)
    tree.mkdir(parents=True)
    for entry in (ROOT / "benchmark").iterdir():
        (tree / entry.name).symlink_to(entry)
    for name, folder in MAPPED.items():
        (tree / name).symlink_to(ROOT / folder)


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    children = [API_INDEX] + [{p["title"]: f"api/{p['page']}.md"} for p in _api_pages()]
    for item in config.nav:
        if isinstance(item, dict) and list(item.values()) == [API_INDEX]:
            item[next(iter(item))] = children
            return config
    raise ValueError(f"mkdocs.yml: the nav has no entry '{API_INDEX}' to hang the API pages under")


def on_files(files: Files, config: MkDocsConfig) -> Files:
    pages = _api_pages()
    index = ["# API reference", "",
             "Generated from the docstrings of the public API; the list of pages and objects is "
             "`docs/api/pages.yml`.", "",
             "| page | objects |", "|---|---|"]
    for p in pages:
        names = ", ".join(f"`{o.rsplit('.', 1)[-1]}`" for o in p["objects"])
        index.append(f"| [{p['title']}]({p['page']}.md) | {names} |")
        text = [f"# {p['title']}", "", p["intro"], ""] + [f"::: {o}\n" for o in p["objects"]]
        files.append(File.generated(config, f"api/{p['page']}.md", content="\n".join(text)))
    files.append(File.generated(config, API_INDEX, content="\n".join(index) + "\n"))
    return files


NEEDS_RE = re.compile(r"^<!--\s*needs:\s*(?P<needs>.*?)\s*-->$", re.M)
NEEDS_WORDS = {"gpu": "CUDA GPUs", "network": "a network"}


def _needs(match: re.Match) -> str:
    # The mark above an example the tests do not run (tests/docs_examples.py), shown to readers too.
    needs = [NEEDS_WORDS.get(n.strip(), n.strip()) for n in match["needs"].split(",")]
    return f"*Needs {' and '.join(needs)}.*\n"


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    if page.file.src_uri == "index.md":
        markdown = re.sub(r"\]\(docs/", "](", (ROOT / "README.md").read_text())
    return NEEDS_RE.sub(_needs, markdown)
