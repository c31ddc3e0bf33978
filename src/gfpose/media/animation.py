"""The movie of a lifted take: 2D keypoints over the video frame (or a blank canvas) beside the 3D track.

GIF through matplotlib's PillowWriter (Pillow comes with matplotlib). MP4 (H.264) through
matplotlib's FFMpegWriter with the ``ffmpeg`` on PATH or, failing that, the binary the
``imageio-ffmpeg`` package ships; with neither there is no MP4 (:func:`ffmpeg_executable`).
With ``uncertainty_mm`` (e.g. the 90% radius of gfpose.uncertainty) each joint is drawn as a dot
coloured and sized by its radius, on one fixed scale (UNCERTAINTY_SCALE_MM) with a colour bar.
"""

from __future__ import annotations

import itertools
import math
import shutil
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.animation import FFMpegWriter, PillowWriter
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from gfpose.atomic import atomic_write
from gfpose.errors import InputError
from gfpose.skeleton import H36M_JOINTS
from gfpose.viz import plot_pose_2d, plot_pose_3d, set_equal_3d

VideoFrames = Iterable[np.ndarray] | Callable[[], Iterable[np.ndarray]]
PANEL_INCHES = 4.0
BLANK_COLOR = "0.92"
UNCERTAINTY_SCALE_MM = 200.0  # the colour bar's top: a radius this large or larger is the darkest colour
UNCERTAINTY_CMAP = "plasma_r"
HEAD = H36M_JOINTS.index("head")  # where a person's number is written


def ffmpeg_executable() -> str | None:
    """The ffmpeg on PATH, else imageio-ffmpeg's, else None."""
    found = shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg
    except ImportError:
        return None
    return imageio_ffmpeg.get_ffmpeg_exe()


def _draw_2d(ax, people: np.ndarray, size: np.ndarray, image: np.ndarray | None, pixels: int) -> None:
    """(P, 17, 2) px keypoints of P people over the image (or a blank canvas) of (w, h) ``size``,
    ``pixels`` high on screen; with several people each is numbered at the head."""
    ax.cla()
    if image is not None:
        step = max(1, len(image) // pixels)  # decimate to the screen first: resampling a full frame is slow
        ax.imshow(image[::step, ::step], extent=(0, size[0], size[1], 0))
    else:
        ax.set_facecolor(BLANK_COLOR)
    for number, keypoints in enumerate(people):
        if np.isfinite(keypoints).any():
            plot_pose_2d(ax, keypoints, linewidth=1.5)
            if len(people) > 1 and np.isfinite(keypoints[HEAD]).all():
                ax.text(*keypoints[HEAD], str(number), fontsize=9, color="w", backgroundcolor="k")
    ax.set_xlim(0, size[0])
    ax.set_ylim(size[1], 0)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])


def _draw_3d(ax, people: np.ndarray, track: np.ndarray, radius: np.ndarray | None = None) -> None:
    """(P, 17, 3) mm poses, the axes fitted to the whole (P, T, 17, 3) track so the scale is steady;
    with ``radius`` (P, 17) mm the joints as dots coloured and sized by it."""
    ax.cla()
    ax.set_axis_off()  # the 3D axis ticks and grid would take most of the drawing time
    ax.view_init(elev=15, azim=-70)
    for number, pose in enumerate(people):
        if not np.isfinite(pose).all():
            continue
        plot_pose_3d(ax, pose, fit=False)
        if len(people) > 1:
            ax.text(pose[HEAD, 0], pose[HEAD, 2], -pose[HEAD, 1], str(number), fontsize=9)
        if radius is not None:
            shown = np.isfinite(radius[number])
            x, depth, up = pose[shown, 0], pose[shown, 2], -pose[shown, 1]  # camera frame -> display (viz)
            ax.scatter(x, depth, up, c=radius[number][shown], cmap=UNCERTAINTY_CMAP, norm=_uncertainty_norm(),
                       s=12 + 60 * np.clip(radius[number][shown] / UNCERTAINTY_SCALE_MM, 0, 1), depthshade=False,
                       edgecolors="k", linewidths=0.3, zorder=5)
    set_equal_3d(ax, track)


def _uncertainty_norm() -> Normalize:
    return Normalize(0.0, UNCERTAINTY_SCALE_MM, clip=True)


