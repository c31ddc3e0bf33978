import matplotlib.image as mpimg
import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from PIL import Image

from gfpose import viz
from gfpose.errors import InputError

# A standing person in the camera frame (x right, y down, z forward), millimetres, root-relative.
STANDING = np.array([
    [0, 0, 0], [-130, 0, 0], [-130, 450, 30], [-130, 880, 0], [130, 0, 0], [130, 450, 30], [130, 880, 0],
    [0, -230, 0], [0, -480, 0], [0, -580, -30], [0, -700, 0],
    [170, -460, 0], [230, -200, 0], [260, 30, -50], [-170, -460, 0], [-230, -200, 0], [-260, 30, -50],
], dtype=float)


def noisy(n, seed=0, scale=30.0):
    return STANDING + np.random.default_rng(seed).normal(0, scale, (n, 17, 3))


def read_png(path):
    assert path.stat().st_size > 0
    return mpimg.imread(path)


def no_temp_files(folder):
    return [p.name for p in folder.iterdir() if p.name.startswith(".")] == []


def test_hypotheses_figure_size_and_nan_joints(tmp_path):
    kp = STANDING[:, :2] / 4 + 500
    kp[3] = np.nan
    hyps = noisy(30)
    hyps[0, 5] = np.nan
    out = tmp_path / "hyps.png"
    viz.save_hypotheses_figure(out, kp, torch.as_tensor(hyps), gt=STANDING, max_shown=10, panel_size=3, dpi=50)
    img = read_png(out)
    assert img.shape[:2] == (150, 300)
    assert img[..., :3].std() > 0.01  # something was drawn
    assert no_temp_files(tmp_path)


def test_hypotheses_figure_without_2d_panel(tmp_path):
    out = tmp_path / "hyps3d.png"
    viz.save_hypotheses_figure(out, None, noisy(3), panel_size=2, dpi=50)
    assert read_png(out).shape[:2] == (100, 100)


def test_pose_grid_layout_and_titles(tmp_path):
    out = tmp_path / "grid.png"
    viz.save_pose_grid(out, noisy(5), ncols=3, titles=list("abcde"), panel_size=2, dpi=40)
    assert read_png(out).shape[:2] == (2 * 80, 3 * 80)
    with pytest.raises(InputError, match="titles"):
        viz.save_pose_grid(out, noisy(5), titles=["a"])


def test_figure_replaces_existing_file(tmp_path):
    out = tmp_path / "grid.png"
    out.write_bytes(b"old")
    viz.save_pose_grid(out, noisy(2), ncols=2, panel_size=2, dpi=50)
    assert read_png(out).shape[:2] == (100, 200)
    assert no_temp_files(tmp_path)


def test_gif_has_one_frame_per_pose(tmp_path):
    out = tmp_path / "seq.gif"
    poses = noisy(4)
    poses[2] = np.nan  # a fully missing frame draws nothing but does not fail
    viz.save_gif(out, poses, fps=5, panel_size=2, dpi=40)
    assert out.stat().st_size > 0
    with Image.open(out) as gif:
        assert gif.n_frames == 4
        assert gif.size == (80, 80)
    assert mpimg.imread(out).shape[:2] == (80, 80)


def test_plot_functions_on_user_axes_keep_people_upright():
    fig = Figure()
    ax3 = fig.add_subplot(1, 2, 1, projection="3d")
    viz.plot_pose_3d(ax3, STANDING, frame="camera")
    lo, hi = ax3.get_zlim()
    assert hi - lo == pytest.approx(np.ptp(ax3.get_xlim()))  # equal scales
    assert lo < -800 < 650 < hi  # feet (y = +880 in camera) go down, head (y = -700) up
    ax2 = fig.add_subplot(1, 2, 2)
    viz.plot_pose_2d(ax2, STANDING[:, :2])
    assert ax2.yaxis_inverted()


def test_bad_inputs_raise_input_error(tmp_path):
    with pytest.raises(InputError, match="hypotheses"):
        viz.save_hypotheses_figure(tmp_path / "x.png", None, STANDING)
    with pytest.raises(InputError, match="frame"):
        viz.save_gif(tmp_path / "x.gif", noisy(2), frame="screen")
    with pytest.raises(InputError, match="kp"):
        viz.plot_pose_2d(Figure().add_subplot(), STANDING)
    assert no_temp_files(tmp_path)
