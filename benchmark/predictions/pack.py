"""`bench pack`: plain mask PNGs (or a COCO RLE JSON) from any detector -> a valid submission."""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Iterator, Mapping, Sequence

import numpy as np

from benchmark.datasets.ids import id_problem
from benchmark.datasets.imageio import decode_label_mask, image_encoding
from benchmark.datasets.stores import read_file
from benchmark.limits import MAX_MEMBER_BYTES
from benchmark.datasets.spec import DatasetSpec
from benchmark.errors import BenchError, DataError

from .codecs import decode_mask_png, decode_rle, encode_mask_png, png_header_problem, png_size
from .reader import load_json
from .writer import write_predictions
from .validate import PredictionsError, validate_predictions

EXPORT_MANIFEST = "export.json"


def export_defaults(masks: Path) -> tuple[Path | None, dict]:
    """The `export.json` that `bench data export` wrote inside or beside the masks folder, and the
    task/dataset/split/generators/distortion it records."""
    for candidate in (masks / EXPORT_MANIFEST, masks.parent / EXPORT_MANIFEST):
        if candidate.is_file():
            defaults = load_json(read_file(candidate, MAX_MEMBER_BYTES), str(candidate))
            if not isinstance(defaults, dict):
                raise DataError(str(candidate), "must hold a JSON object")
            return candidate, defaults
    return None, {}


def _contradiction(export: Path, defaults: dict, given: Mapping[str, object]) -> str | None:
    """One line naming the first value in `given` (option -> value, None = not given) that differs
    from what the export recorded, and the recorded value."""
    from benchmark.datasets.base import canonical_split

    norm = {"--task": str, "--dataset": lambda v: str(DatasetSpec.of(v)), "--split": canonical_split,
            "--generators": lambda v: ",".join(map(str, v))}
    recorded = {"--task": defaults.get("task"), "--dataset": defaults.get("dataset_spec") or defaults.get("dataset"),
                "--split": defaults.get("split"), "--generators": defaults.get("generators")}
    for option, value in given.items():
        wrote = recorded[option]
        if value is not None and wrote is not None and norm[option](value) != norm[option](wrote):
            return (f"{option} {norm[option](value)} contradicts {export}, which says {option[2:]} "
                    f"{norm[option](wrote)}; drop {option} to take the export's")
    return None


def _png_masks(folder: Path, task: str, n_classes: int, scale01: bool,
               problems: list[str]) -> list[tuple[str, bytes]]:
    """Read every mask PNG; masks in another mode (palette, 1-bit, grey RGB, 16-bit) are
    converted to 8-bit grey by raw value. Problems are collected, not raised."""
    out, maxima = [], []
    # Ids with '/' are subfolders; links are not followed out of the folder.
    files = sorted(p for p in folder.rglob("*") if p.is_file() or p.is_symlink())
    for path in files:
        if path == folder / EXPORT_MANIFEST:  # `bench data export` writes it there when --out is the masks folder
            continue
        image_id = path.relative_to(folder).with_suffix("").as_posix()
        if path.is_symlink():
            problems.append(f"{path}: is a link (masks must be plain files)")
            continue
        if path.suffix.lower() != ".png":
            problems.append(f"{path}: not a .png mask (expected {{image_id}}.png)")
            continue
        if id_problem(image_id):
            problems.append(f"{path}: {id_problem(image_id)}")
            continue
        try:
            data = read_file(path, MAX_MEMBER_BYTES)
            if png_size(data) is None:  # never re-encode a JPEG (or anything else) named .png
                raise DataError(str(path), f"not a PNG file ({image_encoding(data)} data named .png)")
            if png_header_problem(data) is None:
                mask = decode_mask_png(data, str(path))
            else:
                mask = decode_label_mask(data, str(path))
                data = None
        except DataError as exc:
            problems.append(str(exc))
            continue
        if task == "semantic" and mask.max(initial=0) >= n_classes:
            problems.append(f"{path}: class id {int(mask.max())} is outside the generator map (0..{n_classes - 1})")
            continue
        if scale01:
            if mask.max(initial=0) > 1:
                problems.append(f"{path}: --scale01 given but the mask holds values above 1")
                continue
            mask, data = mask * np.uint8(255), None
        maxima.append(int(mask.max(initial=0)))
        out.append((image_id, data if data is not None else encode_mask_png(mask)))
    if task == "binary" and maxima and max(maxima) == 1:
        problems.append(f"{folder}: every mask holds only 0/1, but binary masks store round(255 * P(edited)); "
                        "pass --scale01 (scale01=True) to store them as 0/255")
    return out


def _id_problems(masks: Path, ids: list[str], adapter, spec: DatasetSpec) -> list[str]:
    """Masks whose id is not in the split, each named by its file (with the id it was probably
    meant to have when only its folders differ), and the split's images that have no mask."""
    wanted = set(adapter.ids)
    by_name = {i.rsplit("/", 1)[-1]: i for i in wanted}
    out = []
    for image_id in ids:
        if image_id in wanted:
            continue
        where = masks / f"{image_id}.png" if masks.is_dir() else f"{masks}[{image_id}]"
        meant = by_name.get(image_id.rsplit("/", 1)[-1])
        out.append(f"{where}: id '{image_id}' is not in {spec} {adapter.split}"
                   + (f" (a mask for '{meant}' belongs at {masks / meant}.png: folders are part of the id)"
                      if meant and masks.is_dir() else ""))
    missing = sorted(wanted - set(ids))
    if missing:
        out.append(f"{masks}: no mask for {len(missing)} image(s) of {spec} {adapter.split}, "
                   f"e.g. {', '.join(missing[:3])}")
    return out


