"""Figure 1 of scripts/make_figures.py: accuracy, energy, area and latency vs ADC bits, for Mamba
on the default macro organisation (configs/sweeps/fig1-adc-bits.yaml) and, when those sweeps were
run, on the NeuroSim-style organisation (configs/sweeps/fig1-neurosim-adc-bits.yaml) and for JiT
(configs/sweeps/fig1-jit-adc-bits.yaml)."""
import math
import os
import sys

import numpy as np

from .common import (MissingData, area_components, count, footnote, hw, linear_sqnr_db,
                     load_sweep, model_label, num, plt, price, save, set_loss_delta_scale,
                     unpriced_note, write_csv)


def adc_costs(row, h, tokens):
    """ADC energy (conversions + ADC leakage) per token and ADC area, from one result's hardware
    section (docs/figures.md): sum of layers[].counts['adc_conversion@cim'] x the adc_conversion
    price, plus the ADC rows' leakage_uW x totals.latency_ns x 1e-3, / tokens."""
    adc_price = price(h, "adc_conversion", "cim")
    if adc_price is None:
        raise MissingData(f"{row['point']}: hardware.energy_table has no adc_conversion price")
    n_conv = count(h, "adc_conversion@cim")
    adc_area, adc_leak_uW, names = area_components(h, lambda c: c.startswith("ADC"))
    if not names:
        raise MissingData(f"{row['point']}: hardware.area.components has no ADC row")
    lat_ns = float(h["totals"]["latency_ns"])
    adc_dyn = n_conv * adc_price
    adc_leak = adc_leak_uW * lat_ns * 1e-3
    e_tot = float(h["totals"]["energy_pJ_per_token"])
    area = float(h["area"]["area_mm2"])
    return dict(
        adc_pJ_per_conversion=adc_price,
        energy_pJ_per_token=e_tot,
        adc_dynamic_pJ_per_token=adc_dyn / tokens,
        adc_leakage_pJ_per_token=adc_leak / tokens,
        adc_energy_pJ_per_token=(adc_dyn + adc_leak) / tokens,
        adc_energy_share_pct=100.0 * (adc_dyn + adc_leak) / tokens / e_tot,
        area_mm2=area, adc_area_mm2=adc_area * 1e-6,
        adc_area_share_pct=100.0 * adc_area * 1e-6 / area,
        latency_ns_per_token=float(h["totals"]["latency_ns_per_token"]),
        node_nm=h["accelerator"]["node_nm"],
    ), n_conv


def fig1_mamba_rows(rows):
    data = []
    for row in rows:
        res = row["result"]
        m, h = res["metrics"], hw(res)
        L = float(h["tokens_per_window"])
        costs, n_conv = adc_costs(row, h, L)
        d = dict(
            model="mamba", point=row["point"], adc_bits=int(row["hw.cim.adc.bits"]),
            loss_fp32_nats_per_byte=num(m["loss_fp32_nats_per_byte"]),
            loss_nats_per_byte=num(m["loss_nats_per_byte"]),
            loss_delta_nats_per_byte=num(m["loss_delta_nats_per_byte"]),
            loss_delta_pct=num(m["loss_delta_pct"]),
            logits_sqnr_db=num(m["logits_sqnr_db"]),
            linear_isolated_sqnr_db_mean=linear_sqnr_db(res),
            adc_saturation_rate=num(m["adc_saturation_rate"]),
            adc_conversions_per_window=n_conv,
        )
        d.update(costs)
        d["adc_model"] = h["accelerator"]["adc_model"]
        data.append(d)
    return sorted(data, key=lambda r: r["adc_bits"])


