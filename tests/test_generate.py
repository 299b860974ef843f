"""Chunked generation: serial == processes, resume after a SIGKILL gives the same hash."""

import os
import signal
import subprocess
import sys
import time

import numpy as np

from hepemu.data.dataset import Dataset
from hepemu.data.generate import GenerationPlan, chunk_path, generate, parts_dir
from hepemu.physics.integrals.gghh import GGHH_BOX_SECTOR

PLAN = GenerationPlan("gghh-box-1l", n=5000, chunk=700, seed=1)


def test_serial_and_processes_give_identical_files(tmp_path):
    a = generate(PLAN, tmp_path / "a.h5", "serial")
    b = generate(PLAN, tmp_path / "b.h5", "processes", workers=2)
    assert a == b
    ds = Dataset.open(tmp_path / "a.h5")
    assert ds.n == 5000 and ds.verify() and ds.meta["seed"] == 1
    x, y = ds.read("inputs"), ds.read("targets")
    np.testing.assert_allclose(y, GGHH_BOX_SECTOR(x[:, :3], x[:, 3:]), rtol=1e-15)
    assert np.all(GGHH_BOX_SECTOR.outside_region(x[:, :3]) == 0)


def test_resume_after_lost_chunks(tmp_path):
    full = generate(PLAN, tmp_path / "a.h5", keep_parts=True)
    for i in (0, 3, 7):
        chunk_path(tmp_path / "a.h5", i).unlink()
    assert generate(PLAN, tmp_path / "b.h5") == full  # fresh, for comparison
    (tmp_path / "a.h5").unlink()  # the dataset lost too: reassembled from the kept chunks
    assert generate(PLAN, tmp_path / "a.h5") == full
    assert not parts_dir(tmp_path / "a.h5").exists()  # removed once the file is verified


