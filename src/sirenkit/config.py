"""Run configuration: plain dataclasses, saved as JSON in every run folder.

Every tunable is a dataclass field with a default and a docstring underneath; the same text is
the CLI's --help. A run folder must load with ``json.load`` after any refactor, so choices are
registry names, never class paths or pickles.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import json
import math
import textwrap
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from sirenkit.errors import ConfigError, did_you_mean

T = TypeVar("T")

LR_SCHEDULES = ("constant", "cosine", "exponential")
DEVICES = ("auto", "cpu", "cuda", "mps")
PRECISIONS = ("fp32", "bf16")
OPTIMIZERS = ("adam", "soap")
"""First-phase optimizers (built in sirenkit.optimizers); L-BFGS is the polish phase, FitConfig.polish_steps."""
FIELD_INITS = ("reference", "geometric")
"""How a field's weights start: the activation's own init, or a sphere's SDF (sirenkit.fields.geometric)."""
SAMPLERS = ("uniform", "error", "residual")
"""How a step picks its points (sirenkit.samplers): error ranks the rows of a grid, residual keeps a PDE's collocation points."""


@dataclass
class FieldConfig:
    """The network that represents the signal."""

    activation: str = "sine"
    """Nonlinearity: 'sine' is SIREN; relu, tanh, sigmoid, softplus, elu, selu (reference baselines); gauss, wire, finer."""
    hidden_features: int = 256
    """Width of every hidden layer (paper: 256)."""
    hidden_layers: int = 3
    """Number of hidden-to-hidden layers; 3 means 5 linear layers in all, as in the paper."""
    first_omega_0: float = 30.0
    """Frequency scale of the first sine layer: larger fits finer detail. Image 30; audio 3000."""
    hidden_omega_0: float = 30.0
    """Frequency scale of the hidden sine layers; 30 as in the reference code."""
    in_features: int = 2
    """Coordinate dimension; set by the task (2 for images)."""
    out_features: int = 1
    """Value dimension; set by the task (1 grey, 3 RGB)."""
    outermost_linear: bool = True
    """End with a plain linear layer (True, the paper's choice) rather than one more sine layer."""
    scale: float = 10.0
    """Width of the gauss and wire activations, exp(-(scale x)^2): WIRE's sigma_0 (10 in its code; FINER runs gauss at 30)."""
    encoding: str = "identity"
    """Map applied to coords before the first layer: identity, positional (NeRF), fourier (random Fourier features), rbf."""
    encoding_frequencies: int = 0
    """Octaves L of the positional encoding (sin, cos of 2^i pi x, i < L); 0 = the Nyquist rule floor(log2(samples/4)): 6 at 256^2."""
    encoding_features: int = 0
    """Random Fourier features (default 256, Tancik et al. 2020) or RBF centres (default 1024, reference code); 0 = that default."""
    fourier_scale: float = 10.0
    """Std sigma of random Fourier frequencies B ~ N(0, sigma^2), features sin, cos(pi B x): cycles per side, as Tancik's (10)."""
    weight_scale: float = 1.0
    """Weight scaling alpha (Yeom et al., ICLR 2025): every weight but the last layer's is multiplied by alpha after the
    init. Above 1 the fit converges in fewer steps but adds noise between the training samples and to the derivatives
    (measured in docs/convergence.md); their code's default is 2.5."""
    init: str = "reference"
    """reference (the activation's own init), or geometric: a sine field with a scalar output starts as the signed distance
    |x| - init_radius to a sphere, negative inside (DiGS, CVPR 2022). On the bunny an SDF fit then has a more solid inside
    at the same steps, for slightly worse normals and Chamfer distance (docs/convergence.md)."""
    init_radius: float = 0.5
    """Radius of the sphere that --init geometric starts from, in the field's coordinates."""

    def __post_init__(self) -> None:
        check_positive(self, "hidden_features", "hidden_layers", "in_features", "out_features", allow_zero=("hidden_layers",))
        check_positive(self, "first_omega_0", "hidden_omega_0", "scale", "fourier_scale", "weight_scale", "init_radius")
        check_positive(self, "encoding_frequencies", "encoding_features", allow_zero=True)
        check_choice(self, "init", FIELD_INITS)
        if self.init == "geometric":
            check_geometric(self)


