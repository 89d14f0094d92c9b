"""Baseline detectors; importing this package registers them in `benchmark.registry.BASELINES`."""
