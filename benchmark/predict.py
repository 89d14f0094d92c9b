"""`bench predict`: run a trained checkpoint over a dataset split (optionally distorted) and write
the predictions format (masks at the network's resolution: the scorer resizes them to the GT)."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
from mmengine.config import Config
from mmengine.logging import print_log
from torch.utils.data import DataLoader, Dataset

from benchmark.errors import BenchError


class InferenceImages(Dataset):
    """Images of a split, distorted at native resolution (seeded per image as `bench data export`
    does), then resized to the network size. Masks are not read: the scorer compares predictions
    with the untouched GT, whatever size a distortion leaves the image at."""

    def __init__(self, adapter, size: int, distortion: str = "clean", seed: int = 0, pipeline: list | None = None):
        from benchmark.datasets.torch_dataset import build_pipeline, default_transforms

        self.adapter, self.distortion, self.seed = adapter, distortion, seed
        self.transforms = build_pipeline(pipeline) if pipeline else default_transforms(size, train=False)

    def __len__(self) -> int:
        return len(self.adapter)

    def __getitem__(self, index: int) -> dict:
        from benchmark.distortions import apply_distortion, image_seed

        sample = self.adapter[index]
        image = apply_distortion(self.distortion, sample.image, image_seed(sample.image_id, self.seed))
        shape = image.shape[:2]
        image = self.transforms(image=image)["image"]
        return {"inputs": torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1))),
                "image_id": sample.image_id, "height": shape[0], "width": shape[1]}


def place_back(stored: np.ndarray, shape: tuple[int, int], transforms) -> np.ndarray:
    """A map the network made of the pipeline's output, put back where that output came from in
    the `shape` (h, w) image: a centre crop returns to the centre, a resize is undone, and what the
    pipeline cut away is 0. The pipeline's geometry (resizes, pads, crops: axis-aligned) is read by
    running it on an image of normalised pixel coordinates, then inverted as an affine map."""
    import cv2

    h, w = shape
    yy, xx = np.mgrid[:h, :w].astype(np.float32)
    probe = transforms(image=np.dstack([(xx + 0.5) / w, (yy + 0.5) / h, np.ones((h, w), np.float32)]))["image"]
    if probe.shape[:2] != stored.shape[:2]:
        raise BenchError(f"map is {stored.shape[1]}x{stored.shape[0]} but the pipeline makes "
                         f"{probe.shape[1]}x{probe.shape[0]} inputs")
    (ax, bx), (ay, by) = (_axis_fit(probe[..., i] * n, probe[..., 2], axis) for i, n, axis in ((0, w, 1), (1, h, 0)))
    # original x + 0.5 = ax * (final x + 0.5) + bx, so final x = (x + 0.5 - bx) / ax - 0.5
    m = np.array([[1 / ax, 0, (0.5 - bx) / ax - 0.5], [0, 1 / ay, (0.5 - by) / ay - 0.5]], np.float64)
    return cv2.warpAffine(stored.astype(np.float32), m, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderValue=0.0)


def _axis_fit(coord: np.ndarray, valid: np.ndarray, axis: int) -> tuple[float, float]:
    """(a, b) with coord = a * (index + 0.5) + b along `axis`, fitted on the pixels the pipeline
    did not pad (edge pixels left out: resizing clamps them)."""
    line = coord.mean(1 - axis) if axis == 0 else coord.mean(0)
    ok = (valid.min(1 - axis) if axis == 0 else valid.min(0)) > 0.999
    idx = np.flatnonzero(ok)[1:-1] if ok.sum() > 4 else np.flatnonzero(ok)
    if idx.size < 2:
        raise BenchError("cannot read the geometry of the test pipeline (it keeps under two pixels of the image)")
    a, b = np.polyfit(idx + 0.5, line[idx], 1)
    return float(a), float(b)

def resolve_checkpoint(path: str | os.PathLike) -> Path:
    """A checkpoint file, or a work dir: its best (validation-selected) checkpoint, else its last."""
    path = Path(path)
    if not path.is_dir():
        return path
    best = sorted(path.glob("best_*.pth"), key=lambda p: p.stat().st_mtime)
    if best:
        return best[-1]
    if (path / "last_checkpoint").is_file():
        return Path((path / "last_checkpoint").read_text().strip())
    raise BenchError(f"{path}: no checkpoint in this work dir")


def load_trained(checkpoint: str | os.PathLike, device: str | torch.device = "cpu") -> tuple[torch.nn.Module, Config]:
    """The model of a `bench train` checkpoint in eval mode, and the run's config (`cfg.run` holds
    task, classes, generators and the cross-generator selection)."""
    from benchmark.training.checkpoint import load_own_checkpoint
    from benchmark.training.runner import build_model

    checkpoint = resolve_checkpoint(checkpoint)
    ckpt = load_own_checkpoint(checkpoint)
    text = ckpt.get("meta", {}).get("cfg")
    if not text:
        raise BenchError(f"{checkpoint}: no training config inside (not written by bench train)")
    cfg = Config.fromstring(text, file_format=".py")
    if "run" not in cfg:
        raise BenchError(f"{checkpoint}: the config inside lacks the run record of bench train")
    model = build_model(cfg.model)
    state = {k.removeprefix("module."): v for k, v in ckpt["state_dict"].items()}
    model.load_state_dict(state)
    return model.to(device).eval(), cfg


def model_outputs(model, cfg, adapter, distortion: str, seed: int = 0, batch_size: int = 8, workers: int = 0,
                  progress: bool = True, indices: list[int] | None = None):
    """(image_id, stored map or None, score) for the adapter's images (those at `indices`), run
    through the checkpoint's test pipeline after `distortion`. The model owns the conversion
    (`stored`); models that explain with gradients keep autograd on; binary maps made through a
    declared test pipeline (crops, pads) are put back in full-image coordinates."""
    from torch.utils.data import Subset

    from benchmark.progress import track

    test_steps = (cfg.data.get("pipeline") or {}).get("test")
    data = InferenceImages(adapter, cfg.run.size, distortion, seed, test_steps)
    subset = data if indices is None else Subset(data, indices)
    loader = DataLoader(subset, batch_size=batch_size, num_workers=workers)
    batches = track(loader, f"predicting {len(subset)} images ({distortion})", total=len(loader), enabled=progress)
    for batch in batches:
        with torch.inference_mode(not model.needs_grad):
            output = model(model.data_preprocessor({"inputs": batch["inputs"]})["inputs"])
            maps, batch_scores = model.stored(output, cfg.run.task)
        for i, (image_id, score) in enumerate(zip(batch["image_id"], batch_scores)):
            stored = None if maps is None else maps[i]
            if stored is not None and test_steps and cfg.run.task == "binary":
                stored = place_back(stored, (int(batch["height"][i]), int(batch["width"][i])), data.transforms)
            yield image_id, stored, score


def predict_split(checkpoint: str | os.PathLike, dataset, root: str | os.PathLike, split: str,
                  out: str | os.PathLike, distortion: str | None = None, seed: int = 0,
                  batch_size: int = 8, workers: int = 0, device: str | None = None,
                  progress: bool = True, explain: str | None = None, experiment_run: str | None = None) -> Path:
    """Write predictions of `checkpoint` on `split` of the dataset spec `dataset` (distorted by
    `distortion`, seeded per image as `bench data export` does) to the folder or `.zip` `out`;
    return its path. `explain` ('gradcam') makes an image-level classifier write its explanation
    maps, put back in full-image coordinates, so the scorer judges where it looks. `experiment_run`
    names the run of an experiment grid in the manifest (and so in every result)."""
    from benchmark.datasets.spec import DatasetSpec
    from benchmark.distortions.base import canonical
    from benchmark.outputs import check_new_output
    from benchmark.predictions.writer import write_predictions

    out = check_new_output(out)  # before the model runs, so that no work is lost on a taken path
    device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    checkpoint = resolve_checkpoint(checkpoint)
    model, cfg = load_trained(checkpoint, device)
    run = cfg.run
    spec = DatasetSpec.of(dataset)
    adapter = spec.build(root, split)
    if run.task == "semantic" and list(adapter.generators) != list(run.generators):
        raise BenchError(f"{root}: generator map {adapter.generators} differs from the one the checkpoint "
                         f"was trained with {list(run.generators)}")
    dspec = canonical(distortion)
    model.explain(explain)

    def run_model():
        return model_outputs(model, cfg, adapter, dspec, seed, batch_size, workers, progress)

    extra = {"distortion": dspec, "baseline": cfg.model.type, "train_dataset_spec": run.get("dataset_spec", run.dataset),
             "train_generators": list(run.train_generators),
             "holdout_generators": list(run.holdout_generators), "size": run.size,
             "score_rule": model.score_rule, "checkpoint": str(checkpoint),
             **({"explanation": explain} if explain else {}),
             **({"experiment_run": experiment_run} if experiment_run else {})}
    method = "-".join(str(cfg.model[key]) for key in ("type", "arch", "encoder", "backbone") if key in cfg.model)
    if not model.localizes:  # image scores only: the detection task
        scores = {image_id: score for image_id, _, score in run_model()}
        if model.summary():
            print_log(model.summary(), logger="current")
        return write_predictions(out, "detection", spec, adapter.split, list(adapter.generators), method,
                                 scores=scores, extra_manifest=extra)
    scores: dict[str, float] = {}

    def masks():
        # Streamed into the writer, which stores scores.csv after the last mask: `scores` is
        # complete by then, and no split's worth of maps is ever held in memory.
        for image_id, stored, score in run_model():
            scores[image_id] = score
            yield image_id, stored

    return write_predictions(out, run.task, spec, adapter.split, list(adapter.generators), method,
                             masks=masks(), scores=scores, extra_manifest=extra)
