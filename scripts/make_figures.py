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


# ----------------------------------------------------------------------------- figure 1
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


MODEL_STYLE = {"mamba": "-", "jit": "--"}   # line style per model, in every panel


def fig1(sweeps, out):
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

    cols = []
    for r in data + jdata:
        for k in r:
            if k not in cols:
                cols.append(k)
    csv_path = write_csv(os.path.join(out, "fig1_adc_bits.csv"), data + jdata, cols)

    res0 = rows[0]["result"]
    h0 = hw(res0)
    x = np.array([r["adc_bits"] for r in data])
    g = lambda k, d=data: np.array([r[k] for r in d], dtype=float)  # noqa: E731
    xj = np.array([r["adc_bits"] for r in jdata])
    fig, axs = plt.subplots(2, 3, figsize=(16.5, 9.4))
    acc = h0["accelerator"]
    title = (f"ADC resolution sweep on {acc['node_nm']} nm, {acc['cim_macros']} CIM macros "
             f"{acc['cim_rows']}x{acc['cim_cols']}, {acc['adc_model']} ADC (static full scale)\n"
             f"Mamba (solid): {model_label(res0)}, W{acc['w_bits']}"
             f"A{res0['config']['quant']['a_bits']}  [configs/sweeps/fig1-adc-bits.yaml]")
    if jrows:
        rj = jrows[0]["result"]
        title += (f"\nJiT (dashed): {jit_label(rj)}, W{rj['config']['quant']['w_bits']}"
                  f"A{rj['config']['quant']['a_bits']}  [configs/sweeps/fig1-jit-adc-bits.yaml]")
    else:
        title += "\nJiT: not run (configs/sweeps/fig1-jit-adc-bits.yaml needs ../shared/data/jit-mnist-tiny)"
    fig.suptitle(title, fontsize=10)

    ax = axs[0, 0]
    fp32 = data[0]["loss_fp32_nats_per_byte"]
    ax.plot(x, g("loss_delta_nats_per_byte"), "o-", color="C0", label="Mamba: quantized - FP32")
    ax.axhline(0.0, color="k", ls=":", lw=1, label=f"Mamba FP32 (loss {fp32:.4f} nats/byte)")
    set_loss_delta_scale(ax, g("loss_delta_nats_per_byte"))
    ax.set_ylabel("Mamba loss delta vs FP32 (nats/byte)")
    ax.set_title("(a) Mamba accuracy: loss delta")
    ax.legend(fontsize=8)

    ax = axs[0, 1]
    ax.plot(x, g("logits_sqnr_db"), "o-", color="C1", label="Mamba: logits (end to end)")
    ax.plot(x, g("linear_isolated_sqnr_db_mean"), "s-", color="C2",
            label="Mamba: linears (mean isolated, in/x/dt/out_proj)")
    ax.set_ylabel("Mamba SQNR vs FP32 (dB)")
    ax.set_title("(b) Mamba accuracy: SQNR")
    ax.legend(fontsize=8)

    ax = axs[0, 2]
    ax.set_title("(c) JiT accuracy: PSNR vs FP32 (peak 2, [-1, 1] pixels)")
    ax.set_ylabel("JiT PSNR vs FP32 (dB)")
    if jdata:
        ts = [f"{float(b['t']):g}" for b in jrows[0]["result"]["metrics"].get("by_timestep", [])]
        ax.plot(xj, g("mean_pred_x_psnr_db", jdata), "o--", color="C0",
                label=f"JiT: pred_x, mean over t = {', '.join(ts)}")
        sp = g("sample_psnr_db", jdata)
        if np.isfinite(sp).any():
            ax.plot(xj, sp, "s--", color="C1", label="JiT: samples (same noise, Heun + CFG)")
        ax.legend(fontsize=8)
    else:
        ax.text(0.5, 0.5, "JiT sweep not run\n(configs/sweeps/fig1-jit-adc-bits.yaml)",
                ha="center", va="center", transform=ax.transAxes, color="0.4")

    def cost_lines(ax, total_key, adc_key, scale, tot_label, adc_label):
        for model, d, xs, mk in (("Mamba", data, x, "o"), ("JiT", jdata, xj, "s")):
            if not d:
                continue
            ls = MODEL_STYLE[model.lower()]
            ax.semilogy(xs, g(total_key, d) * scale, marker=mk, ls=ls, color="C3",
                        label=f"{model}: {tot_label}")
            ax.semilogy(xs, g(adc_key, d) * scale, marker=mk, ls=ls, color="C4",
                        label=f"{model}: {adc_label}")
        ax.legend(fontsize=8, loc="center right")

    ax = axs[1, 0]
    cost_lines(ax, "energy_pJ_per_token", "adc_energy_pJ_per_token", 1e-3,
               "total (on-chip)", "ADCs (conversions + leakage)")
    ax.set_ylabel("energy per token (nJ/token)")
    ax.set_title("(d) energy per token (Mamba: byte; JiT: image patch,\none network call = "
                 + (f"{int(jrows[0]['result']['hardware']['tokens_per_image'])} tokens)"
                    if jrows else "tokens/image)"), fontsize=10)

    ax = axs[1, 1]
    cost_lines(ax, "area_mm2", "adc_area_mm2", 1.0, "total (on-chip)", "ADCs")
    ax.set_ylabel("area (mm$^2$)")
    same_adc = (len(jdata) and list(xj) == list(x)
                and np.allclose(g("adc_area_mm2", jdata), g("adc_area_mm2"), rtol=1e-9))
    ax.set_title("(e) area" + ("\n(same ADCs in both: the Mamba and JiT ADC lines coincide)"
                               if same_adc else ""), fontsize=10)

    ax = axs[1, 2]
    for model, d, xs in (("Mamba", data, x), ("JiT", jdata, xj)):
        if not d:
            continue
        ls = MODEL_STYLE[model.lower()]
        ax.plot(xs, g("adc_energy_share_pct", d), marker="^", ls=ls, color="C4",
                label=f"{model}: ADC share of energy")
        ax.plot(xs, g("adc_area_share_pct", d), marker="v", ls=ls, color="C5",
                label=f"{model}: ADC share of area")
    ax.set_ylabel("ADC share of the total (%)")
    ax.set_ylim(bottom=0)
    ax.set_title("(f) ADC share of energy and area")
    ax.legend(fontsize=8)

    ticks = sorted(set(x.tolist()) | set(xj.tolist()))
    for a in axs.flat:
        a.set_xticks(ticks)
        a.set_xlabel("ADC resolution (bits)")
        a.grid(alpha=0.3)
    fig.tight_layout(rect=(0, 0.035, 1, 1))
    note = "Mamba " + unpriced_note(h0)
    if jrows:
        note += ";  JiT " + unpriced_note(hw(jrows[0]["result"]))
    footnote(fig, note)
    return [save(fig, out, "fig1_adc_bits"), csv_path]


