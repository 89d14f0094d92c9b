"""Build a Semi-Truths layout (tar.bz2 shards + edited metadata CSV) around the pipeline's input
files (`image_id,image_path,dataset,...,mask_id,mask_path,mask_name,ratio`), e.g. the real samples
in shared/samples/semitruths-input/. The "edits" are synthetic: every pixel inside the binarised
mask is colour-inverted, one edited PNG per (row, model). Used to try the adapter on real masks:

    python tools/semitruths_from_inputs.py INPUT_DIR OUT_DIR
    bench data check --dataset semitruths --root OUT_DIR
"""
from __future__ import annotations

import argparse
import csv
import io
from collections import defaultdict
from pathlib import Path

import numpy as np
from PIL import Image

from benchmark.datasets.tarshards import write_shard

COLUMNS = ("img_id, perturbed_img_id, original_caption, perturbed_caption, dataset, diffusion_model, "
           "method, language_model, mask_id, mask_name, sem_magnitude, area_ratio, post_edit_ratio, ssim, "
           "mse, lpips_score, dreamsim, sen_sim, cap2_img2, img1_img2, direct_sim, brisque_score_orig, "
           "brisque_score_perturb, pass_qc").split(", ")
MAGNITUDES = ("small", "medium", "large")


def build(inputs: Path, out: Path, models: list[str]) -> int:
    with open(inputs / "metadata.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    originals, masks, edits = defaultdict(dict), defaultdict(dict), defaultdict(dict)
    meta = []
    for i, row in enumerate(rows):
        ds = row["dataset"]
        image_path, mask_path = inputs / row["image_path"], inputs / row["mask_path"]
        originals[ds][f"images/{ds}/{image_path.name}"] = image_path.read_bytes()
        masks[ds][f"masks/{ds}/{mask_path.name}"] = mask_path.read_bytes()
        image = np.asarray(Image.open(image_path).convert("RGB")).copy()
        inside = np.asarray(Image.open(mask_path).convert("L")) > 127
        image[inside] = 255 - image[inside]
        buf = io.BytesIO()
        Image.fromarray(image).save(buf, "PNG")
        for j, model in enumerate(models):
            edits[(ds, model)][f"{ds}/{model}/{row['mask_id']}_{ds}_{model}.png"] = buf.getvalue()
            k = i * len(models) + j
            meta.append({
                **{c: "NA" for c in COLUMNS},
                "img_id": row["image_id"], "perturbed_img_id": row["mask_id"], "dataset": ds,
                "diffusion_model": model, "method": "inpainting", "mask_id": row["mask_id"],
                "mask_name": row["mask_name"], "sem_magnitude": MAGNITUDES[k % 3], "area_ratio": row["ratio"],
                "post_edit_ratio": "NA" if k % 4 == 0 else f"{float(row['ratio']) * 1.1:.6f}",
                "ssim": f"{0.9 - 0.01 * k:.4f}", "lpips_score": "NA" if k % 5 == 0 else f"{0.01 * k:.4f}",
                "pass_qc": "True" if k % 3 else "False"})
    for ds, members in originals.items():
        write_shard(out / "original" / "images" / f"{ds}_images_0.tar.bz2", members)
    for ds, members in masks.items():
        write_shard(out / "original" / "masks" / f"{ds}_masks_0.tar.bz2", members)
    for (ds, model), members in edits.items():
        write_shard(out / "inpainting" / ds / model / f"{ds}_{model}_0.tar.bz2", members)
    (out / "metadata" / "edited").mkdir(parents=True, exist_ok=True)
    with open(out / "metadata" / "edited" / "inpainting.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, COLUMNS)
        writer.writeheader()
        writer.writerows(meta)
    return len(meta)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", type=Path, help="folder with metadata.csv, images/ and masks/")
    parser.add_argument("out", type=Path, help="new output folder")
    parser.add_argument("--models", nargs="+", default=["StableDiffusion_v4", "Kandinsky_2_2"])
    args = parser.parse_args()
    if args.out.exists() and any(args.out.iterdir()):
        parser.error(f"{args.out} exists and is not empty")
    n = build(args.inputs, args.out, args.models)
    print(f"wrote {n} edited images with metadata to {args.out}")


if __name__ == "__main__":
    main()
