"""The control panel: selectors, labelled sliders (superqt), transport buttons, the time
scrubber and the overlay toggles.

Widgets only say what the user asked for (``changed`` with a dict of Params fields,
``action`` with a name); :meth:`ControlsPanel.set_params` writes a Params back into the
widgets with their signals blocked, so widget -> model -> widget never loops.
"""
from __future__ import annotations

import dataclasses
import math

from PyQt6 import QtCore, QtWidgets
from superqt import QLabeledDoubleRangeSlider, QLabeledDoubleSlider
from superqt.sliders._labeled import EdgeLabelMode, LabelPosition

from memscape.engine.params import MODELS, SAMPLERS, SCHEDULES, Params
from memscape.gui.view_2d import LAYERS

NO_EDGE_LABEL = EdgeLabelMode(0)


@dataclasses.dataclass(frozen=True)
class SliderSpec:
    """A slider for one Params field (or the app's ``speed``) over [low, high]."""

    name: str
    label: str
    low: float
    high: float
    log: bool = False
    integer: bool = False
    tip: str = ""


SLIDERS = (
    SliderSpec("beta", "beta", 0.01, 100.0, log=True, tip="inverse temperature of the associative memories"),
    SliderSpec("dt", "dt", 0.001, 2.0, log=True, tip="step size of the AM dynamics"),
    SliderSpec("rho", "rho", 1.0, 12.0, tip="Karras schedule exponent"),
    SliderSpec("steps", "steps", 2, 1000, log=True, integer=True, tip="steps of a run (diffusion: N integration steps)"),
    SliderSpec("churn", "churn", 0.0, 80.0, tip="EDM stochastic sampler: noise added per step"),
    SliderSpec("eta", "eta", 0.0, 1.0, tip="DDIM: 0 deterministic, 1 like DDPM"),
    SliderSpec("particles", "particles", 1, 5000, log=True, integer=True, tip="number of particles"),
    SliderSpec("speed", "speed (steps/s)", 1.0, 120.0, log=True, tip="simulation steps per second"),
)
SPEED_RANGE = next((s.low, s.high) for s in SLIDERS if s.name == "speed")
SIGMA_RANGE = (1e-3, 100.0)


def _fmt(value: float, integer: bool) -> str:
    return str(int(round(value))) if integer else f"{value:.4g}"


class ParamSlider(QtWidgets.QWidget):
    """A QLabeledDoubleSlider for one value. Linear floats use superqt's editable label;
    log and integer scales slide over log10 / whole numbers and show the value in an
    editable field beside the slider."""

    valueChanged = QtCore.pyqtSignal(float)

    def __init__(self, spec: SliderSpec, parent=None):
        super().__init__(parent)
        self.spec = spec
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.slider = QLabeledDoubleSlider(QtCore.Qt.Orientation.Horizontal)
        self.slider.setToolTip(spec.tip)
        if spec.log:
            self.slider.setRange(math.log10(spec.low), math.log10(spec.high))
            self.slider.setDecimals(3)
        else:
            self.slider.setRange(spec.low, spec.high)
            self.slider.setDecimals(0 if spec.integer else 3)
        layout.addWidget(self.slider, 1)
        self.field: QtWidgets.QLineEdit | None = None
        if spec.log:
            self.slider.setEdgeLabelMode(NO_EDGE_LABEL)
            self.field = QtWidgets.QLineEdit()
            self.field.setFixedWidth(self.fontMetrics().horizontalAdvance("0.00000") + 12)
            self.field.editingFinished.connect(self._on_field)
            layout.addWidget(self.field)
        self.slider.valueChanged.connect(self._on_slider)

    def value(self) -> float:
        s = self.slider.value()
        v = 10.0 ** s if self.spec.log else s
        return float(round(v)) if self.spec.integer else float(v)

    def setValue(self, value: float) -> None:
        """Show ``value`` without emitting valueChanged."""
        v = min(max(float(value), self.spec.low), self.spec.high)
        with QtCore.QSignalBlocker(self.slider):
            self.slider.setValue(math.log10(v) if self.spec.log else v)
        if self.field is not None:
            self.field.setText(_fmt(value, self.spec.integer))

    def _on_slider(self, _s: float) -> None:
        if self.field is not None:
            self.field.setText(_fmt(self.value(), self.spec.integer))
        self.valueChanged.emit(self.value())

    def _on_field(self) -> None:
        try:
            v = float(self.field.text())
        except ValueError:
            self.field.setText(_fmt(self.value(), self.spec.integer))
            return
        if v > 0 and v != self.value():
            self.setValue(v)
            self.valueChanged.emit(float(round(v)) if self.spec.integer else v)


