"""The control panel: selectors, sliders with an editable value field each (superqt sliders),
the sigma range, transport buttons, the time scrubber and the overlay toggles.

Widgets only say what the user asked for (``changed`` with a dict of Params fields,
``action`` with a name); :meth:`ControlsPanel.set_params` writes a Params back into the
widgets with their signals blocked, so widget -> model -> widget never loops. Sliders that do
nothing for the chosen sampler or schedule are disabled, their tooltip says why
(:data:`ONLY_FOR`). A value typed into a field is applied with Enter, which also hands the
keyboard back to the window, so Space plays again (Escape leaves the field unchanged).
Every value field and the step readout are as wide as their widest value in the current
font, so no value is cut off in either theme.
"""
from __future__ import annotations

import dataclasses
import math

from PyQt6 import QtCore, QtWidgets
from superqt import QDoubleRangeSlider, QDoubleSlider

from memscape.engine.params import MODELS, SAMPLERS, SCHEDULES, Params
from memscape.gui.density import DENSITY_ABOVE
from memscape.gui.view_2d import LAYERS


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


DEFAULT_SPEED = 4.0  #: steps per second: the default preset's 40 steps take 10 s, time to narrate
SLIDERS = (
    SliderSpec("beta", "beta", 0.01, 100.0, log=True,
               tip="inverse temperature beta of the associative memories (sharper wells when larger)"),
    SliderSpec("dt", "dt", 0.001, 2.0, log=True, tip="step size dt of the associative memory's dynamics"),
    SliderSpec("rho", "rho", 1.0, 12.0, tip="exponent rho of the Karras schedule: larger spends more steps at small sigma"),
    SliderSpec("steps", "steps", 2, 1000, log=True, integer=True,
               tip="steps of a run (diffusion: the N integration steps of the schedule)"),
    SliderSpec("churn", "churn", 0.0, 80.0, tip="S_churn of the EDM stochastic sampler: noise added back at each step"),
    SliderSpec("eta", "eta", 0.0, 1.0, tip="eta of DDIM: 0 is deterministic, 1 adds the noise of DDPM"),
    SliderSpec("particles", "particles", 1, 100_000, log=True, integer=True,
               tip=f"number of particles (a new run); above {DENSITY_ABOVE:,} the landscapes draw their density"),
    SliderSpec("speed", "steps/s", 0.2, 120.0, log=True,
               tip="simulation steps per second; 0.2 is one step every 5 s (keys - and + halve and double it)"),
)
SPEED_RANGE = next((s.low, s.high) for s in SLIDERS if s.name == "speed")
SIGMA_RANGE = (1e-3, 100.0)
#: sliders that act only for some choices: slider -> (the Params field, the values it acts for)
ONLY_FOR = {"churn": ("sampler", ("edm-churn",)), "eta": ("sampler", ("ddim",)), "rho": ("schedule", ("karras",))}
COMBO_TIPS = {
    "model": "what runs: an associative memory, or diffusion; the side-by-side view pairs it with the other kind",
    "sampler": "how diffusion integrates from noise to the memories (also the side-by-side partner of an AM)",
    "schedule": "how the noise level sigma falls from sigma_max to sigma_min, then to 0",
}
LAYER_TIPS = {
    "colormap": "the energy landscape as colours (dark is low energy)",
    "contours": "lines of equal energy",
    "arrows": "the score -grad E: where the landscape pushes a particle",
    "trails": "each particle's path so far (older parts fainter)",
    "memories": "the stored patterns (stars); drag one to move it",
    "particles": "the particles, one colour each in every view",
}
CURSOR_PX = 2  #: room a line edit keeps for its cursor beside the text
TEXT_MARGIN_PX = 2  #: Qt's inner margin on each side of a line edit's text


def _fmt(value: float, integer: bool) -> str:
    return str(int(round(value))) if integer else f"{value:.4g}"