@dataclass
class FitConfig:
    """The one training loop's settings, shared by every task."""

    steps: int = 500
    """Optimizer steps (never epochs)."""
    lr: float = 1e-3
    """Learning rate at the start of the schedule (official notebook: Adam at 1e-4, 10x slower to converge)."""
    optimizer: str = "adam"
    """adam (the paper's), or soap (Shampoo-preconditioned Adam, from the heavyball library; try --lr 3e-3): fewer steps to
    a low training loss for a little more time and memory per step, but on images it fits noise between the samples
    (docs/convergence.md)."""
    polish_steps: int = 0
    """The last this many of --steps run L-BFGS on the full batch with a line search (no lr), after --optimizer; each
    costs a few plain steps. The standard finish of a PINN fit; on an image fit it gained nothing. 0 turns it off."""
    lr_schedule: str = "cosine"
    """How the learning rate changes over the steps: constant, cosine or exponential."""
    lr_final: float = 0.01
    """Final learning rate as a fraction of --lr, for the cosine and exponential schedules."""
    schedule_steps: int = 0
    """Steps the lr schedule spans; 0 = --steps. Past them the lr stays at its final value (the prior's spans steps + 1)."""
    warmup_steps: int = 0
    """Steps of linear learning-rate warm-up from 0 before the schedule starts."""
    batch_size: int = 0
    """Coordinates per step; 0 means the full grid every step (the paper's image setting)."""
    sampler: str = "uniform"
    """Which points a step trains. uniform: random. error (image, audio, Poisson): mostly the --batch-size rows of the grid
    with the largest recorded error, every row each --sampler-refresh-every steps. residual (Helmholtz, wave): the
    collocation points whose PDE residual was above the mean are kept for the next step, the rest drawn afresh (R3)."""
    sampler_refresh_every: int = 10
    """With --sampler error: every this many steps one step trains every row, refreshing each row's recorded error."""
    clip_grad: float = 0.0
    """Clip the gradient norm to this value; 0 turns clipping off (the SDF reference uses 1.0)."""
    seed: int = 0
    """Seed of the weight init and of every random draw in training; same seed, same result on CPU."""
    eval_every: int = 100
    """Evaluate the metrics (PSNR, ...) on the full signal every this many steps."""
    log_every: int = 10
    """Write one line of metrics.jsonl every this many steps."""
    save_every: int = 100
    """Write checkpoint.pt every this many steps (atomically), so a killed run can --resume."""
    target_psnr: float = 0.0
    """Stop as soon as an evaluation reaches this PSNR in dB; 0 turns it off."""
    max_seconds: float = 0.0
    """Stop after this much training time in seconds; 0 turns it off."""
    device: str = "auto"
    """Where to train: auto (cuda when available, else cpu), cpu, cuda or mps (Apple GPUs, where PyTorch has it)."""
    precision: str = "fp32"
    """fp32, or bf16: a Siren's hidden layers train in bfloat16 (first layer, output layer, weights and evaluation stay fp32)."""
    compile: bool = False
    """torch.compile the task's loss terms. Worth it for second-derivative losses (Laplacian, Helmholtz,
    wave): ~1.6x faster steps after a ~10 s compile. Leave it off for value and gradient fits, whose
    hand-written fused kernels it replaces and which it makes slower."""
    divergence_factor: float = 1000.0
    """Stop with a DivergenceError when the weighted total loss of a step exceeds this many times the lowest total
    of a logged step (a run blowing up without reaching NaN, e.g. --lr 10); 0 turns the check off."""
    tune_allocator: bool = False
    """CPU only: raise glibc's mmap and trim thresholds for the whole process so freed activations are reused
    instead of page-faulted again (about 30 percent of a CPU image step, see devices.tune_cpu_allocator); the process then keeps
    its peak memory until it exits. On in the CLI; off by default in the API, because it changes the process."""

    def __post_init__(self) -> None:
        check_positive(self, "steps", "lr", "eval_every", "log_every", "save_every", "sampler_refresh_every")
        check_positive(self, "batch_size", "clip_grad", "target_psnr", "max_seconds", "warmup_steps", "divergence_factor",
                       "schedule_steps", "polish_steps",
                       allow_zero=True)
        if not 0.0 < self.lr_final <= 1.0:
            raise ConfigError(f"lr_final={self.lr_final} is not in (0, 1]; it is the final lr as a fraction of --lr, e.g. 0.01.")
        check_choice(self, "lr_schedule", LR_SCHEDULES)
        check_choice(self, "device", DEVICES)
        check_choice(self, "precision", PRECISIONS)
        check_choice(self, "optimizer", OPTIMIZERS)
        check_choice(self, "sampler", SAMPLERS)
        if self.polish_steps > self.steps:
            raise ConfigError(f"polish_steps={self.polish_steps} is more than steps={self.steps}; the polish is the last part "
                              f"of the steps, e.g. --steps {self.steps} --polish-steps {max(1, self.steps // 10)}.")
        if self.sampler == "error" and not self.batch_size:
            raise ConfigError("sampler='error' picks --batch-size rows per step, but batch_size is 0 (every row); pass "
                              "--batch-size, e.g. a quarter of the pixels (16384 for a 256x256 image).")
        if self.compile and self.precision != "fp32":
            raise ConfigError(f"compile=True with precision='{self.precision}': the bf16 path is a fused kernel that "
                              "torch.compile does not trace. Use one of --compile or --precision bf16.")


@dataclass
class RunConfig:
    """Everything a run needs, saved as config.json before step 0."""

    task: str
    """Registry name of the task ('image', ...)."""
    task_config: dict[str, Any]
    """The task's own config dataclass, as a dict."""
    field: FieldConfig | None = dataclasses.field(default_factory=FieldConfig)
    """The field's config; None for a custom module fitted through the API."""
    fit: FitConfig = dataclasses.field(default_factory=FitConfig)
    versions: dict[str, str] = dataclasses.field(default_factory=dict)
    """sirenkit, torch and numpy versions that made the run (filled when saved)."""


