"""One registry per kind of component; adding one is a new file plus a `register_module` call.
Each registry imports the modules that register into it the first time it is asked for a name
(mmengine `locations`), so no caller imports a package for its side effect.

Other packages add detectors, datasets and tracks through the entry-point groups `bench.baselines`,
`bench.datasets` and `bench.tracks`: an entry point `NAME = package.module:Class` registers the
class as NAME (a track: the function returning its Track), or `NAME = package.module`, a module
whose import registers NAME itself. They are read at lookup time (the first lookup, and again
whenever a name is not found or the names are listed), so a package installed meanwhile is found
too; one that is broken or registers the wrong kind of thing stops the lookup with one line naming
the package.
"""
from __future__ import annotations

from importlib import import_module
from importlib.metadata import EntryPoint, entry_points
from types import ModuleType

from mmengine.registry import Registry


class BenchRegistry(Registry):
    """mmengine's Registry (register_module, build) with a plain lookup: mmengine's own `get`
    and location import write debug log lines, and its logger loads torch (for the process rank),
    which would cost the scorer a second and 500 MB before it reads a byte. Our registries have no
    scopes or parents to search. `group`: the entry-point group plugins register through;
    `base`: 'module:Class' every class a plugin registers must derive from."""

    def __init__(self, name: str, locations: list[str], group: str | None = None, base: str | None = None):
        super().__init__(name, locations=locations)
        self.group, self.base = group, base
        self._plugins_loaded: set[tuple[str, str]] = set()

    def import_from_location(self) -> None:
        if not self._imported:
            for location in self._locations:
                import_module(location)
            self._imported = True
            self.load_plugins()

    def get(self, key: str):
        self.import_from_location()
        if key not in self._module_dict:
            self.load_plugins()
        return self._module_dict.get(key)

    def load_plugins(self) -> None:
        """Register what installed packages declare under `group` and was not loaded yet."""
        if self.group is None:
            return
        for entry in entry_points(group=self.group):
            if (entry.name, entry.value) not in self._plugins_loaded:
                self._load_plugin(entry)  # a broken one stays unloaded: every later scan says so again
                self._plugins_loaded.add((entry.name, entry.value))

    def _load_plugin(self, entry: EntryPoint) -> None:
        from .errors import BenchError

        package = entry.dist.name if entry.dist is not None else entry.module.split(".")[0]
        where = f"plugin package '{package}' ({self.group} entry point '{entry.name} = {entry.value}')"
        try:
            loaded = entry.load()
        except Exception as exc:  # anything a third-party import raises, mmengine's KeyError for a taken name too
            raise BenchError(f"{where}: cannot load it ({type(exc).__name__}: {exc})") from None
        if isinstance(loaded, ModuleType):
            if entry.name not in self._module_dict:
                raise BenchError(f"{where}: importing the module registered no {self.name} named '{entry.name}'")
            loaded = self._module_dict[entry.name]
        elif not callable(loaded):
            raise BenchError(f"{where}: is a {type(loaded).__name__}, not a class, a function or a module")
        if self.base is not None:
            module, _, attr = self.base.partition(":")
            base = getattr(import_module(module), attr)
            if not (isinstance(loaded, type) and issubclass(loaded, base)):
                raise BenchError(f"{where}: {getattr(loaded, '__name__', loaded)} is not a {self.name} "
                                 f"(a {self.name} is a class derived from {base.__module__}.{attr})")
        taken = self._module_dict.get(entry.name)
        if taken is None:
            self.register_module(name=entry.name, module=loaded)
        elif taken is not loaded:
            raise BenchError(f"{where}: the {self.name} name '{entry.name}' is taken by {taken.__module__}.{taken.__name__}")

    def forget(self, name: str) -> None:
        """Unregister `name` (tests that install a plugin for a while undo it this way)."""
        self._module_dict.pop(name, None)
        self._plugins_loaded = {(n, v) for n, v in self._plugins_loaded if n != name}


DATASETS = BenchRegistry("dataset", locations=["benchmark.datasets"], group="bench.datasets",
                         base="benchmark.datasets.base:BaseAdapter")
BASELINES = BenchRegistry("baseline", locations=["benchmark.baselines"], group="bench.baselines",
                          base="benchmark.baselines.contract:Detector")
DISTORTIONS = BenchRegistry("distortion", locations=["benchmark.distortions.standard"])
EDITORS = BenchRegistry("editor", locations=["benchmark.datasets.demo.editors"])
DEMOS = BenchRegistry("demo format", locations=["benchmark.datasets.demo.writers"])
# A track is registered as a function that returns its `Track`.
TRACKS = BenchRegistry("leaderboard track", locations=["benchmark.leaderboards.tracks"], group="bench.tracks")


def lookup(registry: Registry, name: str):
    """Return the class registered as `name`, or raise a BenchError listing the known names."""
    from .errors import BenchError

    cls = registry.get(name)
    if cls is None:
        raise BenchError(f"unknown {registry.name} '{name}' (known: {', '.join(names(registry)) or 'none'})")
    return cls


def names(registry: Registry) -> list[str]:
    """Every name registered, after importing the registry's modules and installed plugins."""
    registry.import_from_location()
    if isinstance(registry, BenchRegistry):
        registry.load_plugins()
    return sorted(registry.module_dict)
