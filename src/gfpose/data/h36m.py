"""Human3.6M in the VideoPose3D layout -> camera-frame :class:`PoseSet` (one row per frame and view).

Files (as made by VideoPose3D's ``prepare_data_h36m.py``):

* ``data_3d_h36m.npz``: ``positions_3d``, a pickled dict subject -> action -> (F, 32, 3) world
  positions in metres.
* optional ``data_2d_h36m_<name>.npz``: ``positions_2d``, subject -> action -> list of 4 arrays
  (F', 17, 2) px, one per camera (F' >= F; extra frames are cut), and ``metadata`` (a dict whose
  ``layout_name`` 'coco' marks COCO-ordered detections, converted to H36M-17 here).

These files hold pickles: load only files you trust.

Camera parameters are the published Human3.6M calibration as listed in VideoPose3D's
``common/h36m_dataset.py`` (https://github.com/facebookresearch/VideoPose3D): per camera the
intrinsics (focal length, principal point, radial k1-k3 and tangential p1, p2 distortion, image
size) and per subject the extrinsics: ``orientation`` (w, x, y, z), the camera-to-world rotation,
and ``translation``, the camera centre in world mm, so ``X_c = R(q)^T (X_w - translation)``.
The 32 -> 17 joint selection and the distortion model also follow VideoPose3D.
Splits: train S1, S5, S6, S7, S8; test S9, S11.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from gfpose.data.keypoints import coco_to_h36m
from gfpose.data.poseset import PoseSet
from gfpose.errors import InputError
from gfpose.geometry import root_center

TRAIN_SUBJECTS = ("S1", "S5", "S6", "S7", "S8")
TEST_SUBJECTS = ("S9", "S11")
DROPPED_JOINTS = (4, 5, 9, 10, 11, 16, 20, 21, 22, 23, 24, 28, 29, 30, 31)
KEPT_JOINTS = tuple(j for j in range(32) if j not in DROPPED_JOINTS)

# Per camera: id, focal (fx, fy) px, centre (cx, cy) px, radial (k1, k2, k3), tangential (p1, p2),
# image (w, h) px.
CAMERAS = (
    ("54138969", (1145.0494384765625, 1143.7811279296875), (512.54150390625, 515.4514770507812),
     (-0.20709891617298126, 0.24777518212795258, -0.0030751503072679043),
     (-0.0009756988729350269, -0.00142447161488235), (1000, 1002)),
    ("55011271", (1149.6756591796875, 1147.5916748046875), (508.8486328125, 508.0649108886719),
     (-0.1942136287689209, 0.2404085397720337, 0.006819975562393665),
     (-0.0016190266469493508, -0.0027408944442868233), (1000, 1000)),
    ("58860488", (1149.1407470703125, 1148.7989501953125), (519.8158569335938, 501.40264892578125),
     (-0.2083381861448288, 0.25548800826072693, -0.0024604974314570427),
     (0.0014843869721516967, -0.0007599993259645998), (1000, 1000)),
    ("60457274", (1145.5113525390625, 1144.77392578125), (514.9682006835938, 501.88201904296875),
     (-0.198384091258049, 0.21832367777824402, -0.008947807364165783),
     (-0.0005872055771760643, -0.0018133620033040643), (1000, 1002)),
)

# Per subject, per camera: (orientation quaternion (w, x, y, z), camera centre in world mm).
EXTRINSICS = {
    "S1": (
        ((0.1407056450843811, -0.1500701755285263, -0.755240797996521, 0.6223280429840088),
         (1841.1070556640625, 4955.28466796875, 1563.4454345703125)),
        ((0.6157187819480896, -0.764836311340332, -0.14833825826644897, 0.11794740706682205),
         (1761.278564453125, -5078.0068359375, 1606.2650146484375)),
        ((0.14651472866535187, -0.14647851884365082, 0.7653023600578308, -0.6094175577163696),
         (-1846.7777099609375, 5215.04638671875, 1491.972412109375)),
        ((0.5834008455276489, -0.7853162288665771, 0.14548823237419128, -0.14749594032764435),
         (-1794.7896728515625, -3722.698974609375, 1574.8927001953125)),
    ),
    "S5": (
        ((0.1467377245426178, -0.162370964884758, -0.7551892995834351, 0.6178938746452332),
         (2097.3916015625, 4880.94482421875, 1605.732421875)),
        ((0.6159758567810059, -0.7626792192459106, -0.15728192031383514, 0.1189815029501915),
         (2031.7008056640625, -5167.93310546875, 1612.923095703125)),
        ((0.14291371405124664, -0.12907841801643372, 0.7678384780883789, -0.6110143065452576),
         (-1620.5948486328125, 5171.65869140625, 1496.43701171875)),
        ((0.5920479893684387, -0.7814217805862427, 0.1274748593568802, -0.15036417543888092),
         (-1637.1737060546875, -3867.3173828125, 1547.033203125)),
    ),
    "S6": (
        ((0.1337897777557373, -0.15692396461963654, -0.7571090459823608, 0.6198879480361938),
         (1935.4517822265625, 4950.24560546875, 1618.0838623046875)),
        ((0.6147197484970093, -0.7628812789916992, -0.16174767911434174, 0.11819244921207428),
         (1969.803955078125, -5128.73876953125, 1632.77880859375)),
        ((0.1529948115348816, -0.13529130816459656, 0.7646096348762512, -0.6112781167030334),
         (-1769.596435546875, 5185.361328125, 1476.993408203125)),
        ((0.5916101336479187, -0.7804774045944214, 0.12832270562648773, -0.1561593860387802),
         (-1721.668701171875, -3884.13134765625, 1540.4879150390625)),
    ),
    "S7": (
        ((0.1435241848230362, -0.1631336808204651, -0.7548328638076782, 0.6188824772834778),
         (1974.512939453125, 4926.3544921875, 1597.8326416015625)),
        ((0.6141672730445862, -0.7638262510299683, -0.1596645563840866, 0.1177929937839508),
         (1937.0584716796875, -5119.7900390625, 1631.5665283203125)),
        ((0.14550060033798218, -0.12874816358089447, 0.7660516500473022, -0.6127139329910278),
         (-1741.8111572265625, 5208.24951171875, 1464.8245849609375)),
        ((0.5912848114967346, -0.7821764349937439, 0.12445473670959473, -0.15196487307548523),
         (-1734.7105712890625, -3832.42138671875, 1548.5830078125)),
    ),
    "S8": (
        ((0.14110587537288666, -0.15589867532253265, -0.7561917304992676, 0.619644045829773),
         (2150.65185546875, 4896.1611328125, 1611.9046630859375)),
        ((0.6169601678848267, -0.7647668123245239, -0.14846350252628326, 0.11158157885074615),
         (2219.965576171875, -5148.453125, 1613.0440673828125)),
        ((0.1471444070339203, -0.13377119600772858, 0.7670128345489502, -0.6100369691848755),
         (-1571.2215576171875, 5137.0185546875, 1498.1761474609375)),
        ((0.5927824378013611, -0.7825870513916016, 0.12147816270589828, -0.14631995558738708),
         (-1476.913330078125, -3896.7412109375, 1547.97216796875)),
    ),
    "S9": (
        ((0.15540587902069092, -0.15548215806484222, -0.7532095313072205, 0.6199594736099243),
         (2044.45849609375, 4935.1171875, 1481.2275390625)),
        ((0.618784487247467, -0.7634735107421875, -0.14132238924503326, 0.11933968216180801),
         (1990.959716796875, -5123.810546875, 1568.8048095703125)),
        ((0.13357827067375183, -0.1367100477218628, 0.7689454555511475, -0.6100738644599915),
         (-1670.9921875, 5211.98583984375, 1528.387939453125)),
        ((0.5879399180412292, -0.7823407053947449, 0.1427614390850067, -0.14794869720935822),
         (-1696.04345703125, -3827.099853515625, 1591.4127197265625)),
    ),
    "S11": (
        ((0.15232472121715546, -0.15442320704460144, -0.7547563314437866, 0.6191070079803467),
         (2098.440185546875, 4926.5546875, 1500.278564453125)),
        ((0.6189449429512024, -0.7600917220115662, -0.15300633013248444, 0.1255258321762085),
         (2083.182373046875, -4912.1728515625, 1561.07861328125)),
        ((0.14943228662014008, -0.15650227665901184, 0.7681233882904053, -0.6026304364204407),
         (-1609.8153076171875, 5177.3359375, 1537.896728515625)),
        ((0.5894251465797424, -0.7818877100944519, 0.13991211354732513, -0.14715361595153809),
         (-1590.738037109375, -3854.1689453125, 1578.017578125)),
    ),
}


def quaternion_to_matrix(q) -> np.ndarray:
    """Rotation matrix (3, 3) of a unit quaternion (w, x, y, z)."""
    w, x, y, z = np.asarray(q, dtype=np.float64) / np.linalg.norm(q)
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
        [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
        [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
    ])


def world_to_camera(points_mm: np.ndarray, subject: str, camera: int) -> np.ndarray:
    """World points (..., 3) mm -> camera ``camera`` (0-3) of ``subject``, mm."""
    q, center = EXTRINSICS[subject][camera]
    return (points_mm - np.asarray(center)) @ quaternion_to_matrix(q)


def project_distorted(points_cam: np.ndarray, camera: int) -> np.ndarray:
    """Camera-frame points (..., 3) -> px (..., 2) with VideoPose3D's distortion model:
    ``x' = x (1 + k1 r^2 + k2 r^4 + k3 r^6 + p.x) + p r^2``, ``u = f x' + c``, with
    ``x = clip(X/Z, -1, 1)``."""
    _, f, c, k, p, _ = CAMERAS[camera]
    x = np.clip(points_cam[..., :2] / points_cam[..., 2:], -1, 1)
    r2 = (x ** 2).sum(-1, keepdims=True)
    radial = 1 + k[0] * r2 + k[1] * r2 ** 2 + k[2] * r2 ** 3
    tangential = (np.asarray(p) * x).sum(-1, keepdims=True)
    return np.asarray(f) * (x * (radial + tangential) + np.asarray(p) * r2) + np.asarray(c)


def _load_pickled(path: Path, key: str) -> dict:
    try:
        with np.load(path, allow_pickle=True) as z:
            if key not in z.files:
                raise InputError(f"{path}: no {key!r} entry; found {z.files}; expected the "
                                 "VideoPose3D layout")
            out = {key: z[key].item()}
            if "metadata" in z.files:
                out["metadata"] = z["metadata"].item()
            return out
    except InputError:
        raise
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, AttributeError) as e:
        raise InputError(f"{path}: not a readable VideoPose3D npz, truncated or corrupt? "
                         f"({type(e).__name__}: {e})") from e


def _keypoints_2d(path_2d: Path | None, table: dict | None, layout: str, subject: str,
                  action: str, camera: int, frames: int):
    if table is None:
        return None
    try:
        kp = np.asarray(table[subject][action][camera], dtype=np.float32)
    except (KeyError, IndexError):
        raise InputError(f"{path_2d}: no 2D keypoints for {subject} / {action} / camera {camera}") from None
    if kp.ndim != 3 or kp.shape[1:] != (17, 2) or len(kp) < frames:
        raise InputError(f"{path_2d}: {subject} / {action} / camera {camera} has shape {kp.shape}; "
                         f"expected (>= {frames}, 17, 2) px")
    kp = kp[:frames]
    return coco_to_h36m(kp)[0] if layout == "coco" else kp


def load_h36m(path_3d: str | Path, path_2d: str | Path | None = None,
              subjects=TRAIN_SUBJECTS + TEST_SUBJECTS, cameras=(0, 1, 2, 3)) -> PoseSet:
    """Human3.6M as a camera-frame PoseSet: root-relative 3D (mm) and 2D (px) per frame and view.

    2D comes from ``path_2d`` if given, else from projecting the ground truth with the
    distortion model. ``action`` is the action without its take number ("Walking 1" ->
    "Walking"); ``take`` is "subject/action/camera id".
    """
    path_3d = Path(path_3d)
    data = _load_pickled(path_3d, "positions_3d")["positions_3d"]
    table, layout = None, "h36m"
    if path_2d is not None:
        path_2d = Path(path_2d)
        loaded = _load_pickled(path_2d, "positions_2d")
        table = loaded["positions_2d"]
        layout = str(loaded.get("metadata", {}).get("layout_name", "h36m"))
    rows = {k: [] for k in ("poses_3d", "keypoints_2d", "image_size", "action", "subject",
                            "take", "frame", "split")}
    for subject in subjects:
        if subject not in data or subject not in EXTRINSICS:
            raise InputError(f"{path_3d}: subject {subject!r} not found or uncalibrated; file has "
                             f"{sorted(data)}, calibrated: {sorted(EXTRINSICS)}")
        for action, positions in data[subject].items():
            positions = np.asarray(positions, dtype=np.float64)
            if positions.ndim != 3 or positions.shape[1:] != (32, 3):
                raise InputError(f"{path_3d}: {subject} / {action} has shape {positions.shape}; "
                                 "expected (F, 32, 3) metres")
            world = positions[:, KEPT_JOINTS] * 1000.0
            frames = len(world)
            for cam in cameras:
                points = world_to_camera(world, subject, cam)
                kp = _keypoints_2d(path_2d, table, layout, subject, action, cam, frames)
                rows["poses_3d"].append(root_center(points))
                rows["keypoints_2d"].append(project_distorted(points, cam) if kp is None else kp)
                rows["image_size"].append(np.tile(CAMERAS[cam][5], (frames, 1)))
                rows["frame"].append(np.arange(frames))
                for key, value in (("action", action.split(" ")[0]), ("subject", subject),
                                   ("take", f"{subject}/{action}/{CAMERAS[cam][0]}"),
                                   ("split", "train" if subject in TRAIN_SUBJECTS else "test")):
                    rows[key].append(np.full(frames, value))
    try:
        return PoseSet(**{k: np.concatenate(v) for k, v in rows.items()}, frame_kind="camera")
    except InputError as e:
        raise InputError(f"{path_3d}: {e}") from None
