"""Figure 3 of scripts/make_figures.py: SSM-input quantization schemes, accuracy vs bytes moved
per token (configs/sweeps/fig3-ssm-input.yaml)."""
import math
import os

import numpy as np

from .common import footnote, load_sweep, model_label, num, plt, save, set_loss_delta_scale, write_csv


COLORS = {"fp32": "k", "int8": "C0", "group": "C1", "dual_scale": "C2"}
MARKERS = {"fp32": "D", "int8": "o", "group": "s", "dual_scale": "^"}


def fig3_row(row):
    """The CSV row of one point of the figure-3 sweep."""
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
    return dict(
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
    )


def fig3_rows(rows):
    data = [fig3_row(row) for row in rows]
    order = {"fp32": 0, "int8": 1, "group": 2, "dual_scale": 3}
    data.sort(key=lambda r: (order.get(r["scheme"], 9), r["inlier_pct"] if r["scheme"] == "dual_scale" else 0))
    return data


def scatter(ax, data, key):
    """One point per row of data: key vs bytes per token (log2 axis), each labelled."""
    seen = set()
    for r in data:
        y = r[key]
        if not math.isfinite(y):
            continue
        lab = r["scheme"] if r["scheme"] not in seen else None
        seen.add(r["scheme"])
        ax.plot(r["bytes_per_token"], y, MARKERS[r["scheme"]], color=COLORS[r["scheme"]],
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


def dual_scale_panel(ax, data):
    """Panel (c): dual_scale loss delta and outlier fraction vs inlier percentile."""
    ds = [r for r in data if r["scheme"] == "dual_scale"]
    if ds:
        xs = np.array([r["inlier_pct"] for r in ds])
        xpos = -np.log10(100.0 - xs)           # 90 -> -1, 99 -> -0, 99.9 -> 1
        ax.plot(xpos, [r["loss_delta_nats_per_byte"] for r in ds], "^-", color="C2",
                label="loss delta (left)")
        for r in data:
            if r["scheme"] in ("int8", "group"):
                ax.axhline(r["loss_delta_nats_per_byte"], color=COLORS[r["scheme"]], ls=":",
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


def fig3(sweeps, out):
    d = os.path.join(sweeps, "fig3-ssm-input")
    rows = load_sweep(d)
    data = fig3_rows(rows)
    cols = list(data[0].keys())
    csv_path = write_csv(os.path.join(out, "fig3_ssm_input.csv"), data, cols)

    res0 = rows[0]["result"]
    fig, axs = plt.subplots(1, 3, figsize=(16, 5.6))
    fig.suptitle(f"SSM-input quantization (static scales): {model_label(res0)}  "
                 f"[configs/sweeps/fig3-ssm-input.yaml]", fontsize=10)

    ax = axs[0]
    scatter(ax, data, "loss_delta_nats_per_byte")
    fp32 = data[0]["loss_fp32_nats_per_byte"]
    ax.axhline(0.0, color="k", ls="--", lw=1, label=f"FP32 (loss {fp32:.4f} nats/byte)")
    set_loss_delta_scale(ax, [r["loss_delta_nats_per_byte"] for r in data])
    ax.margins(y=0.12)
    ax.set_ylabel("loss delta vs FP32 (nats/byte)")
    ax.set_title("(a) loss delta vs bytes moved")
    ax.legend(fontsize=8)

    ax = axs[1]
    scatter(ax, data, "u_sqnr_db")
    ax.set_ylabel("SSM input u SQNR (dB)")
    ax.set_title("(b) u SQNR vs bytes moved (fp32: exact, not shown)")
    ax.legend(fontsize=8)

    dual_scale_panel(axs[2], data)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    footnote(fig, "bytes per token: SSM-input values (ssm_input.bytes_per_token, summed over the "
                  "layers, flag bits included); scale tables are per layer, not per token "
                  "(see fig3_ssm_input.csv)")
    return [save(fig, out, "fig3_ssm_input"), csv_path]
