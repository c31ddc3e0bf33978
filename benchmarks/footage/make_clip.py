"""Make the committed footage assets from the Pose2Sim demo recording (BSD-3-Clause, perfanalytics).

Writes to src/gfpose/assets/footage/ (run from the repository root):
  pose2sim_cam01.mp4        cam01, source frames 10, 12, ..., 88 (40 frames, 60 -> 30 fps), 540 x 960
  pose2sim_cam01_f050.jpg   cam01 source frame 50, 540 x 960 (the detector test's frame)
  LICENSE                   Pose2Sim's licence, which must stay beside these files
  README.md                 where the files come from

    python benchmarks/footage/make_clip.py [--src ../shared/data/pose2sim-demo]
"""

from __future__ import annotations

import argparse
import shutil
from itertools import islice
from pathlib import Path

import cv2

from gfpose.media.video import open_media

SCALE = 0.5
CLIP_FRAMES = slice(10, 90, 2)
TEST_FRAME = 50
README = """# Footage from the Pose2Sim demo

`pose2sim_cam01.mp4` (source frames 10-88, every 2nd, 30 fps, 540 x 960) and `pose2sim_cam01_f050.jpg`
(source frame 50) are downscaled from `cam01` of the `Demo_SinglePerson` recording of Pose2Sim
(perfanalytics/pose2sim, version 0.10.49 on PyPI), BSD-3-Clause: see `LICENSE` beside them. Made by
`benchmarks/footage/make_clip.py`.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, default=Path("../shared/data/pose2sim-demo"))
    parser.add_argument("--out", type=Path, default=Path("src/gfpose/assets/footage"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    media = open_media(args.src / "cam01.mp4")
    width, height = (round(s * SCALE) for s in media.image_size)
    kept = range(CLIP_FRAMES.stop)[CLIP_FRAMES]
    writer = cv2.VideoWriter(str(args.out / "pose2sim_cam01.mp4"), cv2.VideoWriter_fourcc(*"mp4v"),
                             media.fps / CLIP_FRAMES.step, (width, height))
    for index, frame in enumerate(islice(media.frames(), CLIP_FRAMES.stop)):
        small = cv2.cvtColor(cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA),
                             cv2.COLOR_RGB2BGR)
        if index in kept:
            writer.write(small)
        if index == TEST_FRAME:
            cv2.imwrite(str(args.out / "pose2sim_cam01_f050.jpg"), small, [cv2.IMWRITE_JPEG_QUALITY, 90])
    writer.release()
    shutil.copyfile(args.src / "LICENSE", args.out / "LICENSE")
    (args.out / "README.md").write_text(README)
    for path in sorted(args.out.iterdir()):
        print(f"{path}  {path.stat().st_size / 1e3:.0f} kB")


if __name__ == "__main__":
    main()
