"""Parameter values of the wrong kind are refused in one line naming the key (issue 14)."""
import dataclasses
import math

import pytest

from memscape.engine import schedules
from memscape.engine.params import ParamError, Params

FLOAT_FIELDS = [f.name for f in dataclasses.fields(Params) if f.type in ("float", float)]


@pytest.mark.parametrize("name", FLOAT_FIELDS)
@pytest.mark.parametrize("value", ["inf", "-inf", "1e400", "nan"])
def test_no_float_parameter_takes_infinity_or_nan_except_where_infinity_is_the_default(name, value):
    default = next(f.default for f in dataclasses.fields(Params) if f.name == name)
    if default == math.inf and value in ("inf", "1e400"):
        assert Params().with_overrides([f"{name}={value}"]).s_tmax == math.inf
        return
    with pytest.raises(ParamError, match=name):
        Params().with_overrides([f"{name}={value}"])


@pytest.mark.parametrize("data", [{"beta": math.inf}, {"rho": math.inf}, {"beta": "inf"}, {"dt": 10 ** 400}])
def test_infinite_values_from_files_are_refused(data):
    with pytest.raises(ParamError, match=next(iter(data))):
        Params.from_dict(data, source="x.toml")


def test_huge_and_long_values_give_short_messages():
    with pytest.raises(ParamError) as info:
        Params.from_dict({"steps": 1 << 20000})  # repr of such an int raises ValueError
    assert "20001 bits" in str(info.value)
    with pytest.raises(ParamError) as info:
        Params.from_dict({"model": "x" * 100_000})
    assert len(str(info.value)) < 200


@pytest.mark.parametrize("rho, sigma_max", [(0.001, 2.0), (0.001, 80.0), (0.3, 2.0), (1.0, 1e300)])
def test_a_rho_whose_schedule_leaves_float_range_is_refused(rho, sigma_max):
    with pytest.raises(ParamError, match="rho") as info:
        Params(rho=rho, sigma_max=sigma_max)
    bound = float(str(info.value).rsplit(">= ", 1)[1])
    ok = Params(rho=bound, sigma_max=sigma_max)  # the bound it names is accepted ...
    sigmas = schedules.karras(8, ok.sigma_min, ok.sigma_max, ok.rho)
    assert sigmas[-2] == pytest.approx(ok.sigma_min, rel=1e-6)  # ... and its schedule reaches sigma_min
    assert sigmas[0] == pytest.approx(sigma_max) and (sigmas[:-1] > 0).all()


def test_rho_within_the_guis_range_is_accepted():
    for rho in (1.0, 7.0, 12.0):
        Params(rho=rho, sigma_max=80.0)
