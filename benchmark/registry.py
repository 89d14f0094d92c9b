"""One registry per kind of component; adding one is a new file plus a `register_module` call.
Each registry imports the modules that register into it the first time it is asked for a name
(mmengine `locations`), so no caller imports a package for its side effect."""
from importlib import import_module

from mmengine.registry import Registry


class BenchRegistry(Registry):
    """mmengine's Registry (register_module, build) with a plain lookup: mmengine's own `get`
    and location import write debug log lines, and its logger loads torch (for the process rank),
    which would cost the scorer a second and 500 MB before it reads a byte. Our registries have no
    scopes or parents to search."""

    def import_from_location(self) -> None:
        if not self._imported:
            for location in self._locations:
                import_module(location)
            self._imported = True

    def get(self, key: str):
        self.import_from_location()
        return self._module_dict.get(key)


DATASETS = BenchRegistry("dataset", locations=["benchmark.datasets"])
BASELINES = BenchRegistry("baseline", locations=["benchmark.baselines"])
DISTORTIONS = BenchRegistry("distortion", locations=["benchmark.distortions.standard"])
EDITORS = BenchRegistry("editor", locations=["benchmark.datasets.demo.editors"])
DEMOS = BenchRegistry("demo format", locations=["benchmark.datasets.demo.writers"])
TRACKS = BenchRegistry("leaderboard track", locations=["benchmark.leaderboards.tracks"])


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
