"""One contract for every registered adapter (as segmentation_models_pytorch tests every model
through one base tester), run on the embedded demo data of each format: ids, targets, splits,
options, and demo -> export --with-masks -> pack (oracle scores) -> score."""
import csv
import inspect
import json

import numpy as np
import pytest

from benchmark.cli.main import main
from benchmark.datasets import SPLITS, DatasetSpec, IGNORE
from benchmark.datasets.ids import id_problem
from benchmark.errors import BenchError, DataError
from benchmark.registry import DATASETS, DEMOS, names

SPECS = ["diffseg", "dolos", "dolos[setup=A]", "dolos[setup=B]", "dolos[setup=C]", "semitruths",
         "semitruths[preset=thesis-celebahq]", "cocoglide"]


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCH_CACHE", str(tmp_path / "cache"))


def test_every_adapter_has_a_demo_and_a_contract_case():
    assert names(DATASETS) == names(DEMOS)
    assert {DatasetSpec.of(s).name for s in SPECS} == set(names(DATASETS))


@pytest.mark.parametrize("name", names(DATASETS))
def test_declared_options_are_the_constructor_keywords(name):
    cls = DATASETS.get(name)
    params = inspect.signature(cls.__init__).parameters
    keywords = {k for k, p in params.items() if p.kind is p.KEYWORD_ONLY} | {"generators", "editors", "unpaired"}
    assert set(cls.options) == keywords
    with pytest.raises(BenchError, match=f"{name} has no option 'colour' .options: "):
        DatasetSpec.of(name, ["colour=red"])


@pytest.mark.parametrize("text", SPECS)
def test_targets_ids_and_splits(text, demo_roots):
    spec = DatasetSpec.of(text)
    root = demo_roots[spec.name]
    assert DatasetSpec.of(str(spec)) == spec  # the text form round trips
    found = spec.splits(root)
    assert found and set(found) <= set(SPLITS)
    seen = set()
    for split in found:
        adapter = spec.build(root, split)
        assert adapter.split == split  # a filter (a preset) may leave a split empty
        ids = adapter.ids
        assert len(set(i.lower() for i in ids)) == len(ids) and not seen & set(ids)  # unique, one split each
        seen |= set(ids)
        assert all(id_problem(i) is None for i in ids)
        for record in adapter.records:
            target, sample = adapter.load_target(record), adapter.load(record)
            assert target.image_id == sample.image_id
            np.testing.assert_array_equal(target.mask, sample.mask)
            assert (target.label, target.generators) == (sample.label, sample.generators)
            assert target.meta.items() <= sample.meta.items()
            assert sample.target.meta == target.meta  # bench eval scores the target of the one decoding
            if target.label == 0:
                assert not ((target.mask > 0) & (target.mask != IGNORE)).any()
            else:
                assert target.generators  # every edited image names the generator(s) behind it
    assert seen
    for alias, canonical in (("validation", "val"), ("valid", "val"), ("TEST", "test")):
        if canonical in found:
            assert spec.build(root, alias).split == canonical
    with pytest.raises(DataError, match=f"no split 'nonsense' in this {spec.name} data .splits found: {', '.join(found)}"):
        spec.build(root, "nonsense")


@pytest.mark.parametrize("text", SPECS)
def test_editors_option_keeps_unedited_images_and_those_edited_only_by_the_named(text, demo_roots):
    spec = DatasetSpec.of(text)
    root = demo_roots[spec.name]
    split = next(s for s in spec.splits(root) if len(spec.build(root, s)))
    full = spec.build(root, split)
    kept = set(next(t.generators for t in full.targets() if len(t.generators) == 1))  # one editor's images
    chosen = [full.generators[g - 1].upper() for g in kept]  # names match case-insensitively
    narrowed = DatasetSpec.of(spec, {"editors": ",".join(chosen)}).build(root, split)
    want = [t.image_id for t in full.targets() if set(t.generators) <= kept]
    assert narrowed.ids == want and narrowed.generators == full.generators
    assert any(t.label == 1 for t in narrowed.targets()) and len(narrowed) <= len(full)
    with pytest.raises(BenchError, match="option editors: unknown generator 'nobody'"):
        DatasetSpec.of(spec, {"editors": "nobody"}).build(root, split)


