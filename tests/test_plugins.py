"""Detectors, datasets and tracks from other packages, through the entry-point groups `bench.baselines`,
`bench.datasets` and `bench.tracks`: the plugin package docs/training.md shows (its detector module
and pyproject.toml entry points taken from the page), put on sys.path with the dist-info `pip
install` would leave, found at lookup time; its detector gets the shared contract tests by naming
it, trains with `bench train --baseline NAME` and is scored by `bench eval`; a broken plugin is one
line naming its package."""
import json
import sys
import tomllib
from pathlib import Path

import pytest
from docs_examples import ROOT, blocks

from benchmark.baselines.testing import BaselineContract
from benchmark.cli.main import main
from benchmark.errors import BenchError
from benchmark.registry import BASELINES, DATASETS, TRACKS, lookup, names


def documented(first_line: str) -> str:
    """The code block of docs/training.md that starts with `first_line`: the plugin the docs show
    is the one installed here."""
    found = [b.text for b in blocks(ROOT / "docs" / "training.md")[0] if b.text.startswith(first_line)]
    assert len(found) == 1, f"docs/training.md: one code block starting {first_line!r} expected, found {len(found)}"
    return found[0]


DETECTORS = documented("# my_detectors/tiny.py") + '''

class NotADetector(nn.Module):
    pass


CONSTANT = 3
'''

CONFIG = documented("# my_detectors/tiny_net_config.py")

DATA_MODULE = '''
from benchmark.datasets.diffseg import DiffSeg30k


class MyAdapter(DiffSeg30k):
    name = "my_data"
'''

TRACKS_MODULE = '''
from benchmark.leaderboards.track import Track


def my_track():
    return Track(name="my-track", title="Mine", dataset="my_data", split="val", task="binary", rank_by="miou")
'''

# the entry points of the docs' pyproject.toml
GOOD = tomllib.loads(documented("# pyproject.toml of your package"))["project"]["entry-points"]


@pytest.fixture
def install(tmp_path, monkeypatch):
    """install(entry_points, package): the docs' package `my_detectors` (or another name) in a
    folder put on sys.path beside its dist-info; undone afterwards, registrations included."""
    before = {registry: set(registry.module_dict) for registry in (BASELINES, DATASETS, TRACKS)}

    def install_(entry_points: dict, package: str = "my_detectors") -> Path:
        folder = tmp_path / f"site-{package}"
        code = folder / package
        code.mkdir(parents=True)
        (code / "__init__.py").write_text("")
        (code / "tiny.py").write_text(DETECTORS)
        (code / "tiny_net_config.py").write_text(CONFIG)
        (code / "data.py").write_text(DATA_MODULE)
        (code / "tracks.py").write_text(TRACKS_MODULE)
        info = folder / f"{package}-0.1.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {package}\nVersion: 0.1\n")
        (info / "entry_points.txt").write_text("".join(
            f"[{group}]\n" + "".join(f"{name} = {value}\n" for name, value in entries.items()) + "\n"
            for group, entries in entry_points.items()))
        monkeypatch.syspath_prepend(str(folder))
        return folder

    yield install_
    for registry, names_before in before.items():
        for name in set(registry.module_dict) - names_before:
            registry.forget(name)
    for module in [m for m in sys.modules if m.split(".")[0] in ("my_detectors", "brokenplug")]:
        del sys.modules[module]


@pytest.fixture
def plugin(install):
    return install(GOOD)


class TestPluginDetectorContract(BaselineContract):
    """What a plugin package's own tests write to get the contract suite for its detector."""

    baselines = ["tiny_net"]

    @pytest.fixture(autouse=True)
    def _installed(self, plugin):
        pass


def test_a_plugin_is_found_at_lookup_time_in_every_group(plugin, demo_roots):
    from benchmark.datasets.spec import DatasetSpec
    from benchmark.leaderboards.track import get_track

    assert lookup(BASELINES, "tiny_net").__module__ == "my_detectors.tiny"  # the registry was loaded before
    assert "tiny_net" in names(BASELINES) and "my_data" in names(DATASETS)
    mirror = DatasetSpec.of("my_data").build(demo_roots["diffseg"], "val")
    original = DatasetSpec.of("diffseg").build(demo_roots["diffseg"], "val")
    assert mirror.ids == original.ids and len(mirror) > 0
    track = get_track("my-track")
    assert track.dataset == "my_data" and "my-track" in names(TRACKS)


def test_a_plugin_detector_trains_with_bench_train_and_is_scored_by_bench_eval(plugin, demo_roots, tmp_path, capsys):
    root, work = str(demo_roots["diffseg"]), tmp_path / "work"
    assert main(["train", "--baseline", "tiny_net", "--dataset", "diffseg", "--root", root, "--work-dir", str(work),
                 "--no-progress"]) == 0
    run = json.loads((work / "run.json").read_text())
    assert run["model"]["type"] == "tiny_net" and run["score_rule"] == "max" and run["max_iters"] == 6
    out = tmp_path / "eval"
    assert main(["eval", "--checkpoint", str(work), "--dataset", "diffseg", "--root", root, "--split", "val",
                 "--distortion", "clean,jpeg60", "--out", str(out), "--quiet"]) == 0
    results = {p.stem: json.loads(p.read_text()) for p in (out / "results").glob("*.json")}
    assert set(results) == {"clean", "jpeg60"}
    for result in results.values():
        assert result["method"] == "tiny_net" and result["submission"]["baseline"] == "tiny_net"
        assert result["submission"]["score_rule"] == "max"
        assert 0.0 <= result["metrics"]["miou"] <= 1.0 and result["n_images"] == len(
            lookup(DATASETS, "diffseg")(root, "val"))


@pytest.mark.parametrize("entry, problem", [
    ("ghost = brokenplug.missing:Ghost", r"cannot load it \(ModuleNotFoundError: No module named 'brokenplug.missing'\)"),
    ("plain = brokenplug.tiny:NotADetector",
     r"NotADetector is not a baseline \(a baseline is a class derived from benchmark.baselines.contract.Detector\)"),
    ("deeplabv3plus = brokenplug.tiny:TinyNet",
     "the baseline name 'deeplabv3plus' is taken by benchmark.baselines.deeplabv3plus.DeepLabV3Plus"),
    ("three = brokenplug.tiny:CONSTANT", "is a int, not a class, a function or a module"),
    ("quiet = brokenplug.tiny", "importing the module registered no baseline named 'quiet'"),
])
def test_a_broken_plugin_is_one_line_naming_its_package(install, entry, problem, tmp_path, capsys):
    name, value = (part.strip() for part in entry.split("="))
    install({"bench.baselines": {name: value}}, package="brokenplug")
    with pytest.raises(BenchError, match=rf"^plugin package 'brokenplug' \(bench.baselines entry point '{entry}'\): {problem}"):
        names(BASELINES)
    assert main(["train", "--baseline", "nonesuch", "--dataset", "diffseg", "--root", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "plugin package 'brokenplug'" in err and "Traceback" not in err
