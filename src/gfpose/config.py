"""Configuration as nested dataclasses: read from JSON, overridden from the command line."""

import dataclasses
import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from gfpose.joint_definitions import JOINT_DEFINITIONS

# Shipped configs (src/gfpose/configs): 'paper' is the paper's estimation recipe at its public code's
# length (HPJ-010, noise prediction, dropout 0.25, 950,000 steps of 1,000 poses); 'gpu' sees as many
# poses with the default EDM preconditioning and dropout 0.1 in 118,750 steps of 8,000 (learning
# rate x sqrt(8) / 1.4 for Adam's larger batch, warm-up and EMA horizon scaled by 1/8 in steps);
# 'quick' is an estimation model from scratch in about 25 minutes on one CPU core (3,800 steps of 250,
# lr 6e-4 after a 300-step warm-up, its second half decayed to 0: docs/RESULTS.md, Recipes).
# The shipped models' recipes (docs/CHANGELOG.md has the stages that led to each): 'unified' and
# 'estimation' continue the shipped U3D and HPJ-010 models on bundled + CMU; 'detector' makes the
# detector-joint model from the estimation model; 'free' trains the detector-joint model from scratch
# on freely licensed data only (CMU, HDM05).
NAMED_CONFIGS = ("paper", "gpu", "quick", "unified", "estimation", "detector", "free")
# Model keys added after models were first saved, with the meaning files without them have.
SAVED_BEFORE_KEY_EXISTED = {"preconditioning": "noise", "joints": "mocap"}


@dataclass
class ModelConfig:
    """Score network (App. C) and SDE (App. A) settings, plus the data scale."""

    hidden: int = 1024
    blocks: int = 2
    groups: int = 32
    # 0.1 (the public code's) learns faster than the paper's 0.25 (docs/RESULTS.md, "Recipes").
    dropout: float = 0.1
    time_embed_dim: int = 128
    beta_min: float = 0.1
    beta_max: float = 20.0
    # Model units per metre of root-relative pose: sets the signal-to-noise ratio along t
    # (the reference code's pixels/500 * 30 is about 14 per metre for an H36M camera).
    data_scale: float = 10.0
    # What the network's output means (gfpose.parametrisation): "noise", the paper's -z (Eq. 10-11),
    # or "edm", a denoiser preconditioned in the style of Karras et al. 2022 with the data's std
    # per coordinate `sigma_data` in model units (the bundled poses: 0.26 m, i.e. 2.6 at 10/m).
    # "edm" learns faster from scratch (docs/RESULTS.md, "Recipes"); `--config paper` keeps the paper's.
    preconditioning: str = "edm"
    sigma_data: float = 2.6
    # Where the derived joints sit, in the 2D condition and the 3D output (gfpose.joint_definitions):
    # "mocap" (the training rigs' joints) or "detector" (as COCO keypoints define them).
    joints: str = "mocap"

    def __post_init__(self):
        if self.joints not in JOINT_DEFINITIONS:
            raise ValueError(f"model.joints must be one of {JOINT_DEFINITIONS}, not {self.joints!r}")
        if self.preconditioning not in ("noise", "edm"):
            raise ValueError(f"model.preconditioning must be 'noise' or 'edm', not {self.preconditioning!r}")
        if not self.sigma_data > 0:
            raise ValueError(f"model.sigma_data must be positive, not {self.sigma_data}")


