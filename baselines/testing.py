"""The shared contract tests of the baselines, for pytest (like segmentation_models.pytorch's
inherited model tests): every check runs on every tiny configuration a baseline declares
(`Detector.contract_cases`), random init, on the CPU.

- `tests/test_baseline_contract.py` runs them on every registered baseline: the packaged ones
  and those of installed plugin packages (the `bench.baselines` entry points);
- a test module that registers a baseline gets them for it without a test of its own (the
  collection hook below; conftest.py enables it with `pytest_plugins = ["benchmark.baselines.testing"]`);
- a plugin package's tests name their detector:

      from benchmark.baselines.testing import BaselineContract

      class TestMyDetector(BaselineContract):
          baselines = ["my_detector"]

The checks: output keys, shapes and ranges (`score` and `map` in [0, 1], `probs` summing to 1
with `map` = 1 - class 0); the stored conversion (binary maps = `map`, semantic maps = the argmax
of `probs`, scores = `score`); the loss, from the targets the model declares and from nothing else;
a state dict round trip; the validation step and metric on the outputs.
"""
from __future__ import annotations

import io
from pathlib import Path
from typing import Iterator, Sequence

import pytest
import torch

from benchmark.registry import BASELINES, lookup, names
from benchmark.tasks import IGNORE
from benchmark.training.val_metric import ValidationMetric

from .contract import ContractCase, Detector


def build(cls: type[Detector], case: ContractCase, folder: Path, seed: int = 0) -> Detector:
    """The case's model, its random init drawn from `seed`, its files written under `folder`
    (the same files whatever the seed: they stand for weights a user has)."""
    kwargs = dict(case.kwargs)
    if case.files is not None:
        folder.mkdir(parents=True, exist_ok=True)
        torch.manual_seed(0)
        kwargs.update(case.files(folder))
    torch.manual_seed(seed)
    model = cls(**kwargs)
    if case.explain:
        model.explain(case.explain)
    return model


