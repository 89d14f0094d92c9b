"""One registry per kind of component; adding one is a new file plus a `register_module` call."""
from mmengine.registry import Registry

DATASETS = Registry("dataset")
BASELINES = Registry("baseline")
DISTORTIONS = Registry("distortion")
METRICS = Registry("metric")
TRACKS = Registry("track")
EDITORS = Registry("editor")
DEMOS = Registry("demo format")


def lookup(registry: Registry, name: str):
    """Return the class registered as `name`, or raise a BenchError listing the known names."""
    from .errors import BenchError

    cls = registry.get(name)
    if cls is None:
        known = ", ".join(sorted(registry.module_dict)) or "none"
        raise BenchError(f"unknown {registry.name} '{name}' (known: {known})")
    return cls
