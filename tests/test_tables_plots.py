"""Tables and plots are built from result files alone."""
import json

import numpy as np
import pandas as pd
import pytest
from diffseg_fixtures import GENERATORS, make_diffseg
from PIL import Image

from benchmark.cli.main import main
from benchmark.datasets import DatasetSpec, DiffSeg30k
from benchmark.errors import BenchError
from benchmark.predictions import write_predictions
from benchmark.results import build_result, write_result
from benchmark.scoring import score_predictions
from benchmark.tables import build_grid, render


def _result(method, distortion="clean", threshold=0.5, train=None, **metrics):
    return build_result(dataset=DatasetSpec.of("diffseg"), split="train", task="binary", method=method,
                        distortion=distortion, policy={"pixel_threshold": threshold},
                        provenance={"split_manifest_hash": "h"},
                        metrics=metrics, breakdowns={"turns": {"1": {"miou": metrics.get("miou", 0) / 2}}},
                        n_images=3, warnings=[], submission={"train_generators": train} if train else None)


def test_model_by_metric_and_formats():
    results = [_result("fcn", pixel_acc=0.566, miou=0.366, bf1=0.363),
               _result("deeplab", pixel_acc=0.984, miou=0.974, bf1=0.761)]
    grid = build_grid(results, "method", "metric")
    assert grid.rows == ["fcn", "deeplab"] and grid.cols == ["pixel_acc", "miou", "bf1"]
    assert grid.cells[("deeplab", "miou")] == 0.974 and grid.warnings == []
    md = render(grid, "markdown")
    assert "| deeplab" in md and "0.974" in md and "0.363" in md
    assert "\\toprule" in render(grid, "latex") and "97.4" in render(grid, "latex", digits=1, scale=100)
    assert render(grid, "csv").splitlines()[2] == "deeplab,0.984,0.974,0.761"


def test_distortion_rows_cross_generator_and_breakdowns():
    results = [_result("d", distortion=d, miou=v) for d, v in (("clean", 0.97), ("jpeg80", 0.85), ("jpeg60", 0.78))]
    grid = build_grid(results, "distortion", "metric", ["miou"])
    assert [grid.cells[(d, "miou")] for d in grid.rows] == [0.97, 0.85, 0.78]
    cross = [_result("p", train=["repaint"], iou_per_generator={"repaint": 0.841, "ldm": 0.195}),
             _result("p", train=["ldm"], iou_per_generator={"repaint": 0.115, "ldm": 0.181})]
    grid = build_grid(cross, "class", "train_generators", ["iou_per_generator"])
    assert grid.cells[("ldm", "repaint")] == 0.195 and grid.cells[("repaint", "ldm")] == 0.115
    turns = build_grid(results, "turns", "distortion", ["miou"])
    assert turns.cells[("1", "jpeg80")] == pytest.approx(0.425)


def test_ambiguous_cells_and_mixed_policies():
    with pytest.raises(BenchError, match="both fill the cell"):
        build_grid([_result("a", miou=0.1), _result("a", distortion="jpeg60", miou=0.2)], "method", "metric")
    grid = build_grid([_result("a", miou=0.1), _result("b", threshold=0.3, miou=0.2)], "method", "metric")
    assert any("threshold" in w for w in grid.warnings)
    assert not build_grid([_result("a", miou=0.1), _result("b", threshold=0.3, miou=0.2)], "pixel_threshold", "metric").warnings


