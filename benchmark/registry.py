"""One registry per kind of component; adding one is a new file plus a `register_module` call.
Each registry imports the modules that register into it the first time it is asked for a name
(mmengine `locations`), so no caller imports a package for its side effect."""
from mmengine.registry import Registry

DATASETS = Registry("dataset", locations=["benchmark.datasets"])
BASELINES = Registry("baseline", locations=["benchmark.baselines"])
DISTORTIONS = Registry("distortion", locations=["benchmark.distortions.standard"])
EDITORS = Registry("editor", locations=["benchmark.datasets.demo.editors"])
DEMOS = Registry("demo format", locations=["benchmark.datasets.demo.writers"])


def lookup(registry: Registry, name: str):
    """Return the class registered as `name`, or raise a BenchError listing the known names."""
    from .errors import BenchError

    cls = registry.get(name)
    if cls is None:
        raise BenchError(f"unknown {registry.name} '{name}' (known: {', '.join(names(registry)) or 'none'})")
    return cls


def names(registry: Registry) -> list[str]:
    """Every name registered, after importing the registry's modules."""
    registry.import_from_location()
    return sorted(registry.module_dict)
