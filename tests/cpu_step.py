"""Two training steps of the Quickstart's config on fixed random data, run as a script (natively
or under qemu by tests/test_cpu_kernels.py): prints the CPU kernels it ran and digests of the
weights after the steps and of an inference output."""
from __future__ import annotations

import hashlib
import json
import sys

from benchmark.cpu_kernels import pin

CONFIG = "deeplabv3plus_r10t_demo_cpu"


def digest(tensors) -> str:
    h = hashlib.sha256()
    for t in tensors:
        h.update(t.detach().contiguous().numpy().tobytes())
    return h.hexdigest()


def main(kernels: str | None) -> None:
    kernels = pin(kernels)  # before the first tensor operation, as `bench train` does
    import torch
    from mmengine.optim import build_optim_wrapper

    from benchmark.baselines.build import build_model
    from benchmark.training.config import load_config

    cfg = load_config(CONFIG)
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(0)
    model = build_model({**cfg.model.to_dict(), "num_classes": 2}).train()
    optim = build_optim_wrapper(model, cfg.optim_wrapper.to_dict())
    g = torch.Generator().manual_seed(1)
    for _ in range(2):
        x = torch.rand(4, 3, 96, 96, generator=g)
        mask = (torch.rand(4, 96, 96, generator=g) > 0.85).long()
        optim.update_params(model(x, mask=mask)["loss"])
    with torch.no_grad():
        out = model.eval()(torch.rand(1, 3, 128, 128, generator=g))["map"]
    print(json.dumps({"kernels": kernels, "weights": digest(model.state_dict().values()), "output": digest([out])}))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 and sys.argv[1] != "native" else None)
