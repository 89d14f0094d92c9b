"""`bench explain`: overlays that show where a model looks, as the Semi-Truths faces study shows
them: the image, then the image under the model's map (a classifier's Grad-CAM, or a
segmentation model's P(edited)) with the ground-truth edit outlined, and the image score."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np

from benchmark.errors import BenchError


def overlay(image: np.ndarray, prob: np.ndarray, mask: np.ndarray, score: float) -> np.ndarray:
    """[image | image blended with the map as a heat map, GT edit outlined in white] (RGB uint8)."""
    heat = cv2.applyColorMap(np.rint(np.clip(prob, 0, 1) * 255).astype(np.uint8), cv2.COLORMAP_JET)[..., ::-1]
    blended = (0.55 * image + 0.45 * heat).astype(np.uint8)
    edited = (((mask > 0) & (mask != 255)) * 255).astype(np.uint8)
    contours, _ = cv2.findContours(edited, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    cv2.drawContours(blended, contours, -1, (255, 255, 255), max(1, image.shape[0] // 128))
    panel = np.concatenate([image, np.full((image.shape[0], 4, 3), 255, np.uint8), blended], 1)
    cv2.putText(panel, f"score {score:.3f}", (image.shape[1] + 8, 14), cv2.FONT_HERSHEY_SIMPLEX,
                max(0.35, image.shape[0] / 700), (255, 255, 255), 1, cv2.LINE_AA)
    return panel


def explain_images(checkpoint: str | os.PathLike, dataset, root: str | os.PathLike, split: str,
                   out: str | os.PathLike, ids: Sequence[str] = (), first: int = 8, method: str = "gradcam",
                   device: str | None = None) -> list[Path]:
    """Write `{out}/{id}.png` overlays for the images `ids` (default: the first `first` edited
    images of the split) and `explain.json` naming checkpoint, spec and method."""
    import torch

    from benchmark.datasets.ids import write_id_file
    from benchmark.datasets.spec import DatasetSpec
    from benchmark.outputs import new_folder
    from benchmark.baselines.build import load_trained, resolve_checkpoint
    from benchmark.inference import model_outputs

    spec = DatasetSpec.of(dataset)
    adapter = spec.build(root, split)
    positions = {image_id: i for i, image_id in enumerate(adapter.ids)}
    unknown = [i for i in ids if i not in positions]
    if unknown:
        raise BenchError(f"no image {unknown[0]} in {spec} {adapter.split} (ids as `bench data export` writes them)")
    if ids:
        indices = [positions[i] for i in ids]
    else:
        indices = [i for i, t in enumerate(adapter.targets()) if t.label and t.localized][:first]
    checkpoint = resolve_checkpoint(checkpoint)
    model, cfg = load_trained(checkpoint, torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu")))
    if cfg.run.task != "binary":
        raise BenchError(f"{checkpoint}: explanations are maps of P(edited); this model was trained for {cfg.run.task}")
    model.explain(None if model.localizes else method)
    out = new_folder(out)
    written = []
    images = (image for batch in model_outputs(model, cfg, adapter, ["clean"], batch_size=4, progress=False,
                                               indices=indices) for image in batch.images())
    for index, (image_id, [(prob, score)]) in zip(indices, images):
        sample = adapter[index]
        prob = cv2.resize(prob, sample.image.shape[1::-1], interpolation=cv2.INTER_LINEAR)
        ok, buf = cv2.imencode(".png", overlay(sample.image, prob, sample.mask, score)[..., ::-1])
        written.append(write_id_file(out, image_id, ".png", buf.tobytes()))
    (out / "explain.json").write_text(json.dumps({"checkpoint": str(checkpoint), "dataset_spec": str(spec),
                                                  "split": adapter.split, "method": method if model.explanation else "model map",
                                                  "images": [str(p.relative_to(out)) for p in written]}, indent=1) + "\n")
    return written
