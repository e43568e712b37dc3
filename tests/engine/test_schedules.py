"""Noise schedules: Karras values, the EDM discretisation shape every schedule shares, VP
schedules that are uniform in t with their alpha_bar, and the discrete DDPM table."""
import math

import numpy as np
import pytest
from scipy.optimize import brentq

from memscape.engine import schedules
from memscape.engine.params import Params

SMIN, SMAX = 0.002, 80.0


def all_schedules(steps, smin=SMIN, smax=SMAX):
    return {
        "karras": schedules.karras(steps, smin, smax, 7.0),
        "ve": schedules.ve(steps, smin, smax),
        "vp-linear": schedules.vp_linear(steps, smin, smax, 0.1, 20.0),
        "cosine": schedules.cosine(steps, smin, smax, 0.008),
    }


@pytest.mark.parametrize("steps, smin, smax, rho", [(18, 0.002, 80.0, 7.0), (40, 0.002, 2.0, 7.0), (5, 0.1, 3.0, 3.0)])
def test_karras_matches_the_closed_formula(steps, smin, smax, rho):
    s = schedules.karras(steps, smin, smax, rho)
    expected = [(smax ** (1 / rho) + i / (steps - 1) * (smin ** (1 / rho) - smax ** (1 / rho))) ** rho
                for i in range(steps)]
    np.testing.assert_allclose(s[:-1], expected, rtol=1e-13)
    assert s[0] == pytest.approx(smax, rel=1e-14) and s[-2] == pytest.approx(smin, rel=1e-12)
    assert s[-1] == 0.0 and np.all(np.diff(s) < 0)


@pytest.mark.parametrize("steps", [2, 3, 40, 1000])
@pytest.mark.parametrize("smin, smax", [(SMIN, SMAX), (0.01, 1.0)])
def test_every_schedule_falls_from_sigma_max_to_sigma_min_then_zero(steps, smin, smax):
    for name, s in all_schedules(steps, smin, smax).items():
        assert s.dtype == np.float64 and s.shape == (steps + 1,), name
        assert np.all(np.diff(s) < 0), name
        assert s[-1] == 0.0, name
        assert s[0] == pytest.approx(smax, rel=1e-10) and s[-2] == pytest.approx(smin, rel=1e-8), name


def test_one_step_is_sigma_max_then_zero():
    for name, s in all_schedules(1).items():
        np.testing.assert_allclose(s, [SMAX, 0.0], rtol=1e-10, err_msg=name)


def test_ve_is_geometric():
    s = schedules.ve(12, SMIN, SMAX)[:-1]
    ratios = s[1:] / s[:-1]
    np.testing.assert_allclose(ratios, (SMIN / SMAX) ** (1 / 11), rtol=1e-12)


def vp_linear_alpha_bar(t, beta_min=0.1, beta_max=20.0):
    return math.exp(-(beta_min * t + 0.5 * (beta_max - beta_min) * t * t))


def cosine_alpha_bar(t, s=0.008):
    f = lambda u: math.cos((u + s) / (1 + s) * math.pi / 2) ** 2
    return f(t) / f(0.0)


@pytest.mark.parametrize("name, alpha_bar", [("vp-linear", vp_linear_alpha_bar), ("cosine", cosine_alpha_bar)])
def test_vp_schedules_are_uniform_in_t_between_the_times_of_sigma_max_and_sigma_min(name, alpha_bar):
    """sigma_i = sqrt((1 - ab(t_i)) / ab(t_i)) with t_i evenly spaced from t(sigma_max) to
    t(sigma_min), the two times found here by root finding on alpha_bar itself."""
    steps = 9
    s = all_schedules(steps)[name]

    def t_of(sigma):
        return brentq(lambda t: alpha_bar(t) - 1.0 / (1.0 + sigma ** 2), 0.0, 1.0, xtol=1e-15)

    t = np.linspace(t_of(SMAX), t_of(SMIN), steps)
    ab = np.array([alpha_bar(ti) for ti in t])
    np.testing.assert_allclose(s[:-1], np.sqrt((1 - ab) / ab), rtol=1e-9)


def test_vp_linear_without_beta_spread_is_uniform_in_log_one_plus_sigma_squared():
    """beta_max = beta_min: alpha_bar = exp(-beta t), so log(1 + sigma^2) = beta t is linear in i."""
    s = schedules.vp_linear(7, 0.05, 5.0, 2.0, 2.0)[:-1]
    np.testing.assert_allclose(np.diff(np.log1p(s ** 2), 2), 0.0, atol=1e-12)


def test_ddpm_table_satisfies_sigma_squared_equals_one_minus_alpha_bar_over_alpha_bar():
    """Each step's beta_t = 1 - alpha_bar_t / alpha_bar_{t-1}, read back from consecutive sigmas
    through alpha_bar = 1 / (1 + sigma^2), is Ho et al.'s linear table 1e-4 .. 0.02."""
    s = schedules.ddpm_sigmas(1000, 1e-4, 0.02)
    assert s.shape == (1001,) and s[-1] == 0.0 and np.all(np.diff(s) < 0)
    ab = 1.0 / (1.0 + s ** 2)  # t = T .. 1, then alpha_bar_0 = 1
    betas = 1.0 - ab[:-1] / ab[1:]
    np.testing.assert_allclose(betas[::-1], np.linspace(1e-4, 0.02, 1000), rtol=1e-9)


def test_continuous_vp_linear_is_the_limit_of_the_ddpm_table():
    """T beta_t -> beta(t) = 0.1 + 19.9 t: the table's alpha_bar at step t approaches the
    continuous alpha_bar(t / T): log alpha_bar, which falls to about -10, agrees to 1% + 0.01."""
    T = 1000
    s = schedules.ddpm_sigmas(T)[:-1][::-1]  # t = 1 .. T
    t = np.arange(1, T + 1) / T
    log_ab_continuous = -(0.1 * t + 0.5 * 19.9 * t * t)
    np.testing.assert_allclose(-np.log1p(s ** 2), log_ab_continuous, rtol=0.01, atol=0.01)
    assert log_ab_continuous[-1] < -9.0


@pytest.mark.parametrize("schedule", ["karras", "ve", "vp-linear", "cosine"])
def test_make_sigmas_uses_the_params(schedule):
    p = Params(schedule=schedule, steps=13, sigma_min=0.01, sigma_max=3.0, rho=5.0,
               vp_beta_min=0.2, vp_beta_max=15.0, cosine_s=0.01)
    direct = {"karras": lambda: schedules.karras(13, 0.01, 3.0, 5.0),
              "ve": lambda: schedules.ve(13, 0.01, 3.0),
              "vp-linear": lambda: schedules.vp_linear(13, 0.01, 3.0, 0.2, 15.0),
              "cosine": lambda: schedules.cosine(13, 0.01, 3.0, 0.01)}[schedule]()
    np.testing.assert_array_equal(schedules.make_sigmas(p), direct)


@pytest.mark.parametrize("args", [(0, 0.1, 1.0), (2.5, 0.1, 1.0), (10, 0.0, 1.0), (10, 1.0, 0.5), (10, 0.1, math.inf)])
def test_bad_arguments_raise(args):
    with pytest.raises(ValueError):
        schedules.karras(*args)
