"""Training of the segmentation baselines on MMEngine (Config, Registry, Runner)."""
