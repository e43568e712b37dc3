"""Every parameter of a run, as one serialisable dataclass with a schema version.

Presets (TOML), session files, ``--set key=value`` and the GUI's sliders all
read and write :class:`Params`; the ``params`` JSON stored with every
trajectory is :meth:`Params.to_json`. Unknown keys and values of the wrong
type or out of range raise :class:`ParamError`, which names the key and what
was expected.
"""
from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

SCHEMA_VERSION = 1

MODELS = ("hopfield", "dense-poly", "dense-exp", "modern", "tinybrain", "ham", "diffusion")
SAMPLERS = ("euler", "heun", "edm-churn", "euler-maruyama", "ddpm", "ddim", "langevin")
SCHEDULES = ("karras", "ve", "vp-linear", "cosine")
LAGRANGIANS = ("identity", "softmax", "tanh", "sigmoid", "relu-poly")
MODERN_FORMS = ("distance", "dot")
UPDATES = ("async", "sync")
PRECISIONS = ("float32", "float64")
BACKENDS = ("auto", "numpy", "cupy", "array_api_strict")


#: models whose energy is 1/2|x|^2 - g(x), g convex, on continuous memories (stable for dt <= 2)
CONCAVE_CONVEX_MODELS = ("modern", "dense-poly", "dense-exp")
#: float fields where infinity is a meaningful value (s_tmax = inf: churn at every sigma)
INFINITE_ALLOWED = ("s_tmax",)


class ParamError(ValueError):
    """A parameter has an unknown name, a wrong type or a value out of range."""


def unbounded_layers(model: str, lagrangian_v: str, lagrangian_m: str, n: int) -> str | None:
    """Why the layered energy of ``model`` ("tinybrain": visible - memory; "ham": visible -
    hidden (identity) - memory) is unbounded below for any nonzero memories, or None.

    In the activations y_k = grad L_k(x_k) the energy is sum_k L_k*(y_k) - sum_k y_{k+1}^T W_k y_k
    (L* the convex conjugate, the layer's Legendre energy). Softmax, tanh and sigmoid have
    bounded activations, so a synapse to them is at most linear in the other layer and the
    conjugate wins. Identity (L* = 1/2|y|^2, p = 2) and relu-poly (L* = (1 - 1/n) |y|^p for
    y >= 0, p = n/(n-1)) are unbounded: along y_a = s^(1/p_a) u, y_b = s^(1/p_b) w the
    conjugates grow like s and the synapse like s^(1/p_a + 1/p_b). An identity layer joined
    to a relu-poly layer with n >= 3 has 1/2 + (n-1)/n > 1, and the identity layer's sign is
    free, so the energy falls without bound along a direction where the synapse is positive.
    The cases that depend on the memories (relu-poly on both sides; p_a = p_b = 2, where the
    memories' scale decides) are checked by :func:`engine.models.unbounded_reason`."""
    if model == "tinybrain":
        pairs = [("visible", lagrangian_v, "memory", lagrangian_m)]
    elif model == "ham":
        pairs = [("visible", lagrangian_v, "hidden", "identity"), ("hidden", "identity", "memory", lagrangian_m)]
    else:
        return None
    for name_a, a, name_b, b in pairs:
        if {a, b} == {"identity", "relu-poly"} and n >= 3:
            relu = name_a if a == "relu-poly" else name_b
            return (f"the {model} energy is unbounded below with {_article(a)} {a} {name_a} layer and "
                    f"{_article(b)} {b} {name_b} layer at n = {n}: relu-poly's energy grows like "
                    f"|y|^(n/(n-1)), slower than the synapse to an identity layer, so every run diverges "
                    f"whatever dt; use n = 2, or softmax, tanh or sigmoid for the {relu} layer")
    return None


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def _choice(options: tuple[str, ...]) -> dict[str, Any]:
    return {"choices": options}


def _range(low: float | None = None, high: float | None = None, *, open_low: bool = False) -> dict[str, Any]:
    return {"low": low, "high": high, "open_low": open_low}


