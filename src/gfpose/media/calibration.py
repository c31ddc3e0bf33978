"""Calibrated cameras (OpenCV pinhole + Brown-Conrady distortion): Qualisys ``.qca.txt`` and Pose2Sim /
Anipose ``.toml`` calibrations, and a camera's 2D made ideal for lifting (``gfpose lift --calibration``).

The model was trained on an ideal pinhole with the principal point at the image centre
(gfpose.data.cameras); ``Camera.ideal_pinhole`` undistorts detected keypoints and moves the principal
point there, and gives the focal length (gfpose.sequences.lift reads 2D at that focal length).

Qualisys conventions, as read here (checked on the Pose2Sim demo's four views with
``benchmarks/footage/multiview_reference.py``):

- ``<intrinsic>``: focal lengths and principal point in sensor units of 1/64 px, measured on the
  full sensor; the principal point is shifted by the ``<fov_video>`` crop's left/top, whose extent
  is the image size. ``k1..k3`` (``radialDistortion1..3``) and ``p1, p2``
  (``tangentalDistortion1, 2``) are taken as OpenCV's coefficients of normalised image
  coordinates, as they stand. (On the demo they move its median reprojection error by under
  0.1 px, so that footage cannot confirm their scale; Pose2Sim's reader divides them by 64.)
- ``<transform>``: ``r11..r33`` is the world-to-camera rotation (row i holds camera axis i in world
  coordinates) of a camera looking down its -z axis with y up; ``x, y, z`` is the camera centre in
  world mm (the demo's world has z up). OpenCV's camera looks down +z with y down, so
  R = diag(1, -1, -1) @ r and t = -R @ centre. (The transposed r gives ~300 px errors on the demo.)
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gfpose.errors import InputError
from gfpose.media.extra import require

QUALISYS_UNITS_PER_PX = 64.0
QUALISYS_TO_OPENCV_AXES = np.diag([1.0, -1.0, -1.0])


@dataclass(frozen=True)
class Camera:
    """One calibrated camera: x_cam = R @ x_world + t (mm), pixels = K @ distort(x_cam / z).

    ``K`` (3, 3) px; ``dist`` (5,) k1, k2, p1, p2, k3 in OpenCV order; ``R`` (3, 3) world ->
    camera; ``t`` (3,) mm; ``image_size`` (w, h) px of the calibrated frame.
    """

    name: str
    K: np.ndarray
    dist: np.ndarray
    R: np.ndarray
    t: np.ndarray
    image_size: tuple[int, int]

    @property
    def centre(self) -> np.ndarray:
        """Camera centre in world mm, (3,)."""
        return -self.R.T @ self.t

    def project(self, points: np.ndarray) -> np.ndarray:
        """World points (..., 3) mm -> distorted pixels (..., 2) (OpenCV ``projectPoints``)."""
        cv2 = require("cv2", "camera projection")
        points = np.asarray(points, dtype=np.float64)
        pixels, _ = cv2.projectPoints(points.reshape(-1, 1, 3), cv2.Rodrigues(self.R)[0], self.t,
                                      self.K, self.dist)
        return pixels.reshape(*points.shape[:-1], 2)

    @property
    def focal_px(self) -> float:
        """The focal length of its ideal pinhole: the mean of fx and fy (px)."""
        return float(np.mean(np.diag(self.K)[:2]))

    def ideal_pinhole(self, pixels: np.ndarray, image_size=None) -> tuple[np.ndarray, float]:
        """Detected pixels (..., 2) (NaN = missing) -> (the same rays on an undistorted pinhole whose
        principal point is the centre of the (w, h) image they are in (default: the calibrated
        frame's), its focal length: the mean of fx and fy)."""
        focal = self.focal_px
        pixels = np.asarray(pixels, dtype=np.float64)
        size = np.asarray(self.image_size if image_size is None else image_size, dtype=np.float64)
        seen = np.isfinite(pixels).all(axis=-1)
        out = np.full(pixels.shape, np.nan)
        out[seen] = size / 2 + focal * self.normalise(pixels[seen])
        return out, focal

    def normalise(self, pixels: np.ndarray) -> np.ndarray:
        """Distorted pixels (..., 2) -> undistorted normalised coordinates (x/z, y/z) (..., 2)."""
        cv2 = require("cv2", "undistorting keypoints")
        pixels = np.asarray(pixels, dtype=np.float64)
        normal = cv2.undistortPointsIter(pixels.reshape(-1, 1, 2), self.K, self.dist, None, None,
                                         (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 50, 1e-12))
        return normal.reshape(pixels.shape)


def read_calibration(path: str | Path) -> list[Camera]:
    """The cameras of a calibration file: Qualisys XML (``*.qca.txt``) or Pose2Sim / Anipose TOML (``*.toml``)."""
    path = Path(path)
    if path.suffix.lower() == ".toml":
        return read_pose2sim_toml(path)
    if path.name.lower().endswith(".qca.txt"):
        return read_qualisys(path)
    raise InputError(f"{path}: unknown calibration format; expected a Qualisys .qca.txt or a Pose2Sim .toml")


def find_camera(cameras: list[Camera], which: str, source: str) -> Camera:
    """The camera named `which` (its name, or its 1-based position in the file)."""
    names = [camera.name for camera in cameras]
    if which in names:
        return cameras[names.index(which)]
    if which.isdigit() and 1 <= int(which) <= len(cameras):
        return cameras[int(which) - 1]
    raise InputError(f"{source}: no camera {which!r}; it holds {names} (or give 1-{len(cameras)})")


def read_pose2sim_toml(path: str | Path) -> list[Camera]:
    """Cameras of a Pose2Sim / Anipose calibration TOML: one table per camera with ``name``, ``size``
    (w, h) px, ``matrix`` (3 x 3), ``distortions`` (k1, k2, p1, p2), ``rotation`` (Rodrigues vector,
    world -> camera) and ``translation`` (metres); the ``metadata`` table is skipped."""
    import tomllib
    path = Path(path)
    try:
        doc = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except tomllib.TOMLDecodeError as err:
        raise InputError(f"{path}: not valid TOML ({err})") from None
    cameras = []
    for key, table in doc.items():
        if key == "metadata" or not isinstance(table, dict):
            continue
        try:
            rotation = np.asarray(table["rotation"], dtype=np.float64)
            dist = np.zeros(5)
            given = np.asarray(table["distortions"], dtype=np.float64)
            dist[:len(given)] = given
            w, h = (int(round(v)) for v in table["size"])
            cameras.append(Camera(str(table.get("name", key)), np.asarray(table["matrix"], dtype=np.float64), dist,
                                  _rodrigues(rotation), 1000.0 * np.asarray(table["translation"], dtype=np.float64),
                                  (w, h)))
        except (KeyError, TypeError, ValueError) as err:
            raise InputError(f"{path}: camera [{key}] is not a Pose2Sim camera (name, size, matrix, distortions, "
                             f"rotation, translation): {type(err).__name__}: {err}") from None
    if not cameras:
        raise InputError(f"{path}: no camera table in this Pose2Sim calibration")
    return cameras


def _rodrigues(vector: np.ndarray) -> np.ndarray:
    """(3, 3) rotation of a Rodrigues vector (axis times angle in radians)."""
    from scipy.spatial.transform import Rotation
    return Rotation.from_rotvec(vector).as_matrix()


def read_qualisys(path: str | Path) -> list[Camera]:
    """Cameras of a Qualisys calibration (``Calib.qca.txt``), in file order (conventions above)."""
    path = Path(path)
    try:
        root = ET.parse(path).getroot()
        cameras = [_qualisys_camera(node) for node in root.iter("camera")]
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except (ET.ParseError, AttributeError, KeyError, ValueError) as e:
        raise InputError(f"{path}: not a Qualisys calibration (.qca.txt XML with <camera> "
                         f"<transform>, <intrinsic> and <fov_video>): {type(e).__name__}: {e}") from e
    if not cameras:
        raise InputError(f"{path}: no <camera> in this Qualisys calibration")
    return cameras


def _qualisys_camera(node: ET.Element) -> Camera:
    pose, lens, fov = (node.find(tag).attrib for tag in ("transform", "intrinsic", "fov_video"))
    left, top = float(fov["left"]), float(fov["top"])
    size = (int(fov["right"]) - int(left) + 1, int(fov["bottom"]) - int(top) + 1)
    fu, fv, cu, cv = (float(lens[k]) / QUALISYS_UNITS_PER_PX
                      for k in ("focalLengthU", "focalLengthV", "centerPointU", "centerPointV"))
    K = np.array([[fu, 0.0, cu - left], [0.0, fv, cv - top], [0.0, 0.0, 1.0]])
    dist = np.array([float(lens[k]) for k in ("radialDistortion1", "radialDistortion2",
                                              "tangentalDistortion1", "tangentalDistortion2",
                                              "radialDistortion3")])
    r = np.array([[float(pose[f"r{i}{j}"]) for j in (1, 2, 3)] for i in (1, 2, 3)])
    R = QUALISYS_TO_OPENCV_AXES @ r
    centre = np.array([float(pose[k]) for k in ("x", "y", "z")])
    return Camera(node.attrib.get("serial", ""), K, dist, R, -R @ centre, size)


# 35 mm film's diagonal (36 x 24 mm): a "35 mm equivalent" focal length is relative to it.
FILM_35MM_DIAGONAL_MM = float(np.hypot(36.0, 24.0))


def exif_focal_px(image_path: str | Path) -> float | None:
    """The focal length in px that an image's EXIF states as its 35 mm equivalent
    (FocalLengthIn35mmFilm, relative to the 43.3 mm diagonal), or None when it does not."""
    from PIL import Image  # Pillow comes with matplotlib
    try:
        with Image.open(image_path) as image:
            equivalent = image.getexif().get_ifd(0x8769).get(0xA405)  # Exif IFD, FocalLengthIn35mmFilm
            size = image.size
    except OSError:
        return None
    if not equivalent:
        return None
    return float(equivalent) * float(np.hypot(*size)) / FILM_35MM_DIAGONAL_MM
