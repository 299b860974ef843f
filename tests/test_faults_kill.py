"""SIGKILL at random moments, then resume: `hepemu events` writes the events a lone run
writes (byte for byte) and `hepemu fit` ends with a lone run's weights.

The same output is killed again and again at random moments (during start-up, the set-up,
a chunk or an epoch, or the final write), each rerun resuming what the killed ones left,
then run to the end. A handful of moments run by default; set HEPEMU_KILL_MOMENTS=20 (or
more) for the long check.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch

from hepemu.cli.main import run_cli
from hepemu.data.dataset import write_dataset
from hepemu.models.envelope import load_envelope
from hepemu.models.regressor import NetworkRegressor

MOMENTS = int(os.environ.get("HEPEMU_KILL_MOMENTS", "3"))
CLI = "import sys; from hepemu.cli.main import main; sys.argv = sys.argv[1:]; main()"


def kill_repeatedly(args: list[str], moments: int, latest: float, seed: int) -> int:
    """Start ``hepemu ARGS`` ``moments`` times, each SIGKILLed after a random delay in
    [0.3, latest] s (a run that ends sooner is not killed); returns how many were killed."""
    killed = 0
    for delay in np.random.default_rng(seed).uniform(0.3, latest, moments):
        proc = subprocess.Popen([sys.executable, "-c", CLI, "hepemu", *args],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            proc.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            killed += 1
    return killed


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_events_killed_at_random_moments_resume_to_a_lone_runs_file(tmp_path):
    args = ["events", "--surrogate", "ee3j", "--n", "60", "--chunk-trials", "5000", "--force"]
    out = tmp_path / "ev.lhe"
    assert kill_repeatedly([*args, "--out", str(out)], MOMENTS, 12.0, seed=1) >= 1
    assert run_cli([*args, "--out", str(out)]) == 0
    assert run_cli([*args, "--out", str(tmp_path / "lone.lhe")]) == 0
    assert sha(out) == sha(tmp_path / "lone.lhe")


def test_fit_killed_at_random_moments_resumes_to_a_lone_runs_weights(tmp_path):
    x = np.random.default_rng(5).random((2000, 3))
    data = tmp_path / "d.h5"
    write_dataset(data, x, np.exp(x[:, 0]) * (1 + x[:, 1] ** 2), {"columns": ["a", "b", "c"]})
    card = tmp_path / "card.toml"
    card.write_text(
        f'[data]\npath = "{data}"\n[model]\nkind = "dnn"\nhidden = [32, 32]\n'
        "[training]\nepochs = 60\nbatch_size = 64\nthreads = 1\ncheckpoint_every_s = 0.2\n"
    )
    killed = tmp_path / "killed"
    assert kill_repeatedly(["fit", str(card), "--out", str(killed)], MOMENTS, 7.0, seed=2) >= 1
    assert run_cli(["fit", str(card), "--out", str(killed)]) == 0
    assert run_cli(["fit", str(card), "--out", str(tmp_path / "lone")]) == 0
    a = NetworkRegressor.load(killed / "model.safetensors")
    b = NetworkRegressor.load(tmp_path / "lone" / "model.safetensors")
    for (k, v), w in zip(
        a.members[0].state_dict().items(), b.members[0].state_dict().values(), strict=True
    ):
        torch.testing.assert_close(v, w, rtol=0, atol=0, msg=k)
    # the same model: the envelope's digest covers every tensor and setting (not the timings)
    assert load_envelope(killed / "model.safetensors")[1]["digest"] == load_envelope(
        tmp_path / "lone" / "model.safetensors"
    )[1]["digest"]


def test_events_do_not_depend_on_the_callers_torch_threads(tmp_path):
    """A resumed run may start under another load, hence another default thread count: the
    events must not change (float32 surrogates differ in their last bits between counts)."""
    args = ["events", "--surrogate", "ee3j", "--n", "60", "--chunk-trials", "5000"]
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        assert run_cli([*args, "--out", str(tmp_path / "two.lhe")]) == 0
        torch.set_num_threads(1)
        assert run_cli([*args, "--out", str(tmp_path / "one.lhe")]) == 0
    finally:
        torch.set_num_threads(before)
    assert sha(tmp_path / "two.lhe") == sha(tmp_path / "one.lhe")