def test_table_cli(tmp_path, capsys):
    paths = []
    for i, (m, v) in enumerate((("fcn", 0.366), ("deeplab", 0.974))):
        paths.append(str(write_result(_result(m, miou=v), tmp_path / f"{i}.json")))
    assert main(["table", *paths, "--rows", "method", "--cols", "metric", "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert "0.974" in out and "fcn" in out
    assert main(["table", *paths, "--rows", "method", "--cols", "nothing"]) == 2


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    """A JPEG sweep: a detector whose masks erode more as quality drops, scored per severity."""
    tmp = tmp_path_factory.mktemp("sweep")
    root = make_diffseg(tmp / "ds", n=9, sizes=((64, 64),))
    ds = DiffSeg30k(root, split="train")
    gts = {r.image_id: ds.load_target(r).mask for r in ds.records}
    paths = []
    for spec, shrink in (("clean", 0), ("jpeg90", 1), ("jpeg60", 3), ("jpeg30", 6)):
        def masks():
            for i, m in gts.items():
                pred = m.copy()
                if shrink:
                    pred[:shrink], pred[:, :shrink] = 0, 0
                    edited = np.argwhere(m > 0)
                    if len(edited):
                        (y0, x0), (y1, x1) = edited.min(0), edited.max(0)
                        pred[y0:y0 + shrink, x0:x1 + 1] = 0
                yield i, pred
        pred = write_predictions(tmp / spec, "semantic", "diffseg", "train", GENERATORS, "toy", masks(),
                                 extra_manifest={"distortion": spec})
        result = score_predictions(pred, "diffseg", root, "train", workers=1, progress=False,
                                   per_image_csv=tmp / f"{spec}.csv")
        paths.append(str(write_result(result, tmp / f"{spec}.json")))
    return tmp, paths


@pytest.fixture
def figures(monkeypatch):
    """The matplotlib figures the plot commands save, kept for reading their artists back."""
    import benchmark.plots as plots

    kept, save = [], plots._save
    monkeypatch.setattr(plots, "_save", lambda fig, out: (kept.append(fig), save(fig, out))[1])
    return kept


def test_sweep_writes_a_robustness_curve(sweep, capsys, figures):
    tmp, paths = sweep
    results = [json.loads(open(p).read()) for p in paths]
    values = [r["metrics"]["miou"] for r in results]
    assert values[0] == 1.0 and values[0] > values[1] > values[3]
    out = tmp / "curve.png"
    assert main(["plot", "robustness", *paths, "--metric", "miou", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"{1 - np.mean(values[1:]) / values[0]:.1%}" in printed    # relative drop: 1 - mean(distorted) / clean
    (ax,) = figures[0].axes
    (line,) = ax.get_lines()
    # clean drawn at JPEG's identity quality 100, then 90, 60, 30; severity grows to the right
    assert list(line.get_xdata()) == [30, 60, 90, 100] and ax.xaxis_inverted()
    assert list(line.get_ydata()) == [values[3], values[2], values[1], values[0]]
    assert line.get_label() == "toy" and ax.get_ylabel() == "miou" and ax.get_title() == "miou under jpeg"
    assert Image.open(out).size == tuple(int(v * 130) for v in figures[0].get_size_inches())
    assert main(["plot", "robustness", *paths, "--metric", "miou", "--out", str(out)]) == 2   # never overwritten


def test_one_robustness_drop_for_plots_tables_and_boards():
    """The plots' summary, the experiments' tables and the boards all call relative_drop: 1 - the
    mean of the distorted values / the clean value, which is the mean of each one's relative drop."""
    from benchmark.metrics.robustness import relative_drop
    from benchmark.plots import robustness_summary

    clean, distorted = 0.8, [0.7, 0.5, 0.2]
    assert relative_drop(clean, distorted) == pytest.approx(np.mean([1 - v / clean for v in distorted]))
    assert relative_drop(clean, distorted) == pytest.approx(1 - np.mean(distorted) / clean)
    assert relative_drop(0.0, distorted) is None and relative_drop(None, distorted) is None
    assert relative_drop(clean, [0.7, None]) is None and relative_drop(clean, [0.7, float("nan")]) is None
    assert relative_drop(clean, []) is None
    row, = robustness_summary({"m": {"clean": clean, "jpeg": [(90, 0.7), (60, 0.5), (30, 0.2)]}})
    assert row["relative_drop"] == relative_drop(clean, distorted) and row["worst"] == 0.2


def test_confusion_plot_shows_the_row_shares(sweep, figures):
    tmp, paths = sweep
    conf = json.loads(open(paths[2]).read())["metrics"]["generator_confusion"]
    assert main(["plot", "confusion", paths[2], "--out", str(tmp / "confusion.png")]) == 0
    ax = figures[0].axes[0]
    counts = np.array(conf["counts"], float)
    share = np.divide(counts, counts.sum(1, keepdims=True), out=np.zeros_like(counts), where=counts.sum(1, keepdims=True) > 0)
    assert np.array_equal(ax.get_images()[0].get_array(), share)
    assert [t.get_text() for t in ax.get_yticklabels()] == conf["rows"] == GENERATORS
    assert [t.get_text() for t in ax.get_xticklabels()] == conf["cols"]
    assert [t.get_text() for t in ax.texts] == [f"{v:.2f}" for v in share.ravel()]
    assert share[0, 1] > 0.5  # jpeg60 erodes masks but keeps the generator right


def test_area_plots_show_every_edited_image_and_the_bin_means(sweep, figures):
    tmp, paths = sweep
    frame = pd.read_csv(tmp / "jpeg60.csv")
    assert {"edited_area", "iou", "label"} <= set(frame.columns)
    assert main(["plot", "area", str(tmp / "jpeg60.csv"), "--metric", "iou", "--out", str(tmp / "area.png")]) == 0
    ax = figures[0].axes[0]
    edited = frame[(frame["label"] == 1) & frame["iou"].notna()]
    points = ax.collections[0].get_offsets()
    assert sorted(map(tuple, np.asarray(points))) == sorted(zip(edited["edited_area"], edited["iou"]))
    # bin means: images between consecutive area deciles (the last bin closed), by brute force
    area, value = edited["edited_area"].to_numpy(), edited["iou"].to_numpy()
    edges = np.unique(np.quantile(area, np.linspace(0, 1, min(10, len(area)) + 1)))
    groups = [(area >= lo) & ((area < hi) if k < len(edges) - 2 else (area <= hi))
              for k, (lo, hi) in enumerate(zip(edges[:-1], edges[1:]))]
    (line,) = ax.get_lines()
    assert list(line.get_xdata()) == pytest.approx([area[g].mean() for g in groups if g.any()])
    assert list(line.get_ydata()) == pytest.approx([value[g].mean() for g in groups if g.any()])

    groups = json.loads(open(paths[2]).read())["breakdowns"]["area_bin"]
    assert main(["plot", "area", paths[2], "--metric", "iou", "--out", str(tmp / "bins.png")]) == 0
    ax = figures[1].axes[0]
    shown = [g for g in groups if g != "authentic" and groups[g].get("iou") is not None]
    assert [t.get_text() for t in ax.get_xticklabels()] == shown and shown
    assert [p.get_height() for p in ax.patches] == [groups[g]["iou"] for g in shown]
