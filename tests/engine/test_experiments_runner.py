"""The experiments' shared runner: settings from --set strings, updates into a Result, the CSV."""
import dataclasses

import numpy as np
import pytest

from memscape.engine.backend import get_backend
from memscape.engine.experiments import EXPERIMENTS, basins, capacity, temperature
from memscape.engine.experiments.runner import (Result, SettingError, Update, csv_text, execute, make_settings,
                                                settings_fields, write_csv)


def test_every_experiment_is_registered_with_columns_and_defaults():
    assert list(EXPERIMENTS) == ["capacity", "basins", "collapse", "speciation", "memorization", "curl",
                                 "temperature", "lyapunov"]
    for module in EXPERIMENTS.values():
        assert len(set(module.COLUMNS)) == len(module.COLUMNS)
        defaults = module.Settings()
        for name, (f, _) in settings_fields(module.Settings).items():
            assert f.metadata["help"], name
        assert make_settings(module, []) == defaults


def test_settings_parse_lists_numbers_and_run_parameters():
    s = make_settings(capacity, ["dims=8,16", "loads=0.5", "flip=0.2", "models=hopfield"])
    assert (s.dims, s.loads, s.flip, s.models) == ((8, 16), (0.5,), 0.2, ("hopfield",))
    s = make_settings(basins, ["preset=two-wells", "beta=4", "patterns.distance=3", "resolution=5"])
    assert s.overrides == ("beta=4", "patterns.distance=3") and s.resolution == 5


@pytest.mark.parametrize("module, item, needle", [
    (capacity, "dimz=3", "not a setting of experiment capacity; known: models, dims"),
    (capacity, "dims=a", "dims=a: expected an integer"),
    (capacity, "flip=0.9", "flip: 0.9 is out of range; expected <= 0.5"),
    (capacity, "models=dense-99", "models: 'dense-99'"),
    (capacity, "flip", "expected key=value"),
    (basins, "betta=2", "betta: unknown parameter"),
    (basins, "methods=heun@nope", "methods: 'heun@nope'"),
    (basins, "preset=nope", "'nope' is not a built-in or saved preset"),
    (temperature, "sampler=ddpm", "sampler: 'ddpm' is not one of euler, heun, ddim"),
])
def test_bad_settings_say_which_and_why(module, item, needle):
    with pytest.raises(SettingError, match=None) as info:
        make_settings(module, [item])
    assert needle in str(info.value)


def _counting_module(total):
    @dataclasses.dataclass(frozen=True)
    class Settings:
        pass

    class Module:
        NAME, COLUMNS = "counting", ("k", "label")
        closed = []

        @staticmethod
        def run(settings, backend):
            try:
                for k in range(1, total + 1):
                    yield Update(k, total, [{"k": k, "label": f"item {k}"}], summary={"last": k})
            finally:
                Module.closed.append(True)

    Module.Settings = Settings
    return Module


def test_execute_collects_rows_and_stops_between_items():
    module = _counting_module(5)
    seen = []
    result = execute(module, module.Settings(), None, on_update=lambda r, u: seen.append((u.done, len(r.rows))))
    assert seen == [(k, k) for k in range(1, 6)] and result.complete and result.summary == {"last": 5}
    np.testing.assert_array_equal(result.column("k"), [1, 2, 3, 4, 5])
    stopped = execute(module, module.Settings(), None, should_stop=lambda: True)
    assert len(stopped.rows) == 1 and not stopped.complete and module.closed == [True, True]


def test_a_row_without_the_columns_is_refused():
    result = Result("x", ("a", "b"), None)
    with pytest.raises(ValueError, match="exactly the columns"):
        result.add(Update(1, 1, [{"a": 1}]))


def test_csv_is_written_atomically_and_keeps_a_good_file_on_failure(tmp_path, monkeypatch):
    result = Result("x", ("name", "n", "value"), None, rows=[{"name": "a,b", "n": 3, "value": 0.1 + 0.2},
                                                           {"name": "c", "n": 4, "value": float("nan")}])
    assert csv_text(result) == 'name,n,value\n"a,b",3,0.3\nc,4,nan\n'
    path = tmp_path / "t.csv"
    write_csv(path, result)
    assert path.read_text() == csv_text(result)

    def no_space(self, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(type(path), "write_bytes", no_space)
    with pytest.raises(OSError, match="the disk is full"):
        write_csv(path, Result("x", ("name",), None))
    monkeypatch.undo()
    assert path.read_text() == csv_text(result) and [p.name for p in tmp_path.iterdir()] == ["t.csv"]


def test_the_same_seed_gives_the_same_table():
    settings = make_settings(capacity, ["dims=16", "loads=0.2,0.5", "starts=16", "models=hopfield,dense-3"])
    b = get_backend("numpy", "float64")
    assert csv_text(execute(capacity, settings, b)) == csv_text(execute(capacity, settings, b))