def fig1_jit_rows(rows):
    data = []
    for row in rows:
        res = row["result"]
        m, h = res["metrics"], hw(res)
        for k in ("mean_pred_x_psnr_db", "sample_psnr_db", "min_linear_sqnr_db"):
            if k not in m:
                raise MissingData(f"{row['point']}: metrics.{k} missing (not a jit run?)")
        if "tokens_per_image" not in h:
            raise MissingData(f"{row['point']}: hardware.tokens_per_image missing (not a jit run?)")
        T = float(h["tokens_per_image"])
        costs, n_conv = adc_costs(row, h, T)
        d = dict(
            model="jit", point=row["point"], adc_bits=int(row["hw.cim.adc.bits"]),
            mean_pred_x_psnr_db=num(m["mean_pred_x_psnr_db"]),
            pred_x_sqnr_db=num(m["pred_x_sqnr_db"]),
            # sample_psnr_db is null without samples (workload.jit.sample.count 0): NaN, not drawn
            sample_psnr_db=(math.nan if m["sample_psnr_db"] is None else float(m["sample_psnr_db"])),
            min_linear_sqnr_db=num(m["min_linear_sqnr_db"]),
            adc_saturation_rate=num(m["adc_saturation_rate"]),
            adc_conversions_per_network_call=n_conv,
            energy_pJ_per_network_call=float(h["totals"]["energy_pJ"]),
        )
        for bt in m.get("by_timestep", []):
            d[f"pred_x_psnr_db_t{float(bt['t']):g}"] = num(bt["pred_x_psnr_db"])
        d.update(costs)
        d["adc_model"] = res["config"]["hw"]["cim"]["adc"]["model"]
        data.append(d)
    return sorted(data, key=lambda r: r["adc_bits"])


def jit_label(res):
    w = res["workload"]
    name = os.path.basename(str(w.get("model", "?")).rstrip("/"))
    ts = w.get("timesteps", [])
    return (f"{name} (depth {w.get('depth')}, hidden {w.get('hidden_size')}, "
            f"{w.get('tokens_per_image')} tokens/image), {w.get('images')} images x {len(ts)} "
            f"timesteps, {w.get('samples')} samples x {w.get('sample_steps')} steps")


# line style per series, in every panel
MODEL_STYLE = {"mamba": "-", "jit": "--", "mamba, neurosim-style": ":"}


def col(k, d):
    """Column k of the rows d as a float array."""
    return np.array([r[k] for r in d], dtype=float)


def load_fig1(sweeps):
    """(Mamba rows, Mamba data, JiT rows or None, JiT data) of the two figure-1 sweeps."""
    rows = load_sweep(os.path.join(sweeps, "fig1-adc-bits"))
    data = fig1_mamba_rows(rows)
    # JiT lines when the JiT sweep was run (scripts/reproduce.sh skips it without the shared
    # model); a JiT sweep that exists but cannot be read is an error like any other.
    jd = os.path.join(sweeps, "fig1-jit-adc-bits")
    jrows, jdata = None, []
    if os.path.exists(os.path.join(jd, "sweep.csv")):
        jrows = load_sweep(jd)
        jdata = fig1_jit_rows(jrows)
    else:
        print(f"make_figures: fig1: {jd}/sweep.csv absent: JiT lines left out "
              "(configs/sweeps/fig1-jit-adc-bits.yaml not run)", file=sys.stderr)
    return rows, data, jrows, jdata


def load_neurosim(sweeps):
    """(rows, data) of the NeuroSim-style Mamba sweep, or (None, []) when it was not run."""
    nd = os.path.join(sweeps, "fig1-neurosim-adc-bits")
    if not os.path.exists(os.path.join(nd, "sweep.csv")):
        print(f"make_figures: fig1: {nd}/sweep.csv absent: NeuroSim-style lines left out "
              "(configs/sweeps/fig1-neurosim-adc-bits.yaml not run)", file=sys.stderr)
        return None, []
    nrows = load_sweep(nd)
    ndata = fig1_mamba_rows(nrows)
    for r in ndata:
        r["model"] = "mamba, neurosim-style"
    return nrows, ndata


def write_fig1_csv(out, data, jdata, ndata=()):
    """fig1_adc_bits.csv: one row per point of every series, the union of their columns."""
    rows = list(data) + list(ndata) + list(jdata)
    cols = []
    for r in rows:
        for k in r:
            if k not in cols:
                cols.append(k)
    return write_csv(os.path.join(out, "fig1_adc_bits.csv"), rows, cols)


