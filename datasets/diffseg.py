"""DiffSeg30k (arXiv 2511.19111): `train.zip` of `train_copy/{id}.image.png` + `.mask.png` pairs,
or the extracted folder, or parquet shards with `image`/`mask` PNG-bytes columns.

The id -> editor ordering of the masks is not published reliably, so the map comes from the
`generators` argument, else a `labels.json` beside the data, else the paper's listing order.
"""
from __future__ import annotations

import json
import os
import re
from collections import OrderedDict, defaultdict
from dataclasses import dataclass
from pathlib import Path


from benchmark.errors import DataError
from benchmark.registry import DATASETS

from .base import SPLITS, BaseAdapter, canonical_split
from .imageio import decode_image, decode_label_mask, image_encoding
from .sample import Sample, Target
from .stores import DirStore, ZipStore

PAIR_RE = re.compile(r"(?:^|/)(?P<id>[^/]+)\.(?P<kind>image|mask)\.png$")
SHARD_RE = re.compile(r"^(?P<split>[A-Za-z_]+?)(?:-\d{5}-of-\d{5})?$")
ID_COLUMNS = ("image_id", "id", "__key__")


@dataclass(frozen=True)
class PairRecord:
    image_id: str
    store: DirStore | ZipStore
    image: str
    mask: str


@dataclass(frozen=True)
class RowRecord:
    image_id: str
    shard: Path
    row_group: int
    row: int