RESUMABLE = frozenset({"device", "max_seconds", "target_psnr", "log_every", "eval_every", "save_every", "compile",
                       "tune_allocator"})
"""FitConfig fields a resume may change: they decide when to stop, log or save, not what the steps compute."""


def same_setting(a: object, b: object) -> bool:
    """Two values of one setting are the same; a tuple read back from JSON as a list still equals it."""
    return a == b or (isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and list(a) == list(b))


def check_positive(obj: object, *names: str, allow_zero: bool | tuple[str, ...] = False) -> None:
    """ConfigError unless each named field is a finite number > 0 (>= 0 where allowed), and whole where typed int."""
    types = {f.name: f.type for f in dataclasses.fields(obj)}  # type: ignore[arg-type]
    for name in names:
        value = getattr(obj, name)
        zero_ok = allow_zero is True or (isinstance(allow_zero, tuple) and name in allow_zero)
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
            raise ConfigError(f"{name}={value!r} is not a finite number; pass a number, e.g. {name}={getattr(type(obj)(), name)}.")
        if types.get(name) in (int, "int") and not isinstance(value, int):
            if not float(value).is_integer():  # a JSON file may hold 16.5 where a count belongs
                raise ConfigError(f"{name}={value!r} is not a whole number; it is a count, e.g. {name}={getattr(type(obj)(), name)}.")
            setattr(obj, name, int(value))
        if value < 0 or (value == 0 and not zero_ok):
            bound = ">= 0" if zero_ok else "> 0"
            raise ConfigError(f"{name}={value} must be {bound}; pass e.g. --{name.replace('_', '-')} {getattr(type(obj)(), name) or 1}.")


def check_geometric(config: FieldConfig) -> None:
    """ConfigError unless --init geometric can build a sphere's SDF in this field (see sirenkit.fields.geometric)."""
    problems = {"activation": (config.activation == "sine", "a sine field (--activation sine)"),
                "encoding": (config.encoding == "identity", "raw coordinates (--encoding identity)"),
                "out_features": (config.out_features == 1, "one output value (an SDF)"),
                "in_features": (config.in_features in (2, 3), "2-D or 3-D coordinates"),
                "outermost_linear": (config.outermost_linear, "a linear last layer (--outermost-linear)"),
                "weight_scale": (config.weight_scale == 1.0, "weight_scale 1 (--weight-scale 1: scaling would undo the sphere)"),
                "hidden_features": (config.hidden_features >= 4, "4 hidden features or more")}
    for name, (ok, needs) in problems.items():
        if not ok:
            raise ConfigError(f"init='geometric' needs {needs}, but {name}={getattr(config, name)!r}; "
                              "use --init reference for this field.")


def check_choice(obj: object, name: str, choices: tuple[str, ...]) -> None:
    value = getattr(obj, name)
    if value not in choices:
        raise ConfigError(f"{name}='{value}' is not valid; choose one of: {', '.join(choices)}{did_you_mean(str(value), choices)}")


@cache
def field_docs(cls: type) -> dict[str, str]:
    """The docstring written under each dataclass field, keyed by field name (used for --help)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    body = tree.body[0].body  # type: ignore[attr-defined]
    docs: dict[str, str] = {}
    for node, following in zip(body, body[1:]):
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            if isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant):
                docs[node.target.id] = " ".join(str(following.value.value).split())
    return docs


def from_dict(cls: type[T], data: dict[str, Any], *, where: str = "") -> T:
    """Build dataclass `cls` from a dict, refusing unknown keys (a typo must not fall back to a default)."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where or cls.__name__}: expected a JSON object, got {type(data).__name__}.")
    known = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - set(known))
    if unknown:
        key = unknown[0]
        raise ConfigError(
            f"{where or cls.__name__}: unknown key '{key}'{did_you_mean(key, list(known))}; "
            f"known keys: {', '.join(known)}."
        )
    values = {}
    for name, value in data.items():
        nested = _dataclass_type(known[name].type)
        values[name] = from_dict(nested, value, where=f"{where}.{name}" if where else name) if nested and value is not None else value
    return cls(**values)


def _dataclass_type(annotation: Any) -> type | None:
    names = {"FieldConfig": FieldConfig, "FitConfig": FitConfig}
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    return names.get(text.split(" | ")[0])


def to_json(config: Any) -> str:
    """JSON text of a config dataclass (nested dataclasses become objects)."""
    return json.dumps(dataclasses.asdict(config), indent=2, sort_keys=False)


def from_json(cls: type[T], text: str) -> T:
    """Inverse of `to_json`; unknown keys raise ConfigError listing the known ones."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"config is not valid JSON ({exc}); fix the file or start from a run's config.json.") from None
    return from_dict(cls, data)


def load_run_config(path: str | Path) -> RunConfig:
    """Read a run's config.json (or the run folder that holds one)."""
    path = Path(path)
    if path.is_dir():
        path = path / "config.json"
    if not path.is_file():
        raise ConfigError(f"{path}: no such config file; pass a run folder or its config.json.")
    return from_json(RunConfig, path.read_text())