def video_images(video_frames: VideoFrames | None, count: int) -> Iterator[np.ndarray | None]:
    """Exactly ``count`` images from ``video_frames`` (None: ``count`` Nones), else InputError."""
    if video_frames is None:
        yield from itertools.repeat(None, count)
        return
    frames = iter(video_frames() if callable(video_frames) else video_frames)
    for i in range(count):
        image = next(frames, None)
        if image is None:
            raise InputError(f"video_frames: {i} frames but {count} frames of keypoints; expected one each")
        yield image
    if next(frames, None) is not None:
        raise InputError(f"video_frames: more frames than the {count} frames of keypoints; expected one each")


def save_lift_movie(path, keypoints_2d: np.ndarray, image_size: np.ndarray, track: np.ndarray, fps: float,
                    video_frames: VideoFrames | None = None, dpi: float = 80, max_fps: float | None = None,
                    uncertainty_mm: np.ndarray | None = None, uncertainty_label: str = "90% radius, mm") -> None:
    """Write a ``.mp4`` or ``.gif`` of T frames: 2D (T, 17, 2) px over the frame, 3D track (T, 17, 3) mm;
    or several people's, (P, T, 17, 2) and (P, T, 17, 3) (placed in one camera frame so they stand
    apart), each numbered.

    image_size (T, 2) px; video_frames: the T images (H, W, 3) uint8 as an iterable, or a function
    returning one (e.g. ``Media.frames``: read once per movie, never all held in memory); None draws
    on a blank canvas. A frame whose track is all NaN is drawn as "no person". ``max_fps``: show
    every k-th frame only, so the movie runs at most this fast (real time kept). uncertainty_mm:
    (T, 17) (or (P, T, 17)) mm per joint and frame (e.g. gfpose.uncertainty's 90% radius), drawn as the colour and
    size of the 3D joints with a colour bar titled ``uncertainty_label``; None (default) draws none.
    Written atomically.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".mp4", ".gif"):
        raise InputError(f"{path}: movie must be .mp4 or .gif")
    ffmpeg = ffmpeg_executable() if suffix == ".mp4" else None
    if suffix == ".mp4" and ffmpeg is None:
        raise InputError(f"{path}: no ffmpeg for MP4; install it (apt install ffmpeg, or pip install "
                         "imageio-ffmpeg) or write a .gif")
    w, h = image_size[0]
    fig = Figure(figsize=(PANEL_INCHES * (1 + w / h), PANEL_INCHES), dpi=dpi)  # 2D panel as wide as the image
    FigureCanvasAgg(fig)
    split = w / (w + h)
    ax2d = fig.add_axes((0.01, 0.01, split - 0.02, 0.9))
    ax3d = fig.add_axes((split, 0.0, 1 - split, 0.92), projection="3d")
    if np.ndim(track) == 3:  # one person
        keypoints_2d, track = keypoints_2d[None], track[None]
        uncertainty_mm = None if uncertainty_mm is None else np.asarray(uncertainty_mm)[None]
    frames = track.shape[1]
    if uncertainty_mm is not None:
        uncertainty_mm = np.asarray(uncertainty_mm, dtype=np.float64)
        if uncertainty_mm.shape != track.shape[:3]:
            raise InputError(f"uncertainty_mm: shape {uncertainty_mm.shape}, expected {track.shape[:3]} "
                             "((P,) T, 17)")
        bar = fig.add_axes((0.935, 0.1, 0.012, 0.7))  # room on its right for the tick labels
        fig.colorbar(ScalarMappable(_uncertainty_norm(), UNCERTAINTY_CMAP), cax=bar)
        bar.tick_params(labelsize=6)
        bar.set_title(uncertainty_label, fontsize=6)

    step = 1 if max_fps is None else max(1, math.ceil(fps / max_fps))

    def write(tmp: str) -> None:  # one render per frame (FuncAnimation.save would draw each twice)
        writer = PillowWriter(fps=fps / step) if ffmpeg is None else FFMpegWriter(fps=fps / step)
        with writer.saving(fig, tmp, dpi):
            for i, image in enumerate(video_images(video_frames, frames)):
                if i % step:
                    continue
                _draw_2d(ax2d, keypoints_2d[:, i], image_size[i], image, int(PANEL_INCHES * dpi))
                _draw_3d(ax3d, track[:, i], track, None if uncertainty_mm is None else uncertainty_mm[:, i])
                person = np.isfinite(track[:, i]).all(axis=(1, 2)).any()
                fig.suptitle(f"frame {i + 1}/{frames}" + ("" if person else ": no person"), fontsize=9)
                writer.grab_frame()

    with matplotlib.rc_context({"animation.ffmpeg_path": ffmpeg} if ffmpeg else {}):
        atomic_write(path, write)