@dataclasses.dataclass
class Params:
    """All parameters of a Memscape run. Field metadata holds the allowed values."""

    schema: int = SCHEMA_VERSION

    # what runs
    model: str = dataclasses.field(default="diffusion", metadata=_choice(MODELS))
    sampler: str = dataclasses.field(default="heun", metadata=_choice(SAMPLERS))
    schedule: str = dataclasses.field(default="karras", metadata=_choice(SCHEDULES))
    steps: int = dataclasses.field(default=40, metadata=_range(1, 100_000))
    particles: int = dataclasses.field(default=200, metadata=_range(1, 10_000_000))
    seed: int = dataclasses.field(default=0, metadata=_range(0))
    backend: str = dataclasses.field(default="auto", metadata=_choice(BACKENDS))
    precision: str = dataclasses.field(default="float32", metadata=_choice(PRECISIONS))
    init_scale: float = dataclasses.field(default=0.0, metadata=_range(0.0))
    """Standard deviation of the initial particles around the data mean; 0 means sigma_max."""

    # associative memories
    beta: float = dataclasses.field(default=8.0, metadata=_range(0.0, open_low=True))
    dt: float = dataclasses.field(default=0.1, metadata=_range(0.0, open_low=True))
    update: str = dataclasses.field(default="async", metadata=_choice(UPDATES))
    n: int = dataclasses.field(default=3, metadata=_range(2, 64))
    modern_form: str = dataclasses.field(default="distance", metadata=_choice(MODERN_FORMS))
    lagrangian_v: str = dataclasses.field(default="identity", metadata=_choice(LAGRANGIANS))
    lagrangian_m: str = dataclasses.field(default="softmax", metadata=_choice(LAGRANGIANS))
    tau_v: float = dataclasses.field(default=1.0, metadata=_range(0.0, open_low=True))
    tau_m: float = dataclasses.field(default=0.1, metadata=_range(0.0, open_low=True))
    hidden: int = dataclasses.field(default=16, metadata=_range(1, 100_000))
    """Width of the HAM's middle layer."""

    # diffusion
    sigma_max: float = dataclasses.field(default=2.0, metadata=_range(0.0, open_low=True))
    sigma_min: float = dataclasses.field(default=0.002, metadata=_range(0.0, open_low=True))
    rho: float = dataclasses.field(default=7.0, metadata=_range(0.0, open_low=True))
    churn: float = dataclasses.field(default=0.0, metadata=_range(0.0))
    s_tmin: float = dataclasses.field(default=0.0, metadata=_range(0.0))
    s_tmax: float = dataclasses.field(default=math.inf, metadata=_range(0.0))
    s_noise: float = dataclasses.field(default=1.0, metadata=_range(0.0))
    eta: float = dataclasses.field(default=0.0, metadata=_range(0.0, 1.0))
    vp_beta_min: float = dataclasses.field(default=0.1, metadata=_range(0.0))
    vp_beta_max: float = dataclasses.field(default=20.0, metadata=_range(0.0, open_low=True))
    cosine_s: float = dataclasses.field(default=0.008, metadata=_range(0.0))
    langevin_steps: int = dataclasses.field(default=10, metadata=_range(1, 10_000))
    langevin_eps: float = dataclasses.field(default=0.5, metadata=_range(0.0, open_low=True))
    """Annealed Langevin step size at noise level sigma_i as a fraction of sigma_i^2 (Song & Ermon 2019:
    alpha_i = eps sigma_i^2 / sigma_L^2, so langevin_eps = eps / sigma_L^2)."""
    sigma_ref: float = dataclasses.field(default=0.0, metadata=_range(0.0))
    """Noise level of the fixed function -log p_sigma_ref(x) whose rises along a diffusion run are
    counted (the honest test of "no Lyapunov function"); 0 (the default, and what a file without
    this key gets) means the schedule's sigma_min (:attr:`fixed_sigma`)."""

    # stored patterns: the preset's [patterns] table, e.g. {"kind": "ring", "count": 8}
    patterns: dict[str, Any] = dataclasses.field(default_factory=lambda: {"kind": "two-wells"})

    # the score that drives diffusion: the memories' exact one, or a learned fit of limited capacity
    score: str = dataclasses.field(default="exact", metadata=_choice(("exact", "learned")))
    capacity: int = dataclasses.field(default=256, metadata=_range(1, 100_000))
    """Random features of the learned score (engine.learned_score); used when score is "learned"."""

    def __post_init__(self) -> None:
        self.validate()

    # -- validation -------------------------------------------------------
    def validate(self) -> None:
        """Raise :class:`ParamError` naming the first bad field."""
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            setattr(self, f.name, _check(f, value))
        _check_powers(self.rho, self.sigma_min, self.sigma_max)
        if self.schema != SCHEMA_VERSION:
            raise ParamError(f"schema: version {self.schema} is not supported; expected {SCHEMA_VERSION}")
        if self.sigma_min >= self.sigma_max:
            raise ParamError(
                f"sigma_min: {self.sigma_min} must be below sigma_max ({self.sigma_max})")
        if not isinstance(self.patterns.get("kind"), str):
            raise ParamError("patterns.kind: expected a string naming a pattern generator")
        self._check_stability()

    @property
    def fixed_sigma(self) -> float:
        """The sigma_ref actually used: ``sigma_ref``, or sigma_min when it is 0."""
        return self.sigma_ref or self.sigma_min

    def _check_stability(self) -> None:
        """Refuse combinations whose dynamics cannot stay finite whatever the step count.

        - dt > 2 for the concave-convex AMs (modern, dense-poly, dense-exp on continuous
          memories): E = 1/2|x|^2 - g(x), g convex, falls under x <- x - dt grad E only for
          0 < dt <= 2 (engine.energies.modern.ConcaveConvexAM); above it the step overshoots.
        - langevin_eps > 4: far from the memories D(x) is nearly constant and one Langevin
          update multiplies x - D by 1 - langevin_eps / 2, which grows when |1 - eps/2| > 1.
        - TinyBrain/HAM layers whose energy is unbounded below for any memories
          (:func:`unbounded_layers`)."""
        if self.model in CONCAVE_CONVEX_MODELS and self.dt > 2.0:
            raise ParamError(
                f"dt: {self.dt!r} is above the stability bound 2 of the {self.model} model "
                f"(E = 1/2|x|^2 - g(x) with g convex never rises only for 0 < dt <= 2); expected dt <= 2")
        if self.sampler == "langevin" and self.model == "diffusion" and self.langevin_eps > 4.0:
            raise ParamError(
                f"langevin_eps: {self.langevin_eps!r} is above the stability bound 4 (each Langevin update "
                f"multiplies x - D(x) by 1 - langevin_eps/2, which grows beyond 4); expected <= 4")
        if self.model in ("tinybrain", "ham"):
            reason = unbounded_layers(self.model, self.lagrangian_v, self.lagrangian_m, self.n)
            if reason:
                raise ParamError(f"lagrangian_v, lagrangian_m: {reason}")

    # -- (de)serialisation --------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        d = self.to_dict()
        # JSON has no infinity: write it as a string that from_dict reads back
        d = {k: ("inf" if isinstance(v, float) and math.isinf(v) else v) for k, v in d.items()}
        return json.dumps(d, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str = "parameters") -> "Params":
        """Build from a mapping; unknown keys and bad values name ``source`` and the key."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ParamError(f"{source}: unknown parameter {unknown[0]!r}; known: {', '.join(sorted(names))}")
        try:
            return cls(**data)
        except ParamError as exc:
            raise ParamError(f"{source}: {exc}") from None

    @classmethod
    def from_json(cls, text: str, *, source: str = "params JSON") -> "Params":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ParamError(f"{source}: not valid JSON ({exc})") from None
        if not isinstance(data, dict):
            raise ParamError(f"{source}: expected a JSON object")
        return cls.from_dict(data, source=source)

    def replace(self, **changes: Any) -> "Params":
        """A copy with some fields changed, validated."""
        return self.from_dict({**self.to_dict(), **changes})

    def with_overrides(self, assignments: list[str]) -> "Params":
        """Apply ``key=value`` strings (the CLI's ``--set``); ``patterns.key=value`` sets a pattern option."""
        data = self.to_dict()
        fields = {f.name: f for f in dataclasses.fields(self)}
        for item in assignments:
            key, sep, text = item.partition("=")
            key = key.strip()
            if not sep or not key:
                raise ParamError(f"--set {item!r}: expected key=value")
            if key.startswith("patterns."):
                data["patterns"] = {**data["patterns"], key.split(".", 1)[1]: _parse_scalar(text)}
                continue
            if key not in fields:
                raise ParamError(f"--set {key}: unknown parameter; known: {', '.join(sorted(fields))}")
            data[key] = _coerce(fields[key], text)
        return self.from_dict(data, source="--set")


def _parse_scalar(text: str) -> Any:
    """'3' -> 3, '0.5' -> 0.5, 'true' -> True, anything else stays a string."""
    t = text.strip()
    for conv in (int, float):
        try:
            return conv(t)
        except ValueError:
            pass
    if t.lower() in ("true", "false"):
        return t.lower() == "true"
    return t


def _coerce(f: dataclasses.Field, text: str) -> Any:
    t = text.strip()
    try:
        if f.type in ("int", int):
            return int(t)
        if f.type in ("float", float):
            return float(t)
    except ValueError:
        raise ParamError(f"--set {f.name}={text}: expected {'an integer' if f.type in ('int', int) else 'a number'}") from None
    return t


#: the largest |log x| / rho for which x ** (1 / rho) is a normal float64 (exp(700) < 1.8e308)
MAX_LOG_POWER = 700.0
#: the largest log(sigma_max / sigma_min) / rho for which the Karras levels keep float64 accuracy
MAX_LOG_RATIO = 18.0


def _check_powers(rho: float, sigma_min: float, sigma_max: float) -> None:
    """The Karras schedule (engine.schedules.karras, EDM eq. 5) interpolates between
    a = sigma_max^(1/rho) and b = sigma_min^(1/rho) and raises the result to the power rho.
    Refuse a rho for which a or b leaves float64's range (|log sigma| / rho > 700), or for
    which a / b > e^18 (about 2^26): a + u (b - a) then loses more than half of float64's
    digits relative to b, and the last levels round towards 0 instead of reaching sigma_min."""
    need = max(abs(math.log(sigma_min)), abs(math.log(sigma_max))) / MAX_LOG_POWER
    if sigma_min < sigma_max:
        need = max(need, math.log(sigma_max / sigma_min) / MAX_LOG_RATIO)
    if rho < need:
        raise ParamError(f"rho: {rho!r} is too small for sigma_min = {sigma_min!r} and sigma_max = {sigma_max!r}: "
                         f"the Karras schedule's levels sigma_max^(1/rho) ... sigma_min^(1/rho) would leave float "
                         f"range or round its last levels to 0; expected rho >= {_round_up(need)}")


def _round_up(x: float) -> str:
    """x > 0 rounded up to two significant digits: 0.3838 -> '0.39'."""
    scale = 10.0 ** (1 - math.floor(math.log10(x)))
    return f"{math.ceil(x * scale) / scale:g}"


def _shown(value: Any) -> str:
    """A value as an error message shows it: repr, cut to 60 characters; a huge integer by its size."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return f"an integer of {value.bit_length()} bits"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _check(f: dataclasses.Field, value: Any) -> Any:
    """Check one field's type and range; ints are accepted for floats."""
    name, kind = f.name, f.type
    if kind in ("int", int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ParamError(f"{name}: expected an integer, got {_shown(value)}")
    elif kind in ("float", float):
        if value == "inf":
            value = math.inf
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ParamError(f"{name}: expected a number, got {_shown(value)}")
        try:
            value = float(value)
        except OverflowError:  # an int beyond float range
            raise ParamError(f"{name}: {_shown(value)} is too large for a number") from None
        if math.isnan(value):
            raise ParamError(f"{name}: expected a number, got NaN")
        if math.isinf(value) and name not in INFINITE_ALLOWED:
            raise ParamError(f"{name}: expected a finite number, got {value!r}")
    elif kind in ("str", str):
        if not isinstance(value, str):
            raise ParamError(f"{name}: expected a string, got {_shown(value)}")
    elif name == "patterns":
        if not isinstance(value, dict):
            raise ParamError(f"patterns: expected a table, got {_shown(value)}")
    meta = f.metadata
    if "choices" in meta and value not in meta["choices"]:
        raise ParamError(f"{name}: {_shown(value)} is not one of {', '.join(meta['choices'])}")
    low, high = meta.get("low"), meta.get("high")
    if low is not None and (value < low or (meta.get("open_low") and value == low)):
        rel = ">" if meta.get("open_low") else ">="
        raise ParamError(f"{name}: {_shown(value)} is out of range; expected {rel} {low}")
    if high is not None and value > high:
        raise ParamError(f"{name}: {_shown(value)} is out of range; expected <= {high}")
    return value
