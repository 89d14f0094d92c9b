"""Every shell example of the documentation runs on the demo data, or is marked as needing what a
test machine lacks. The rules and the harness: tests/docs_examples.py; for users, the
"Examples that run" section of docs/contributing.md."""
from __future__ import annotations

from pathlib import Path

import pytest
from docs_examples import DEMO, DEMO_SEED, DEMO_SIZE, MARKS, ROOT, PageRun, blocks, capped, pages, problems_of, writes_demo

from benchmark.datasets.demo import write_demo

PAGES = pages()
# the pages with an example to run (test_every_block_is_an_example_or_marked_or_text reads them all)
RUN = [p for p in PAGES if any(b.lang == "bash" and b.mark is None for b in blocks(p)[0])]


def test_every_block_is_an_example_or_marked_or_text():
    problems = []
    for page in PAGES:
        found, mark_problems = blocks(page)
        problems += mark_problems
        for block in found:
            problems += problems_of(block)
    assert not problems, "\n".join(problems)


def test_marks_are_few_and_each_used():
    used = {need for page in PAGES for b in blocks(page)[0] for need in b.needs}
    assert used == set(MARKS), f"marks no block uses: {set(MARKS) - used} (remove them)"
    assert len(MARKS) <= 3


@pytest.fixture(scope="session")
def docs_demo(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("docs_demo")
    for fmt, n in DEMO.items():
        write_demo(fmt, base / fmt, images=n, size=DEMO_SIZE, seed=DEMO_SEED, workers=1)
    return base


@pytest.mark.slow
@pytest.mark.parametrize("page", RUN, ids=[p.relative_to(ROOT).as_posix() for p in RUN])
def test_examples_run(page, docs_demo, tmp_path):
    run = PageRun(page, tmp_path / "page", docs_demo)
    run.run()
    assert not run.failures, run.report()
    for block, argv, code, seconds in run.calls:
        print(f"{block}: {seconds:5.1f} s  bench {' '.join(argv)}")


# -- the harness itself ------------------------------------------------------------------------

def _page(tmp_path: Path, text: str) -> Path:
    page = tmp_path / "page.md"
    page.write_text(text)
    return page


def _run(tmp_path, docs_demo, text: str, monkeypatch) -> PageRun:
    import docs_examples

    tmp_path.mkdir(parents=True, exist_ok=True)
    monkeypatch.setattr(docs_examples, "ROOT", tmp_path)
    run = PageRun(_page(tmp_path, text), tmp_path / "work", docs_demo, timeout=120)
    run.run()
    return run


def test_harness_fails_on_a_failing_command_anywhere(tmp_path, docs_demo, monkeypatch):
    # a bench command that fails inside an && list, which `set -e` alone would let pass
    run = _run(tmp_path, docs_demo, "```bash\nbench data check --dataset diffseg --root nowhere && true\n"
                                   "echo after\n```\n", monkeypatch)
    assert any("page.md:1" in f and "exited with 2" in f for f in run.failures), run.failures
    # and a failing command of another kind stops the page
    run = _run(tmp_path / "b", docs_demo, "```bash\nls no-such-file\necho after\n```\n", monkeypatch)
    assert run.failures and "after" not in run.transcript.read_text().split("==>")[-1]


def test_harness_runs_blocks_in_order_in_one_folder_with_the_demo_data(tmp_path, docs_demo, monkeypatch):
    text = ("```bash\nbench data check --dataset cocoglide --root demo_data/cocoglide --json > check.json\n```\n\n"
            "<!-- needs: gpu -->\n```bash\nexit 3\n```\n\n"
            "```bash\npython3.11 -m venv .venv && . .venv/bin/activate && pip install -e . && pytest -q\n"
            "python -c 'import json; assert json.load(open(\"check.json\"))[\"splits\"][\"test\"][\"images\"] == 8'\n"
            "bench data check --dataset diffseg --root demo_data/diffseg | tail -n 3\n```\n")
    run = _run(tmp_path, docs_demo, text, monkeypatch)
    assert not run.failures, run.report()
    log = run.transcript.read_text()
    assert "page.md:6: not run (needs: gpu)" in log
    for skipped in ("python -m venv", ". .venv/bin/activate", "pip install -e .", "pytest -q"):
        assert f"skipped: {skipped}" in log
    # in-process: the redirected command and the plain one; the piped one ran as its own process
    assert [argv[:2] for _, argv, _, _ in run.calls] == [["data", "check"]]
    assert sorted(p.name for p in (tmp_path / "work" / "demo_data").iterdir()) == sorted(DEMO)
    # a command in the background or a pipeline is its own process, capped the same way
    run = _run(tmp_path / "c", docs_demo, "```bash\nbench data demo --format cocoglide --out d --workers 1 2>&1 | cat\n"
                                         "(bench data check --dataset cocoglide --root d > check.txt) &\nwait\n```\n",
               monkeypatch)
    assert not run.failures and run.calls == [], run.report()
    assert "cap: --size 96 added" in run.transcript.read_text()
    assert "all samples load and validate" in (tmp_path / "c" / "work" / "check.txt").read_text()


def test_harness_caps_and_says_so(tmp_path):
    assert capped(["train", "--config", "x", "--max-iters", "1600"]) == (
        ["train", "--config", "x", "--max-iters", "2"], ["--max-iters 1600 capped to 2"])
    assert capped(["train", "--config", "x"])[0][-2:] == ["--max-iters", "2"]
    assert capped(["train", "--max-iters=1"])[1] == []
    argv, notes = capped(["data", "demo", "--format", "dolos", "--out", "d", "--seed", "7"])
    assert argv[-4:] == ["--size", str(DEMO_SIZE), "--images", str(DEMO["dolos"])] and len(notes) == 2
    assert capped(["eval", "--max-iters", "9"]) == (["eval", "--max-iters", "9"], [])
    argv, notes = capped(["experiment", "run", "x", "--cfg-options", "a=1"])
    assert argv[-2:] == ["--cfg-options", "train_cfg.max_iters=2"] and argv[3:5] == ["--cfg-options", "a=1"]
    assert capped(["experiment", "plan", "x", "--cfg-options", "train_cfg.max_iters=600", "b=2"])[0][3:6] == [
        "--cfg-options", "train_cfg.max_iters=2", "b=2"]
    assert writes_demo("bench data demo --format dolos \\\n  --out demo_data/dolos/ && bench x\n") == {"demo_data/dolos"}


def test_harness_rejects_what_would_escape_it(tmp_path):
    text = ("```sh\nbench x\n```\n\n```\nbench x\n```\n\n"
            "```bash\nbench data check --dataset diffseg|dolos --root PATH [--split S]\n```\n\n"
            "<!-- needs: cluster -->\n```bash\nsbatch x\n```\n\n<!-- needs: gpu -->\n\n```bash\nx\n```\n")
    found, mark_problems = blocks(_page(tmp_path, text))
    problems = mark_problems + [p for b in found for p in problems_of(b)]
    assert any("```sh" in p for p in problems)
    assert any("without a language" in p for p in problems)
    assert any("synopsis" in p for p in problems)
    assert any("unknown mark 'needs: cluster'" in p for p in problems)
    assert any("right above a bash block" in p for p in problems)
    # quoted brackets and pipes are data, not synopsis syntax
    ok = _page(tmp_path, "```bash\nbench x --dataset 'dolos[setup=A]' --out a # [--split S]\nbench y | head\n```\n")
    assert [p for b in blocks(ok)[0] for p in problems_of(b)] == []
