"""`bench eval` over a distortion sweep against the bare forward passes of the same model on the
same images, and against the old path (`bench predict` then `bench score` per distortion).

    python tools/perf/eval_speed.py [--root DEMO_DIR] [--checkpoint CKPT] [--split val]
        [--distortions clean,jpeg80,jpeg60,resize256,resize128] [--batch-size 8] [--workers N]
        [--old-ref GIT_REF] [--threads T] [--repeat 3]

Without --root the seed-7 DiffSeg30k-layout demo is written to a temporary folder; without
--checkpoint the Quickstart's model (`deeplabv3plus_r10t_demo_cpu`) is trained for 2 iterations
(the forward pass costs the same whatever the weights). Each path runs in a fresh process with the
same torch threads; its clock starts once the modules every command that builds a model imports
are loaded (torch, the CLI, the baselines) and covers the whole call: checkpoint loading, every
child process, writing the files, the table and the plot. CPU time counts the process
and all its descendants (loader workers, writers). Paths:
- forward: the model alone on the same N x D inputs, already decoded, distorted and resized in
  memory, in batches of --batch-size (what the device would do with a perfect input pipeline);
- eval: `bench eval` (`benchmark.sweep.sweep`);
- predict+score: `bench predict` + `bench score` per distortion (what `bench eval` did until one
  pass; the result files must be byte-equal);
- old REF (with --old-ref): `bench eval` of the toolkit at that git commit, run from `git archive`.
The paths run in turn, --repeat times, and each one's best wall time is reported (a shared
machine's load only ever adds time). Last lines: the ratios to the forward passes and
`results byte-equal: yes|no`.
"""
from __future__ import annotations

import argparse
import ctypes
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tabulate import tabulate

HERE = Path(__file__).resolve()
REPO = HERE.parents[2]

FORWARD = r"""
import sys, time, json, resource, numpy as np, torch
from benchmark.baselines.build import load_trained
from benchmark.datasets.spec import DatasetSpec
from benchmark.datasets.torch_dataset import default_transforms, distort_then_transform
ckpt, root, split, distortions, batch = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].split(","), int(sys.argv[5])
model, cfg = load_trained(ckpt)
adapter = DatasetSpec.of("diffseg").build(root, split)
transforms = default_transforms(cfg.run.size, train=False)
inputs = []
for d in distortions:
    for sample in adapter:
        image, _ = distort_then_transform(sample.image, sample.image_id, d, 0, transforms)
        inputs.append(image.transpose(2, 0, 1))
x = torch.from_numpy(np.ascontiguousarray(np.stack(inputs)))
with torch.inference_mode():  # one warm-up batch: oneDNN builds its kernels on first use
    model(model.data_preprocessor({"inputs": x[:batch]})["inputs"])
cpu = lambda: sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
start, start_cpu = time.perf_counter(), cpu()
with torch.inference_mode():
    for i in range(0, len(x), batch):
        model.stored(model(model.data_preprocessor({"inputs": x[i:i + batch]})["inputs"]), cfg.run.task)
print(json.dumps({"seconds": time.perf_counter() - start, "loop_cpu": cpu() - start_cpu, "images": len(x)}))
"""

SWEEP = r"""
import sys, time, json
import torch, benchmark.cli.main, benchmark.baselines  # what every command that builds a model imports
from benchmark.sweep import sweep
ckpt, root, split, distortions, batch, out, workers = sys.argv[1:8]
start = time.perf_counter()
sweep(ckpt, "diffseg", root, split, out, distortions.split(","), batch_size=int(batch),
      workers=None if workers == "auto" else int(workers), progress=False)
print(json.dumps({"seconds": time.perf_counter() - start}))
"""

PREDICT_SCORE = r"""
import sys, time, json
import torch, benchmark.cli.main, benchmark.baselines
from pathlib import Path
from benchmark.predict import predict_split
from benchmark.results import write_result
from benchmark.scoring import score_predictions
ckpt, root, split, distortions, batch, out, workers = sys.argv[1:8]
out = Path(out)
start = time.perf_counter()
for d in distortions.split(","):
    preds = predict_split(ckpt, "diffseg", root, split, out / "predictions" / f"{d}.zip", distortion=d,
                          batch_size=int(batch), workers=None if workers == "auto" else int(workers), progress=False)
    write_result(score_predictions(preds, "diffseg", root, split, workers=1, progress=False),
                 out / "results" / f"{d}.json")
print(json.dumps({"seconds": time.perf_counter() - start}))
"""

OLD = r"""
import sys, time, json
import torch, benchmark.cli.main, benchmark.baselines
from benchmark.evaluate import evaluate
ckpt, root, split, distortions, batch, out, workers = sys.argv[1:8]
start = time.perf_counter()
evaluate(ckpt, "diffseg", root, split, out, distortions.split(","), batch_size=int(batch), progress=False)
print(json.dumps({"seconds": time.perf_counter() - start}))
"""


