"""`bench predict`: run a trained checkpoint over a dataset split (optionally distorted) and write
the predictions format (masks at the network's resolution: the scorer resizes them to the GT)."""
from __future__ import annotations

import os
from pathlib import Path

import torch

from benchmark.errors import BenchError


def load_for_split(checkpoint: str | os.PathLike, dataset, root: str | os.PathLike, split: str,
                   device: str | None = None, explain: str | None = None):
    """(checkpoint path, model, config, dataset spec, adapter) for predicting `split`: the model
    loaded once, its generator map checked against the data's, a split without images refused
    before any work."""
    from benchmark.baselines.build import load_trained, resolve_checkpoint
    from benchmark.datasets.spec import DatasetSpec
    from benchmark.inference import require_images

    spec = DatasetSpec.of(dataset)
    adapter = spec.build(root, split)
    require_images(adapter, spec, root)
    device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    checkpoint = resolve_checkpoint(checkpoint)
    model, cfg = load_trained(checkpoint, device)
    if cfg.run.task == "semantic" and list(adapter.generators) != list(cfg.run.generators):
        raise BenchError(f"{root}: generator map {adapter.generators} differs from the one the checkpoint "
                         f"was trained with {list(cfg.run.generators)}")
    model.explain(explain)
    return checkpoint, model, cfg, spec, adapter


def predictions_job(out: str | os.PathLike, model, cfg, checkpoint: Path, spec, adapter, distortion: str,
                    explain: str | None = None, experiment_run: str | None = None, **scoring):
    """The `sink.Job` that writes a predictions file of this model on this split: the task, the
    split and the manifest's record of the checkpoint and distortion; `scoring` (result path,
    policy, ...) makes it score them too."""
    from benchmark.sink import Job

    run = cfg.run
    extra = {"distortion": distortion, "baseline": cfg.model.type,
             "train_dataset_spec": run.get("dataset_spec", run.dataset),
             "train_generators": list(run.train_generators),
             "holdout_generators": list(run.holdout_generators), "size": run.size,
             "score_rule": model.score_rule, "checkpoint": str(checkpoint),
             **({"explanation": explain} if explain else {}),
             **({"experiment_run": experiment_run} if experiment_run else {})}
    method = "-".join(str(cfg.model[key]) for key in ("type", "arch", "encoder", "backbone") if key in cfg.model)
    write = dict(out=str(out), task=run.task if model.localizes else "detection",  # image scores only without maps
                 dataset=spec, split=adapter.split, generators=list(adapter.generators), method=method,
                 extra_manifest=extra)
    return Job(write, model.localizes, distortion=distortion, **scoring)


def predict_split(checkpoint: str | os.PathLike, dataset, root: str | os.PathLike, split: str,
                  out: str | os.PathLike, distortion: str | None = None, seed: int = 0,
                  batch_size: int = 8, workers: int | None = None, device: str | None = None,
                  progress: bool = True, explain: str | None = None, experiment_run: str | None = None) -> Path:
    """Write predictions of `checkpoint` on `split` of the dataset spec `dataset` (distorted by
    `distortion`, seeded per image as `bench data export` does) to the folder or `.zip` `out`;
    return its path. `explain` ('gradcam') makes an image-level classifier write its explanation
    maps, put back in full-image coordinates, so the scorer judges where it looks. `experiment_run`
    names the run of an experiment grid in the manifest (and so in every result). `workers`:
    loader processes (default: `inference.default_workers`)."""
    from mmengine.logging import print_log

    from benchmark.distortions.base import canonical
    from benchmark.inference import child_context, default_workers, model_outputs
    from benchmark.outputs import check_new_output
    from benchmark.sink import Sink, batch_message

    out = check_new_output(out)  # before the model runs, so that no work is lost on a taken path
    dspec = canonical(distortion)
    sink = Sink(child_context())
    try:
        checkpoint, model, cfg, spec, adapter = load_for_split(checkpoint, dataset, root, split, device, explain)
        sink.start(predictions_job(out, model, cfg, checkpoint, spec, adapter, dspec, explain, experiment_run))
        for batch in model_outputs(model, cfg, adapter, [dspec], seed, batch_size,
                                   default_workers() if workers is None else workers, progress):
            sink.put(batch_message(batch.image_ids, *batch.outputs[0], None))
        path, _ = sink.close()
    except BaseException:
        sink.abandon()
        raise
    if not model.localizes and model.summary():
        print_log(model.summary(), logger="current")
    return path
