"""Diffusion samplers, one module per algorithm (docs/architecture.md).

Each module has ``step(denoise, x, i, sigmas, rng, params) -> (x_next, denoised)``, one step
from sigmas[i] to sigmas[i+1] (so the schedule may change mid-run), and
``sample(denoise, x, sigmas, rng, params, callback=None) -> x``. States are in VE / data
coordinates x = x_0 + sigma n; ``denoise(x, sigma)`` is a closure (e.g. the exact
:func:`engine.energies.empirical.denoise` of the memories); ``rng`` has ``.normal(shape)``.
"""
from memscape.engine.samplers import ddim, ddpm, edm_churn, euler, euler_maruyama, heun, langevin

SAMPLERS = {"euler": euler, "heun": heun, "edm-churn": edm_churn, "euler-maruyama": euler_maruyama,
            "ddpm": ddpm, "ddim": ddim, "langevin": langevin}
