import numpy as np
import pytest

from benchmark.datasets.tarshards import TarShardStore, write_shard
from benchmark.errors import DataError


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCH_CACHE", str(tmp_path / "cache"))


@pytest.mark.parametrize("suffix", [".tar.bz2", ".tar"])
def test_members_read_back_across_bzip2_blocks(tmp_path, suffix):
    rng = np.random.default_rng(0)
    # ~1.5 MB of incompressible data spans two bzip2 blocks (900 kB each)
    members = {f"d/m{i:03d}.bin": rng.integers(0, 256, int(rng.integers(1, 60_000)), dtype=np.uint8).tobytes()
               for i in range(50)}
    path = tmp_path / f"s{suffix}"
    write_shard(path, members)
    store = TarShardStore(path)
    assert store.names() == sorted(members)
    for name in reversed(sorted(members)):  # backwards: every read seeks
        assert store.read(name) == members[name]
    again = TarShardStore(path)
    assert again.index_file.is_file()
    if suffix == ".tar.bz2":
        assert len(again._blocks or {}) == 0 and len(again.members) == 50 and len(again._blocks) >= 2
    assert again.read("d/m007.bin") == members["d/m007.bin"]
    with pytest.raises(DataError, match="no such member"):
        again.read("nope")


def test_truncated_shard_names_the_file(tmp_path):
    path = tmp_path / "t.tar.bz2"
    write_shard(path, {"a.bin": bytes(range(256)) * 4000, "b.bin": np.random.default_rng(1).bytes(300_000)})
    path.write_bytes(path.read_bytes()[:-5000])
    with pytest.raises(DataError, match="t.tar.bz2: truncated or corrupt"):
        TarShardStore(path).names()
