#include "workloads/mamba1/layer_program.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <vector>

#include "models/common/error.hpp"
#include "workloads/mamba1/mamba_forward.hpp"
#include "workloads/program/program_builder.hpp"

namespace cimba::workloads {

OpProgram build_mamba1_layer_program(const Mamba1LayerShape& s, const Mamba1ProgramOptions& o,
                                     const std::string& layer_name) {
  if (s.d_model <= 0 || s.d_inner <= 0 || s.d_state <= 0 || s.dt_rank <= 0 || s.conv_kernel <= 0 ||
      s.length <= 0)
    throw InvalidArgument("build_mamba1_layer_program: every layer size must be positive");
  if (o.token_chunk <= 0 || o.scan_channel_block < 0)
    throw InvalidArgument(
        "build_mamba1_layer_program: token_chunk must be positive and scan_channel_block >= 0");
  const std::int64_t L = s.length, H = s.d_model, Di = s.d_inner, XP = s.x_proj_out(),
                     R = s.dt_rank;
  const std::int64_t block = o.scan_channel_block == 0 ? Di : std::min(o.scan_channel_block, Di);
  const std::int64_t wbytes_per = (o.w_bits + 7) / 8;
  auto weight_bytes = [&](LinearKind k) -> std::int64_t {
    switch (k) {
      case LinearKind::InProj:
        return 2 * Di * H * wbytes_per;
      case LinearKind::XProj:
        return XP * Di * wbytes_per;
      case LinearKind::DtProj:
        return Di * R * wbytes_per;
      default:
        return H * Di * wbytes_per;
    }
  };
  const int u_bits = ssm_input_storage_bits(o.ssm_input, o.dual_value_bits);

  ProgramBuilder b;
  OpProgram& p = b.program;
  p.layer_name = layer_name;
  p.family = "mamba1";
  for (LinearKind k : {LinearKind::InProj, LinearKind::XProj, LinearKind::DtProj,
                       LinearKind::OutProj})
    p.linears.push_back(linear_kind_name(k));
  p.length = L;
  const std::int64_t f4 = 4;  // FP32 bytes
  // Activation buffers hold the chunks in flight, not the sequence: one chunk when the layer is
  // one chunk, else two (double buffering: chunk c + 1 is produced while chunk c is consumed;
  // the ops below wait so that a slot is never overwritten before its readers are done).
  const std::int64_t n_chunks = (L + o.token_chunk - 1) / o.token_chunk;
  const std::int64_t slots = std::min<std::int64_t>(2, n_chunks);
  const std::int64_t rows = slots * std::min(L, o.token_chunk);
  p.buffers = {{"x", rows * H * f4},       {"xn", rows * H * f4},
               {"xz", rows * 2 * Di * f4}, {"u", (rows * Di * u_bits + 7) / 8},
               {"xp", rows * XP * f4},     {"delta", rows * Di * f4},
               {"y", rows * Di * f4},      {"g", rows * Di * f4},
               {"mo", rows * H * f4},      {"out", rows * H * f4}};
  // Readers of each activation buffer per chunk, for the write-after-read waits of the slots.
  std::map<std::string, std::map<std::int64_t, std::vector<int>>> readers;
  auto is_activation = [&](const std::string& name) {
    return !name.empty() && name != "weights" && name != "scale_tables";
  };
  // Adds an op of chunk c: its write waits for the readers of the chunk that last used the slot
  // (c - slots); its reads are recorded (`extra_read_chunk`: a second chunk it reads, e.g. the
  // conv's K - 1 history rows of chunk c - 1).
  auto add_chunked = [&](Op op, std::int64_t c, std::int64_t extra_read_chunk = -1) {
    if (is_activation(op.dst) && c >= slots) {
      const auto& r = readers[op.dst][c - slots];
      op.deps.insert(op.deps.end(), r.begin(), r.end());
    }
    const std::vector<std::string> src = op.src;
    const int id = b.add(std::move(op));
    for (const std::string& buf : src) {
      if (!is_activation(buf)) continue;
      readers[buf][c].push_back(id);
      if (extra_read_chunk >= 0) readers[buf][extra_read_chunk].push_back(id);
    }
    return id;
  };
  const LinearKind kinds[] = {LinearKind::InProj, LinearKind::XProj, LinearKind::DtProj,
                              LinearKind::OutProj};
  if (!o.weights_resident) {
    std::int64_t wb = 0;
    for (auto k : kinds)
      wb = o.weights_streamed_from_dram ? std::max(wb, weight_bytes(k)) : wb + weight_bytes(k);
    p.buffers.push_back({"weights", wb});
  }

  // Weight loads: once before first use, or before every CIM op when streamed.
  int weight_load[4] = {-1, -1, -1, -1};
  int last_cim = -1;
  auto weight_dep = [&](LinearKind k) -> int {
    if (o.weights_resident) return -1;
    const int i = static_cast<int>(k);
    if (!o.weights_streamed_from_dram && weight_load[i] >= 0) return weight_load[i];
    Op ld;
    ld.kind = OpKind::DramLoad;
    ld.name = std::string("load_w.") + linear_kind_name(k);
    ld.dst = "weights";
    ld.is_weight = true;
    ld.linear = static_cast<int>(k);
    ld.bytes = weight_bytes(k);
    // Streamed: the buffer holds one matrix, so the load waits for the CIM op using the last one.
    if (o.weights_streamed_from_dram) ld.deps = {last_cim};
    weight_load[i] = b.add(ld);
    return weight_load[i];
  };
  auto cim = [&](LinearKind k, std::string name, std::string src, std::string dst, std::int64_t t0,
                 std::int64_t t1, std::int64_t K, std::int64_t M, std::int64_t k0, std::int64_t k1,
                 bool last, std::vector<int> deps) {
    deps.push_back(weight_dep(k));
    Op op;
    op.kind = OpKind::CimMatmul;
    op.name = std::move(name);
    op.src = {std::move(src)};
    op.dst = std::move(dst);
    op.token_begin = t0;
    op.token_end = t1;
    op.channel_begin = k0;
    op.channel_end = k1;
    op.in_shape = {t1 - t0, k1 - k0};
    op.out_shape = {t1 - t0, M};
    (void)K;
    op.linear = static_cast<int>(k);
    op.accumulate_last = last;
    op.deps = std::move(deps);
    last_cim = add_chunked(std::move(op), t0 / o.token_chunk);
    return last_cim;
  };

  const std::int64_t n_blocks = (Di + block - 1) / block;
  std::vector<int> load_x(n_chunks), dt_ops(n_chunks), in_ops(n_chunks);
  std::vector<int> last_scan(static_cast<std::size_t>(n_blocks), -1);  // per channel block
  for (std::int64_t c = 0; c < n_chunks; ++c) {
    const std::int64_t t0 = c * o.token_chunk, t1 = std::min(L, t0 + o.token_chunk), n = t1 - t0;
    Op ld;
    ld.kind = OpKind::DramLoad;
    ld.name = range_name("load_x", t0, t1);
    ld.dst = "x";
    ld.token_begin = t0;
    ld.token_end = t1;
    ld.out_shape = {n, H};
    ld.bytes = n * H * f4;
    load_x[c] = add_chunked(ld, c);

    Op norm;
    norm.kind = OpKind::Elementwise;
    norm.fn = ElementwiseFn::RmsNorm;
    norm.name = range_name("norm", t0, t1);
    norm.src = {"x"};
    norm.dst = "xn";
    norm.token_begin = t0;
    norm.token_end = t1;
    norm.in_shape = norm.out_shape = {n, H};
    norm.deps = {load_x[c]};
    const int norm_id = add_chunked(norm, c);

    in_ops[c] = cim(LinearKind::InProj, range_name("in_proj", t0, t1), "xn", "xz", t0, t1, H,
                    2 * Di, 0, H, true, {norm_id});

    std::vector<int> conv_deps = {in_ops[c], c > 0 ? in_ops[c - 1] : -1};
    if (o.ssm_input == SsmInputScheme::Group) {
      Op lk;
      lk.kind = OpKind::ScaleLookup;
      lk.name = range_name("scale_lookup", t0, t1);
      lk.src = {"scale_tables"};
      lk.token_begin = t0;
      lk.token_end = t1;
      lk.in_shape = lk.out_shape = {n, Di};
      lk.ssm_input = o.ssm_input;
      conv_deps.push_back(add_chunked(lk, c));
    }
    Op conv;
    conv.kind = OpKind::Conv1d;
    conv.name = range_name("conv1d", t0, t1);
    conv.src = {"xz"};
    conv.dst = "u";
    conv.token_begin = t0;
    conv.token_end = t1;
    conv.in_shape = {n + std::min<std::int64_t>(t0, s.conv_kernel - 1), Di};
    conv.out_shape = {n, Di};
    conv.ssm_input = o.ssm_input;
    conv.deps = conv_deps;
    int u_ready = add_chunked(conv, c, c > 0 ? c - 1 : -1);
    if (o.ssm_input == SsmInputScheme::DualScale) {
      Op mux;
      mux.kind = OpKind::DualScaleDequant;
      mux.name = range_name("dequant_mux", t0, t1);
      mux.src = {"u"};
      mux.token_begin = t0;
      mux.token_end = t1;
      mux.in_shape = mux.out_shape = {n, Di};
      mux.ssm_input = o.ssm_input;
      mux.deps = {u_ready};
      u_ready = add_chunked(mux, c);
    }
    const int xp_id = cim(LinearKind::XProj, range_name("x_proj", t0, t1), "u", "xp", t0, t1, Di,
                          XP, 0, Di, true, {u_ready});
    dt_ops[c] = cim(LinearKind::DtProj, range_name("dt_proj", t0, t1), "xp", "delta", t0, t1, R, Di,
                    0, R, true, {xp_id});

    // The scan of this chunk, block by block, carrying each block's state from the previous
    // chunk (NUMERICS.md 7.1); the gate and out_proj (K-partial over the blocks) follow, so
    // out_proj of block j runs on the CIM while the SSM core scans block j + 1.
    std::vector<int> out_ops;
    for (std::int64_t j = 0; j < n_blocks; ++j) {
      const std::int64_t c0 = j * block, c1 = std::min(Di, c0 + block);
      const std::string range = range_name("", t0, t1) + range_name("", c0, c1, 'd');
      Op scan;
      scan.kind = OpKind::SsmScan;
      scan.name = "scan" + range;
      scan.src = {"u", "delta", "xp"};
      scan.dst = "y";
      scan.token_begin = t0;
      scan.token_end = t1;
      scan.channel_begin = c0;
      scan.channel_end = c1;
      scan.in_shape = scan.out_shape = {n, c1 - c0};
      scan.ssm_input = o.ssm_input;
      scan.deps = {dt_ops[c], last_scan[static_cast<std::size_t>(j)]};
      const int scan_id = add_chunked(scan, c);
      last_scan[static_cast<std::size_t>(j)] = scan_id;
      Op gate;
      gate.kind = OpKind::Elementwise;
      gate.fn = ElementwiseFn::Gate;
      gate.name = "gate" + range;
      gate.src = {"y", "xz"};
      gate.dst = "g";
      gate.token_begin = t0;
      gate.token_end = t1;
      gate.channel_begin = c0;
      gate.channel_end = c1;
      gate.in_shape = gate.out_shape = {n, c1 - c0};
      gate.deps = {scan_id};
      const int gate_id = add_chunked(gate, c);
      const std::string out_name =
          n_blocks > 1 ? "out_proj" + range_name("", t0, t1) + range_name("", c0, c1, 'k')
                       : range_name("out_proj", t0, t1);
      out_ops.push_back(cim(LinearKind::OutProj, out_name, "g", "mo", t0, t1, Di, H, c0, c1,
                            j == n_blocks - 1, {gate_id}));
    }
    std::vector<int> res_deps = {load_x[c]};
    res_deps.insert(res_deps.end(), out_ops.begin(), out_ops.end());
    Op res;
    res.kind = OpKind::Elementwise;
    res.fn = ElementwiseFn::Residual;
    res.name = range_name("residual", t0, t1);
    res.src = {"x", "mo"};
    res.dst = "out";
    res.token_begin = t0;
    res.token_end = t1;
    res.in_shape = res.out_shape = {n, H};
    res.deps = res_deps;
    const int res_id = add_chunked(res, c);
    Op st;
    st.kind = OpKind::DramStore;
    st.name = range_name("store", t0, t1);
    st.src = {"out"};
    st.token_begin = t0;
    st.token_end = t1;
    st.in_shape = {n, H};
    st.bytes = n * H * f4;
    st.deps = {res_id};
    add_chunked(st, c);
  }
  if (o.ssm_input == SsmInputScheme::Group) p.buffers.push_back({"scale_tables", 0});
  p.validate();
  return p;
}

}  // namespace cimba::workloads