def fig1_title(res0, h0, jrows, nrows=None):
    acc = h0["accelerator"]
    title = (f"ADC resolution sweep on {acc['node_nm']} nm, {acc['cim_macros']} CIM macros "
             f"{acc['cim_rows']}x{acc['cim_cols']}, {acc['adc_model']} ADC (static full scale)\n"
             f"Mamba (solid): {model_label(res0)}, W{acc['w_bits']}"
             f"A{res0['config']['quant']['a_bits']}  [configs/sweeps/fig1-adc-bits.yaml]")
    if nrows:
        title += ("\nMamba, NeuroSim style (dotted): 1-bit input slices, 2-bit weight digit columns "
                  "combined digitally  [configs/sweeps/fig1-neurosim-adc-bits.yaml]")
    if jrows:
        rj = jrows[0]["result"]
        title += (f"\nJiT (dashed): {jit_label(rj)}, W{rj['config']['quant']['w_bits']}"
                  f"A{rj['config']['quant']['a_bits']}  [configs/sweeps/fig1-jit-adc-bits.yaml]")
    else:
        title += "\nJiT: not run (configs/sweeps/fig1-jit-adc-bits.yaml needs ../shared/data/jit-mnist-tiny)"
    return title


def accuracy_panels(axs, data, x, jrows, jdata, xj, ndata=(), xn=()):
    """Panels (a) Mamba loss delta, (b) Mamba SQNR, (c) JiT PSNR."""
    ax = axs[0, 0]
    fp32 = data[0]["loss_fp32_nats_per_byte"]
    ax.plot(x, col("loss_delta_nats_per_byte", data), "o-", color="C0",
            label="Mamba: quantized - FP32")
    ax.axhline(0.0, color="k", ls=":", lw=1, label=f"Mamba FP32 (loss {fp32:.4f} nats/byte)")
    deltas = col("loss_delta_nats_per_byte", data)
    if ndata:
        ax.plot(xn, col("loss_delta_nats_per_byte", ndata), "o:", color="C0",
                label="Mamba NeuroSim style: quantized - FP32")
        deltas = np.concatenate([deltas, col("loss_delta_nats_per_byte", ndata)])
    set_loss_delta_scale(ax, deltas)
    ax.set_ylabel("Mamba loss delta vs FP32 (nats/byte)")
    ax.set_title("(a) Mamba accuracy: loss delta")
    ax.legend(fontsize=8)

    ax = axs[0, 1]
    ax.plot(x, col("logits_sqnr_db", data), "o-", color="C1", label="Mamba: logits (end to end)")
    ax.plot(x, col("linear_isolated_sqnr_db_mean", data), "s-", color="C2",
            label="Mamba: linears (mean isolated, in/x/dt/out_proj)")
    if ndata:
        ax.plot(xn, col("logits_sqnr_db", ndata), "o:", color="C1",
                label="Mamba NeuroSim style: logits")
    ax.set_ylabel("Mamba SQNR vs FP32 (dB)")
    ax.set_title("(b) Mamba accuracy: SQNR")
    ax.legend(fontsize=8)

    ax = axs[0, 2]
    ax.set_title("(c) JiT accuracy: PSNR vs FP32 (peak 2, [-1, 1] pixels)")
    ax.set_ylabel("JiT PSNR vs FP32 (dB)")
    if jdata:
        ts = [f"{float(b['t']):g}" for b in jrows[0]["result"]["metrics"].get("by_timestep", [])]
        ax.plot(xj, col("mean_pred_x_psnr_db", jdata), "o--", color="C0",
                label=f"JiT: pred_x, mean over t = {', '.join(ts)}")
        sp = col("sample_psnr_db", jdata)
        if np.isfinite(sp).any():
            ax.plot(xj, sp, "s--", color="C1", label="JiT: samples (same noise, Heun + CFG)")
        ax.legend(fontsize=8)
    else:
        ax.text(0.5, 0.5, "JiT sweep not run\n(configs/sweeps/fig1-jit-adc-bits.yaml)",
                ha="center", va="center", transform=ax.transAxes, color="0.4")


def cost_lines(ax, models, total_key, adc_key, scale, tot_label, adc_label):
    """Total and ADC lines of total_key / adc_key (x scale), per model of models
    ((name, data, x, marker), ...), on a log axis."""
    for model, d, xs, mk in models:
        if not d:
            continue
        ls = MODEL_STYLE[model.lower()]
        ax.semilogy(xs, col(total_key, d) * scale, marker=mk, ls=ls, color="C3",
                    label=f"{model}: {tot_label}")
        ax.semilogy(xs, col(adc_key, d) * scale, marker=mk, ls=ls, color="C4",
                    label=f"{model}: {adc_label}")
    ax.legend(fontsize=8, loc="center right")


