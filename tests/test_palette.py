"""The model palette (core.methods colours) stays distinguishable under colour-vision deficiency.

Each colour is simulated as seen with protanopia, deuteranopia and tritanopia — the matrices of Machado,
Oliveira & Fernandes (2009), "A physiologically-based model for simulation of color vision deficiency", IEEE
TVCG 15(6), at severity 1.0, applied in linear RGB as in their paper — and every pair must stay at least
MIN_DELTA_E apart in CIEDE2000 (Sharma, Wu & Dalal 2005). docs/METHODS.md says why 10.
"""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from core.methods import METHODS

MIN_DELTA_E = 10.0
MACHADO = {  # severity 1.0, linear RGB
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]],
}
SRGB_TO_XYZ = np.array([[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750],
                        [0.0193339, 0.1191920, 0.9503041]])
WHITE = np.array([0.95047, 1.0, 1.08883])  # D65


def linear(hex_colour: str) -> np.ndarray:
    srgb = np.array([int(hex_colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)])
    return np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)


def lab(rgb_linear: np.ndarray) -> np.ndarray:
    t = SRGB_TO_XYZ @ np.clip(rgb_linear, 0, 1) / WHITE
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def ciede2000(lab1: np.ndarray, lab2: np.ndarray) -> float:
    """ΔE00 after Sharma, Wu & Dalal (2005), with kL = kC = kH = 1."""
    (l1, a1, b1), (l2, a2, b2) = lab1, lab2
    c_bar = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    g = 0.5 * (1 - np.sqrt(c_bar ** 7 / (c_bar ** 7 + 25 ** 7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p, h2p = np.degrees(np.arctan2(b1, a1p)) % 360, np.degrees(np.arctan2(b2, a2p)) % 360
    dl, dc = l2 - l1, c2p - c1p
    dh = 0.0 if c1p * c2p == 0 else (h2p - h1p + 180) % 360 - 180
    dh_big = 2 * np.sqrt(c1p * c2p) * np.sin(np.radians(dh) / 2)
    l_bar, c_bar_p = (l1 + l2) / 2, (c1p + c2p) / 2
    if c1p * c2p == 0:
        h_bar = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        h_bar = (h1p + h2p) / 2
    else:
        h_bar = (h1p + h2p + 360) / 2 if h1p + h2p < 360 else (h1p + h2p - 360) / 2
    t = (1 - 0.17 * np.cos(np.radians(h_bar - 30)) + 0.24 * np.cos(np.radians(2 * h_bar))
         + 0.32 * np.cos(np.radians(3 * h_bar + 6)) - 0.20 * np.cos(np.radians(4 * h_bar - 63)))
    s_l = 1 + 0.015 * (l_bar - 50) ** 2 / np.sqrt(20 + (l_bar - 50) ** 2)
    s_c, s_h = 1 + 0.045 * c_bar_p, 1 + 0.015 * c_bar_p * t
    r_t = (-2 * np.sqrt(c_bar_p ** 7 / (c_bar_p ** 7 + 25 ** 7))
           * np.sin(np.radians(60 * np.exp(-(((h_bar - 275) / 25) ** 2)))))
    return float(np.sqrt((dl / s_l) ** 2 + (dc / s_c) ** 2 + (dh_big / s_h) ** 2 + r_t * (dc / s_c) * (dh_big / s_h)))


def seen(hex_colour: str, deficiency: str | None) -> np.ndarray:
    rgb = linear(hex_colour)
    return lab(rgb if deficiency is None else np.array(MACHADO[deficiency]) @ rgb)


@pytest.mark.parametrize("pair, expected", [  # Sharma et al. (2005), Table 1, pairs 1, 7 and 17
    (((50, 2.6772, -79.7751), (50, 0, -82.7485)), 2.0425),
    (((50, 0, 0), (50, -1, 2)), 2.3669),
    (((50, 2.5, 0), (73, 25, -18)), 27.1492),
])
def test_ciede2000_matches_the_published_examples(pair, expected):
    assert ciede2000(np.array(pair[0], float), np.array(pair[1], float)) == pytest.approx(expected, abs=1e-4)


def test_the_simulation_keeps_white_and_black_and_merges_red_and_green_for_deuteranopes():
    for deficiency in MACHADO:
        assert seen("#ffffff", deficiency)[0] == pytest.approx(100, abs=1.0)
        assert seen("#000000", deficiency)[0] == pytest.approx(0, abs=1e-6)
    normal = ciede2000(seen("#cc3333", None), seen("#669933", None))
    assert ciede2000(seen("#cc3333", "deuteranopia"), seen("#669933", "deuteranopia")) < normal / 2


@pytest.mark.parametrize("deficiency", [None, *MACHADO])
def test_every_pair_of_model_colours_stays_apart(deficiency):
    colours = {name: spec.colour for name, spec in METHODS.items()}
    too_close = [(a, b, round(d, 1)) for (a, x), (b, y) in itertools.combinations(colours.items(), 2)
                 if (d := ciede2000(seen(x, deficiency), seen(y, deficiency))) < MIN_DELTA_E]
    assert not too_close, f"{deficiency or 'normal vision'}: ΔE00 < {MIN_DELTA_E} for {too_close}"
