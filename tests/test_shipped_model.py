"""The shipped gghh-box-1l replica set: checksum, precision on unseen points, honest errors."""

import numpy as np
import pytest

from hepemu.evaluation.inn_eval import ReferenceSet, evaluate
from hepemu.models.envelope import ModelFileError
from hepemu.registry import load_model, manifest, resolve_model_path, sha256

# the floor: at least the published tanh result, 3.5 mean digits on unseen points
MIN_DIGITS = 3.5


@pytest.fixture(scope="module")
def shipped():
    if "gghh-box-1l" not in manifest():
        pytest.fail("the gghh-box-1l model is not shipped in src/hepemu/pretrained")
    return load_model("gghh-box-1l")


def test_manifest_checksum_matches(shipped):
    entry = manifest()["gghh-box-1l"]
    assert sha256(resolve_model_path("gghh-box-1l")) == entry["sha256"]
    size = resolve_model_path("gghh-box-1l").stat().st_size
    assert size < 1_000_000  # a few hundred kB at most


def test_shipped_model_precision_on_unseen_points(shipped):
    # seed 99 is used by neither training (seeds 0, 1) nor validation (seed 12345)
    refset = ReferenceSet.make(shipped.integral, 400, seed=99)
    summary, est, sigma = evaluate(shipped, refset)
    assert summary.mean_digits >= MIN_DIGITS
    assert summary.mean_digits_boundary >= MIN_DIGITS - 0.5
    assert abs(summary.mean_r) < 1e-3
    assert shipped.n_replicas >= 2 and np.all(sigma > 0)


def test_corrupted_shipped_file_is_detected(tmp_path, monkeypatch, shipped):
    import hepemu.registry as reg

    bad_dir = tmp_path / "pretrained"
    bad_dir.mkdir()
    src = resolve_model_path("gghh-box-1l")
    data = bytearray(src.read_bytes())
    data[-10] ^= 0xFF
    (bad_dir / src.name).write_bytes(bytes(data))
    (bad_dir / "manifest.json").write_text((src.parent / "manifest.json").read_text())
    monkeypatch.setattr(reg, "_pretrained_dir", lambda: bad_dir)
    with pytest.raises(ModelFileError, match="checksum"):
        reg.load_model("gghh-box-1l")
