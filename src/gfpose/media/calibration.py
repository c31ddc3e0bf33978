"""Calibrated cameras (OpenCV pinhole + Brown-Conrady distortion) and the Qualisys ``.qca.txt`` reader.

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

    def normalise(self, pixels: np.ndarray) -> np.ndarray:
        """Distorted pixels (..., 2) -> undistorted normalised coordinates (x/z, y/z) (..., 2)."""
        cv2 = require("cv2", "undistorting keypoints")
        pixels = np.asarray(pixels, dtype=np.float64)
        normal = cv2.undistortPointsIter(pixels.reshape(-1, 1, 2), self.K, self.dist, None, None,
                                         (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 50, 1e-12))
        return normal.reshape(pixels.shape)


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
