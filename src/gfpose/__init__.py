"""gfpose: a 3D human pose prior learned as a gradient field (GFPose, CVPR 2023)."""

__version__ = "0.1.0"
__all__ = ["PosePrior", "InputError", "__version__"]

from gfpose.errors import InputError


def __getattr__(name):
    # PosePrior pulls in torch; import it lazily so `import gfpose.skeleton` stays light.
    if name == "PosePrior":
        from gfpose.prior import PosePrior
        return PosePrior
    raise AttributeError(name)
