"""`gfpose train` must run where only PyTorch, numpy, safetensors, tqdm and matplotlib are installed
(a GPU machine that cannot install packages, the training issue): a fresh interpreter in which every
other third-party package the project uses is hidden trains two steps of the GPU config (on the CPU,
float32, a small network) on the bundled data through the CLI, and none of those packages is loaded."""

import subprocess
import sys
import textwrap
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
NOT_ON_A_BARE_MACHINE = ("scipy", "bvhio", "glm", "mediapipe", "cv2", "imageio", "imageio_ffmpeg", "hypothesis")

SCRIPT = textwrap.dedent("""
    import sys
    BLOCKED = set(sys.argv[2].split(","))

    class Hide:
        '''A finder that finds nothing under the blocked names: to Python they are not installed.'''
        def __init__(self, finder):
            self.finder = finder

        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                return None
            return self.finder.find_spec(name, path, target)

        def __getattr__(self, attribute):
            return getattr(self.finder, attribute)

    sys.meta_path[:] = [Hide(finder) for finder in sys.meta_path]
    from gfpose.cli import main
    main(["train", "--data", "bundled", "--out", sys.argv[1], "--steps", "2", "--config", "gpu", "--quiet",
          "--set", "model.hidden=64", "--set", "model.groups=8", "--set", "train.batch_size=32",
          "--set", "train.bf16=false"])
    print("loaded:", sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED))
""")


def test_training_runs_with_only_the_core_packages(tmp_path):
    run = tmp_path / "run"
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(run), ",".join(NOT_ON_A_BARE_MACHINE)],
                            capture_output=True, text=True, timeout=300,
                            env={"PYTHONPATH": str(SRC), "OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr[-3000:]
    assert "loaded: []" in result.stdout
    assert (run / "model.safetensors").exists() and (run / "train_state.pt").exists()