@pytest.mark.parametrize("text", SPECS)
def test_unpaired_option_keeps_one_image_per_original(text, demo_roots):
    spec = DatasetSpec.of(text)
    root = demo_roots[spec.name]
    for split in spec.splits(root):
        full = spec.build(root, split)
        kept = DatasetSpec.of(spec, {"unpaired": 0}).build(root, split)
        origins = [full.origin(r) for r in kept.records]
        keys = [o[0] for o in origins if o is not None]
        assert len(keys) == len(set(keys))  # never an original beside its edit, nor two edits of one
        assert kept.ids == [i for i in full.ids if i in set(kept.ids)]  # a selection, in the dataset's order
        groups = {full.origin(r)[0] for r in full.records if full.origin(r) is not None}
        assert len(kept) == len(full) - sum(full.origin(r) is not None for r in full.records) + len(groups)
        assert DatasetSpec.of(spec, {"unpaired": 0}).build(root, split).ids == kept.ids  # seeded
    with pytest.raises(BenchError, match="unpaired"):
        DatasetSpec.of(spec, {"unpaired": "x"})


def _oracle_scores(adapter, path):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["image_id", "score"])
        for t in adapter.targets():
            w.writerow([t.image_id, float(t.label)])


@pytest.mark.parametrize("text", SPECS)
def test_exported_ground_truth_with_oracle_scores_scores_perfectly(text, demo_roots, tmp_path):
    spec = DatasetSpec.of(text)
    root = demo_roots[spec.name]
    # the test split where it holds images (DiffSeg30k has none, a preset may leave it empty)
    split = next(s for s in ("test", "val", "train") if s in spec.splits(root) and len(spec.build(root, s)))
    adapter = spec.build(root, split)
    targets = list(adapter.targets())
    blind = sum(not t.localized for t in targets)
    # independent of the scorer: the adapters say in meta why a fake has no mask
    assert blind == sum(t.meta.get("mask") in ("none", "withheld") for t in targets)
    labels = {t.label for t in targets}
    localized_edits = sum(t.localized and t.label == 1 for t in targets)

    export = tmp_path / "export"
    assert main(["data", "export", "--dataset", text, "--root", str(root), "--split", "validation" if split == "val" else split,
                 "--with-masks", "--task", "binary", "--out", str(export), "--workers", "1"]) == 0
    assert json.loads((export / "export.json").read_text())["dataset_spec"] == str(spec)
    pngs = sorted(p.relative_to(export / "masks").with_suffix("").as_posix() for p in (export / "masks").rglob("*.png"))
    assert pngs == sorted(adapter.ids)  # ids with '/' come back from their subfolders
    _oracle_scores(adapter, tmp_path / "scores.csv")
    sub = tmp_path / "sub.zip"
    assert main(["pack", "--masks", str(export / "masks"), "--scores", str(tmp_path / "scores.csv"),
                 "--root", str(root), "--method", "oracle", "--out", str(sub)]) == 0
    out = tmp_path / "result.json"
    assert main(["score", str(sub), "--dataset", text, "--root", str(root), "--out", str(out), "--workers", "1",
                 "--quiet"]) == 0
    result = json.loads(out.read_text())
    m = result["metrics"]
    assert result["dataset_spec"] == str(spec) and result["split"] == split
    assert m["n_images"] == len(targets) and m["n_detection_only"] == blind
    assert m["ap"] == 1.0
    if labels == {0, 1}:
        assert m["auc"] == 1.0 and m["image_acc"] == 1.0
    else:  # DOLOS setup C holds fakes only: AUC is undefined, and the result says why
        assert m["auc"] is None and any("no authentic images" in w for w in result["warnings"])
    if localized_edits:
        assert m["miou"] == m["iou"] == m["bf1"] == m["pixel_acc"] == 1.0
    else:  # setups A and B withhold every fake's mask: nothing to localise
        assert m["miou"] is None and m["iou"] is None
    if blind:
        assert any(f"{blind} image(s) have no usable mask" in w for w in result["warnings"])


def test_predictions_of_another_spec_are_refused(demo_roots, tmp_path, capsys):
    root = demo_roots["dolos"]
    export = tmp_path / "export"
    assert main(["data", "export", "--dataset", "dolos", "--set", "setup=A", "--root", str(root), "--split", "test",
                 "--with-masks", "--task", "binary", "--out", str(export), "--workers", "1"]) == 0
    assert main(["pack", "--masks", str(export / "masks"), "--out", str(tmp_path / "a.zip")]) == 0
    capsys.readouterr()
    assert main(["score", str(tmp_path / "a.zip"), "--dataset", "dolos[setup=C]", "--root", str(root),
                 "--out", str(tmp_path / "r.json"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "made for dataset spec 'dolos[setup=A]', scored against 'dolos[setup=C]'" in err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "r.json").exists()
