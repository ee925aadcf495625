"""Figure 2 of scripts/make_figures.py: overhead of the scale-index lookup of group-scaled
SSM inputs vs grouping, index implementation and node (configs/sweeps/fig2-index-overhead.yaml)."""
import math
import os

import numpy as np

from .common import (MissingData, area_components, count, footnote, hw, load_sweep, model_label,
                     num, plt, save, unit_total, unpriced_note, write_csv)


IMPLS = ("sequential", "parallel", "lut")
IMPL_STYLE = {"sequential": ("C0", "o"), "parallel": ("C1", "s"), "lut": ("C2", "^")}
NODE_LS = {7: "--", 28: "-"}


def fig2_row(row):
    """The CSV row of one point of the figure-2 sweep."""
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
    return dict(
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
    )


def fig2_rows(rows):
    data = [fig2_row(row) for row in rows]
    data.sort(key=lambda r: (r["node_nm"], IMPLS.index(r["index_impl"]), r["n_scales_per_layer"]))
    return data


class Groupings:
    """The x axis of figure 2 (one tick per grouping, in the order of the scales per layer) and
    the lines drawn along it from the rows of data."""

    def __init__(self, data):
        self.data = data
        groupings = sorted({(r["n_scales_per_layer"], r["grouping"]) for r in data})
        self.labels = [f"{gname}\n({n} scale{'s' if n != 1 else ''})" for n, gname in groupings]
        self.xi = {gname: i for i, (n, gname) in enumerate(groupings)}
        self.nodes = sorted({r["node_nm"] for r in data})

    def rows(self, impl, node):
        """The rows of one impl and node, in the order of the x axis."""
        return sorted([r for r in self.data if r["index_impl"] == impl and r["node_nm"] == node],
                      key=lambda r: self.xi[r["grouping"]])

    def series(self, impl, node, key):
        rs = self.rows(impl, node)
        return [self.xi[r["grouping"]] for r in rs], [r[key] for r in rs]

    def ticks(self, ax):
        ax.set_xticks(range(len(self.labels)))
        ax.set_xticklabels(self.labels, fontsize=8)

    def lines(self, ax, key, scale=1.0, nodes_=None):
        nodes_ = self.nodes if nodes_ is None else nodes_
        # impls and nodes are drawn slightly apart on x so that equal values stay visible
        k = 0
        n = len(IMPLS) * len(nodes_)
        for impl in IMPLS:
            c, mk = IMPL_STYLE[impl]
            for node in nodes_:
                xs, ys = self.series(impl, node, key)
                dx = 0.04 * (k - (n - 1) / 2.0)
                k += 1
                if xs:
                    ax.plot(np.array(xs) + dx, np.array(ys, dtype=float) * scale, marker=mk,
                            color=c, ls=NODE_LS.get(node, "-."), label=f"{impl}, {node} nm",
                            mfc=("none" if node != max(self.nodes) else c))
        self.ticks(ax)
        ax.grid(alpha=0.3)


def table_bytes_panel(ax, gx, n28):
    """Panel (a): scale-table bytes per layer, per impl, at node n28."""
    w = 0.25
    for k, impl in enumerate(IMPLS):
        xs, ys = gx.series(impl, n28, "scale_table_buffer_bytes")
        ax.bar(np.array(xs) + (k - 1) * w, ys, width=w, color=IMPL_STYLE[impl][0],
               label=f"{impl}: sram.scale_tables buffer")
    xs, ys = gx.series(IMPLS[1], n28, "scale_table_bytes_per_layer")
    ax.plot(xs, ys, "k*", ms=10, label="ssm_input.scale_table_bytes_per_layer")
    ax.set_yscale("log")
    gx.ticks(ax)
    ax.set_ylabel("scale-table bytes per layer (B)")
    ax.set_title("(a) scale-table size")
    ax.grid(alpha=0.3, axis="y")
    ax.legend(fontsize=7)


