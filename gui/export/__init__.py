"""Video and data export, from the GUI and headless.

``settings`` (no Qt) says what a video looks like; ``frame_renderer`` simulates a run
once and draws each frame with the app's own views; ``video_writer`` encodes frames
with PyAV, atomically; ``dialog``/``data_dialog`` are the GUI's entry points and
``cli`` the ``main.py export`` sub-command: all go through ``export_job``.
"""