@DATASETS.register_module(name="diffseg")
class DiffSeg30k(BaseAdapter):
    name = "diffseg"
    default_generators = ("SD2", "SD3.5", "SDXL", "Flux.1", "Glide", "Kolors", "HunyuanDiT-1.1",
                          "Kandinsky-2.2")
    layout = "train.zip, {split}_copy/ image/mask pairs or {split}-*.parquet shards"

    def __init__(self, root, split="train", generators=None, strict=True):
        self._row_groups: OrderedDict = OrderedDict()
        super().__init__(root, split, generators, strict)

    # -- layout discovery ----------------------------------------------------------------
    @classmethod
    def sources(cls, root: str | os.PathLike) -> dict[str, list]:
        """Map canonical split name -> its sources: a DirStore, a ZipStore or a list of parquet shards."""
        root = Path(root)
        found: dict[str, list] = defaultdict(list)
        if root.is_file():
            if root.suffix == ".zip":
                found[_split_of(root.stem)].append(ZipStore(root))
            elif root.suffix == ".parquet":
                found[_split_of(root.stem)].append([root])
            else:
                raise DataError(str(root), "expected a folder, a .zip archive or a .parquet shard")
            return dict(found)
        if any(PAIR_RE.search(p.name) for p in root.glob("*.png")):
            found[_split_of(root.name)].append(DirStore(root))
        for sub in sorted(p for p in root.iterdir() if p.is_dir()):
            if any(PAIR_RE.search(p.name) for p in sub.glob("*.png")):
                found[_split_of(sub.name)].append(DirStore(sub))
        for z in sorted(root.glob("*.zip")):
            split = _split_of(z.stem)
            if split not in found:  # an extracted copy of the same split is faster to read
                found[split].append(ZipStore(z))
        shards: dict[str, list[Path]] = defaultdict(list)
        # Shards sit in the root or one folder down (the hub's `data/`); a deeper search would
        # merge the splits of every dataset below a parent folder.
        for p in sorted([*root.glob("*.parquet"), *root.glob("*/*.parquet")]):
            shards[_split_of(p.stem)].append(p)
        for split, paths in shards.items():
            found[split].append(paths)
        return dict(found)

    @classmethod
    def splits(cls, root) -> list[str]:
        found = cls.sources(root)
        return [s for s in SPLITS if s in found] + sorted(s for s in found if s not in SPLITS)

    def find_generators(self) -> list[str]:
        base = self.root if self.root.is_dir() else self.root.parent
        for candidate in (base / "labels.json", base.parent / "labels.json"):
            if candidate.is_file():
                return read_label_map(candidate)
        return list(self.default_generators)

    # -- index ---------------------------------------------------------------------------
    def index(self):
        sources = self.sources(self.root)
        records, problems = [], []
        for source in sources[self.split]:
            if isinstance(source, list):
                records += self._index_parquet(source, problems)
            else:
                records += _index_pairs(source, problems)
        return records, problems

    def _index_parquet(self, shards: list[Path], problems: list) -> list[RowRecord]:
        import pyarrow.parquet as pq

        records, offset, seen_ids = [], 0, set()
        for shard in shards:
            try:
                pf = pq.ParquetFile(shard)
            except Exception as exc:  # pyarrow raises several unrelated types on corrupt files
                problems.append(DataError(str(shard), f"not a readable parquet file ({exc})"))
                continue
            names = pf.schema_arrow.names
            missing = [c for c in ("image", "mask") if c not in names]
            if missing:
                problems.append(DataError(str(shard), f"missing column(s) {', '.join(missing)}"))
                continue
            id_col = next((c for c in ID_COLUMNS if c in names), None)
            if id_col:
                ids, problem = _column_ids(pf.read(columns=[id_col]).column(0))
                if problem:
                    problems.append(DataError(str(shard), f"id column '{id_col}' {problem}"))
                    continue
                repeated = _first_repeat(ids, seen_ids)
                if repeated is not None:
                    problems.append(DataError(str(shard), f"id column '{id_col}' repeats the id '{repeated}'"))
                    continue
            else:
                ids = _stored_ids(pf)
            n = 0
            for g in range(pf.num_row_groups):
                for r in range(pf.metadata.row_group(g).num_rows):
                    image_id = str(ids[n]) if ids else f"{offset + n:08d}"
                    records.append(RowRecord(image_id, shard, g, r))
                    n += 1
            offset += n
        if len({r.image_id for r in records}) < len(records):  # ids must name one image each
            records = [RowRecord(f"{i:08d}", r.shard, r.row_group, r.row) for i, r in enumerate(records)]
        return records

    # -- load ----------------------------------------------------------------------------
    def record_file(self, record) -> str:
        return str(record.shard) if isinstance(record, RowRecord) else record.store.where(record.image)

    def load(self, record) -> Sample:
        (image_name, mask_name), (image_bytes, mask_bytes) = self._names(record), self._bytes(record, image=True)
        target = self._target(record, mask_bytes, image_name, mask_name)
        return self.make_sample(target, decode_image(image_bytes, image_name), mask_name,
                                encoding=image_encoding(image_bytes))

    def load_target(self, record) -> Target:
        # Never reads the image file: its bytes are ~100x a mask's.
        image_name, mask_name = self._names(record)
        return self._target(record, self._bytes(record, image=False)[1], image_name, mask_name)

    def _target(self, record, mask_bytes: bytes, image_name: str, mask_name: str) -> Target:
        mask = decode_label_mask(mask_bytes, mask_name)
        target = self.make_target(record.image_id, mask, mask_name, {"source": image_name})
        # Later turns may hide earlier ones completely: this counts the turns still visible.
        target.meta["turns"] = len(target.generators)
        return target

    def _names(self, record) -> tuple[str, str]:
        if isinstance(record, PairRecord):
            return record.store.where(record.image), record.store.where(record.mask)
        where = f"{record.shard}[row {record.row_group}:{record.row}]"
        return f"{where} image", f"{where} mask"

    def _bytes(self, record, image: bool) -> tuple[bytes | None, bytes]:
        if isinstance(record, PairRecord):
            return (record.store.read(record.image) if image else None), record.store.read(record.mask)
        return self._row_bytes(record)

    def _row_bytes(self, record: RowRecord) -> tuple[bytes, bytes]:
        """Rows are read a row group at a time; the last few groups stay cached for sequential reads."""
        import pyarrow.parquet as pq

        key = (record.shard, record.row_group)
        table = self._row_groups.get(key)
        if table is None:
            try:
                table = pq.ParquetFile(record.shard).read_row_group(record.row_group, columns=["image", "mask"])
            except Exception as exc:
                raise DataError(f"{record.shard}[row group {record.row_group}]", f"cannot read ({exc})") from None
            table = {c: [_cell_bytes(v) for v in table.column(c).to_pylist()] for c in ("image", "mask")}
            self._row_groups[key] = table
            while len(self._row_groups) > 2:
                self._row_groups.popitem(last=False)
        return table["image"][record.row], table["mask"][record.row]

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_row_groups"] = OrderedDict()
        return state


