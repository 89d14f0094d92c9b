"""Semi-Truths (NeurIPS 2024 D&B): `.tar.bz2` shards of originals, masks and edited images, joined
through the edited-image metadata CSV.

```
original/images/{DS}_images_{k}.tar.bz2          {img_id}.jpg|.png
original/masks/{DS}_masks_{k}.tar.bz2            one mask per edited object
inpainting/{DS}/{MODEL}/{DS}_{MODEL}_{k}.tar.bz2            {mask_id}_{DS}_{MODEL}.png
prompt-based-editing/{LM}/{DS}/{MODEL}/{DS}_{MODEL}_{k}.tar.bz2
metadata/**.csv   (older releases: {DS}_{MODEL}_meta.csv beside the shards)
```

Shards are read in place (`tarshards.py`). There is no official split: `img_id` is hashed so every
edit of one original lands in the same split. Mask value k = the edit's diffusion model, 1-based in
`generators` (default `MODELS`, in that order). Prompt-based edits have no source mask: their
mask is all ignore (255) and `meta["mask"] = "none"`.
"""
from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from benchmark.errors import BenchError, DataError
from benchmark.registry import DATASETS
from benchmark.tasks import IGNORE

from .base import SPLITS, BaseAdapter, flag, names, numbers, text
from .csvtables import find_tables, read_table
from .imageio import decode_binary_mask, decode_image, image_encoding, image_shape
from .sample import Sample, Target
from .tarshards import TarShardStore, is_shard

SOURCES = ("ADE20K", "CelebAHQ", "CityScapes", "HumanParsing", "OpenImages", "SUN_RGBD")
MODELS = ("StableDiffusion_v4", "StableDiffusion_v5", "StableDiffusion_XL", "Kandinsky_2_2", "OpenJourney")
METHODS = ("inpainting", "prompt-based-editing")
SPLIT_FRACTIONS = (0.8, 0.1, 0.1)  # train, val, test shares of the hashed img_id
NUMERIC = ("area_ratio", "post_edit_ratio", "ssim", "mse", "lpips_score", "dreamsim", "sen_sim",
           "cap2_img2", "img1_img2", "direct_sim", "brisque_score_orig", "brisque_score_perturb")
REQUIRED = ("img_id", "dataset", "diffusion_model", "mask_id")
# Columns only a table of edited images has: one of them and not all of REQUIRED is a broken table.
EDIT_COLUMNS = ("diffusion_model", "mask_id", "perturbed_img_id")
META = ("img_id", "mask_id", "mask_name", "dataset", "diffusion_model", "method", "area_ratio",
        "sem_magnitude", "post_edit_ratio", "ssim", "lpips_score", "pass_qc")
METADATA_GLOBS = ("metadata/**/*.csv", "**/*_meta.csv")
FACIAL_REGIONS = ("neck", "hair", "nose", "skin", "lower lip", "cloth", "left ear", "right ear",
                  "mouth", "upper lip")
PRESETS = {
    # The seed thesis' subset: CelebAHQ originals and their inpainted facial regions.
    "thesis-celebahq": {"sources": ("CelebAHQ",), "regions": FACIAL_REGIONS, "methods": ("inpainting",)},
}
SHARD_RE = re.compile(r"^(?P<ds>.+)_(?P<kind>images|masks)_\d+$")
IMAGE_EXTS = (".jpg", ".jpeg", ".png")

Member = tuple[TarShardStore, str]


@dataclass(frozen=True)
class EditRecord:
    image_id: str
    image: Member
    mask: Member | None
    generator: int
    meta: dict = field(hash=False, compare=False)


@dataclass(frozen=True)
class RealRecord:
    image_id: str
    image: Member
    meta: dict = field(hash=False, compare=False)


def normalise_id(dataset: str, image_id: str) -> str:
    """`CelebA_20046`, `20046` and `20046.jpg` are the same CelebAHQ original."""
    stem = image_id[: -len(Path(image_id).suffix)] if image_id.lower().endswith(IMAGE_EXTS) else image_id
    if dataset == "CelebAHQ" and stem.startswith("CelebA_"):
        stem = stem[len("CelebA_"):]
    return stem


def region_key(name: str) -> str:
    return re.sub(r"[\s_\-]+", " ", name.strip().lower())


