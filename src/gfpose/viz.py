"""Matplotlib drawings of H36M-17 skeletons: single poses, hypothesis overlays, grids, GIFs.

Figures are built on the Agg canvas directly (no pyplot, no global backend switch, nothing
shown) and written by :func:`gfpose.atomic.atomic_write`. Bones are coloured by side: left blue,
right red, centre grey. 3D poses are millimetres in the camera frame (x right, y down, z forward)
by default; pass ``frame="world"`` for z-up poses. The display is always z-up with equal axis
scales.
"""

import math
from collections.abc import Sequence

import numpy as np
from matplotlib.animation import FuncAnimation, PillowWriter
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from mpl_toolkits.mplot3d.art3d import Line3DCollection

from gfpose.atomic import atomic_write
from gfpose.errors import InputError
from gfpose.skeleton import BONES, LEFT_JOINTS, NUM_JOINTS, RIGHT_JOINTS

LEFT_COLOR, RIGHT_COLOR, CENTER_COLOR = "tab:blue", "tab:red", "0.35"
GT_COLOR = "black"
FRAMES = ("camera", "world")
_BONES = np.array(BONES)
_BONE_SIDE_COLORS = [LEFT_COLOR if j in LEFT_JOINTS else RIGHT_COLOR if j in RIGHT_JOINTS else CENTER_COLOR
                     for _, j in BONES]


def _numpy(x) -> np.ndarray:
    """A numpy or torch array (any device) as a float64 numpy array."""
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=np.float64)


def _as_poses(x, name: str, dims: int, lead: str = "") -> np.ndarray:
    """``x`` as float64 ``(*lead, 17, dims)`` (``lead`` names batch dims, e.g. "S"), else InputError."""
    a = _numpy(x)
    if a.ndim != len(lead) + 2 or a.shape[-2:] != (NUM_JOINTS, dims):
        want = ", ".join([*lead, str(NUM_JOINTS), str(dims)])
        raise InputError(f"{name} must have shape ({want}), got {a.shape}")
    return a


def _check_frame(frame: str) -> None:
    if frame not in FRAMES:
        raise InputError(f"frame must be one of {FRAMES}, got {frame!r}")


def _to_display(poses: np.ndarray, frame: str) -> np.ndarray:
    """Map ``(..., 17, 3)`` poses to display axes (x, depth, up)."""
    _check_frame(frame)
    if frame == "camera":  # x right, y down, z forward -> x, z, -y
        return np.stack([poses[..., 0], poses[..., 2], -poses[..., 1]], axis=-1)
    return poses


def _bone_colors(color) -> list:
    return _BONE_SIDE_COLORS if color is None else [color] * len(BONES)


def set_equal_3d(ax, poses, frame: str = "camera", margin: float = 0.1) -> None:
    """Give a 3D axes a cube around all finite joints of ``poses (..., 17, 3)`` so bones keep their length."""
    pts = _to_display(_numpy(poses).reshape(-1, 3), frame)
    pts = pts[np.isfinite(pts).all(-1)]
    if len(pts) == 0:
        return
    lo, hi = pts.min(0), pts.max(0)
    center, radius = (lo + hi) / 2, max((hi - lo).max() / 2 * (1 + margin), 1.0)
    ax.set_xlim(center[0] - radius, center[0] + radius)
    ax.set_ylim(center[1] - radius, center[1] + radius)
    ax.set_zlim(center[2] - radius, center[2] + radius)
    ax.set_box_aspect((1, 1, 1))


def plot_pose_3d(ax, pose, color=None, alpha: float = 1.0, frame: str = "camera",
                 linewidth: float = 2.0, fit: bool = True) -> None:
    """Draw one ``(17, 3)`` mm pose on a 3D axes, z up; NaN joints and their bones are skipped.

    ``color=None`` colours bones by side. With ``fit`` the axes become an equal-scale cube
    around this pose; when overlaying several, pass ``fit=False`` and call `set_equal_3d` once.
    """
    p = _to_display(_as_poses(pose, "pose", 3), frame)
    segs = p[_BONES]
    keep = np.isfinite(segs).all((1, 2))
    colors = [c for c, k in zip(_bone_colors(color), keep) if k]
    if keep.any():  # mplot3d cannot autoscale an empty collection
        ax.add_collection3d(Line3DCollection(segs[keep], colors=colors, linewidths=linewidth, alpha=alpha))
    finite = p[np.isfinite(p).all(-1)]
    ax.scatter(finite[:, 0], finite[:, 1], finite[:, 2], s=6, color=color or CENTER_COLOR, alpha=alpha,
               depthshade=False)
    ax.set_xlabel("x")
    ax.set_ylabel("depth" if frame == "camera" else "y")
    ax.set_zlabel("up")
    if fit:
        set_equal_3d(ax, pose, frame)


def plot_pose_2d(ax, kp, color=None, alpha: float = 1.0, linewidth: float = 2.0) -> None:
    """Draw ``(17, 2)`` pixel keypoints in image coordinates (y down); NaN joints are skipped."""
    p = _as_poses(kp, "kp", 2)
    segs = p[_BONES]
    keep = np.isfinite(segs).all((1, 2))
    colors = [c for c, k in zip(_bone_colors(color), keep) if k]
    ax.add_collection(LineCollection(segs[keep], colors=colors, linewidths=linewidth, alpha=alpha))
    finite = p[np.isfinite(p).all(-1)]
    ax.scatter(finite[:, 0], finite[:, 1], s=8, color=color or CENTER_COLOR, alpha=alpha, zorder=3)
    ax.autoscale_view()
    ax.set_aspect("equal", adjustable="datalim")
    if not ax.yaxis_inverted():
        ax.invert_yaxis()


