#!/usr/bin/python3
"""Draws the paper figures of cimba from sweep results (never from typed-in numbers).

Reads results/sweeps/<name>/sweep.csv (point ids, swept values, status) and, for every `ok`
point, results/sweeps/<name>/points/<id>/result.json (metrics, ssm_input, layers, hardware), and
writes results/figures/<fig>.png (150 dpi) and results/<fig>.csv (the numbers drawn).

  fig1_adc_bits        accuracy, energy and area vs ADC bits      (configs/sweeps/fig1-adc-bits.yaml,
                       Mamba and JiT                                fig1-jit-adc-bits.yaml if run)
  fig2_index_overhead  scale-index lookup overhead vs grouping      (configs/sweeps/fig2-index-overhead.yaml)
  fig3_ssm_input       SSM-input schemes: accuracy vs bytes/token    (configs/sweeps/fig3-ssm-input.yaml)

Usage: /usr/bin/python3 scripts/make_figures.py [--sweeps results/sweeps] [--out results]
                                                [--only fig1,fig2,fig3]
Needs numpy and matplotlib (Debian: python3-numpy python3-matplotlib). See docs/figures.md.
"""
import argparse
import os
import sys

# scripts/figures/ next to this file (also when Python does not put the script's directory on
# sys.path, e.g. under -P / PYTHONSAFEPATH)
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from figures.common import MissingData  # noqa: E402
from figures.fig1 import fig1  # noqa: E402
from figures.fig2 import fig2  # noqa: E402
from figures.fig3 import fig3  # noqa: E402

# A new figure: a module scripts/figures/figN.py with figN(sweeps, out) returning the paths it
# wrote, registered here (docs/figures.md).
FIGS = {"fig1": fig1, "fig2": fig2, "fig3": fig3}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sweeps", default="results/sweeps", help="directory of the sweep outputs")
    ap.add_argument("--out", default="results", help="writes OUT/figures/*.png and OUT/*.csv")
    ap.add_argument("--only", default="fig1,fig2,fig3", help="comma-separated subset")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    failed = []
    for name in a.only.split(","):
        try:
            for p in FIGS[name](a.sweeps, a.out):
                print(f"wrote {p}")
        except MissingData as e:
            print(f"make_figures: {name}: cannot draw: {e}", file=sys.stderr)
            failed.append(name)
    if failed:
        print(f"make_figures: failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