def hardware_panels(axs, gx, n28):
    """Panels (b) area, (c) energy per lookup, (d) latency, (e) share of conv1d energy."""
    ax = axs[0, 1]
    gx.lines(ax, "index_area_um2")
    ax.set_yscale("log")
    ax.set_ylabel("index area: comparators + table (um$^2$)")
    ax.set_title("(b) lookup hardware area")
    ax.legend(fontsize=7, ncol=2)

    ax = axs[0, 2]
    gx.lines(ax, "lookup_energy_pJ_per_lookup", scale=1e3)
    ax.set_yscale("log")
    ax.set_ylabel("dynamic energy per lookup (fJ/lookup)")
    ax.set_title("(c) energy per lookup (comparisons + table reads)")
    ax.legend(fontsize=7, ncol=2)

    ax = axs[1, 0]
    gx.lines(ax, "lookup_cycles_per_lookup", nodes_=[n28])
    ax.set_ylabel("lookup latency (cycles per lookup per unit)")
    ax.set_title("(d) lookup latency (cycles do not depend on the node)")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=7)

    ax = axs[1, 1]
    gx.lines(ax, "lookup_share_of_conv_pct")
    ax.set_yscale("log")
    ax.set_ylabel("lookup energy / conv1d unit energy (%)")
    ax.set_title("(e) lookup energy as a share of conv1d (7 and 28 nm ~equal)")
    ax.legend(fontsize=7, ncol=2)


def accuracy_panel(ax, gx, n28):
    """Panel (f): loss delta and u SQNR of each grouping (parallel impl, node n28)."""
    acc = gx.rows(IMPLS[1], n28)
    xs = [gx.xi[r["grouping"]] for r in acc]
    ax.plot(xs, [r["loss_delta_nats_per_byte"] for r in acc], "o-", color="C0",
            label="loss delta (left)")
    ax.axhline(0.0, color="k", ls="--", lw=1,
               label=f"FP32 (loss {acc[0]['loss_fp32_nats_per_byte']:.4f} nats/byte)")
    ax.set_ylabel("loss delta vs FP32 (nats/byte)")
    gx.ticks(ax)
    ax.grid(alpha=0.3)
    ax2 = ax.twinx()
    ax2.plot(xs, [r["u_sqnr_db"] for r in acc], "s:", color="C3", label="SSM input u SQNR (right)")
    ax2.set_ylabel("SSM input u SQNR (dB)")
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, fontsize=7, loc="lower center")
    ax.set_title("(f) accuracy of each grouping")


def fig2(sweeps, out):
    d = os.path.join(sweeps, "fig2-index-overhead")
    rows = load_sweep(d)
    data = fig2_rows(rows)
    cols = list(data[0].keys())
    csv_path = write_csv(os.path.join(out, "fig2_index_overhead.csv"), data, cols)

    res0 = rows[0]["result"]
    h0 = hw(res0)
    gx = Groupings(data)
    head_dim = res0["config"]["workload"]["ssm_input"]["head_dim"]

    fig, axs = plt.subplots(2, 3, figsize=(15, 9))
    fig.suptitle(f"Scale-index lookup overhead of group-scaled SSM inputs: {model_label(res0)}\n"
                 f"static group scales, G = {data[0]['n_ssd_groups']} SSD group, head_dim "
                 f"{head_dim} (24 heads), HG x DG groups; hw.index.units = "
                 f"{data[0]['index_units']}, per-element lookups  "
                 f"[configs/sweeps/fig2-index-overhead.yaml]", fontsize=10)
    n28 = gx.nodes[-1]
    table_bytes_panel(axs[0, 0], gx, n28)
    hardware_panels(axs, gx, n28)
    accuracy_panel(axs[1, 2], gx, n28)

    fig.tight_layout(rect=(0, 0.04, 1, 1))
    note = ("energy per lookup = (index comparisons + sram.scale_tables reads) / lookups; "
            "the lookup logic itself (scale_lookup@index) has no cost model and is unpriced. "
            "Area: index comparators (INT32 adders) + scale-table register file. "
            "Latency = index busy cycles x units / lookups.")
    footnote(fig, note, y=0.018)
    footnote(fig, unpriced_note(h0))
    return [save(fig, out, "fig2_index_overhead"), csv_path]