def _figure(ncols: int, nrows: int, panel_size: float, dpi: float) -> Figure:
    fig = Figure(figsize=(ncols * panel_size, nrows * panel_size), dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def _axes_3d(fig: Figure, nrows: int, ncols: int, index: int):
    ax = fig.add_subplot(nrows, ncols, index, projection="3d")
    ax.view_init(elev=15, azim=-70)
    ax.computed_zorder = False  # draw in call order, so GT drawn last stays visible over hypotheses
    for axis in (ax.xaxis, ax.yaxis, ax.zaxis):
        axis.set_major_locator(MaxNLocator(4))
    ax.tick_params(labelsize=7)
    return ax


def _save(fig: Figure, path, dpi: float) -> None:
    fig.tight_layout()
    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=dpi))


def save_hypotheses_figure(path, kp2d, hypotheses, gt=None, max_shown: int = 20, frame: str = "camera",
                           panel_size: float = 4.0, dpi: float = 100) -> None:
    """2D input panel (skipped if ``kp2d`` is None) and a 3D panel overlaying hypotheses and GT (black).

    ``hypotheses (S, 17, 3)`` mm; the first ``max_shown`` are drawn semi-transparent (samples
    are i.i.d., so any subset is fair). The image is ``panels * panel_size * dpi`` by
    ``panel_size * dpi`` pixels.
    """
    hyps = _as_poses(hypotheses, "hypotheses", 3, "S")
    if max_shown < 1:
        raise InputError(f"max_shown must be >= 1, got {max_shown}")
    shown = hyps[:max_shown]
    truth = None if gt is None else _as_poses(gt, "gt", 3)
    ncols = 1 if kp2d is None else 2
    fig = _figure(ncols, 1, panel_size, dpi)
    if kp2d is not None:
        ax2 = fig.add_subplot(1, ncols, 1)
        plot_pose_2d(ax2, kp2d)
        ax2.set_title("2D input (px)")
    ax = _axes_3d(fig, 1, ncols, ncols)
    alpha = min(0.8, max(0.1, 3.0 / len(shown)))
    for h in shown:
        plot_pose_3d(ax, h, alpha=alpha, frame=frame, linewidth=1.5, fit=False)
    if truth is not None:
        plot_pose_3d(ax, truth, color=GT_COLOR, frame=frame, linewidth=2.5, fit=False)
    set_equal_3d(ax, shown if truth is None else np.concatenate([shown, truth[None]]), frame)
    ax.set_title(f"{len(shown)} of {len(hyps)} hypotheses" + ("" if truth is None else ", GT black"))
    _save(fig, path, dpi)


def save_pose_grid(path, poses, ncols: int = 4, titles: Sequence[str] | None = None, frame: str = "camera",
                   panel_size: float = 3.0, dpi: float = 100) -> None:
    """Grid of ``poses (N, 17, 3)`` mm, one per panel, ``min(ncols, N)`` columns, optional titles."""
    ps = _as_poses(poses, "poses", 3, "N")
    if ncols < 1 or len(ps) == 0:
        raise InputError(f"need ncols >= 1 and at least one pose, got ncols={ncols}, poses {ps.shape}")
    if titles is not None and len(titles) != len(ps):
        raise InputError(f"titles must have one entry per pose ({len(ps)}), got {len(titles)}")
    cols = min(ncols, len(ps))
    rows = math.ceil(len(ps) / cols)
    fig = _figure(cols, rows, panel_size, dpi)
    for i, p in enumerate(ps):
        ax = _axes_3d(fig, rows, cols, i + 1)
        plot_pose_3d(ax, p, frame=frame)
        if titles is not None:
            ax.set_title(str(titles[i]))
    _save(fig, path, dpi)


def save_gif(path, poses, fps: float = 10, frame: str = "camera", panel_size: float = 4.0,
             dpi: float = 80) -> None:
    """Animated GIF of ``poses (F, 17, 3)`` mm (a sequence or a sampling trajectory), fixed axes."""
    ps = _as_poses(poses, "poses", 3, "F")
    if len(ps) == 0:
        raise InputError(f"poses must hold at least one frame, got {ps.shape}")
    _check_frame(frame)  # before drawing: an error inside the animation would be masked by the writer
    fig = _figure(1, 1, panel_size, dpi)
    ax = _axes_3d(fig, 1, 1, 1)

    def draw(i):
        ax.cla()
        ax.view_init(elev=15, azim=-70)
        plot_pose_3d(ax, ps[i], frame=frame, fit=False)
        set_equal_3d(ax, ps, frame)
        ax.set_title(f"frame {i + 1}/{len(ps)}")

    anim = FuncAnimation(fig, draw, frames=len(ps), blit=False)
    atomic_write(path, lambda tmp: anim.save(tmp, writer=PillowWriter(fps=fps), dpi=dpi))