@dataclass
class TrainConfig:
    """Optimisation (Sec. 5.2) and condition masking (Sec. 4.3, App. F)."""

    steps: int = 100_000
    # 250 poses a step: from scratch, the same poses in batches of 250 learn more than in batches of
    # 1,000 and take a little longer on a CPU (docs/RESULTS.md, "Recipes"); the paper's 1,000 is in
    # configs/paper.json. The warm-up is 500,000 poses.
    batch_size: int = 250
    lr: float = 2e-4
    warmup_steps: int = 2000
    # The last decay_steps of `steps` lower the lr linearly to 0 (a warm-up / stable / decay
    # schedule): a constant-lr run can be copied at any checkpoint and cooled down by resuming the
    # copy with steps = its step + decay_steps. 0 = constant after the warm-up (the paper's).
    decay_steps: int = 0
    grad_clip: float = 1.0
    ema_decay: float = 0.9999
    # "HPJ-xyz" (Sec. 5.2) or the unified aliases "U2D" / "U3D" (App. F).
    mask_strategy: str = "U3D"
    # Detector-like 2D noise on the training condition (Table 4, "trained on noisy 2D"); 0 = clean.
    noise_2d_sigma: float = 0.0
    # Share of world poses given new body proportions each step, and share mirrored left-right
    # (gfpose.augment); 0 = off. Off by default: it trades accuracy in domain for accuracy on other
    # proportions (docs/RESULTS.md, "Generalisation").
    skeleton_augment: float = 0.0
    mirror: float = 0.0
    # Share of world poses whose arms and legs may come from other poses (gfpose.augment.recombine_limbs).
    recombine_limbs: float = 0.0
    # Share of world poses seen through real-world cameras (gfpose.data.cameras.WIDE_CAMERAS: tilted,
    # rolled, near and far, off centre) instead of upright ones 4-6 m away; 0 = off.
    wide_cameras: float = 0.0
    # Distinct diffusion times per batch (stratified, gfpose.batches.draw_times); 0 = one per sample
    # (the paper's). 32 makes a CPU step faster (docs/RESULTS.md, "Training speed",
    # benchmarks/training_speed.py) and still learns the closed-form Gaussians of tests/test_training.py.
    distinct_times: int = 32
    seed: int = 0
    checkpoint_every: int = 500
    # Keep a copy of the EMA model as snapshots/step_<N>.safetensors every this many steps
    # (benchmarks/learning_curves.py reads them); 0 = none.
    snapshot_every: int = 0
    log_every: int = 50
    # bfloat16 autocast; None = where the hardware multiplies bfloat16 natively (gfpose.precision).
    bf16: bool | None = None
    # A model file whose weights start a new run (fine-tuning, e.g. a per-task model from the unified
    # one); its network settings must equal this config's (preconditioning, sigma_data and dropout
    # may differ: gfpose.train.SETTINGS_FREE_AT_INIT). Ignored when the run folder resumes.
    init_from: str = ""
    # The training data (gfpose.data.specs: 'bundled,benchmarks/data/cmu17.npz*8'); `gfpose train --data`
    # overrides it, and the model file records what the run saw.
    data: str = "bundled"


@dataclass
class Config:
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict) -> "Config":
        unknown = set(data) - {"model", "train"}
        if unknown:
            raise ValueError(f"unknown config sections {sorted(unknown)}; expected 'model' and 'train'")
        return cls(model=_build(ModelConfig, data.get("model", {})),
                   train=_build(TrainConfig, data.get("train", {})))

    @classmethod
    def from_saved(cls, data: dict) -> "Config":
        """The config stored in a model file or training state. Files written before a model key
        existed meant what that key's value was then, not today's default."""
        model = {**SAVED_BEFORE_KEY_EXISTED, **data.get("model", {})}
        return cls.from_dict({**data, "model": model})

    @classmethod
    def from_json_file(cls, path) -> "Config":
        """A JSON file, or the name of a shipped config (NAMED_CONFIGS)."""
        if str(path) in NAMED_CONFIGS:
            path = resources.files("gfpose") / "configs" / f"{path}.json"
        try:
            return cls.from_dict(json.loads(Path(str(path)).read_text()))
        except json.JSONDecodeError as err:
            raise ValueError(f"config file {path}: not valid JSON ({err})") from None

    def with_overrides(self, overrides) -> "Config":
        """Apply "section.key=value" strings (value parsed as JSON, else kept as a string)."""
        data = self.to_dict()
        for item in overrides:
            key, sep, raw = item.partition("=")
            section, dot, name = key.partition(".")
            if not sep or not dot or section not in data or name not in data[section]:
                raise ValueError(f"bad override {item!r}: expected section.key=value with a key of {sorted(data)}")
            try:
                data[section][name] = json.loads(raw)
            except json.JSONDecodeError:
                data[section][name] = raw
        return Config.from_dict(data)


def _build(kind, values: dict):
    names = {f.name for f in dataclasses.fields(kind)}
    unknown = set(values) - names
    if unknown:
        raise ValueError(f"unknown {kind.__name__} keys {sorted(unknown)}; expected some of {sorted(names)}")
    return kind(**values)
