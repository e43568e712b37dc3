"""The Help menu: the keys-and-gestures sheet (also on "?") and the About box.

The keys on the sheet are read from the window's menus (every action with a shortcut, under
its menu's name), so the sheet lists exactly the keys the window answers to; the mouse
gestures are :data:`GESTURES`. The README's "Keys and gestures" section lists the same.
"""
from __future__ import annotations

import html

from PyQt6 import QtCore, QtGui, QtWidgets

import memscape

PAPER = ("Hoover, Strobelt, Krotov, Hoffman, Kira, Chau: Memory in Plain Sight: Surveying the Uncanny "
         "Resemblances of Associative Memories and Diffusion Models")
ARXIV = "2309.16750"
LICENCE = "GNU General Public License, version 3 or later (GPL-3.0-or-later)"

#: mouse gestures on the 2D views (the side-by-side panels too) and the 3D view: (gesture, what it does)
GESTURES = (
    ("click", "add a cluster of particles there (the run starts again from its start)"),
    ("Ctrl+click", "replace all particles by a cluster there"),
    ("Shift+click", "add a memory there"),
    ("drag a memory", "move it (one edit: Ctrl+Z undoes the whole drag)"),
    ("right-click a memory", "delete it (or Delete while the mouse is on it)"),
    ("drag elsewhere, wheel", "pan, zoom (right-click elsewhere: the plot's menu)"),
    ("hover a particle", "its whole path, energy trace and 3D trail in white"),
    ("3D view: drag, wheel, Ctrl+drag", "orbit, zoom, pan the camera"),
)


def key_rows(menu_bar: QtWidgets.QMenuBar) -> list[tuple[str, list[tuple[str, str]]]]:
    """[(menu name, [(keys, what)])]: every action with a shortcut in the menus, in menu order;
    keys in the portable text form ("Ctrl+Z", "Space"), several joined by " or "."""
    out = []
    for top in menu_bar.actions():
        menu = top.menu()
        if menu is None:
            continue
        rows = []
        for action in menu.actions():
            keys = [k.toString(QtGui.QKeySequence.SequenceFormat.PortableText) for k in action.shortcuts()]
            if keys:
                rows.append((" or ".join(keys), action.text().replace("&", "")))
        if rows:
            out.append((top.text().replace("&", ""), rows))
    return out


def sheet_html(menu_bar: QtWidgets.QMenuBar) -> str:
    """The keys and gestures as an HTML table (the font is the theme's)."""
    def table(title: str, rows) -> str:
        cells = "".join(f"<tr><td><b>{html.escape(k)}</b></td><td>&nbsp;&nbsp;{html.escape(v)}</td></tr>"
                        for k, v in rows)
        return f"<h3>{html.escape(title)}</h3><table>{cells}</table>"

    keys = "".join(table(f"Keys: {menu}", rows) for menu, rows in key_rows(menu_bar))
    return (keys + table("Mouse", GESTURES) +
            "<p>Keys act whatever has the focus; in a value field Enter applies the value and "
            "gives the keys back (Escape leaves it unchanged).</p>")


def about_html(device: str, drawing: str) -> str:
    """Version, licence, the paper, the backend the run uses (``device``, in words) and how the
    views draw (``drawing``: :meth:`gui.render_path.RenderPath.label` with the whole renderer string)."""
    return (f"<h2>Memscape {html.escape(memscape.__version__)}</h2>"
            "<p>A diffusion model is an associative memory whose Lyapunov guarantee was traded "
            "for a noise schedule: watch both retrieve the same memories.</p>"
            f"<p>After {html.escape(PAPER)}, "
            f"<a href='https://arxiv.org/abs/{ARXIV}'>arXiv {ARXIV}</a>.</p>"
            f"<p>Licence: {html.escape(LICENCE)}.</p>"
            f"<p>Backend in use: {html.escape(device or 'not started yet')}.</p>"
            f"<p>{html.escape(drawing)}.</p>")


class KeysSheet(QtWidgets.QDialog):
    """The keys-and-gestures sheet of ``window`` (its menus are read when it opens)."""

    def __init__(self, window: QtWidgets.QMainWindow):
        super().__init__(window)
        self.setWindowTitle("Memscape: keys and gestures")
        self.text = QtWidgets.QTextBrowser()
        self.text.setHtml(sheet_html(window.menuBar()))
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
        metrics = self.fontMetrics()
        self.resize(metrics.horizontalAdvance("x") * 90, metrics.lineSpacing() * 36)


def install(window) -> None:
    """Add the Help menu to ``window`` (a MainWindow: ``menuBar()``, ``device_label``, ``drawing``):
    "Keys and gestures" (? or F1) and "About Memscape"."""
    menu = window.menuBar().addMenu("&Help")
    keys = QtGui.QAction("Keys and gestures", window)
    keys.setShortcuts([QtGui.QKeySequence("?"), QtGui.QKeySequence("F1")])
    keys.setShortcutContext(QtCore.Qt.ShortcutContext.WindowShortcut)

    def show_keys() -> None:
        window.help_sheet = KeysSheet(window)
        window.help_sheet.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        window.help_sheet.open()

    def show_about() -> None:
        box = QtWidgets.QMessageBox(window)
        box.setWindowTitle("About Memscape")
        box.setTextFormat(QtCore.Qt.TextFormat.RichText)
        box.setText(about_html(window.device_label.text(), window.drawing.label(full=True)))
        box.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        window.about_box = box
        box.open()

    keys.triggered.connect(show_keys)
    about = QtGui.QAction("About Memscape", window)
    about.triggered.connect(show_about)
    menu.addAction(keys)
    menu.addAction(about)
    window.help_actions = {"keys": keys, "about": about}