class SigmaRange(QtWidgets.QWidget):
    """sigma_min .. sigma_max on a log scale (a QLabeledDoubleRangeSlider over log10 sigma)."""

    rangeChanged = QtCore.pyqtSignal(float, float)

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.slider = QLabeledDoubleRangeSlider(QtCore.Qt.Orientation.Horizontal)
        self.slider.setRange(math.log10(SIGMA_RANGE[0]), math.log10(SIGMA_RANGE[1]))
        self.slider.setDecimals(3)
        self.slider.setEdgeLabelMode(NO_EDGE_LABEL)
        self.slider.setHandleLabelPosition(LabelPosition.NoLabel)
        self.slider.setToolTip("noise levels of the schedule: sigma_min .. sigma_max (log scale)")
        self.label = QtWidgets.QLabel()
        layout.addWidget(self.slider)
        layout.addWidget(self.label)
        self.slider.valueChanged.connect(self._on_slider)

    def values(self) -> tuple[float, float]:
        lo, hi = self.slider.value()
        return 10.0 ** lo, 10.0 ** hi

    def setValues(self, lo: float, hi: float) -> None:
        with QtCore.QSignalBlocker(self.slider):
            self.slider.setValue((math.log10(max(lo, SIGMA_RANGE[0])), math.log10(min(hi, SIGMA_RANGE[1]))))
        self.label.setText(f"{lo:.4g} .. {hi:.4g}")

    def _on_slider(self, _v) -> None:
        lo, hi = self.values()
        self.label.setText(f"{lo:.4g} .. {hi:.4g}")
        if hi > lo:
            self.rangeChanged.emit(lo, hi)