def split_of(dataset: str, image_id: str, fractions: Sequence[float]) -> str:
    digest = hashlib.sha1(f"{dataset}/{normalise_id(dataset, image_id)}".encode()).hexdigest()
    u = int(digest[:12], 16) / 16 ** 12
    edges = np.cumsum(fractions) / sum(fractions)
    return SPLITS[min(int(np.searchsorted(edges, u, side="right")), len(SPLITS) - 1)]


@dataclass
class Layout:
    originals: dict[str, list[TarShardStore]] = field(default_factory=dict)  # DS -> shards
    masks: dict[str, list[TarShardStore]] = field(default_factory=dict)
    edits: dict[tuple[str, str, str], list[TarShardStore]] = field(default_factory=dict)  # (method, DS, MODEL)

    @classmethod
    def scan(cls, root: Path) -> "Layout":
        layout = cls()
        for path in sorted(p for p in root.rglob("*") if is_shard(p)):
            parts = path.relative_to(root).parts
            stem = path.name.split(".")[0]
            store = TarShardStore(path)
            m = SHARD_RE.match(stem)
            if parts[0] == "original" and m:
                target = layout.originals if m["kind"] == "images" else layout.masks
                target.setdefault(m["ds"], []).append(store)
            elif parts[0] in METHODS and len(parts) >= 4:
                layout.edits.setdefault((parts[0], parts[-3], parts[-2]), []).append(store)
        return layout

    def __bool__(self) -> bool:
        return bool(self.originals or self.edits)


