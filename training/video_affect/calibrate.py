"""Calibrate the picture-feature -> valence/arousal mapping of `musicgrammar.tools.video`.

Makes labelled clips with ffmpeg (lavfi sources whose look is known: a dark blue night, a warm
dawn, grey fog, colourful motion, dark storm noise, flash cuts ...), measures the mean features of
each, and fits `bias + weights . features` to the labels by ridge-regularised least squares, one
axis at a time. The labels follow the usual film-affect conventions (dark/cold/grey: negative
valence; still: low arousal; fast motion and fast cutting: high arousal). Prints the weights to
paste into AFFECT_WEIGHTS and each clip's label, fit and leave-one-out prediction.

    /work/main/.venv/bin/python training/video_affect/calibrate.py [--out DIR]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from musicgrammar.tools.video import FEATURES, analyse_video, make_film

# name: (shots, (valence, arousal) label)
CLIPS: dict[str, tuple[list[tuple[float, str]], tuple[float, float]]] = {
    "night_still": ([(8, "color=c=0x0a1028")], (-0.6, -0.8)),
    "dawn_still": ([(8, "color=c=0xf2c88a")], (0.6, -0.6)),
    "grey_fog": ([(8, "color=c=0x707478")], (-0.2, -0.7)),
    "sunny_meadow": ([(8, "gradients=c0=0xffd040:c1=0x60c040:speed=0.005")], (0.7, -0.3)),
    "festival": ([(8, "testsrc2,hue=H=2*PI*t/3")], (0.6, 0.5)),
    "storm_noise": ([(8, "color=c=0x101418,noise=alls=70:allf=t")], (-0.6, 0.8)),
    "cold_motion": ([(8, "testsrc2,colorchannelmixer=rr=0.2:gg=0.4:bb=0.9,eq=brightness=-0.25")], (-0.4, 0.3)),
    "dream_zoom": ([(8, "mandelbrot")], (0.1, -0.1)),
    "warm_flash_cuts": ([(0.6, f"color=c={c}") for c in ["0xff6020", "0xffd040", "0xff3080", "0xffa030"] * 3 + ["0xff6020"]], (0.4, 0.8)),
    "dark_flash_cuts": ([(0.6, f"color=c={c}") for c in ["0x200810", "0x101830", "0x301010", "0x081018"] * 3 + ["0x200810"]], (-0.7, 0.6)),
    "embers": ([(8, "color=c=0x803010,noise=alls=25:allf=t")], (-0.1, 0.2)),
    "snow_field": ([(8, "color=c=0xe8eef8,noise=alls=8:allf=t")], (0.3, -0.5)),
}


def fit(x: np.ndarray, y: np.ndarray, ridge: float = 0.3) -> np.ndarray:
    """Ridge least squares on standardised features (so that small-valued features such as motion
    are not penalised away), with an unpenalised bias; returns (bias, weights...) in raw units."""
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    z = (x - mean) / scale
    design = np.hstack([np.ones((len(z), 1)), z])
    penalty = ridge * np.eye(design.shape[1])
    penalty[0, 0] = 0.0
    coef = np.linalg.solve(design.T @ design + penalty, design.T @ y)
    weights = coef[1:] / scale
    return np.concatenate([[coef[0] - float(mean @ weights)], weights])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="Keep the clips here (default: a temp folder).")
    args = parser.parse_args()
    folder = args.out or Path(tempfile.mkdtemp(prefix="video-affect-"))
    folder.mkdir(parents=True, exist_ok=True)
    rows, labels = [], []
    for name, (shots, label) in CLIPS.items():
        analysis = analyse_video(make_film(folder / f"{name}.mp4", shots))
        rows.append([float(np.mean(analysis.features[f])) for f in FEATURES])
        labels.append(label)
    x, y = np.array(rows), np.array(labels)
    print("| clip | " + " | ".join(FEATURES) + " | label V, A | fit V, A | leave-one-out V, A |")
    print("|---|" + "---|" * (len(FEATURES) + 3))
    coefs = [fit(x, y[:, k]) for k in range(2)]
    loo = np.zeros_like(y)
    for i in range(len(x)):
        keep = np.arange(len(x)) != i
        for k in range(2):
            c = fit(x[keep], y[keep, k])
            loo[i, k] = np.clip(c[0] + x[i] @ c[1:], -1, 1)
    fitted = np.clip(np.stack([c[0] + x @ c[1:] for c in coefs], axis=1), -1, 1)
    for name, row, lab, f, l in zip(CLIPS, x, y, fitted, loo):
        print(f"| {name} | " + " | ".join(f"{v:.3f}" for v in row) + f" | {lab[0]:+.1f}, {lab[1]:+.1f} | {f[0]:+.2f}, {f[1]:+.2f} | {l[0]:+.2f}, {l[1]:+.2f} |")
    for k, axis in enumerate(("valence", "arousal")):
        mae, loo_mae = np.mean(np.abs(fitted[:, k] - y[:, k])), np.mean(np.abs(loo[:, k] - y[:, k]))
        sign = np.mean(np.sign(loo[:, k]) == np.sign(y[:, k]))
        print(f"{axis}: fit MAE {mae:.3f}, leave-one-out MAE {loo_mae:.3f}, leave-one-out sign agreement {sign:.0%}")
    print("AFFECT_WEIGHTS = {")
    for k, axis in enumerate(("valence", "arousal")):
        terms = ", ".join([f'"bias": {coefs[k][0]:.3f}'] + [f'"{f}": {w:.3f}' for f, w in zip(FEATURES, coefs[k][1:])])
        print(f'    "{axis}": {{{terms}}},')
    print("}")


if __name__ == "__main__":
    main()
