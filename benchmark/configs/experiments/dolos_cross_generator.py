# DOLOS cross-generator study: Patches in setup C (masks) trained on the inpaintings of one
# generator (Repaint-P2, LDM, LaMa or Pluralistic, CelebA-HQ) and scored on the test inpaintings of
# each, IoU with DOLOS's rules: a row per training generator, a column per test generator.
name = "dolos-cross-generator"
description = "Patches, setup C: train on one inpainter, test on each (DOLOS cross-generator IoU)."
dataset = "dolos"
_generators = ("repaint-p2", "ldm", "lama", "pluralistic")
trainings = [dict(name=f"train-{g}", config="dolos_patches_xception", dataset=f"dolos[setup=only-{g};sources=celebahq]",
                  task="binary") for g in _generators]
evaluation = [dict(name=g, dataset=f"dolos[setup=only-{g};sources=celebahq]", split="test", distortions=["clean"],
                   policy=dict(preset="dolos")) for g in _generators]
scales = dict(paper=dict(), demo=dict(all=dict(config="dolos_patches_xception_demo_cpu")))
table = dict(cols="evaluation", metrics=["iou"])
# ../shared/spec/metrics.md: IoU (%) by test generator (rows there) and training generator.
_paper = {"repaint-p2": (84.1, 11.5, 10.3, 0.2), "ldm": (19.5, 18.1, 11.4, 0.5),
          "lama": (38.0, 7.5, 88.7, 44.9), "pluralistic": (41.4, 11.5, 48.5, 86.4)}
reference = [dict(row=f"train-{train}", values=dict(iou={test: _paper[test][j] / 100 for test in _generators}))
             for j, train in enumerate(_generators)]
