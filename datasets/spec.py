"""The dataset spec: an adapter name plus the options it declares, e.g. `dolos[setup=C]` or
`semitruths[preset=thesis-celebahq;pass_qc=true]`. Every command, config, `run.json`,
predictions manifest and result names its data by one spec, so that numbers of one selection are
never scored against another."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from benchmark.errors import BenchError
from benchmark.options import key_values

SPEC_RE = re.compile(r"^(?P<name>[A-Za-z0-9_-]+)(?:\[(?P<options>.*)\])?$")


@dataclass(frozen=True)
class DatasetSpec:
    """An adapter name plus the options it declares, typed and sorted: `DatasetSpec.of("dolos[setup=C]")`.
    Its text (`str(spec)`) is what every command, config and result records."""

    name: str
    options: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, dataset: "str | DatasetSpec", options: Mapping[str, Any] | Sequence[str] = ()) -> "DatasetSpec":
        """A spec from its text (`dolos`, `dolos[setup=C]`) or a spec, plus `options` given as a
        mapping or as `KEY=VALUE` strings (the command line's `--set`); options are checked and
        typed by the adapter's declaration."""
        if isinstance(dataset, DatasetSpec):
            name, given = dataset.name, dict(dataset.options)
        else:
            m = SPEC_RE.match(str(dataset).strip())
            if m is None:
                raise BenchError(f"dataset spec '{dataset}': expected NAME or NAME[key=value;...]")
            name, given = m["name"], key_values(m["options"].split(";") if m["options"] else [], "dataset option")
        given.update(options if isinstance(options, Mapping) else key_values(options, "dataset option"))
        return cls(name, tuple(sorted(cls.adapter_class_of(name).parse_options(given).items())))

    @staticmethod
    def adapter_class_of(name: str):
        from benchmark.registry import DATASETS, lookup

        return lookup(DATASETS, name)

    @property
    def adapter_class(self):
        return self.adapter_class_of(self.name)

    def build(self, root: str | os.PathLike, split: str, strict: bool = True):
        """The adapter of this spec over `split` of the data at `root`."""
        options = dict(self.options)
        # Selections every adapter shares, applied once built.
        editors, unpaired = options.pop("editors", None), options.pop("unpaired", None)
        adapter = self.adapter_class(root, split=split, strict=strict, **options)
        if editors:
            from .editors import keep_editors

            keep_editors(adapter, editors)
        if unpaired is not None:
            from .pairs import keep_unpaired

            keep_unpaired(adapter, unpaired)
        return adapter

    def splits(self, root: str | os.PathLike) -> list[str]:
        return self.adapter_class.splits(root)

    def __str__(self) -> str:
        if not self.options:
            return self.name
        return f"{self.name}[{';'.join(f'{k}={_text(v)}' for k, v in self.options)}]"


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (list, tuple)):
        return ",".join(_text(v) for v in value)
    return f"{value:g}" if isinstance(value, float) else str(value)
