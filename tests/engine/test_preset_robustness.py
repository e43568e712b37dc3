"""Preset files: hostile structure is refused in one line naming the file, and a file that
leaves parameters to their defaults says so (issue 14)."""
import json
import os
import shutil

import pytest

from memscape.engine import presets
from memscape.engine.params import Params
from memscape.engine.presets import PRESET_DIR, PresetError, list_presets, load_preset, open_preset

NAMES = [name for name, _ in list_presets()]
GOOD = (PRESET_DIR / "two-wells.toml").read_text()


def refusal(path) -> str:
    with pytest.raises(PresetError) as info:
        open_preset(str(path))
    message = str(info.value)
    assert "\n" not in message and str(path) in message
    return message


@pytest.mark.parametrize("text, needle", [
    ("a = " + "[" * 5000 + "]" * 5000 + "\n", "nested too deeply"),
    ("a = " + "{b = " * 3000 + "1" + "}" * 3000 + "\n", "nested too deeply"),
    ("[params]\nsteps = " + "9" * 5000 + "\n", "4300 digits"),
    ("[params]\nbeta = 1e999\n", "finite"),
    ("[patterns]\nkind = \"points\"\npoints = " + "[" * 8 + "1" + "]" * 8 + "\n", "nested 10 levels"),
    ("[patterns]\nkind = \"gaussian\"\nmean = [[1.0], [2.0, 3.0]]\n", "patterns"),
    ("[patterns]\nkind = \"ring\"\ncount = 1_000_000_000_000\n", "memory"),
    ("[params]\nsteps = 1979-05-27\n", "expected an integer"),
])
def test_hostile_structure_is_refused(tmp_path, text, needle):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    assert needle in refusal(path)


def test_bytes_that_are_not_utf8_are_refused(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_bytes(GOOD.encode().replace(b"two-wells", b"two-\xffwells", 1))
    assert "not UTF-8" in refusal(path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="this system has no FIFOs")
def test_a_fifo_or_a_huge_file_is_refused(tmp_path):
    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)
    assert "FIFO" in refusal(fifo)
    big = tmp_path / "big.toml"
    big.write_text("# " + "x" * (presets.MAX_PRESET_BYTES + 1) + "\n")
    assert "larger than" in refusal(big)


@pytest.mark.parametrize("name", NAMES)
def test_every_prefix_of_a_builtin_is_refused_or_reported_or_the_same(tmp_path, name):
    """A copy of a built-in cut anywhere never runs other numbers silently."""
    data = (PRESET_DIR / f"{name}.toml").read_bytes()
    full = load_preset(name)
    path = tmp_path / f"{name}.toml"
    cuts = sorted({*range(0, len(data), 7), *(i + 1 for i, b in enumerate(data) if b == ord("\n")), len(data) - 1})
    silent = []
    for cut in cuts:
        path.write_bytes(data[:cut])
        try:
            preset = open_preset(str(path))
        except PresetError as exc:
            assert "\n" not in str(exc) and str(path) in str(exc)
            continue
        if preset.params != full and not preset.notes:
            silent.append(cut)
    assert silent == []


def test_a_cut_value_is_reported_and_a_copy_names_the_keys_it_lacks(tmp_path):
    text = (PRESET_DIR / "ring.toml").read_text()
    path = tmp_path / "ring.toml"
    path.write_text(text[:text.index("steps = 40") + len("steps = 4")])
    preset = open_preset(str(path))
    assert preset.params.steps == 4
    assert any("'steps = 4' has no newline" in note for note in preset.notes)
    assert any("copy of the built-in preset 'ring' without patterns.kind" in note for note in preset.notes)


def test_a_users_short_preset_says_how_many_parameters_take_defaults(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('[params]\nmodel = "modern"\nsteps = 5\n')
    preset = open_preset(str(path))
    assert preset.keys == ("params.model", "params.steps")
    unset = len(Params.__dataclass_fields__) - 1 - 2
    assert preset.notes == (f"{path}: sets 2 keys; {unset} parameters take their defaults "
                            f"(params.schema, params.sampler, params.schedule, params.particles and {unset - 4} more)",)


@pytest.mark.parametrize("name", ["a\u0000b", "../../../etc/ring", "ring/../ring"])
def test_a_name_that_is_no_builtin_is_only_a_name(tmp_path, name):
    path = tmp_path / "odd.toml"
    path.write_text(f"name = {json.dumps(name)}\n[params]\nsteps = 3\n")  # JSON's escapes are TOML's
    preset = open_preset(str(path))
    assert preset.name == name and preset.notes == (
        f"{path}: sets 1 key; {len(Params.__dataclass_fields__) - 2} parameters take their defaults "
        f"(params.schema, params.model, params.sampler, params.schedule and {len(Params.__dataclass_fields__) - 6} more)",)


@pytest.mark.parametrize("name", NAMES)
def test_complete_builtins_have_no_notes(name):
    assert open_preset(name).notes == ()


def test_a_damaged_builtin_is_refused_and_listed_as_such(tmp_path, monkeypatch):
    folder = tmp_path / "presets"
    shutil.copytree(PRESET_DIR, folder)
    monkeypatch.setattr(presets, "PRESET_DIR", folder)
    text = (folder / "ring.toml").read_text()
    (folder / "ring.toml").write_text(text.replace("steps = 40\n", ""))
    assert "damaged: it does not set params.steps" in refusal(folder / "ring.toml")
    (folder / "ring.toml").write_text(text.rstrip("\n"))
    assert "damaged: its last line 'seed = 0' has no newline" in refusal(folder / "ring.toml")
    (folder / "ring.toml").write_bytes(b"\xff")
    listed = dict(list_presets())
    assert listed["ring"].startswith("(cannot be loaded: ") and "not UTF-8" in listed["ring"]
    with pytest.raises(PresetError, match="not UTF-8"):
        load_preset("ring")