def make_batch(case: ContractCase, seed: int = 0) -> dict:
    """Two uint8 images at the case's size as the data loader collates them: a real one (mask all
    unedited) and an edited one (random classes), an ignored band at the top of both."""
    g = torch.Generator().manual_seed(seed)
    h, w = case.size
    inputs = torch.randint(0, 256, (2, 3, h, w), dtype=torch.uint8, generator=g)
    mask = torch.zeros(2, h, w, dtype=torch.uint8)
    mask[1] = torch.randint(1, case.num_classes, (h, w), generator=g).to(torch.uint8)
    mask[1, : h // 2] = 0  # the edit covers part of the image
    mask[:, :2] = IGNORE
    return {"inputs": inputs, "mask": mask, "label": torch.tensor([0, 1]), "image_id": ["real", "edited"]}


def run(model: Detector, batch: dict, targets: Sequence[str] = (), seed: int = 0) -> dict:
    """The model's outputs on `batch` given `targets`, with autograd as prediction runs it
    (training mode: always on), dropout drawn from `seed`."""
    data = model.data_preprocessor({k: batch[k] for k in ("inputs", *targets)}, model.training)
    torch.manual_seed(seed)
    with torch.set_grad_enabled(model.training or model.needs_grad):
        return model(**data)


def check_outputs(model: Detector, case: ContractCase, batch: dict) -> dict:
    model.eval()
    out = {key: value.detach() for key, value in run(model, batch).items()}
    n = len(batch["inputs"])
    assert "loss" not in out, "a loss without targets"
    score = out["score"]
    assert score.shape == (n,) and score.dtype == torch.float32, f"score {tuple(score.shape)} {score.dtype}"
    assert torch.isfinite(score).all() and 0 <= float(score.min()) and float(score.max()) <= 1, score
    if not model.localizes:
        assert "map" not in out, "a map from a model that does not localise"
        return out
    edited = out["map"]
    assert edited.dim() == 3 and edited.shape[0] == n and edited.dtype == torch.float32, tuple(edited.shape)
    assert torch.isfinite(edited).all() and 0 <= float(edited.min()) and float(edited.max()) <= 1
    if case.task == "semantic":
        assert "probs" in out, "the semantic task needs class probabilities"
    if "probs" in out:
        probs = out["probs"]
        assert probs.shape == (n, case.num_classes, *edited.shape[1:]), tuple(probs.shape)
        assert torch.allclose(probs.sum(1), torch.ones_like(edited), atol=1e-5)
        assert torch.allclose(edited, 1 - probs[:, 0], atol=1e-6), "map is not 1 - P(unedited)"
    return out


def check_stored(model: Detector, case: ContractCase, batch: dict) -> None:
    out = check_outputs(model, case, batch)
    maps, scores = model.stored(out, case.task)
    assert scores == pytest.approx(out["score"].tolist(), abs=1e-7)
    if not model.localizes:
        assert maps is None
    elif case.task == "binary":
        assert maps.dtype == "float32" and maps.shape == tuple(out["map"].shape)
        assert (maps == out["map"].numpy()).all()
    else:
        assert maps.dtype == "uint8" and maps.shape == tuple(out["map"].shape)
        assert (maps == out["probs"].argmax(1).numpy()).all() and int(maps.max()) < case.num_classes


def check_loss(model: Detector, case: ContractCase, batch: dict) -> None:
    """A scalar, finite loss that trains something, from the targets the model declares; changing
    one of them changes it, changing the other does not; no targets, no loss."""
    model.train()
    targets = model.targets
    assert targets and set(targets) <= {"mask", "label"}, f"targets {targets!r}"
    given = ("mask", "label")
    loss = run(model, batch, given)["loss"]
    assert loss.shape == () and torch.isfinite(loss), loss
    loss.backward()
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    assert grads and any(float(g.abs().sum()) > 0 for g in grads), "the loss trains no parameter"
    assert all(torch.isfinite(g).all() for g in grads)
    assert "loss" not in run(model, batch), "a loss without targets"
    changed = {"mask": torch.where(batch["mask"] == IGNORE, batch["mask"], (batch["mask"] + 1) % case.num_classes),
               "label": 1 - batch["label"]}
    with torch.no_grad():
        loss = run(model, batch, given)["loss"]
        for target, value in changed.items():
            other = run(model, {**batch, target: value}, given)["loss"]
            if target in targets:
                assert not torch.allclose(other, loss), f"the loss does not read the {target}"
            else:
                assert torch.allclose(other, loss, rtol=1e-5, atol=1e-6), f"the loss reads the {target}"


def check_save_load(cls: type[Detector], case: ContractCase, batch: dict, folder: Path) -> None:
    """A state dict saved and loaded into a model built with another seed gives the same outputs."""
    saved = build(cls, case, folder, seed=0).eval()
    buffer = io.BytesIO()
    torch.save(saved.state_dict(), buffer)
    loaded = build(cls, case, folder, seed=1).eval()
    state = loaded.state_dict()
    assert any(not torch.equal(v, state[k]) for k, v in saved.state_dict().items()), "two seeds built the same model"
    buffer.seek(0)
    loaded.load_state_dict(torch.load(buffer, weights_only=True))
    want, got = run(saved, batch), run(loaded, batch)
    assert set(got) == set(want)
    for key in want:
        assert torch.allclose(got[key], want[key], atol=1e-5), f"{key} differs after loading the state dict"


def check_validation(model: Detector, case: ContractCase, batch: dict) -> None:
    """mmengine's validation step and the validation metric on its outputs (the map or the
    image scores, and the loss)."""
    model.eval()
    outputs = model.val_step(dict(batch))
    assert isinstance(outputs, list) and len(outputs) == 1 and "score" in outputs[0]
    classes = ["unedited", *(f"generator{i}" for i in range(1, case.num_classes))]
    metric = ValidationMetric(case.task, classes)
    metric.process(batch, outputs)
    result = metric.compute_metrics(metric.results)
    wanted = ("miou", "pixel_acc") if model.localizes else ("auc", "ap")
    assert all(k in result and result[k] == result[k] for k in wanted), result
    if "loss" in outputs[0]:
        assert result["loss"] == pytest.approx(float(outputs[0]["loss"].detach()))


def cases(name: str) -> Iterator[tuple[type[Detector], ContractCase]]:
    cls = lookup(BASELINES, name)
    assert issubclass(cls, Detector), f"{name}: {cls} does not derive from Detector"
    found = cls.contract_cases()
    assert found, f"{name} declares no contract case"
    for case in found:
        yield cls, case


def _each(name: str, check, tmp_path: Path) -> None:
    # Tensors this small gain nothing from a second thread, and lose much when the cores are busy.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for i, (cls, case) in enumerate(cases(name)):
            try:
                if check is check_save_load:
                    check(cls, case, make_batch(case), tmp_path / str(i))
                else:
                    check(build(cls, case, tmp_path / str(i)), case, make_batch(case))
            except AssertionError as exc:
                raise AssertionError(f"{name}({case.describe()}): {exc}") from exc
    finally:
        torch.set_num_threads(threads)


class BaselineContract:
    """The contract tests, for `baselines` (None: every baseline registered when the class is collected)."""

    baselines: Sequence[str] | None = None

    def pytest_generate_tests(self, metafunc) -> None:
        if "baseline" in metafunc.fixturenames:
            metafunc.parametrize("baseline", list(self.baselines) if self.baselines is not None else names(BASELINES))

    def test_outputs(self, baseline: str, tmp_path: Path) -> None:
        _each(baseline, check_outputs, tmp_path)

    def test_stored_predictions(self, baseline: str, tmp_path: Path) -> None:
        _each(baseline, check_stored, tmp_path)

    def test_loss(self, baseline: str, tmp_path: Path) -> None:
        _each(baseline, check_loss, tmp_path)

    def test_save_load(self, baseline: str, tmp_path: Path) -> None:
        _each(baseline, check_save_load, tmp_path)

    def test_validation(self, baseline: str, tmp_path: Path) -> None:
        _each(baseline, check_validation, tmp_path)


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector):
    """A test module that registers baselines when imported gets `BaselineContract` for them."""
    if not isinstance(collector, pytest.Module):
        return (yield)
    BASELINES.import_from_location()  # the packaged ones (and plugins) are not this module's
    before = set(BASELINES.module_dict)
    report = yield
    new = sorted(set(BASELINES.module_dict) - before)
    if new and report.passed:
        name = "TestBaselineContract"
        setattr(collector.obj, name, type(name, (BaselineContract,), {"baselines": new}))
        report.result.append(pytest.Class.from_parent(collector, name=name))
    return report