# ----------------------------------------------------------------------------- figure 2
IMPLS = ("sequential", "parallel", "lut")
IMPL_STYLE = {"sequential": ("C0", "o"), "parallel": ("C1", "s"), "lut": ("C2", "^")}
NODE_LS = {7: "--", 28: "-"}


def fig2(sweeps, out):
    d = os.path.join(sweeps, "fig2-index-overhead")
    rows = load_sweep(d)
    data = []
    for row in rows:
        res = row["result"]
        m, h, si = res["metrics"], hw(res), res["ssm_input"]
        cfg = res["config"]["workload"]["ssm_input"]
        G, HG, DG = int(cfg["n_ssd_groups"]), int(cfg["n_head_groups"]), int(cfg["n_dim_groups"])
        impl = row["hw.index.impl"]
        node = int(row["hw.node_nm"])
        ebc = h["totals"]["energy_by_component_pJ"]
        if "index" not in ebc:
            raise MissingData(f"{row['point']}: no 'index' component in hardware.totals.energy_by_component_pJ")
        n_lookup = count(h, "scale_lookup@index")
        if n_lookup <= 0:
            raise MissingData(f"{row['point']}: no scale_lookup@index counts in hardware.layers[].counts")
        e_index = float(ebc.get("index", 0.0))                 # comparisons (priced)
        e_table = float(ebc.get("sram.scale_tables", 0.0))     # table reads (priced)
        e_conv = float(ebc.get("conv", 0.0))
        comp_area, comp_leak, comp_names = area_components(
            h, lambda c: c.startswith("INT32 adder"))  # index comparators (docs/results-format.md)
        tab_area, tab_leak, _ = area_components(h, lambda c: c == "sram.scale_tables")
        tab_bytes = [b["required_bytes"] for l in h["layers"] for b in l.get("buffers", [])
                     if b["buffer"] == "scale_tables"]
        units = int(res["config"]["hw"]["index"]["units"])
        busy = unit_total(h, "index", "busy_cycles")
        lat_ns = float(h["totals"]["latency_ns"])
        L = float(h["tokens_per_window"])
        up = [u for u in h.get("unpriced", []) if u["action"].endswith("@index")]
        data.append(dict(
            point=row["point"], node_nm=node, index_impl=impl,
            n_ssd_groups=G, n_head_groups=HG, n_dim_groups=DG,
            grouping=("Quamba1 1x1" if HG * DG == 1 else f"Quamba2 {HG}x{DG}"),
            n_scales_per_layer=int(si["n_scales_per_layer"]),
            scale_table_bytes_per_layer=float(si["scale_table_bytes_per_layer"]),
            scale_table_buffer_bytes=float(max(tab_bytes) if tab_bytes else 0),
            lookups_per_window=n_lookup,
            comparisons_per_window=count(h, "comparison@index"),
            index_energy_pJ=e_index, scale_table_read_energy_pJ=e_table,
            lookup_energy_pJ_per_lookup=(e_index + e_table) / n_lookup,
            conv_energy_pJ=e_conv,
            lookup_share_of_conv_pct=(100.0 * (e_index + e_table) / e_conv) if e_conv else math.nan,
            index_comparator_area_um2=comp_area, scale_table_area_um2=tab_area,
            index_area_um2=comp_area + tab_area,
            index_leakage_energy_pJ=(comp_leak + tab_leak) * lat_ns * 1e-3,
            index_units=units, index_busy_cycles=busy,
            index_critical_path_cycles=unit_total(h, "index", "critical_path_cycles"),
            lookup_cycles_per_lookup=busy * units / n_lookup,
            index_busy_ns_per_token=unit_total(h, "index", "busy_ns") / L,
            latency_ns_per_token=float(h["totals"]["latency_ns_per_token"]),
            energy_pJ_per_token=float(h["totals"]["energy_pJ_per_token"]),
            area_mm2=float(h["area"]["area_mm2"]),
            loss_delta_nats_per_byte=num(m["loss_delta_nats_per_byte"]),
            loss_fp32_nats_per_byte=num(m["loss_fp32_nats_per_byte"]),
            logits_sqnr_db=num(m["logits_sqnr_db"]),
            u_sqnr_db=num(si["isolated_sqnr_db"]),
            unpriced_index_actions=";".join(f"{u['action']} x{u['count']}" for u in up),
        ))
    data.sort(key=lambda r: (r["node_nm"], IMPLS.index(r["index_impl"]), r["n_scales_per_layer"]))
    cols = list(data[0].keys())
    csv_path = write_csv(os.path.join(out, "fig2_index_overhead.csv"), data, cols)

    res0 = rows[0]["result"]
    h0 = hw(res0)
    groupings = sorted({(r["n_scales_per_layer"], r["grouping"]) for r in data})
    labels = [f"{gname}\n({n} scale{'s' if n != 1 else ''})" for n, gname in groupings]
    xi = {gname: i for i, (n, gname) in enumerate(groupings)}
    nodes = sorted({r["node_nm"] for r in data})
    head_dim = res0["config"]["workload"]["ssm_input"]["head_dim"]

    def series(impl, node, key):
        rs = sorted([r for r in data if r["index_impl"] == impl and r["node_nm"] == node],
                    key=lambda r: xi[r["grouping"]])
        return [xi[r["grouping"]] for r in rs], [r[key] for r in rs]

    fig, axs = plt.subplots(2, 3, figsize=(15, 9))
    fig.suptitle(f"Scale-index lookup overhead of group-scaled SSM inputs: {model_label(res0)}\n"
                 f"static group scales, G = {data[0]['n_ssd_groups']} SSD group, head_dim "
                 f"{head_dim} (24 heads), HG x DG groups; hw.index.units = "
                 f"{data[0]['index_units']}, per-element lookups  "
                 f"[configs/sweeps/fig2-index-overhead.yaml]", fontsize=10)

    def lines(ax, key, scale=1.0, nodes_=nodes):
        # impls and nodes are drawn slightly apart on x so that equal values stay visible
        k = 0
        n = len(IMPLS) * len(nodes_)
        for impl in IMPLS:
            c, mk = IMPL_STYLE[impl]
            for node in nodes_:
                xs, ys = series(impl, node, key)
                dx = 0.04 * (k - (n - 1) / 2.0)
                k += 1
                if xs:
                    ax.plot(np.array(xs) + dx, np.array(ys, dtype=float) * scale, marker=mk,
                            color=c, ls=NODE_LS.get(node, "-."), label=f"{impl}, {node} nm",
                            mfc=("none" if node != max(nodes) else c))
        ax.set_xticks(range(len(labels)))
        ax.set_xticklabels(labels, fontsize=8)
        ax.grid(alpha=0.3)

    # (a) table bytes
    ax = axs[0, 0]
    n28 = nodes[-1]
    w = 0.25
    for k, impl in enumerate(IMPLS):
        xs, ys = series(impl, n28, "scale_table_buffer_bytes")
        ax.bar(np.array(xs) + (k - 1) * w, ys, width=w, color=IMPL_STYLE[impl][0],
               label=f"{impl}: sram.scale_tables buffer")
    xs, ys = series(IMPLS[1], n28, "scale_table_bytes_per_layer")
    ax.plot(xs, ys, "k*", ms=10, label="ssm_input.scale_table_bytes_per_layer")
    ax.set_yscale("log")
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, fontsize=8)
    ax.set_ylabel("scale-table bytes per layer (B)")
    ax.set_title("(a) scale-table size")
    ax.grid(alpha=0.3, axis="y")
    ax.legend(fontsize=7)

    ax = axs[0, 1]
    lines(ax, "index_area_um2")
    ax.set_yscale("log")
    ax.set_ylabel("index area: comparators + table (um$^2$)")
    ax.set_title("(b) lookup hardware area")
    ax.legend(fontsize=7, ncol=2)

    ax = axs[0, 2]
    lines(ax, "lookup_energy_pJ_per_lookup", scale=1e3)
    ax.set_yscale("log")
    ax.set_ylabel("dynamic energy per lookup (fJ/lookup)")
    ax.set_title("(c) energy per lookup (comparisons + table reads)")
    ax.legend(fontsize=7, ncol=2)

    ax = axs[1, 0]
    lines(ax, "lookup_cycles_per_lookup", nodes_=[n28])
    ax.set_ylabel("lookup latency (cycles per lookup per unit)")
    ax.set_title("(d) lookup latency (cycles do not depend on the node)")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=7)

    ax = axs[1, 1]
    lines(ax, "lookup_share_of_conv_pct")
    ax.set_yscale("log")
    ax.set_ylabel("lookup energy / conv1d unit energy (%)")
    ax.set_title("(e) lookup energy as a share of conv1d (7 and 28 nm ~equal)")
    ax.legend(fontsize=7, ncol=2)

    ax = axs[1, 2]
    acc = sorted([r for r in data if r["index_impl"] == IMPLS[1] and r["node_nm"] == n28],
                 key=lambda r: xi[r["grouping"]])
    xs = [xi[r["grouping"]] for r in acc]
    ax.plot(xs, [r["loss_delta_nats_per_byte"] for r in acc], "o-", color="C0",
            label="loss delta (left)")
    ax.axhline(0.0, color="k", ls="--", lw=1,
               label=f"FP32 (loss {acc[0]['loss_fp32_nats_per_byte']:.4f} nats/byte)")
    ax.set_ylabel("loss delta vs FP32 (nats/byte)")
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, fontsize=8)
    ax.grid(alpha=0.3)
    ax2 = ax.twinx()
    ax2.plot(xs, [r["u_sqnr_db"] for r in acc], "s:", color="C3", label="SSM input u SQNR (right)")
    ax2.set_ylabel("SSM input u SQNR (dB)")
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, fontsize=7, loc="lower center")
    ax.set_title("(f) accuracy of each grouping")

    fig.tight_layout(rect=(0, 0.04, 1, 1))
    note = ("energy per lookup = (index comparisons + sram.scale_tables reads) / lookups; "
            "the lookup logic itself (scale_lookup@index) has no cost model and is unpriced. "
            "Area: index comparators (INT32 adders) + scale-table register file. "
            "Latency = index busy cycles x units / lookups.")
    footnote(fig, note, y=0.018)
    footnote(fig, unpriced_note(h0))
    return [save(fig, out, "fig2_index_overhead"), csv_path]