def widest_values(low: float, high: float, integer: bool) -> list[str]:
    """Texts as wide as any value in [low, high] can be when shown by :func:`_fmt`: the ends
    and, for each decade between, a value with four significant digits."""
    if integer:
        return [_fmt(low, True), _fmt(high, True)]
    out = [_fmt(low, False), _fmt(high, False)]
    smallest = max(low, 1e-300) if low > 0 else 1.0
    for decade in range(math.floor(math.log10(smallest)), math.ceil(math.log10(max(high, 1.0))) + 1):
        v = 1.111 * 10.0 ** decade
        if low <= v <= high:
            out.append(_fmt(v, False))
    return out


def _tip(widget: QtWidgets.QWidget, tip: str) -> QtWidgets.QWidget:
    widget.setToolTip(tip)
    return widget


class ValueField(QtWidgets.QLineEdit):
    """A line edit for one number, as wide as the widest of ``widest`` in its current font
    (its size hint follows a font change). Enter applies (``editingFinished``) and hands the
    keyboard back to the window; Escape puts the shown value back and does the same."""

    def __init__(self, widest: list[str], parent=None):
        super().__init__(parent)
        self.widest = list(widest)
        self.shown = ""  #: the value last written by the program
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Fixed, QtWidgets.QSizePolicy.Policy.Fixed)
        self.editingFinished.connect(self._leave)

    def show_value(self, text: str) -> None:
        self.shown = text
        self.setText(text)

    def sizeHint(self) -> QtCore.QSize:
        margins = self.textMargins()
        text = max(self.fontMetrics().horizontalAdvance(t) for t in self.widest)
        width = text + CURSOR_PX + 2 * TEXT_MARGIN_PX + margins.left() + margins.right()
        opt = QtWidgets.QStyleOptionFrame()
        self.initStyleOption(opt)
        height = super().sizeHint().height()
        size = self.style().sizeFromContents(QtWidgets.QStyle.ContentsType.CT_LineEdit, opt,
                                             QtCore.QSize(width, self.fontMetrics().height()), self)
        return QtCore.QSize(size.width(), height)

    def minimumSizeHint(self) -> QtCore.QSize:
        return self.sizeHint()

    def keyPressEvent(self, event) -> None:
        if event.key() == QtCore.Qt.Key.Key_Escape:
            self.setText(self.shown)
            self.clearFocus()
            return
        super().keyPressEvent(event)

    def _leave(self) -> None:
        if self.hasFocus():  # Enter (leaving by a click elsewhere already moved the focus)
            self.clearFocus()


class FittedLabel(QtWidgets.QLabel):
    """A label at least as wide as ``widest`` in its current font while it shows a value (so
    it does not jump as the value changes), and as its own text when that is wider; nothing
    when empty."""

    def __init__(self, widest: str, parent=None):
        super().__init__(parent)
        self.widest = widest

    def minimumSizeHint(self) -> QtCore.QSize:
        hint = super().minimumSizeHint()
        if not self.text():
            return hint
        margins = self.contentsMargins()
        width = self.fontMetrics().horizontalAdvance(self.widest) + 2 * self.margin() + margins.left() + margins.right()
        return QtCore.QSize(max(hint.width(), width + 1), hint.height())

    def sizeHint(self) -> QtCore.QSize:
        hint = super().sizeHint()
        return QtCore.QSize(max(hint.width(), self.minimumSizeHint().width()), hint.height())


