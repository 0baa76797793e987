"""The user's own benchmark files: read them (``formats``), refit the capacity model's factors on
them (``refit``) and keep the result as a calibration file (``files``)."""

from __future__ import annotations