def _rle_masks(path: Path, problems: list[str]) -> Iterator[tuple[str, np.ndarray]]:
    """COCO results style [{"image_id", "segmentation"}] or {image_id: rle}."""
    raw = load_json(read_file(path, MAX_MEMBER_BYTES), str(path))
    if not isinstance(raw, (dict, list)):
        raise DataError(str(path), "must hold a list of {\"image_id\", \"segmentation\"} objects or {image_id: rle}")
    entries = raw.items() if isinstance(raw, dict) else (
        (e.get("image_id"), e.get("segmentation")) if isinstance(e, dict) else (None, None) for e in raw)
    for i, (image_id, rle) in enumerate(entries):
        if image_id is None or rle is None:
            problems.append(f"{path}: entry {i} lacks image_id or segmentation")
            continue
        if id_problem(image_id):
            problems.append(f"{path}: entry {i}: {id_problem(image_id)}")
            continue
        try:
            yield str(image_id), decode_rle(rle, f"{path}[{image_id}]")
        except DataError as exc:
            problems.append(str(exc))


def pack_predictions(masks: str | os.PathLike, out: str | os.PathLike, task: str | None = None,
                     dataset: str | DatasetSpec | None = None, split: str | None = None,
                     scores_csv: str | os.PathLike | None = None, method: str = "external",
                     generators: Sequence[str] | None = None, root: str | os.PathLike | None = None,
                     extra_manifest: Mapping | None = None, scale01: bool = False) -> Path:
    """Build a submission at `out` (folder, or zip when it ends with .zip) from a folder of
    `{image_id}.png` masks (ids with '/' in subfolders) or a COCO RLE JSON (binary). Missing
    task/dataset spec/split/generators come from an `export.json` written by `bench data export`
    beside the masks. With `root` the generator map comes from the dataset and the ids are
    checked against the split. Raises PredictionsError listing every problem; nothing is left at
    `out` then."""
    masks, out = Path(masks), Path(out)
    if not masks.exists():
        raise DataError(str(masks), "masks folder or RLE JSON not found")
    export, defaults = export_defaults(masks if masks.is_dir() else masks.parent)
    if export is not None:
        line = _contradiction(export, defaults, {"--task": task, "--dataset": dataset, "--split": split,
                                                 "--generators": generators})
        if line:
            raise BenchError(line)
    task = task or defaults.get("task")
    dataset = dataset or defaults.get("dataset_spec") or defaults.get("dataset")
    split = split or defaults.get("split")
    missing = [n for n, v in (("task", task), ("dataset", dataset), ("split", split)) if not v]
    if missing:
        raise BenchError(f"give --{', --'.join(missing)} (no {EXPORT_MANIFEST} beside {masks} to take them from)")
    spec = DatasetSpec.of(dataset)
    adapter = spec.build(root, split) if root is not None else None
    if adapter is not None:
        split = adapter.split
        if generators is not None and list(generators) != adapter.generators:
            raise BenchError(f"--generators {','.join(generators)} differ from the dataset's generator map "
                             f"({','.join(adapter.generators)}); drop --generators to take the dataset's")
        generators = adapter.generators
    generators = list(generators) if generators is not None else list(defaults.get("generators", []))
    if export is not None and adapter is not None and defaults.get("generators") not in (None, generators):
        raise BenchError(f"the generator map of {spec} in {root} ({','.join(generators)}) contradicts {export}, "
                         f"which says generators {','.join(map(str, defaults['generators']))}")
    if task == "semantic" and not generators:
        raise BenchError("a semantic submission needs the generator names, in class-id order (--generators)")
    extra = {k: defaults[k] for k in ("distortion",) if k in defaults} | dict(extra_manifest or {})

    problems: list[str] = []
    scores = None
    if scores_csv is not None:
        scores = Path(scores_csv)
        if not scores.is_file():
            raise DataError(str(scores), "scores CSV not found")
    if masks.is_dir():
        raw = _png_masks(masks, task, len(generators) + 1, scale01, problems)
        rle = []
    elif task != "binary":
        raise BenchError(f"{masks}: RLE JSON holds hard binary masks; the {task} task needs PNG masks")
    else:
        raw, rle = [], list(_rle_masks(masks, problems))
    if adapter is not None:
        problems += _id_problems(masks, [i for i, _ in raw] or [i for i, _ in rle], adapter, spec)
    if problems:
        raise PredictionsError(masks, problems)

    write_predictions(out, task, spec, split, generators, method, masks=rle, raw_masks=raw,
                      scores=scores.read_bytes() if scores else None, extra_manifest=extra,
                      mask_format="rle" if rle else "png")
    problems = validate_predictions(out, spec if root else None, root, split, decode=False)
    if problems:
        (shutil.rmtree if out.is_dir() else os.remove)(out)
        raise PredictionsError(out, problems)
    return out

