"""The documentation site builds with warnings as errors (the CI build: this test runs under the
README's test command and `.ci/run`)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytest.importorskip("mkdocs", reason="the docs build needs the docs tools: pip install -e '.[test]'")


def test_docs_build_strict(tmp_path):
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "NO_COLOR": "1"}
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(ROOT / "mkdocs.yml"),
                           "--site-dir", str(tmp_path / "site")], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{log}"
    # --strict aborts on the warnings mkdocs counts; this also catches any a plugin logs past it
    warnings = [line for line in log.splitlines() if "WARNING" in line or "ERROR" in line]
    assert not warnings, "\n".join(warnings)
    site = tmp_path / "site"
    pages = {p.relative_to(site).as_posix() for p in site.rglob("index.html")}
    for page in ("index.html", "datasets/index.html", "scoring/index.html", "training/index.html",
                 "experiments/index.html", "leaderboard/index.html", "speed/index.html", "api/index.html",
                 "api/datasets/index.html", "api/scoring/index.html", "contributing/index.html"):
        assert page in pages, f"{page} missing from the site ({sorted(pages)})"
    # the API pages hold the rendered docstrings, not the directives
    api = (site / "api" / "scoring" / "index.html").read_text()
    assert "Score a predictions folder/zip" in api and ":::" not in api
    # the home page is the README, its links pointing into the site
    home = (site / "index.html").read_text()
    assert 'href="datasets/"' in home and 'href="docs/' not in home