def _index_pairs(store: DirStore | ZipStore, problems: list) -> list[PairRecord]:
    pairs: dict[str, dict[str, str]] = defaultdict(dict)
    for name in store.names():
        m = PAIR_RE.search(name)
        if m:
            pairs[m["id"]][m["kind"]] = name
    records = []
    for image_id in sorted(pairs):
        pair = pairs[image_id]
        if "image" not in pair:
            problems.append(DataError(store.where(pair["mask"]), "mask has no matching .image.png"))
        elif "mask" not in pair:
            problems.append(DataError(store.where(pair["image"]), "image has no matching .mask.png"))
        else:
            records.append(PairRecord(image_id, store, pair["image"], pair["mask"]))
    return records


def _cell_bytes(value) -> bytes:
    # Hugging Face `Image` columns are structs {bytes, path}; other mirrors store raw bytes.
    return value["bytes"] if isinstance(value, dict) else value


def _split_of(stem: str) -> str:
    stem = stem[: -len("_copy")] if stem.endswith("_copy") else stem
    m = SHARD_RE.match(stem)
    return canonical_split(m["split"] if m else stem)


def read_label_map(path: str | os.PathLike) -> list[str]:
    """Read `labels.json`: {"1": "name", ...} (ids 1..K, "0" optional) or a list of K names."""
    try:
        raw = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise DataError(str(path), f"cannot read the generator map ({exc})") from None
    if isinstance(raw, list):
        return [str(x) for x in raw]
    try:
        ids = sorted(int(k) for k in raw if int(k) != 0)
    except (TypeError, ValueError):
        raise DataError(str(path), "generator map keys must be integer ids") from None
    if ids != list(range(1, len(ids) + 1)):
        raise DataError(str(path), f"generator ids must run 1..K without gaps, got {ids}")
    return [str(raw[str(i)]) for i in ids]


def _column_ids(column) -> tuple[list[str], str | None]:
    """Ids of an id column as text, or why the column cannot name images (a type other than
    text or whole numbers, an empty row)."""
    import pyarrow as pa

    kind = column.type
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_integer(kind)):
        return [], f"holds {kind} values; ids must be text or whole numbers"
    if column.null_count:
        row = next(i for i, v in enumerate(column.to_pylist()) if v is None)
        return [], f"is empty in row {row}"
    return [str(v) for v in column.to_pylist()], None


def _first_repeat(ids: list[str], seen: set[str]) -> str | None:
    """The first id already in `seen` (earlier shards) or repeated in `ids`; `seen` gains `ids`."""
    for image_id in ids:
        if image_id in seen:
            return image_id
        seen.add(image_id)
    return None


def _stored_ids(pf) -> list[str] | None:
    """Ids from the file names Hugging Face keeps in an Image column (`{"bytes", "path"}`), e.g.
    `00001234.image.png` -> `00001234`, so that rows keep the ids of the released files instead of
    row numbers that would repeat the train split's; None where any row has no name."""
    import pyarrow as pa

    image = pf.schema_arrow.field("image").type
    if not (pa.types.is_struct(image) and image.get_field_index("path") >= 0):
        return None
    paths = pf.read(columns=["image.path"]).column(0).combine_chunks().field("path").to_pylist()
    if not all(paths):
        return None
    return [m["id"] if (m := PAIR_RE.search(p)) else Path(p).stem for p in paths]
