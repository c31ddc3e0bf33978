"""Real footage in, 3D motion out: video and images, the formats detectors write, BVH export.

Submodules, imported on demand (this package imports nothing heavy): ``video`` (decoding),
``detect`` (the offline 2D detector), ``extra`` (the optional ``gfpose[video]`` dependencies),
``formats`` (COCO keypoint results, OpenPose JSON, gfpose's own files -> Keypoints2D),
``lift`` (2D track -> 3D hypotheses, a 3D track and files), ``animation`` (2D overlay beside the
3D skeleton, MP4/GIF), ``bvh_export`` (joint positions -> BVH joint rotations), ``bvh_denoise``
(a mocap take cleaned, BVH in and BVH out), ``calibration`` and ``triangulate`` (multi-view
reference), ``commands`` (``gfpose lift`` and ``gfpose export-bvh``).
"""