# ----------------------------------------------------------------------------- figure 3
def fig3(sweeps, out):
    d = os.path.join(sweeps, "fig3-ssm-input")
    rows = load_sweep(d)
    data = []
    for row in rows:
        res = row["result"]
        m, si = res["metrics"], res["ssm_input"]
        cfg = res["config"]["workload"]["ssm_input"]
        scheme = si["scheme"]
        if scheme == "dual_scale":
            label = f"dual_scale {cfg['value_bits']}b, inlier {float(cfg['inlier_pct']):g}%"
        elif scheme == "group":
            label = (f"group {cfg['n_ssd_groups']}x{cfg['n_head_groups']}x{cfg['n_dim_groups']}")
        else:
            label = scheme
        h = res.get("hardware") or {}
        data.append(dict(
            point=row["point"], scheme=scheme, label=label,
            inlier_pct=(float(cfg["inlier_pct"]) if scheme == "dual_scale" else math.nan),
            value_bits=(int(cfg["value_bits"]) if scheme == "dual_scale" else math.nan),
            bits_per_element=num(si["bits_per_element"]),
            bytes_per_token=num(si["bytes_per_token"]),
            bytes_per_token_per_layer=num(si["bytes_per_token_per_layer"]),
            scale_table_bytes_per_layer=num(si["scale_table_bytes_per_layer"]),
            outlier_fraction=num(si["outlier_fraction"]),
            u_sqnr_db=num(si["isolated_sqnr_db"]),
            loss_delta_nats_per_byte=num(m["loss_delta_nats_per_byte"]),
            loss_delta_pct=num(m["loss_delta_pct"]),
            loss_fp32_nats_per_byte=num(m["loss_fp32_nats_per_byte"]),
            logits_sqnr_db=num(m["logits_sqnr_db"]),
            energy_pJ_per_token=(float(h["totals"]["energy_pJ_per_token"]) if h else math.nan),
        ))
    order = {"fp32": 0, "int8": 1, "group": 2, "dual_scale": 3}
    data.sort(key=lambda r: (order.get(r["scheme"], 9), r["inlier_pct"] if r["scheme"] == "dual_scale" else 0))
    cols = list(data[0].keys())
    csv_path = write_csv(os.path.join(out, "fig3_ssm_input.csv"), data, cols)

    res0 = rows[0]["result"]
    fig, axs = plt.subplots(1, 3, figsize=(16, 5.6))
    fig.suptitle(f"SSM-input quantization (static scales): {model_label(res0)}  "
                 f"[configs/sweeps/fig3-ssm-input.yaml]", fontsize=10)
    colors = {"fp32": "k", "int8": "C0", "group": "C1", "dual_scale": "C2"}
    markers = {"fp32": "D", "int8": "o", "group": "s", "dual_scale": "^"}

    def scatter(ax, key):
        seen = set()
        for r in data:
            y = r[key]
            if not math.isfinite(y):
                continue
            lab = r["scheme"] if r["scheme"] not in seen else None
            seen.add(r["scheme"])
            ax.plot(r["bytes_per_token"], y, markers[r["scheme"]], color=colors[r["scheme"]],
                    ms=8, label=lab)
            short = r["label"].replace("dual_scale ", "dual ").replace("inlier ", "")
            # labels of one scheme alternate right / left in the order of y, so close points
            # (same bytes per token) do not overwrite each other's labels
            same = sorted([q for q in data if q["scheme"] == r["scheme"] and math.isfinite(q[key])],
                          key=lambda q: -q[key])
            k = same.index(r)
            ax.annotate(short, (r["bytes_per_token"], y), textcoords="offset points",
                        xytext=(7, -3) if k % 2 == 0 else (-7, -3),
                        ha="left" if k % 2 == 0 else "right", fontsize=7)
        ax.set_xscale("log", base=2)
        ticks = sorted({r["bytes_per_token"] for r in data})
        ax.set_xticks(ticks)
        ax.set_xticklabels([f"{t:g}" for t in ticks])
        ax.minorticks_off()
        ax.set_xlim(ticks[0] / 2.2, ticks[-1] * 1.6)
        ax.set_xlabel("SSM-input bytes moved per token (all layers, B/token)")
        ax.grid(alpha=0.3)

    ax = axs[0]
    scatter(ax, "loss_delta_nats_per_byte")
    fp32 = data[0]["loss_fp32_nats_per_byte"]
    ax.axhline(0.0, color="k", ls="--", lw=1, label=f"FP32 (loss {fp32:.4f} nats/byte)")
    set_loss_delta_scale(ax, [r["loss_delta_nats_per_byte"] for r in data])
    ax.margins(y=0.12)
    ax.set_ylabel("loss delta vs FP32 (nats/byte)")
    ax.set_title("(a) loss delta vs bytes moved")
    ax.legend(fontsize=8)

    ax = axs[1]
    scatter(ax, "u_sqnr_db")
    ax.set_ylabel("SSM input u SQNR (dB)")
    ax.set_title("(b) u SQNR vs bytes moved (fp32: exact, not shown)")
    ax.legend(fontsize=8)

    ax = axs[2]
    ds = [r for r in data if r["scheme"] == "dual_scale"]
    if ds:
        xs = np.array([r["inlier_pct"] for r in ds])
        xpos = -np.log10(100.0 - xs)           # 90 -> -1, 99 -> -0, 99.9 -> 1
        ax.plot(xpos, [r["loss_delta_nats_per_byte"] for r in ds], "^-", color="C2",
                label="loss delta (left)")
        for r in data:
            if r["scheme"] in ("int8", "group"):
                ax.axhline(r["loss_delta_nats_per_byte"], color=colors[r["scheme"]], ls=":",
                           lw=1, label=f"{r['label']} loss delta")
        ax.axhline(0.0, color="k", ls="--", lw=1, label="FP32")
        ax.set_xticks(xpos)
        ax.set_xticklabels([f"{v:g}" for v in xs])
        ax.set_xlabel("dual_scale inlier percentile (%)")
        ax.set_ylabel("loss delta vs FP32 (nats/byte)")
        ax2 = ax.twinx()
        ax2.plot(xpos, [100.0 * r["outlier_fraction"] for r in ds], "o:", color="C4",
                 label="outlier fraction (right)")
        ax2.set_ylabel("outliers (elements on the 2nd scale, %)")
        ax2.set_ylim(bottom=0)
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = ax2.get_legend_handles_labels()
        ax.legend(h1 + h2, l1 + l2, fontsize=7)
        ax.grid(alpha=0.3)
    ax.set_title("(c) dual_scale vs inlier percentile")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    footnote(fig, "bytes per token: SSM-input values (ssm_input.bytes_per_token, summed over the "
                  "layers, flag bits included); scale tables are per layer, not per token "
                  "(see fig3_ssm_input.csv)")
    return [save(fig, out, "fig3_ssm_input"), csv_path]


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