def cost_panels(axs, data, x, jrows, jdata, xj, ndata=(), xn=()):
    """Panels (d) energy per token, (e) area, (f) ADC share of energy and area, (g) latency."""
    models = (("Mamba", data, x, "o"), ("Mamba, NeuroSim-style", ndata, xn, "D"),
              ("JiT", jdata, xj, "s"))
    ax = axs[1, 0]
    cost_lines(ax, models, "energy_pJ_per_token", "adc_energy_pJ_per_token", 1e-3,
               "total (on-chip)", "ADCs (conversions + leakage)")
    ax.set_ylabel("energy per token (nJ/token)")
    ax.set_title("(d) energy per token (Mamba: byte; JiT: image patch,\none network call = "
                 + (f"{int(jrows[0]['result']['hardware']['tokens_per_image'])} tokens)"
                    if jrows else "tokens/image)"), fontsize=10)

    ax = axs[1, 1]
    cost_lines(ax, models, "area_mm2", "adc_area_mm2", 1.0, "total (on-chip)", "ADCs")
    ax.set_ylabel("area (mm$^2$)")
    same_adc = (len(jdata) and list(xj) == list(x)
                and np.allclose(col("adc_area_mm2", jdata), col("adc_area_mm2", data), rtol=1e-9))
    ax.set_title("(e) area" + ("\n(same ADCs in both: the Mamba and JiT ADC lines coincide)"
                               if same_adc else ""), fontsize=10)

    ax = axs[1, 2]
    for model, d, xs in (("Mamba", data, x), ("Mamba, NeuroSim-style", ndata, xn),
                         ("JiT", jdata, xj)):
        if not d:
            continue
        ls = MODEL_STYLE[model.lower()]
        ax.plot(xs, col("adc_energy_share_pct", d), marker="^", ls=ls, color="C4",
                label=f"{model}: ADC share of energy")
        ax.plot(xs, col("adc_area_share_pct", d), marker="v", ls=ls, color="C5",
                label=f"{model}: ADC share of area")
    ax.set_ylabel("ADC share of the total (%)")
    ax.set_ylim(bottom=0)
    ax.set_title("(f) ADC share of energy and area")
    ax.legend(fontsize=8)

    ax = axs[0, 3]
    for model, d, xs, mk in models:
        if not d:
            continue
        ax.semilogy(xs, col("latency_ns_per_token", d) * 1e-3, marker=mk,
                    ls=MODEL_STYLE[model.lower()], color="C6", label=f"{model}")
    ax.set_ylabel("latency per token (us/token)")
    ax.set_title("(g) latency per token (the ADCs set the CIM step:\nbits + 1 ns per conversion)",
                 fontsize=10)
    ax.legend(fontsize=8)
    axs[1, 3].axis("off")


def fig1(sweeps, out):
    rows, data, jrows, jdata = load_fig1(sweeps)
    nrows, ndata = load_neurosim(sweeps)
    csv_path = write_fig1_csv(out, data, jdata, ndata)

    res0 = rows[0]["result"]
    h0 = hw(res0)
    x = np.array([r["adc_bits"] for r in data])
    xj = np.array([r["adc_bits"] for r in jdata])
    xn = np.array([r["adc_bits"] for r in ndata])
    fig, axs = plt.subplots(2, 4, figsize=(21.5, 9.8))
    fig.suptitle(fig1_title(res0, h0, jrows, nrows), fontsize=10)
    accuracy_panels(axs, data, x, jrows, jdata, xj, ndata, xn)
    cost_panels(axs, data, x, jrows, jdata, xj, ndata, xn)

    ticks = sorted(set(x.tolist()) | set(xj.tolist()) | set(xn.tolist()))
    for a in axs.flat:
        a.set_xticks(ticks)
        a.set_xlabel("ADC resolution (bits)")
        a.grid(alpha=0.3)
    fig.tight_layout(rect=(0, 0.035, 1, 1))
    series = [("Mamba", h0)]
    if nrows:
        series.append(("NeuroSim style", hw(nrows[0]["result"])))
    if jrows:
        series.append(("JiT", hw(jrows[0]["result"])))
    notes = [f"{name} {unpriced_note(h)}" for name, h in series if unpriced_note(h)]
    note = ";  ".join(notes) if notes else "every action of every series is priced"
    footnote(fig, note)
    return [save(fig, out, "fig1_adc_bits"), csv_path]
