"""Frames of a video file, an image, or a folder of images: RGB uint8 (H, W, 3), streamed.

Decoded with OpenCV (``cv2``): mediapipe, the detector of the ``gfpose[video]`` extra, already
depends on opencv-contrib-python, whose bundled FFmpeg reads the common containers and codecs
(MP4/H.264, WebM/VP9, AVI, MOV) and whose image codecs read JPEG, PNG, BMP, TIFF and WebP, so one
library that is installed anyway does all the decoding.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gfpose.errors import InputError
from gfpose.media.extra import require

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")


@dataclass(frozen=True)
class Media:
    """A readable source of frames. ``image_paths`` is empty for a video; ``fps`` is None for images.

    ``image_size`` is (w, h) px of the first frame; ``frame_count`` is the container's count for a
    video (some containers only estimate it) and the number of images otherwise.
    """

    path: Path
    image_paths: tuple[Path, ...]
    fps: float | None
    image_size: tuple[int, int]
    frame_count: int

    def frames(self) -> Iterator[np.ndarray]:
        """Yield the frames in order, RGB uint8 (H, W, 3), one at a time."""
        if self.image_paths:
            for path in self.image_paths:
                yield read_image(path)
        else:
            yield from _video_frames(self.path)


def read_image(path: str | Path) -> np.ndarray:
    """One image file -> RGB uint8 (H, W, 3); InputError naming the file if it cannot be decoded."""
    cv2 = require("cv2", "reading images")
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise InputError(f"{path}: not a readable image (empty, corrupt or an unsupported format)")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def open_media(path: str | Path) -> Media:
    """Probe a video file, an image, or a folder of images (in file-name order).

    Raises InputError naming the file when it is missing, empty, unreadable, or has no frames.
    """
    path = Path(path)
    if path.is_dir():
        images = tuple(sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES))
        if not images:
            raise InputError(f"{path}: folder holds no images ({', '.join(IMAGE_SUFFIXES)})")
        return _image_media(path, images)
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return _image_media(path, (path,))
    return _probe_video(path)


def _image_media(path: Path, images: tuple[Path, ...]) -> Media:
    height, width = read_image(images[0]).shape[:2]
    return Media(path, images, None, (width, height), len(images))


def _open_capture(path: Path):
    cv2 = require("cv2", "reading video")
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise InputError(f"{path}: not a readable video or image (empty, corrupt or an unsupported "
                         f"format; images must end in {', '.join(IMAGE_SUFFIXES)})")
    return cv2, capture


def _probe_video(path: Path) -> Media:
    cv2, capture = _open_capture(path)
    try:
        ok, first = capture.read()
        if not ok:
            raise InputError(f"{path}: video has no decodable frames (empty or corrupt)")
        fps = capture.get(cv2.CAP_PROP_FPS)
        count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    finally:
        capture.release()
    return Media(path, (), fps if fps > 0 else None, (first.shape[1], first.shape[0]), max(count, 1))


def _video_frames(path: Path) -> Iterator[np.ndarray]:
    cv2, capture = _open_capture(path)
    try:
        while True:
            ok, bgr = capture.read()
            if not ok:
                return
            yield cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    finally:
        capture.release()