@DATASETS.register_module(name="semitruths")
class SemiTruths(BaseAdapter):
    """Filters: `sources` (DS names), `models`, `methods`, `regions` (mask names), `pass_qc`
    (True keeps rows that passed QC); `preset` fills the filters not given (see `PRESETS`);
    `reals` adds the originals of the selected sources."""

    name = "semitruths"
    default_generators = MODELS
    layout = "original/, inpainting/ or prompt-based-editing/ .tar.bz2 shards"
    options = {**BaseAdapter.options, "preset": text, "sources": names, "models": names, "methods": names,
               "regions": names, "pass_qc": flag, "reals": flag, "split_fractions": numbers}

    def __init__(self, root, split="train", generators=None, strict=True, *, preset: str | None = None,
                 sources: Sequence[str] | None = None, models: Sequence[str] | None = None,
                 methods: Sequence[str] | None = None, regions: Sequence[str] | None = None,
                 pass_qc: bool | None = None, reals: bool = True,
                 split_fractions: Sequence[float] = SPLIT_FRACTIONS):
        if preset is not None and preset not in PRESETS:
            raise BenchError(f"unknown Semi-Truths preset '{preset}' (known: {', '.join(PRESETS)})")
        chosen = dict(PRESETS.get(preset, {}))
        given = {"sources": sources, "models": models, "methods": methods, "regions": regions}
        chosen.update({k: v for k, v in given.items() if v is not None})
        self.sources = _as_set(chosen.get("sources"))
        self.models = _as_set(chosen.get("models"))
        self.methods = _as_set(chosen.get("methods"))
        regions = _as_set(chosen.get("regions"))
        self.regions = {region_key(r) for r in regions} if regions else None
        self.pass_qc = pass_qc
        self.reals = reals
        self.split_fractions = tuple(split_fractions)
        if len(self.split_fractions) != len(SPLITS) or min(self.split_fractions) < 0 or sum(self.split_fractions) <= 0:
            raise BenchError(f"Semi-Truths split_fractions {list(self.split_fractions)}: give three "
                             "non-negative shares for train, val, test, e.g. 0.8,0.1,0.1")
        super().__init__(root, split, generators, strict)

    @classmethod
    def splits(cls, root) -> list[str]:
        return list(SPLITS) if Path(root).is_dir() and Layout.scan(Path(root)) else []

    # -- index ---------------------------------------------------------------------------
    def index(self):
        layout = Layout.scan(self.root)
        if not layout:
            raise DataError(str(self.root), "no Semi-Truths shards (original/..., inpainting/..., "
                                            "prompt-based-editing/...) under this folder")
        problems: list[DataError] = []
        # Shard groups with an unreadable shard: their rows are not also reported as missing members.
        self._broken: set[tuple] = set()
        self._unreadable: set[Path] = set()  # reported once, though originals are listed twice
        edits = self._member_index(layout, problems)
        records = self._edit_records(layout, edits, problems)
        if self.reals:
            records += self._real_records(layout, problems)
        return records, problems

    def _wanted(self, selection: set[str] | None, value: str) -> bool:
        return selection is None or value in selection

    def _members(self, stores: list[TarShardStore], problems: list, group: tuple) -> list[Member]:
        out = []
        for store in stores:
            try:
                out += [(store, name) for name in store.names()]
            except DataError as exc:
                if store.path not in self._unreadable:
                    problems.append(exc)
                    self._unreadable.add(store.path)
                self._broken.add(group)
        return out

    def _member_index(self, layout: Layout, problems: list) -> dict:
        """(method, DS, MODEL, edit id) -> edited member, for the selected shards only."""
        edits = {}
        for (method, ds, model), stores in layout.edits.items():
            if not (self._wanted(self.methods, method) and self._wanted(self.sources, ds)
                    and self._wanted(self.models, model)):
                continue
            suffix = f"_{ds}_{model}"
            for member in self._members(stores, problems, ("edit", method, ds, model)):
                stem = Path(member[1]).stem
                edits[(method, ds, model, stem[: -len(suffix)] if stem.endswith(suffix) else stem)] = member
        return edits

    def _by_stem(self, shards: dict[str, list[TarShardStore]], problems: list, kind: str) -> dict:
        found = {}
        for ds, stores in shards.items():
            if self._wanted(self.sources, ds):
                for member in self._members(stores, problems, (kind, ds)):
                    stem = Path(member[1]).stem
                    found[(ds, normalise_id(ds, stem) if kind == "original" else stem)] = member
        return found

    def _rows(self, problems: list) -> list[tuple[str, dict]]:
        """Metadata rows as (where, row); a row repeated in a binned table is kept once (raw first)."""
        tables = []
        for path in find_tables(self.root, METADATA_GLOBS):
            try:
                table = read_table(path, numeric=NUMERIC, boolean=("pass_qc",))
            except DataError as exc:
                problems.append(exc)
                continue
            missing = [c for c in REQUIRED if c not in table.columns]
            if not missing:
                tables.append((path, table))
            elif any(c in table.columns for c in EDIT_COLUMNS):  # an edit table with a column lost
                problems.append(DataError(str(path), f"edited-image metadata lacks required column(s) "
                                                     f"{', '.join(missing)}: its rows cannot be joined"))
            # other CSVs (e.g. of originals) are not edits
        if not tables:
            problems.append(DataError(str(self.root), "no edited-image metadata CSV (metadata/**.csv or "
                                                      f"*_meta.csv with columns {', '.join(REQUIRED)})"))
        tables.sort(key=lambda t: "localization" in t[1].columns)
        rows, seen = [], set()
        for path, table in tables:
            default_method = "prompt-based-editing" if "prompt" in path.stem else "inpainting"
            for i, row in enumerate(table.to_dict("records")):
                row["method"] = row.get("method") or default_method
                row["perturbed_img_id"] = row.get("perturbed_img_id") or row["mask_id"]
                key = (row["method"], row["dataset"], row["diffusion_model"], row["perturbed_img_id"])
                if key not in seen:
                    seen.add(key)
                    rows.append((f"{path}:{i + 2}", row))
        return rows

    def _keep(self, row: dict) -> bool:
        return (self._wanted(self.sources, row["dataset"]) and self._wanted(self.models, row["diffusion_model"])
                and self._wanted(self.methods, row["method"])
                and (self.regions is None or region_key(row.get("mask_name") or "") in self.regions)
                and (self.pass_qc is None or row.get("pass_qc") == self.pass_qc))

    def _edit_records(self, layout: Layout, edits: dict, problems: list) -> list[EditRecord]:
        masks = self._by_stem(layout.masks, problems, "mask")
        originals = self._by_stem(layout.originals, problems, "original")
        records, used = [], set()
        for where, row in self._rows(problems):
            if not self._keep(row):
                continue
            ds, model, method = row["dataset"], row["diffusion_model"], row["method"]
            key = (method, ds, model, row["perturbed_img_id"])
            used.add(key)
            if split_of(ds, row["img_id"], self.split_fractions) != self.split:
                continue
            if model not in self.generators:
                problems.append(DataError(where, f"diffusion model {model} is not in the generator list "
                                                 f"({', '.join(self.generators)})"))
                continue
            image = edits.get(key)
            if image is None and ("edit", method, ds, model) in self._broken:
                continue
            if image is None:
                problems.append(DataError(where, f"edited image {row['perturbed_img_id']}_{ds}_{model} is in "
                                                 f"no shard under {self.root / method}"))
                continue
            mask = None
            if method == "inpainting":
                mask = _find_mask(masks, ds, row)
                if mask is None and ("mask", ds) in self._broken:
                    continue
                if mask is None:
                    problems.append(DataError(where, f"mask {row['mask_id']} ({row.get('mask_name')}) of "
                                                     f"{image[0].where(image[1])} is in no shard under "
                                                     f"{self.root / 'original' / 'masks'}"))
                    continue
            original = originals.get((ds, normalise_id(ds, row["img_id"])))
            if original is None and ("original", ds) in self._broken:
                continue
            if original is None:
                problems.append(DataError(where, f"original {row['img_id']} of {image[0].where(image[1])} "
                                                 f"is in no shard under {self.root / 'original' / 'images'}"))
                continue
            meta = {k: row.get(k) for k in META}
            meta["original"] = original[0].where(original[1])
            meta["mask"] = "source" if mask else "none"
            records.append(EditRecord(f"{ds}/{model}/{method}/{row['perturbed_img_id']}", image, mask,
                                      self.generators.index(model) + 1, meta))
        orphans = Counter(k[:3] for k in edits if k not in used)
        if self.regions is None and self.pass_qc is None:  # otherwise rows were filtered on purpose
            self.warnings += [f"{n} edited image(s) of {'/'.join(k)} have no metadata row and are skipped"
                              for k, n in sorted(orphans.items())]
        records.sort(key=lambda r: (str(r.image[0].path), r.image[0].members[r.image[1]][0]))
        return records

    def _real_records(self, layout: Layout, problems: list) -> list[RealRecord]:
        records = []
        for ds, stores in layout.originals.items():
            if not self._wanted(self.sources, ds):
                continue
            for store, name in self._members(stores, problems, ("original", ds)):
                img_id = Path(name).stem
                if split_of(ds, img_id, self.split_fractions) == self.split:
                    records.append(RealRecord(f"{ds}/original/{img_id}", (store, name),
                                              {"dataset": ds, "img_id": img_id, "method": "original"}))
        return records

    # -- load ----------------------------------------------------------------------------
    def origin(self, record) -> tuple[str, bool]:
        """An edit and its original share the original's dataset and img_id."""
        ds = record.meta["dataset"]
        return f"{ds}/{normalise_id(ds, str(record.meta['img_id']))}", isinstance(record, RealRecord)

    def record_file(self, record) -> str:
        store, name = record.image
        return store.where(name)

    def load_target(self, record, data: bytes | None = None) -> Target:
        """The mask alone, checked against the image's size read from its header."""
        store, name = record.image
        where = store.where(name)
        shape = image_shape(store.read(name) if data is None else data, where)
        if isinstance(record, RealRecord):
            return self.make_target(record.image_id, np.zeros(shape, np.uint8), where, record.meta, label=0)
        if record.mask is None:
            return self.make_target(record.image_id, np.full(shape, IGNORE, np.uint8), where, record.meta,
                                    label=1, generator=record.generator)
        mstore, mname = record.mask
        binary = decode_binary_mask(mstore.read(mname), mstore.where(mname))
        self.check_size(binary.shape, shape, mstore.where(mname))
        return self.make_target(record.image_id, binary.astype(np.uint8) * np.uint8(record.generator),
                                mstore.where(mname), record.meta, label=1, generator=record.generator)

    def load(self, record) -> Sample:
        store, name = record.image
        data = store.read(name)
        target = self.load_target(record, data)
        mask_file = record.mask[0].where(record.mask[1]) if getattr(record, "mask", None) else store.where(name)
        return self.make_sample(target, decode_image(data, store.where(name)), mask_file,
                                encoding=image_encoding(data))


def _find_mask(masks: dict, ds: str, row: dict) -> Member | None:
    """By `mask_id`; else by (img_id, mask_name), as CelebAHQ's `20046_004` is stored `20046_mouth`."""
    found = masks.get((ds, row["mask_id"]))
    if found or not row.get("mask_name"):
        return found
    name = row["mask_name"].strip()
    for img_id in dict.fromkeys((normalise_id(ds, row["img_id"]), row["img_id"])):
        for variant in dict.fromkeys((name, name.replace(" ", "_"), name.replace("-", ""), name.replace(" ", ""))):
            found = masks.get((ds, f"{img_id}_{variant}"))
            if found:
                return found
    return None


def _as_set(values) -> set[str] | None:
    if values is None:
        return None
    return {values} if isinstance(values, str) else set(values)