class ParamSlider(QtWidgets.QWidget):
    """A slider for one value (over log10 of it for log scales, whole numbers for integers)
    with an editable field beside it that shows the value."""

    valueChanged = QtCore.pyqtSignal(float)

    def __init__(self, spec: SliderSpec, parent=None):
        super().__init__(parent)
        self.spec = spec
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.slider = QDoubleSlider(QtCore.Qt.Orientation.Horizontal)
        lo, hi = (math.log10(spec.low), math.log10(spec.high)) if spec.log else (spec.low, spec.high)
        self.slider.setRange(lo, hi)
        self.slider.setSingleStep((hi - lo) / 100)
        self.slider.setPageStep((hi - lo) / 10)
        self.field = ValueField(widest_values(spec.low, spec.high, spec.integer))
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.field)
        self.set_tip(spec.tip)
        self.slider.valueChanged.connect(self._on_slider)
        self.field.editingFinished.connect(self._on_field)

    def set_tip(self, tip: str) -> None:
        for w in (self, self.slider, self.field):
            w.setToolTip(tip)

    def value(self) -> float:
        s = self.slider.value()
        v = 10.0 ** s if self.spec.log else s
        return float(round(v)) if self.spec.integer else float(v)

    def setValue(self, value: float) -> None:
        """Show ``value`` without emitting valueChanged."""
        v = min(max(float(value), self.spec.low), self.spec.high)
        with QtCore.QSignalBlocker(self.slider):
            self.slider.setValue(math.log10(v) if self.spec.log else v)
        self.field.show_value(_fmt(value, self.spec.integer))

    def _on_slider(self, _s: float) -> None:
        self.field.show_value(_fmt(self.value(), self.spec.integer))
        self.valueChanged.emit(self.value())

    def _on_field(self) -> None:
        try:
            v = float(self.field.text())
        except ValueError:
            v = float("nan")
        if not (v > 0 if self.spec.log else v >= 0) or not math.isfinite(v):
            self.field.show_value(_fmt(self.value(), self.spec.integer))
            return
        v = float(round(v)) if self.spec.integer else v
        if self.field.text() != self.field.shown:
            self.setValue(v)
            self.valueChanged.emit(v)


class SigmaRange(QtWidgets.QWidget):
    """sigma_min .. sigma_max: a range slider over log10 sigma whose press picks the nearer
    handle (a drag near the upper one moves it, never the whole range), and a field for each end."""

    rangeChanged = QtCore.pyqtSignal(float, float)

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.slider = QDoubleRangeSlider(QtCore.Qt.Orientation.Horizontal)
        lo, hi = math.log10(SIGMA_RANGE[0]), math.log10(SIGMA_RANGE[1])
        self.slider.setRange(lo, hi)
        self.slider.setSingleStep((hi - lo) / 100)
        self.slider.setBarMovesAllHandles(False)
        tip = "noise levels of the schedule, sigma_min .. sigma_max (log scale); drag either handle"
        self.slider.setToolTip(tip)
        widest = widest_values(*SIGMA_RANGE, integer=False)
        self.low, self.high = ValueField(widest), ValueField(widest)
        self.low.setToolTip("sigma_min: the last noise level before sigma = 0")
        self.high.setToolTip("sigma_max: the noise level a run starts at")
        row = QtWidgets.QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.low)
        row.addWidget(_tip(QtWidgets.QLabel("to"), tip))
        row.addWidget(self.high)
        row.addStretch(1)
        layout.addWidget(self.slider)
        layout.addLayout(row)
        self.setToolTip(tip)
        self.slider.valueChanged.connect(self._on_slider)
        for field in (self.low, self.high):
            field.editingFinished.connect(self._on_field)

    def values(self) -> tuple[float, float]:
        lo, hi = self.slider.value()
        return 10.0 ** lo, 10.0 ** hi

    def setValues(self, lo: float, hi: float) -> None:
        with QtCore.QSignalBlocker(self.slider):
            self.slider.setValue((math.log10(max(lo, SIGMA_RANGE[0])), math.log10(min(hi, SIGMA_RANGE[1]))))
        self.low.show_value(_fmt(lo, False))
        self.high.show_value(_fmt(hi, False))

    def _on_slider(self, _v) -> None:
        lo, hi = self.values()
        self.low.show_value(_fmt(lo, False))
        self.high.show_value(_fmt(hi, False))
        if hi > lo:
            self.rangeChanged.emit(lo, hi)

    def _on_field(self) -> None:
        if self.low.text() == self.low.shown and self.high.text() == self.high.shown:
            return
        try:
            lo, hi = float(self.low.text()), float(self.high.text())
        except ValueError:
            lo = hi = float("nan")
        if 0 < lo < hi and math.isfinite(hi):
            self.setValues(lo, hi)
            self.rangeChanged.emit(lo, hi)
        else:
            self.setValues(*self.values())