def test_resume_after_sigkill(tmp_path):
    out = tmp_path / "k.h5"
    plan = GenerationPlan("gghh-box-1l", n=60_000, chunk=2000, seed=5)
    code = (
        "import time\n"
        "from hepemu.data.generate import GenerationPlan, generate\n"
        f"plan = GenerationPlan('gghh-box-1l', n={plan.n}, chunk={plan.chunk}, seed=5)\n"
        f"generate(plan, {str(out)!r}, progress=lambda d, t: time.sleep(0.2))\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code])
    parts = out.parent / (out.name + ".parts")
    deadline = time.time() + 300  # a hang guard: the child's start-up is slow on a busy machine
    while time.time() < deadline and len(list(parts.glob("chunk-*.npz"))) < 3:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = len(list(parts.glob("chunk-*.npz")))
    assert 3 <= finished < plan.n_chunks  # really interrupted mid-run
    resumed = generate(plan, out)
    fresh = generate(plan, tmp_path / "fresh.h5")
    assert resumed == fresh


def test_generate_cli_and_card_give_same_hash(tmp_path):
    from typer.testing import CliRunner

    from hepemu.cli.main import app

    runner = CliRunner()
    args = [
        "data",
        "generate",
        "--provider",
        "gghh-box-1l",
        "--n",
        "3000",
        "--chunk",
        "1000",
        "--seed",
        "1",
        "--out",
        str(tmp_path / "a.h5"),
    ]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    card = tmp_path / "g.toml"
    card.write_text(
        f'[generate]\nprovider = "gghh-box-1l"\nn = 3000\nchunk = 1000\nseed = 1\n'
        f'out = "{tmp_path / "b.h5"}"\n'
    )
    res2 = runner.invoke(app, ["data", "generate", str(card), "--executor", "processes"])
    assert res2.exit_code == 0, res2.output
    h1 = [line for line in res.output.splitlines() if line.startswith("hash: ")]
    h2 = [line for line in res2.output.splitlines() if line.startswith("hash: ")]
    assert h1 == h2 and len(h1) == 1
    info = runner.invoke(app, ["data", "info", str(tmp_path / "a.h5")])
    assert h1[0] in info.output.splitlines()
    bad = runner.invoke(
        app, ["data", "generate", "--provider", "nope", "--n", "5", "--out", str(tmp_path / "c.h5")]
    )
    assert bad.exit_code == 2 and "unknown provider" in bad.output


def test_dask_local_cluster_equals_serial(tmp_path):
    import pytest

    pytest.importorskip("distributed")
    serial = generate(PLAN, tmp_path / "s.h5", "serial")
    distributed = generate(PLAN, tmp_path / "d.h5", "dask", workers=2)
    assert distributed == serial


def test_dask_executor_via_cli(tmp_path):
    import pytest
    from typer.testing import CliRunner

    from hepemu.cli.main import app

    pytest.importorskip("distributed")
    res = CliRunner().invoke(
        app,
        [
            "data",
            "generate",
            "--provider",
            "gghh-box-1l",
            "--n",
            "2000",
            "--chunk",
            "500",
            "--seed",
            "3",
            "--out",
            str(tmp_path / "d.h5"),
            "--executor",
            "dask",
        ],
    )
    assert res.exit_code == 0, res.output
    assert Dataset.open(tmp_path / "d.h5").hash == generate(
        GenerationPlan("gghh-box-1l", 2000, 500, 3), tmp_path / "s.h5"
    )


def test_dask_running_scheduler_address(tmp_path):
    import pytest

    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        digest = generate(PLAN, tmp_path / "c.h5", "dask", scheduler=cluster.scheduler_address)
        with distributed.Client(cluster) as client:  # the cluster outlives the generation
            assert len(client.scheduler_info()["workers"]) == 2
    assert digest == generate(PLAN, tmp_path / "s.h5")


def test_sobol_and_lattice_sets_do_not_depend_on_chunking(tmp_path):
    import pytest

    for sampler, n in (("sobol", 4096), ("lattice", 4093)):
        d = tmp_path / sampler
        a = generate(GenerationPlan("gghh-box-1l", n, 4096, 1, sampler=sampler), d / "a.h5")
        b = generate(GenerationPlan("gghh-box-1l", n, 700, 1, sampler=sampler), d / "b.h5")
        assert a == b, sampler
        x = Dataset.open(d / "a.h5").read("inputs")[:, 3:]
        # the low-discrepancy set integrates x1·x2·x3 better than its MC error estimate
        f = np.prod(x, axis=1)
        assert abs(f.mean() - 1 / 8) < 0.3 * f.std() / np.sqrt(n), sampler
    with pytest.raises(ValueError, match="prime number of points, not 4096: use 4093 or 4099"):
        GenerationPlan("gghh-box-1l", 4096, 700, 1, sampler="lattice")


def test_ctrl_c_keeps_finished_chunks_and_says_how_to_resume(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    import hepemu.data.generate as gen
    from hepemu.cli.main import app

    real = gen.run_chunk

    def interrupted(plan, out, i, retries=2):
        if i == 2:
            raise KeyboardInterrupt
        return real(plan, out, i, retries)

    monkeypatch.setattr(gen, "run_chunk", interrupted)
    out = tmp_path / "i.h5"
    args = ["data", "generate", "--provider", "gghh-box-1l", "--n", "5000", "--chunk", "1000"]
    res = CliRunner().invoke(app, [*args, "--seed", "1", "--out", str(out)])
    assert res.exit_code == 130 and "rerun the same command to resume" in res.output
    assert len(list((tmp_path / "i.h5.parts").glob("chunk-*.npz"))) == 2
    monkeypatch.setattr(gen, "run_chunk", real)
    res = CliRunner().invoke(app, [*args, "--seed", "1", "--out", str(out)])
    assert res.exit_code == 0
    assert Dataset.open(out).hash == generate(
        GenerationPlan("gghh-box-1l", 5000, 1000, 1), tmp_path / "f.h5"
    )