def become_subreaper() -> bool:
    """Adopt orphaned descendants (loader workers and writers are children of a fork server), so
    that their CPU time is counted once they are reaped."""
    try:
        return ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def reap() -> None:
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def run(code: str, args: list[str], env: dict, cwd: Path) -> dict:
    """Run `code` in a fresh interpreter; its printed JSON plus wall and CPU seconds of the tree.
    `cwd` is not the checkout, whose `benchmark/` would come first on the path of `python -c`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, cwd=cwd)
    wall = time.perf_counter() - start
    reap()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    report.update(process_wall=wall, cpu=(after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime))
    return report


def old_code(ref: str, where: Path) -> dict:
    """An import path that runs the toolkit at git `ref` (package folders linked as setup.cfg maps them)."""
    where.mkdir()
    archive = subprocess.run(["git", "-C", str(REPO), "archive", ref], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(where)], input=archive, check=True)
    for name in ("datasets", "baselines", "leaderboards"):
        (where / "benchmark" / name).symlink_to(where / name)
    return {"PYTHONPATH": str(where)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", help="DiffSeg30k-layout data (default: write the seed-7 demo)")
    parser.add_argument("--checkpoint", help="a bench train checkpoint (default: 2 iterations of the demo config)")
    parser.add_argument("--split", default="val")
    parser.add_argument("--distortions", default="clean,jpeg80,jpeg60,resize256,resize128")
    parser.add_argument("--batch-size", default="8")
    parser.add_argument("--workers", default="auto", help="loader processes of bench eval (default: its own)")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's, the same for every path)")
    parser.add_argument("--old-ref", help="also time bench eval of this git commit (e.g. the merge base)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds; each path's best time is reported")
    args = parser.parse_args()
    subreaper = become_subreaper()
    env = dict(os.environ)
    if args.threads:
        env["OMP_NUM_THREADS"] = str(args.threads)

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        root = args.root
        if root is None:  # in a child: the demo's process pool would outlive it here, and `reap` wait on it
            root = str(tmp / "demo")
            subprocess.run([sys.executable, "-m", "benchmark.cli.main", "data", "demo", "--format", "diffseg",
                            "--out", root, "--seed", "7"], env=env, check=True, capture_output=True)
        ckpt = args.checkpoint
        if ckpt is None:
            subprocess.run([sys.executable, "-m", "benchmark.cli.main", "train", "--config", "deeplabv3plus_r10t_demo_cpu",
                            "--dataset", "diffseg", "--root", root, "--work-dir", str(tmp / "work"), "--max-iters", "2",
                            "--no-progress"], env=env, check=True, capture_output=True)
            ckpt = str(tmp / "work" / "iter_2.pth")
        common = [ckpt, root, args.split, args.distortions, args.batch_size]
        jobs = {"forward": (FORWARD, [], env), "eval": (SWEEP, ["eval", args.workers], env),
                "predict+score": (PREDICT_SCORE, ["predict_score", args.workers], env)}
        if args.old_ref:
            jobs[f"old {args.old_ref}"] = (OLD, ["old_eval", args.workers], {**env, **old_code(args.old_ref, tmp / "old")})
        best: dict[str, dict] = {}
        for round_ in range(args.repeat):
            for name, (code, extra, job_env) in jobs.items():
                if extra:  # a new output folder each round
                    extra = [str(tmp / f"{extra[0]}{round_}"), extra[1]]
                r = run(code, common + extra, job_env, tmp)
                if name not in best or r["seconds"] < best[name]["seconds"]:
                    best[name] = {**r, "round": round_}
        forward = best.pop("forward")
        paths = best
        images = forward["images"]
        rows = [["forward passes", f"{forward['seconds']:.1f}", f"{forward['loop_cpu']:.1f} (loop)", "1.00",
                 f"{images / forward['seconds']:.1f}"]]
        for name, r in paths.items():
            rows.append([name, f"{r['seconds']:.1f}", f"{r['cpu']:.1f}" if subreaper else "-",
                         f"{r['seconds'] / forward['seconds']:.2f}", f"{images / r['seconds']:.1f}"])
        print(f"{images} images ({images // len(args.distortions.split(','))} x {args.distortions}), "
              f"batch {args.batch_size}, torch threads {args.threads or 'default'}, {os.cpu_count()} cores, "
              f"best of {args.repeat} rounds")
        print(tabulate(rows, headers=["path", "wall s", "CPU s (tree)", "x forward", "images/s"]))
        reference = tmp / f"eval{paths['eval']['round']}" / "results"
        names = sorted(p.name for p in reference.iterdir())
        same = {}
        for name, r in paths.items():
            if name != "eval":
                folder = tmp / f"{'predict_score' if name == 'predict+score' else 'old_eval'}{r['round']}" / "results"
                same[name] = all((reference / n).read_bytes() == (folder / n).read_bytes() for n in names)
        for name, r in paths.items():
            print(f"{name}: {r['seconds'] / forward['seconds']:.2f}x the forward passes")
        print("results byte-equal: " + ", ".join(f"{k}: {'yes' if v else 'NO'}" for k, v in same.items()))


if __name__ == "__main__":
    main()