class ControlsPanel(QtWidgets.QScrollArea):
    """Everything the user can change; see the module docstring for the signals."""

    changed = QtCore.pyqtSignal(dict)  #: Params fields to replace
    preset_chosen = QtCore.pyqtSignal(str)
    speed_changed = QtCore.pyqtSignal(float)
    action = QtCore.pyqtSignal(str)  #: "play", "step", "reset", "reseed"
    loop_toggled = QtCore.pyqtSignal(bool)
    scrubbed = QtCore.pyqtSignal(int)  #: recording index
    layer_toggled = QtCore.pyqtSignal(str, bool)

    def __init__(self, presets: list[tuple[str, str]], parent=None):
        super().__init__(parent)
        self.setWidgetResizable(True)
        body = QtWidgets.QWidget()
        self.setWidget(body)
        body.installEventFilter(self)
        form = self.form = QtWidgets.QFormLayout(body)
        form.setFieldGrowthPolicy(QtWidgets.QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)

        def row(label: str, widget, tip: str) -> None:
            text = _tip(QtWidgets.QLabel(label), tip)
            text.setBuddy(widget)
            form.addRow(text, widget)

        self.preset = QtWidgets.QComboBox()
        for name, description in presets:
            self.preset.addItem(name, name)
            self.preset.setItemData(self.preset.count() - 1, description, QtCore.Qt.ItemDataRole.ToolTipRole)
        self.preset.activated.connect(lambda i: self.preset_chosen.emit(self.preset.itemData(i)))
        self.preset.currentIndexChanged.connect(self._preset_tip)
        row("preset", self.preset, "a stored set of memories and parameters; choosing one starts a new run")
        self.combos: dict[str, QtWidgets.QComboBox] = {}
        for name, options in (("model", MODELS), ("sampler", SAMPLERS), ("schedule", SCHEDULES)):
            combo = _tip(QtWidgets.QComboBox(), COMBO_TIPS[name])
            combo.addItems(options)
            combo.currentTextChanged.connect(lambda text, n=name: self.changed.emit({n: text}))
            self.combos[name] = combo
            row(name, combo, COMBO_TIPS[name])

        self.sliders: dict[str, ParamSlider] = {}
        self.labels: dict[str, QtWidgets.QLabel] = {}
        for spec in SLIDERS:
            slider = ParamSlider(spec)
            if spec.name == "speed":
                slider.valueChanged.connect(self.speed_changed.emit)
            else:
                slider.valueChanged.connect(
                    lambda v, s=spec: self.changed.emit({s.name: int(round(v)) if s.integer else v}))
            self.sliders[spec.name] = slider
            row(spec.label, slider, spec.tip)
            self.labels[spec.name] = form.labelForField(slider)
            if spec.name == "dt":
                self.sigma = SigmaRange()
                self.sigma.rangeChanged.connect(
                    lambda lo, hi: self.changed.emit({"sigma_min": lo, "sigma_max": hi}))
                row("sigma", self.sigma, self.sigma.toolTip())
        self.sliders["speed"].setValue(DEFAULT_SPEED)

        buttons = QtWidgets.QGridLayout()
        self.buttons: dict[str, QtWidgets.QPushButton] = {}
        transport = (("play", "Play", "play / pause (Space)"), ("step", "Step", "one step, then pause (N)"),
                     ("reset", "Reset", "back to the first step; after the end it replays (R)"),
                     ("reseed", "Reseed", "new random initial particles"),
                     ("loop", "Loop", "replay the run on its own each time it ends (L)"))
        for k, (name, text, tip) in enumerate(transport):
            b = _tip(QtWidgets.QPushButton(text), tip)
            if name == "loop":
                b.setCheckable(True)
                b.toggled.connect(self.loop_toggled.emit)
            else:
                b.clicked.connect(lambda _=False, n=name: self.action.emit(n))
            self.buttons[name] = b
            buttons.addWidget(b, k // 2, k % 2)
        form.addRow(buttons)

        self.scrubber = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.scrubber.setRange(0, 0)
        scrub_tip = "seek any recorded step; the run is kept, so this replays it exactly"
        self.scrubber.setToolTip(scrub_tip)
        self.scrubber.valueChanged.connect(self.scrubbed.emit)
        top = int(next(s.high for s in SLIDERS if s.name == "steps"))
        self.scrub_label = _tip(FittedLabel(self._scrub_text(top, 8888, 8888)),
                                "the step on screen and which recorded frame it is")
        row("time", self.scrubber, scrub_tip)
        form.addRow(self.scrub_label)  # across both columns: the panel stays slim

        layers = QtWidgets.QGridLayout()
        self.layers: dict[str, QtWidgets.QCheckBox] = {}
        for k, name in enumerate(LAYERS):
            box = _tip(QtWidgets.QCheckBox(name), f"show or hide {LAYER_TIPS[name]}")
            box.setChecked(True)
            box.toggled.connect(lambda on, n=name: self.layer_toggled.emit(n, on))
            self.layers[name] = box
            layers.addWidget(box, k // 2, k % 2)
        form.addRow(_tip(QtWidgets.QLabel("overlays"), "what the landscape views draw"), None)
        form.addRow(layers)
        self.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    @staticmethod
    def _scrub_text(step: int, frame: int, length: int) -> str:
        return f"step {step}  (frame {frame} of {length})"

    def _preset_tip(self, index: int) -> None:
        tip = self.preset.itemData(index, QtCore.Qt.ItemDataRole.ToolTipRole)
        self.preset.setToolTip(tip or "a stored set of memories and parameters")

    def eventFilter(self, obj, event) -> bool:
        if obj is self.widget() and event.type() == QtCore.QEvent.Type.LayoutRequest:
            self.updateGeometry()  # new fonts laid the body out again: so is the minimum width
        return super().eventFilter(obj, event)

    def minimumSizeHint(self) -> QtCore.QSize:
        """As wide as the widgets need with the current fonts (the presenter theme's are
        larger), so nothing is cut off; any height, it scrolls."""
        # the preferred width: at their minimum the sliders would be a few pixels long
        width = self.widget().sizeHint().width() + self.verticalScrollBar().sizeHint().width() + 4
        return QtCore.QSize(width, 120)

    def set_params(self, params: Params) -> None:
        """Write ``params`` into the widgets without emitting anything; disable the sliders
        that do nothing with its sampler and schedule."""
        for name, combo in self.combos.items():
            with QtCore.QSignalBlocker(combo):
                combo.setCurrentText(getattr(params, name))
        for name, slider in self.sliders.items():
            if name != "speed":
                slider.setValue(getattr(params, name))
        self.sigma.setValues(params.sigma_min, params.sigma_max)
        # beside an AM the side-by-side view runs diffusion with the sampler and schedule
        # settings, beside diffusion an AM with beta and dt: only these three can be idle
        for name, (field, values) in ONLY_FOR.items():
            current = getattr(params, field)
            on = current in values
            spec = self.sliders[name].spec
            tip = spec.tip if on else (f"{spec.label} acts only with the {' or '.join(values)} {field}; "
                                       f"the {field} now is {current}")
            self.sliders[name].setEnabled(on)
            self.sliders[name].set_tip(tip)
            self.labels[name].setEnabled(on)
            self.labels[name].setToolTip(tip)

    def set_preset(self, name: str) -> None:
        with QtCore.QSignalBlocker(self.preset):
            i = self.preset.findData(name)
            if i < 0:
                self.preset.addItem(name, name)
                i = self.preset.count() - 1
            self.preset.setCurrentIndex(i)
        self._preset_tip(i)

    def set_playing(self, playing: bool, finished: bool = False) -> None:
        self.buttons["play"].setText("Pause" if playing else "Replay" if finished else "Play")

    def set_looping(self, on: bool) -> None:
        with QtCore.QSignalBlocker(self.buttons["loop"]):
            self.buttons["loop"].setChecked(on)

    def set_recording(self, length: int, index: int, step: int) -> None:
        """The scrubber's range (recorded frames) and position, without emitting ``scrubbed``."""
        with QtCore.QSignalBlocker(self.scrubber):
            self.scrubber.setRange(0, max(0, length - 1))
            self.scrubber.setValue(index)
        self.scrub_label.setText(self._scrub_text(step, index + 1, length))
