"""Built-in presets load and are complete; bad preset files name the file, the key and what was expected."""
import dataclasses
import tomllib

import numpy as np
import pytest

from memscape.engine.params import ParamError, Params
from memscape.engine.patterns import make_patterns
from memscape.engine.presets import PRESET_DIR, PresetError, list_presets, load_preset, read_preset

REQUIRED = {"two-wells", "ring", "spiral", "grid", "gaussian", "binary", "letters"}
NAMES = [name for name, _ in list_presets()]


def test_list_has_every_required_preset_default_first():
    assert REQUIRED <= set(NAMES)
    assert NAMES[0] == "two-wells"
    assert all(desc for _, desc in list_presets())


@pytest.mark.parametrize("name", NAMES)
def test_builtin_preset_loads_and_lists_every_parameter(name):
    title, description, params = read_preset(name)
    assert title == name and description
    assert isinstance(params, Params)
    with (PRESET_DIR / f"{name}.toml").open("rb") as fh:
        data = tomllib.load(fh)
    fields = {f.name for f in dataclasses.fields(Params)} - {"patterns"}
    assert set(data["params"]) == fields  # every parameter written out, none unknown
    assert make_patterns(params.patterns).memories.shape[0] >= 2
    assert load_preset(PRESET_DIR / f"{name}.toml") == params  # by path too


def test_two_wells_is_figure_1_with_heun_on_karras():
    p = load_preset("two-wells")
    assert (p.model, p.sampler, p.schedule) == ("diffusion", "heun", "karras")
    np.testing.assert_array_equal(make_patterns(p.patterns).memories, [[-1, 0], [1, 0]])
    assert p.sigma_max > 1.0  # starts where the two wells have merged (sigma >= d/2)


def test_letters_images_are_at_least_16x16():
    p = make_patterns(load_preset("letters").patterns)
    assert p.image_shape[0] >= 16 and p.image_shape[1] >= 16


GOOD = open(PRESET_DIR / "two-wells.toml").read()


@pytest.mark.parametrize("edit, key, expected", [
    (("steps = 40", "steps = [40"), "line", "TOML"),
    (("beta = 4.0", "beta = 4.0\nbetta = 2.0"), "betta", "unknown parameter"),
    (("beta = 4.0", 'beta = "big"'), "beta", "expected a number"),
    (("steps = 40", "steps = 4.5"), "steps", "expected an integer"),
    (('sampler = "heun"', 'sampler = "rk4"'), "sampler", "not one of"),
    (("sigma_min = 0.002", "sigma_min = -1.0"), "sigma_min", "out of range"),
    (("distance = 2.0", "distance = 2.0\nwidth = 3"), "patterns.width", "unknown option"),
    (('kind = "two-wells"', 'kind = "hexagon"'), "patterns.kind", "not one of"),
    (("[params]", 'colour = "red"\n[params]'), "colour", "unknown key"),
])
def test_bad_preset_names_file_key_and_expectation(tmp_path, edit, key, expected):
    old, new = edit
    assert old in GOOD
    path = tmp_path / "bad.toml"
    path.write_text(GOOD.replace(old, new, 1))
    with pytest.raises(PresetError) as info:
        load_preset(str(path))
    msg = str(info.value)
    assert str(path) in msg and key in msg and expected in msg
    assert isinstance(info.value, ParamError)


def test_unknown_name_and_missing_file_are_preset_errors(tmp_path):
    with pytest.raises(PresetError, match="two-wells"):  # lists the known names
        load_preset("no-such-preset")
    with pytest.raises(PresetError, match="no such preset file"):
        load_preset(str(tmp_path / "missing.toml"))


def test_a_short_user_preset_takes_defaults_for_the_rest(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('description = "x"\n[params]\nmodel = "modern"\n[patterns]\nkind = "ring"\ncount = 5\n')
    p = load_preset(str(path))
    assert p.model == "modern" and p.patterns == {"kind": "ring", "count": 5} and p.steps == Params().steps
