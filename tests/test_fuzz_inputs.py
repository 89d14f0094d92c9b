"""Property-based tests of the readers of untrusted input: the predictions reader (manifest,
masks, RLE, scores), the mask decoders and the label-map JSON, on generated malformed input.
Whatever they are given, they raise nothing but BenchError, write nothing, and stay within a
memory cap (checked in a child process under an address-space limit)."""
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmark.datasets.diffseg import read_label_map
from benchmark.errors import BenchError
from benchmark.hashing import sha256_hex
from benchmark.predictions.codecs import decode_mask_png, decode_rle, encode_mask_png
from benchmark.predictions.reader import Predictions
from benchmark.predictions.spec import generator_map

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
json_values = st.recursive(st.none() | st.booleans() | st.integers(-2 ** 40, 2 ** 40) | st.floats() | st.text(max_size=20),
                           lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids, max_size=4),
                           max_leaves=12)
VALID_PNG = encode_mask_png(np.arange(256, dtype=np.uint8).reshape(16, 16))


def mutated(data: bytes, draw_positions, draw_bytes) -> bytes:
    out = bytearray(data)
    for pos, value in zip(draw_positions, draw_bytes):
        out[pos % len(out)] = value
    return bytes(out)


@SETTINGS
@given(st.binary(max_size=200) | st.builds(mutated, st.just(VALID_PNG), st.lists(st.integers(0, 10 ** 6), max_size=6),
                                           st.binary(min_size=6, max_size=6)),
       st.sampled_from([None, (16, 16), (8, 32)]))
def test_mask_png_decoder(data, gt_shape):
    try:
        mask = decode_mask_png(data, "m.png", gt_shape)
    except BenchError:
        return
    assert mask.dtype == np.uint8 and mask.ndim == 2


@SETTINGS
@given(json_values | st.fixed_dictionaries({"size": json_values, "counts": json_values})
       | st.fixed_dictionaries({"size": st.lists(st.integers(-3, 40), min_size=2, max_size=2),
                                "counts": st.text(alphabet=st.characters(min_codepoint=40, max_codepoint=120), max_size=30)
                                | st.lists(st.integers(-5, 2000), max_size=6)}))
def test_rle_decoder(rle):
    try:
        arr = decode_rle(rle, "r", (16, 16))
    except BenchError:
        return
    assert arr.shape == tuple(rle["size"]) and set(np.unique(arr)) <= {0, 255}


def _valid_manifest(members: dict[str, bytes]) -> dict:
    return {"task": "binary", "dataset": "diffseg", "split": "train", "method": "m",
            "generators": generator_map(["a", "b"]), "files": {k: sha256_hex(v) for k, v in members.items()}}


names = st.text(alphabet="ab/._-\\\x00 é", min_size=1, max_size=12).map(lambda s: "masks/" + s) | st.sampled_from(
    ["masks/a.png", "masks/b/c.png", "scores.csv", "masks.json", "manifest.json", "../x", "/abs"])


@SETTINGS
@given(st.dictionaries(names, st.binary(max_size=64) | st.just(VALID_PNG), max_size=5),
       json_values | st.builds(dict) | st.just("valid"),
       st.text(max_size=80), st.booleans())
def test_predictions_reader(tmp_path_factory, members, manifest, scores_text, as_zip):
    tmp = tmp_path_factory.mktemp("fuzz")
    members = dict(members)
    members["scores.csv"] = scores_text.encode("utf-8", "surrogatepass") if scores_text else members.get("scores.csv", b"")
    listed = {k: v for k, v in members.items() if k != "manifest.json"}
    manifest_bytes = json.dumps(_valid_manifest(listed) if manifest == "valid" else manifest).encode()
    path = tmp / "sub.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in {**listed, "manifest.json": manifest_bytes}.items():
            zf.writestr(name, data)
    before = sorted(p.relative_to(tmp) for p in tmp.rglob("*"))
    try:
        preds = Predictions(path)
        preds.check_ids(["a", "b/c"])
        for image_id in preds.ids:
            try:
                preds.read_mask(image_id, (16, 16))
            except BenchError:
                pass
        preds.describe()
    except BenchError:
        pass
    assert sorted(p.relative_to(tmp) for p in tmp.rglob("*")) == before  # the reader writes nothing


@SETTINGS
@given(st.text(max_size=200))
def test_scores_csv_reader(tmp_path_factory, text):
    tmp = tmp_path_factory.mktemp("csv")
    png = VALID_PNG
    members = {"masks/a.png": png, "scores.csv": text.encode("utf-8", "surrogatepass")}
    (tmp / "masks").mkdir()
    for name, data in members.items():
        (tmp / name).write_bytes(data)
    (tmp / "manifest.json").write_text(json.dumps(_valid_manifest(members)))
    preds = Predictions(tmp)  # the manifest is valid: every CSV problem is a listed problem, never raised
    assert all(isinstance(p, str) for p in preds.problems)
    assert all(0.0 <= v <= 1.0 for v in preds.scores.values())


@SETTINGS
@given(json_values)
def test_label_map_reader(tmp_path_factory, value):
    path = tmp_path_factory.mktemp("labels") / "labels.json"
    path.write_text(json.dumps(value))
    try:
        names = read_label_map(path)
    except BenchError:
        return
    assert all(isinstance(n, str) for n in names)


CHILD = r"""
import json, resource, sys, zlib
sys.path.insert(0, sys.argv[1])
from bomb_guard import png_bomb, rle_entry, write_dataset, write_submission
from pathlib import Path
from benchmark.errors import BenchError
from benchmark.scoring import score_predictions
tmp = Path(sys.argv[2])
root = write_dataset(tmp / "data")
small = png_bomb(64, 64)
wide = bytearray(small)
wide[16:24] = (2 ** 31 - 1).to_bytes(4, "big") + (1).to_bytes(4, "big")  # IHDR: 2^31-1 x 1
wide[29:33] = zlib.crc32(bytes(wide[12:29])).to_bytes(4, "big")
subs = [write_submission(tmp / "png.zip", {"00000000": png_bomb(30000, 30000), "00000001": small}),
        write_submission(tmp / "rle.zip", rle=[{"image_id": "00000000", "segmentation": rle_entry(20000, 20000)},
                                                {"image_id": "00000001", "segmentation": rle_entry(64, 64)}]),
        write_submission(tmp / "wide.zip", {"00000000": bytes(wide), "00000001": small})]
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))  # the inputs exist; now score under the cap
out = []
for sub in subs:
    try:
        score_predictions(sub, "diffseg", root, workers=1, progress=False)
        out.append("scored")
    except BenchError as exc:
        out.append("refused: " + str(exc)[-120:])
print(json.dumps(out))
"""


def test_bombs_stay_under_a_one_gib_address_space_cap(tmp_path):
    perf = Path(__file__).resolve().parents[1] / "tools" / "perf"
    proc = subprocess.run([sys.executable, "-c", CHILD, str(perf), str(tmp_path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    verdicts = json.loads(proc.stdout.strip().splitlines()[-1])
    assert len(verdicts) == 3 and all(v.startswith("refused:") and "over the cap" in v for v in verdicts), verdicts
