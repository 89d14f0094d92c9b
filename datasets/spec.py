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

SPEC_RE = re.compile(r"^(?P<name>[A-Za-z0-9_-]+)(?:\[(?P<options>.*)\])?$")


@dataclass(frozen=True)
class DatasetSpec:
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
            name, given = m["name"], _pairs(m["options"].split(";") if m["options"] else [])
        given.update(options if isinstance(options, Mapping) else _pairs(options))
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
        return self.adapter_class(root, split=split, strict=strict, **dict(self.options))

    def splits(self, root: str | os.PathLike) -> list[str]:
        return self.adapter_class.splits(root)

    def __str__(self) -> str:
        if not self.options:
            return self.name
        return f"{self.name}[{';'.join(f'{k}={_text(v)}' for k, v in self.options)}]"


def _pairs(pairs: Sequence[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, value = str(pair).partition("=")
        if not sep or not key.strip():
            raise BenchError(f"dataset option '{pair}': expected KEY=VALUE")
        out[key.strip()] = value.strip()
    return out


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (list, tuple)):
        return ",".join(_text(v) for v in value)
    return f"{value:g}" if isinstance(value, float) else str(value)
