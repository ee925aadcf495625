"""Shared by the figures of scripts/make_figures.py: loading sweep results, reading fields of
result.json, writing the CSVs and saving the PNGs."""
import csv
import json
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

DPI = 150
LINEAR_POINTS = ("in_proj.out", "x_proj.out", "dt_proj.out", "out_proj.out")


class MissingData(Exception):
    """A figure cannot be drawn from the results present (the message says what is missing)."""


# ----------------------------------------------------------------------------- loading
def load_sweep(sweep_dir):
    """Rows of sweep.csv with status ok, each with its parsed result.json under 'result'."""
    path = os.path.join(sweep_dir, "sweep.csv")
    if not os.path.exists(path):
        raise MissingData(f"{path} does not exist (run the sweep first: scripts/reproduce.sh)")
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    ok, bad = [], []
    for row in rows:
        if row.get("status") != "ok":
            bad.append(f"{row['point']} ({row.get('status')})")
            continue
        rj = os.path.join(sweep_dir, "points", row["point"], "result.json")
        if not os.path.exists(rj):
            raise MissingData(f"{rj} missing although sweep.csv says ok")
        with open(rj) as f:
            row["result"] = json.load(f)
        ok.append(row)
    if bad:
        print(f"make_figures: warning: {sweep_dir}: {len(bad)} point(s) not ok, left out: "
              + ", ".join(bad), file=sys.stderr)
    if not ok:
        raise MissingData(f"{sweep_dir}: no point with status ok")
    return ok


def num(x):
    """JSON number or null -> float (null, e.g. the SQNR of an exact result -> inf)."""
    if x is None:
        return math.inf
    return float(x)


def hw(res):
    h = res.get("hardware")
    if not h:
        raise MissingData("result.json has no 'hardware' section (not a mamba run on the accelerator?)")
    return h


def price(h, action, component):
    """pJ per action from hardware.energy_table: '<action>@<component>' first, then '<action>'."""
    table = {e["action"]: e["pJ"] for e in h.get("energy_table", [])}
    for key in (f"{action}@{component}", action):
        if key in table:
            return float(table[key])
    return None


def count(h, action_at_component):
    """Sum over the layers of hardware.layers[].counts['<action>@<component>']."""
    return float(sum(l.get("counts", {}).get(action_at_component, 0) for l in h["layers"]))


def unit_total(h, unit, field):
    for u in h["totals"].get("units", []):
        if u["unit"] == unit:
            return float(u[field])
    return 0.0


def area_components(h, pred):
    """(area um^2, leakage uW) summed over hardware.area.components[] whose name matches pred."""
    a = l = 0.0
    names = []
    for c in h["area"].get("components", []):
        if pred(c["component"]):
            a += float(c["area_um2"])
            l += float(c.get("leakage_uW", 0.0))
            names.append(c["component"])
    return a, l, names


def linear_sqnr_db(res):
    """Mean over the quantized linears of every layer of the isolated SQNR (dB), from layers[]."""
    vals = [num(r["isolated_sqnr_db"]) for r in res["layers"]
            if r.get("point") in LINEAR_POINTS and r.get("quantized")]
    vals = [v for v in vals if math.isfinite(v)]
    return float(np.mean(vals)) if vals else math.nan


def unpriced_note(h):
    up = h.get("unpriced", [])
    if not up:
        return ""
    return "not priced (not in the energy totals): " + ", ".join(sorted(u["action"] for u in up))


def write_csv(path, rows, columns):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(columns)
        for r in rows:
            w.writerow([fmt(r.get(c, "")) for c in columns])
    return path


def fmt(v):
    if isinstance(v, float):
        if math.isinf(v):
            return "inf"
        if math.isnan(v):
            return ""
        return repr(v)
    return v


def model_label(res):
    w = res["workload"]
    name = str(w.get("model", "?")).replace("builtin:", "")
    return (f"{name} ({w.get('n_layers')} layers, d_model {w.get('d_model')}, d_inner "
            f"{w.get('d_inner')}), {w.get('windows')} x {w.get('window')}-byte windows")


def footnote(fig, text, y=0.005):
    if text:
        fig.text(0.01, y, text, fontsize=7, color="0.35", ha="left", va="bottom", wrap=True)


def save(fig, out_dir, name):
    os.makedirs(os.path.join(out_dir, "figures"), exist_ok=True)
    p = os.path.join(out_dir, "figures", name + ".png")
    fig.savefig(p, dpi=DPI)
    plt.close(fig)
    return p


def set_loss_delta_scale(ax, values):
    """symlog when the deltas span decades (tiny at high precision, large at low)."""
    v = np.abs(np.array([x for x in values if math.isfinite(x)]))
    if v.size and v.max() > 0 and v.max() / max(np.median(v), 1e-12) > 30:
        ax.set_yscale("symlog", linthresh=1e-3)