class ControlsPanel(QtWidgets.QScrollArea):
    """Everything the user can change; see the module docstring for the signals."""

    changed = QtCore.pyqtSignal(dict)  #: Params fields to replace
    preset_chosen = QtCore.pyqtSignal(str)
    speed_changed = QtCore.pyqtSignal(float)
    action = QtCore.pyqtSignal(str)  #: "play", "step", "reset", "reseed"
    scrubbed = QtCore.pyqtSignal(int)  #: recording index
    layer_toggled = QtCore.pyqtSignal(str, bool)

    def __init__(self, presets: list[tuple[str, str]], parent=None):
        super().__init__(parent)
        self.setWidgetResizable(True)
        body = QtWidgets.QWidget()
        self.setWidget(body)
        form = QtWidgets.QFormLayout(body)
        form.setFieldGrowthPolicy(QtWidgets.QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)

        self.preset = QtWidgets.QComboBox()
        for name, description in presets:
            self.preset.addItem(name, name)
            self.preset.setItemData(self.preset.count() - 1, description, QtCore.Qt.ItemDataRole.ToolTipRole)
        self.preset.activated.connect(lambda i: self.preset_chosen.emit(self.preset.itemData(i)))
        form.addRow("preset", self.preset)
        self.combos: dict[str, QtWidgets.QComboBox] = {}
        for name, options in (("model", MODELS), ("sampler", SAMPLERS), ("schedule", SCHEDULES)):
            combo = QtWidgets.QComboBox()
            combo.addItems(options)
            combo.currentTextChanged.connect(lambda text, n=name: self.changed.emit({n: text}))
            self.combos[name] = combo
            form.addRow(name, combo)

        self.sliders: dict[str, ParamSlider] = {}
        for spec in SLIDERS:
            slider = ParamSlider(spec)
            if spec.name == "speed":
                slider.valueChanged.connect(self.speed_changed.emit)
            else:
                slider.valueChanged.connect(
                    lambda v, s=spec: self.changed.emit({s.name: int(round(v)) if s.integer else v}))
            self.sliders[spec.name] = slider
            form.addRow(spec.label, slider)
            if spec.name == "dt":
                self.sigma = SigmaRange()
                self.sigma.rangeChanged.connect(
                    lambda lo, hi: self.changed.emit({"sigma_min": lo, "sigma_max": hi}))
                form.addRow("sigma range", self.sigma)
        self.sliders["speed"].setValue(20.0)

        buttons = QtWidgets.QGridLayout()
        self.buttons: dict[str, QtWidgets.QPushButton] = {}
        transport = (("play", "Play", "play / pause (space)"), ("step", "Step", "one step (N)"),
                     ("reset", "Reset", "back to the first step (R)"),
                     ("reseed", "Reseed", "new random initial particles"))
        for k, (name, text, tip) in enumerate(transport):
            b = QtWidgets.QPushButton(text)
            b.setToolTip(tip)
            b.clicked.connect(lambda _=False, n=name: self.action.emit(n))
            self.buttons[name] = b
            buttons.addWidget(b, k // 2, k % 2)
        form.addRow(buttons)

        self.scrubber = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.scrubber.setRange(0, 0)
        self.scrubber.setToolTip("seek any recorded step; the run is kept, so this replays it exactly")
        self.scrubber.valueChanged.connect(self.scrubbed.emit)
        self.scrub_label = QtWidgets.QLabel("step 0")
        form.addRow("time", self.scrubber)
        form.addRow("", self.scrub_label)

        layers = QtWidgets.QGridLayout()
        self.layers: dict[str, QtWidgets.QCheckBox] = {}
        for k, name in enumerate(LAYERS):
            box = QtWidgets.QCheckBox(name)
            box.setChecked(True)
            box.toggled.connect(lambda on, n=name: self.layer_toggled.emit(n, on))
            self.layers[name] = box
            layers.addWidget(box, k // 2, k % 2)
        form.addRow("overlays", None)
        form.addRow(layers)
        self.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def minimumSizeHint(self) -> QtCore.QSize:
        """As wide as the widgets need with the current fonts (the presenter theme's are
        larger), so nothing is cut off; any height, it scrolls."""
        # the preferred width: at their minimum the sliders' value labels are cut off
        width = self.widget().sizeHint().width() + self.verticalScrollBar().sizeHint().width() + 4
        return QtCore.QSize(width, 120)

    def set_params(self, params: Params) -> None:
        """Write ``params`` into the widgets without emitting anything."""
        for name, combo in self.combos.items():
            with QtCore.QSignalBlocker(combo):
                combo.setCurrentText(getattr(params, name))
        for name, slider in self.sliders.items():
            if name != "speed":
                slider.setValue(getattr(params, name))
        self.sigma.setValues(params.sigma_min, params.sigma_max)
        # every control stays live: beside an AM the side-by-side view runs diffusion with
        # the sampler and schedule settings, beside diffusion an AM with beta

    def set_preset(self, name: str) -> None:
        with QtCore.QSignalBlocker(self.preset):
            i = self.preset.findData(name)
            if i < 0:
                self.preset.addItem(name, name)
                i = self.preset.count() - 1
            self.preset.setCurrentIndex(i)

    def set_playing(self, playing: bool) -> None:
        self.buttons["play"].setText("Pause" if playing else "Play")

    def set_recording(self, length: int, index: int, step: int) -> None:
        """The scrubber's range (recorded frames) and position, without emitting ``scrubbed``."""
        with QtCore.QSignalBlocker(self.scrubber):
            self.scrubber.setRange(0, max(0, length - 1))
            self.scrubber.setValue(index)
        self.scrub_label.setText(f"step {step}   (frame {index + 1} of {length})")
