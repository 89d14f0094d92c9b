"""The demo flow end to end (tools/leaderboard_demo.py: freeze three DiffSeg tracks, add perfect,
noisy and all-background submissions and the paper's rows, build the site), checked by parsing
the pages and, where Debian's chromium and Playwright are installed, in headless Chromium."""
import csv
import io
import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from leaderboard_helpers import demo

SCREENSHOT_COPY = Path("/tmp/leaderboard_screenshot.png")
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    return demo(tmp_path_factory.mktemp("leaderboard-demo"))


class Page(HTMLParser):
    """Links, image sources, tabs and the board's rows (cell data-v values and texts) of a page."""

    def __init__(self, path: Path):
        super().__init__()
        self.links, self.sources, self.tabs, self.headers, self.rows = [], [], [], [], []
        self._cell = None
        self.feed(path.read_text())

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a":
            self.links.append(a["href"])
            if "tab" in a.get("class", ""):
                self.tabs.append(a["href"])
        if tag in ("img", "script") and "src" in a:
            self.sources.append(a["src"])
        if tag == "link":
            self.sources.append(a["href"])
        if tag == "th" and "data-key" in a:
            self.headers.append(a["data-key"])
        if tag == "tr" and "data-submission" in a:
            self.rows.append({"_tier": a["class"]})
        if tag == "td" and self.rows and "data-v" in a:
            self._cell = a["data-v"]

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self.rows[-1].setdefault("_values", []).append(self._cell)
            self._cell = None

    def column(self, key):
        i = self.headers.index(key)
        return [r["_values"][i] for r in self.rows]


def test_pages_parse_sort_and_link_without_javascript(site):
    index = Page(site / "index.html")
    assert len(index.tabs) == 3 and all((site / t).is_file() for t in index.tabs)
    for link in index.links + index.sources:
        assert (site / link).is_file(), link
    board = Page(site / "tracks" / "diffseg-binary" / "index.html")
    assert board.column("method")[:3] == ["perfect", "noisy", "background"]
    assert board.column("rank") == ["1", "2", "3", "", ""]  # the paper rows are shown, not ranked
    assert [r["_tier"] for r in board.rows][3:] == ["reported", "reported"]
    link = next(h for h in board.links if "sort-m-bf1-desc" in h)
    by_bf1 = Page(site / "tracks" / "diffseg-binary" / link)
    values = [float(v) for v in by_bf1.column("m-bf1") if v]
    assert values == sorted(values, reverse=True) and len(values) == 5
    reported = Page(site / "tracks" / "diffseg-binary" / "tier-reported.html")
    assert {r["_tier"] for r in reported.rows} == {"reported"} and len(reported.rows) == 2
    robust = Page(site / "tracks" / "diffseg-robustness" / "index.html")
    assert "robustness.png" in robust.sources and {"d-jpeg80", "d-resize1024", "drop"} <= set(robust.headers)
    parts = ("d-jpeg80", "d-jpeg60", "d-resize256", "d-resize1024")
    for k, drop in enumerate(robust.column("drop")[:3]):
        clean = float(robust.column("m-miou")[k])
        if clean:  # the one robustness drop: 1 - mean over the distortions / clean
            expected = 1 - sum(float(robust.column(p)[k]) for p in parts) / len(parts) / clean
            assert float(drop) == pytest.approx(expected, abs=1e-12)
    rows = list(csv.DictReader(io.StringIO((site / "tracks" / "diffseg-binary" / "board.csv").read_text())))
    assert [r["method"] for r in rows][:3] == ["perfect", "noisy", "background"] and rows[1]["ci95_low"]
    for r in Page(site / "tracks" / "diffseg-attribution" / "index.html").rows[:3]:
        assert r["_values"]  # per-generator and per-turn cells exist
    assert "Generator confusion" in (site / "entries" / "6.html").read_text()


def test_no_page_refers_to_another_host(site):
    external = re.compile(r"(?:https?:|ftp:)?//[A-Za-z0-9]|url\(\s*['\"]?(?:https?:)?//", re.I)
    for path in site.rglob("*"):
        if path.suffix in (".html", ".css", ".js"):
            text = path.read_text()
            # '//' also starts JavaScript comments: only attributes and CSS urls are looked at there
            scan = re.findall(r"""(?:src|href|action)\s*=\s*["']([^"']*)""", text) if path.suffix != ".css" else [text]
            assert not [s for s in scan if external.search(s)], path
            assert "http://" not in text and "https://" not in text, path


def test_in_headless_chromium(site, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed (pip install playwright)")
    if not os.access(CHROMIUM, os.X_OK):
        print(f"headless Chromium test skipped: {CHROMIUM} missing (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} missing (apt-get install chromium)")
    requests = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1500, "height": 900})
        page.on("request", lambda r: requests.append(r.url))
        page.goto((site / "index.html").as_uri())
        assert page.locator("nav.tabs a.tab").count() == 3
        first = page.locator("table.board tbody tr td:nth-child(2)").all_inner_texts()
        page.locator("table.board th[data-key='m-bf1'] a").click()  # sorted in place by the vendored script
        assert page.url.endswith("index.html")
        sorted_by_bf1 = page.locator("table.board tbody tr td:nth-child(2)").all_inner_texts()
        assert sorted(sorted_by_bf1) == sorted(first)
        assert page.locator("table.board th[data-key='m-bf1']").get_attribute("aria-sort") in ("ascending", "descending")
        page.locator("nav.tabs a.tab", has_text="robustness").click()
        page.wait_for_url(re.compile(r"diffseg-robustness/index\.html$"))
        page.locator("table.board th[data-key='drop'] a").click()
        drops = [float(v) for v in page.locator("table.board tbody td[data-v]").evaluate_all(
            "cells => cells.filter(c => c.cellIndex === cells[0].parentElement.parentElement.parentElement"
            ".querySelector(\"th[data-key='drop']\").cellIndex).map(c => c.dataset.v).filter(v => v !== '')")]
        assert drops == sorted(drops) or drops == sorted(drops, reverse=True)
        assert page.locator("figure.plot img").evaluate("img => img.naturalWidth") > 0
        shot = tmp_path / "leaderboard.png"
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    assert all(u.startswith("file://") for u in requests), [u for u in requests if not u.startswith("file://")]
    try:
        shutil.copyfile(shot, SCREENSHOT_COPY)  # a copy to look at
    except OSError:
        pass
    assert shot.stat().st_size > 10_000
