# DOLOS Table 2: Grad-CAM, Patches and Attention on Xception under the three supervision setups
# (A: real vs fully generated faces, B: real vs partially inpainted, image labels only; C:
# inpainting masks), all trained on CelebA-HQ and selected by validation loss. Every run is scored
# on the same test data, whatever its setup, as the paper does: localization (IoU, PBCA) on the
# Repaint-P2/CelebA-HQ inpainted test faces with DOLOS's rules, detection AP on them against the
# CelebA-HQ real test faces with DOLOS's balanced protocol (mean and 2 std over five draws).
name = "dolos-table2"
description = "Weakly-supervised localization on Xception: method x supervision setup (DOLOS Table 2)."
dataset = "dolos"
_methods = ("gradcam", "patches", "attention")
trainings = [dict(name=f"{m}-{s}", config=f"dolos_{m}_xception", dataset=f"dolos[setup={s};sources=celebahq]",
                  task="binary") for m in _methods for s in "ABC"]
evaluation = dict(dataset="dolos[fakes=repaint-p2;reals=true;sources=celebahq]", split="test",
                  distortions=["clean"], policy=dict(preset="dolos"))
# Demo scale: the CPU configs (small input, few iterations) on the embedded DOLOS demo.
# Paper scale: DOLOS trains setup C for 50 epochs of 500 iterations, the weak setups for 100 (Attention
# 15 epochs throughout, as its config holds).
scales = dict(paper={f"{m}-C": dict(max_iters=25000) for m in ("gradcam", "patches")},
              demo={f"{m}-{s}": dict(config=f"dolos_{m}_xception_demo_cpu") for m in _methods for s in "ABC"})
table = dict(cols="metric", metrics=["iou", "pbca", "ap_balanced", "ap_balanced_2std"])
# ../shared/spec/metrics.md (DOLOS Table 2, % as fractions; setup C has no detection AP).
_paper = {"A": {"gradcam": (0.168, 0.831, 0.673), "patches": (0.649, 0.967, 0.953), "attention": (0.097, 0.834, 0.793)},
          "B": {"gradcam": (0.215, 0.851, 0.944), "patches": (0.377, 0.798, 0.953), "attention": (0.232, 0.863, 0.944)},
          "C": {"gradcam": (0.837, 0.968, None), "patches": (0.845, 0.986, None), "attention": (0.703, 0.976, None)}}
reference = [dict(row=f"{m}-{s}", values=dict(iou=v[0], pbca=v[1], ap_balanced=v[2]))
             for s, rows in _paper.items() for m, v in rows.items()]
