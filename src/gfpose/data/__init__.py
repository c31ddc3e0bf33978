"""Data: pose sets, loaders (bundled Bandai set, BVH, generic npz, Human3.6M, user 2D keypoints),
virtual cameras and 2D noise. Import the module you need, e.g. ``gfpose.data.bandai.load_bundled``.

poseset    PoseSet, the validated (N, 17, 3) mm table every loader returns
posefile   generic npz <-> PoseSet, atomic saves
rigs, bvh  BVH mocap -> H36M-17 through a Rig (bvhio forward kinematics)
bandai     build / load the bundled Bandai Namco set (assets/bandai17.npz)
h36m       Human3.6M in the VideoPose3D layout, with the published cameras
cameras    torch virtual cameras: placement, projection, screen normalisation
noise2d    detector-like 2D noise
keypoints  user 2D keypoints (npz / JSON, H36M or COCO layout)
"""
