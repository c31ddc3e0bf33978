"""Video/image decoding: the committed clip streams as RGB frames; bad files raise InputError naming them."""

import types
from pathlib import Path

import numpy as np
import pytest

from gfpose.errors import InputError

cv2 = pytest.importorskip("cv2")
from gfpose.media.video import open_media, read_image  # noqa: E402

FOOTAGE = Path(__file__).resolve().parents[1] / "src" / "gfpose" / "assets" / "footage"
CLIP = FOOTAGE / "pose2sim_cam01.mp4"


def test_clip_streams_rgb_frames_with_fps_and_size():
    media = open_media(CLIP)
    assert (media.fps, media.image_size, media.frame_count) == (30.0, (540, 960), 40)
    frames = media.frames()
    assert isinstance(frames, types.GeneratorType)
    first = next(frames)
    assert first.shape == (960, 540, 3) and first.dtype == np.uint8
    assert 1 + sum(1 for _ in frames) == 40


def test_frames_are_rgb_not_bgr(tmp_path):
    bgr = np.zeros((20, 30, 3), np.uint8)
    bgr[..., 2] = 255  # pure red in OpenCV's BGR order
    cv2.imwrite(str(tmp_path / "red.png"), bgr)
    assert read_image(tmp_path / "red.png")[0, 0].tolist() == [255, 0, 0]


def test_folder_of_images_in_name_order(tmp_path):
    for value in (30, 10, 20):
        cv2.imwrite(str(tmp_path / f"frame_{value:03d}.png"), np.full((8, 12, 3), value, np.uint8))
    (tmp_path / "notes.txt").write_text("not an image")
    media = open_media(tmp_path)
    assert (media.fps, media.image_size, media.frame_count) == (None, (12, 8), 3)
    assert [int(f[0, 0, 0]) for f in media.frames()] == [10, 20, 30]


@pytest.mark.parametrize("name, content", [("empty.mp4", b""), ("corrupt.mp4", b"\x00garbage" * 100),
                                           ("corrupt.jpg", b"\xff\xd8 not a jpeg")])
def test_unreadable_file_names_it(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=name):
        open_media(path)


def test_missing_file_and_empty_folder(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        open_media(tmp_path / "nothing.mp4")
    with pytest.raises(InputError, match="no images"):
        open_media(tmp_path)
