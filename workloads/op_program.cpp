#include "workloads/op_program.hpp"

#include <algorithm>
#include <iomanip>
#include <map>
#include <set>
#include <sstream>

#include "models/common/error.hpp"
#include "workloads/jit_quant_config.hpp"

namespace cimba::workloads {

const char* op_kind_name(OpKind kind) {
  switch (kind) {
    case OpKind::DramLoad:
      return "dram_load";
    case OpKind::DramStore:
      return "dram_store";
    case OpKind::CimMatmul:
      return "cim_matmul";
    case OpKind::Conv1d:
      return "conv1d";
    case OpKind::ScaleLookup:
      return "scale_lookup";
    case OpKind::DualScaleDequant:
      return "dual_scale_dequant";
    case OpKind::SsmScan:
      return "ssm_scan";
    case OpKind::Elementwise:
      return "elementwise";
    case OpKind::MacMatmul:
      return "mac_matmul";
  }
  return "?";
}

const char* elementwise_fn_name(ElementwiseFn fn) {
  switch (fn) {
    case ElementwiseFn::None:
      return "none";
    case ElementwiseFn::RmsNorm:
      return "rms_norm";
    case ElementwiseFn::Gate:
      return "gate";
    case ElementwiseFn::Residual:
      return "residual";
    case ElementwiseFn::Modulate:
      return "modulate";
    case ElementwiseFn::Rope:
      return "rope";
    case ElementwiseFn::Softmax:
      return "softmax";
    case ElementwiseFn::GatedResidual:
      return "gated_residual";
    case ElementwiseFn::SwiGlu:
      return "swiglu";
  }
  return "?";
}

const char* mac_fn_name(MacFn fn) {
  switch (fn) {
    case MacFn::None:
      return "none";
    case MacFn::Linear:
      return "linear";
    case MacFn::AttnScores:
      return "attn_scores";
    case MacFn::AttnContext:
      return "attn_context";
  }
  return "?";
}

const char* ssm_input_scheme_name(SsmInputScheme scheme) {
  switch (scheme) {
    case SsmInputScheme::Fp32:
      return "fp32";
    case SsmInputScheme::Int8:
      return "int8";
    case SsmInputScheme::Group:
      return "group";
    case SsmInputScheme::DualScale:
      return "dual_scale";
  }
  return "?";
}

SsmInputScheme parse_ssm_input_scheme(const std::string& name) {
  for (auto s : {SsmInputScheme::Fp32, SsmInputScheme::Int8, SsmInputScheme::Group,
                 SsmInputScheme::DualScale})
    if (name == ssm_input_scheme_name(s)) return s;
  throw InvalidArgument("ssm_input.scheme: unknown scheme '" + name +
                        "' (valid: fp32, int8, group, dual_scale)");
}

int ssm_input_storage_bits(SsmInputScheme scheme, int dual_value_bits) {
  switch (scheme) {
    case SsmInputScheme::Fp32:
      return 32;
    case SsmInputScheme::Int8:
    case SsmInputScheme::Group:
      return 8;
    case SsmInputScheme::DualScale:
      return dual_value_bits + 1;
  }
  return 32;
}

const BufferUse* OpProgram::buffer(const std::string& name) const {
  for (const auto& b : buffers)
    if (b.name == name) return &b;
  return nullptr;
}

const std::string& OpProgram::linear_name(int index) const {
  static const std::string unknown = "?";
  return index >= 0 && index < static_cast<int>(linears.size())
             ? linears[static_cast<std::size_t>(index)]
             : unknown;
}

void OpProgram::validate() const {
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const Op& op = ops[i];
    const std::string where =
        "op program '" + layer_name + "', op " + std::to_string(i) + " (" + op.name + ")";
    if (op.id != static_cast<int>(i))
      throw InvalidArgument(where + ": id " + std::to_string(op.id) + " is not its position");
    for (int d : op.deps)
      if (d < 0 || d >= op.id)
        throw InvalidArgument(where + ": dependency " + std::to_string(d) +
                              " is not an earlier op");
    if (op.token_end < op.token_begin || op.token_begin < 0 || op.token_end > length)
      throw InvalidArgument(where + ": token range outside [0, " + std::to_string(length) + ")");
    if (op.channel_end < op.channel_begin)
      throw InvalidArgument(where + ": empty-reversed channel range");
    for (const auto& s : op.src)
      if (!buffer(s)) throw InvalidArgument(where + ": reads undeclared buffer '" + s + "'");
    if (!op.dst.empty() && !buffer(op.dst))
      throw InvalidArgument(where + ": writes undeclared buffer '" + op.dst + "'");
    const bool uses_linear = op.kind == OpKind::CimMatmul ||
                             (op.kind == OpKind::DramLoad && op.is_weight) ||
                             (op.kind == OpKind::MacMatmul && op.mac == MacFn::Linear);
    if (uses_linear && (op.linear < 0 || op.linear >= static_cast<int>(linears.size())))
      throw InvalidArgument(where + ": linear " + std::to_string(op.linear) +
                            " is not in the program's table of " +
                            std::to_string(linears.size()) + " linears");
  }
}

namespace {

struct Builder {
  OpProgram program;
  int add(Op op) {
    op.id = static_cast<int>(program.ops.size());
    std::sort(op.deps.begin(), op.deps.end());
    op.deps.erase(std::unique(op.deps.begin(), op.deps.end()), op.deps.end());
    op.deps.erase(std::remove(op.deps.begin(), op.deps.end(), -1), op.deps.end());
    program.ops.push_back(std::move(op));
    return program.ops.back().id;
  }
};

std::string range_name(const char* base, std::int64_t b, std::int64_t e, char axis = 't') {
  return std::string(base) + "[" + axis + std::to_string(b) + ":" + std::to_string(e) + "]";
}

}  // namespace

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

  Builder b;
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

OpProgram build_jit_block_program(const JitBlockShape& s, const JitBlockProgramOptions& o,
                                  const std::string& layer_name) {
  if (s.tokens <= 0 || s.hidden <= 0 || s.heads <= 0 || s.head_dim <= 0 || s.ffn_hidden <= 0)
    throw InvalidArgument("build_jit_block_program: every block size must be positive");
  if (s.heads * s.head_dim != s.hidden)
    throw InvalidArgument("build_jit_block_program: heads x head_dim (" +
                          std::to_string(s.heads * s.head_dim) + ") must equal hidden (" +
                          std::to_string(s.hidden) + ")");
  const std::int64_t P = s.tokens, H = s.hidden, D = s.head_dim, F = s.ffn_hidden, NH = s.heads;
  const std::int64_t f4 = 4, wb = (o.w_bits + 7) / 8;
  auto cim_weight_bytes = [&](JitLinearKind k) -> std::int64_t {
    switch (k) {
      case JitLinearKind::qkv:
        return 3 * H * H * wb;
      case JitLinearKind::proj:
        return H * H * wb;
      case JitLinearKind::w12:
        return 2 * F * H * wb;
      case JitLinearKind::w3:
        return H * F * wb;
      default:  // adaLN
        return 6 * H * H * wb;
    }
  };
  Builder b;
  OpProgram& p = b.program;
  p.layer_name = layer_name;
  p.family = "jit_block";
  for (JitLinearKind k : jit_linear_kinds()) {
    const std::size_t i = static_cast<std::size_t>(k);
    if (p.linears.size() <= i) p.linears.resize(i + 1);
    p.linears[i] = jit_linear_kind_name(k);
  }
  p.length = P;
  p.buffers = {{"x", P * H * f4},           {"cond", H * f4},
               {"mod", 6 * H * f4},         {"xn", P * H * f4},
               {"a", P * H * f4},           {"qkv", P * 3 * H * f4},
               {"qk_rope", P * 2 * H * f4}, {"scores", NH * P * P * f4},
               {"probs", NH * P * P * f4},  {"o", P * H * f4},
               {"po", P * H * f4},          {"h1", P * H * f4},
               {"xn2", P * H * f4},         {"f", P * H * f4},
               {"gu", P * 2 * F * f4},      {"act", P * F * f4},
               {"w3o", P * H * f4},         {"out", P * H * f4}};
  std::vector<JitLinearKind> cim_kinds = {JitLinearKind::qkv, JitLinearKind::proj,
                                          JitLinearKind::w12, JitLinearKind::w3};
  if (o.adaLN_on_cim) cim_kinds.insert(cim_kinds.begin(), JitLinearKind::adaLN);
  if (!o.weights_resident) {
    std::int64_t bytes = 0;
    for (auto k : cim_kinds)
      bytes = o.weights_streamed_from_dram ? std::max(bytes, cim_weight_bytes(k))
                                           : bytes + cim_weight_bytes(k);
    p.buffers.push_back({"weights", bytes});
  }
  if (!o.adaLN_on_cim) p.buffers.push_back({"weights_fp32", 6 * H * H * o.adaLN_weight_bytes});

  std::map<JitLinearKind, int> weight_load;
  int last_cim = -1;
  auto weight_dep = [&](JitLinearKind k) -> int {
    if (o.weights_resident) return -1;
    if (!o.weights_streamed_from_dram && weight_load.count(k)) return weight_load[k];
    Op ld;
    ld.kind = OpKind::DramLoad;
    ld.name = std::string("load_w.") + jit_linear_kind_name(k);
    ld.dst = "weights";
    ld.is_weight = true;
    ld.linear = static_cast<int>(k);
    ld.bytes = cim_weight_bytes(k);
    if (o.weights_streamed_from_dram) ld.deps = {last_cim};
    weight_load[k] = b.add(ld);
    return weight_load[k];
  };
  auto cim = [&](JitLinearKind k, const std::string& src, const std::string& dst, std::int64_t rows,
                 std::int64_t K, std::int64_t M, std::vector<int> deps) {
    deps.push_back(weight_dep(k));
    Op op;
    op.kind = OpKind::CimMatmul;
    op.name = range_name(jit_linear_kind_name(k), 0, rows);
    op.src = {src};
    op.dst = dst;
    op.token_begin = 0;
    op.token_end = rows == P ? P : rows;
    op.in_shape = {rows, K};
    op.out_shape = {rows, M};
    op.linear = static_cast<int>(k);
    op.input_shift = k == JitLinearKind::w3 && o.w3_input_shift;
    op.deps = std::move(deps);
    last_cim = b.add(op);
    return last_cim;
  };
  auto elementwise = [&](ElementwiseFn fn, const std::string& name, std::vector<std::string> src,
                         const std::string& dst, std::int64_t cols, std::vector<int> deps) {
    Op op;
    op.kind = OpKind::Elementwise;
    op.fn = fn;
    op.name = name;
    op.src = std::move(src);
    op.dst = dst;
    op.token_begin = 0;
    op.token_end = P;
    op.in_shape = op.out_shape = {P, cols};
    op.deps = std::move(deps);
    return b.add(op);
  };

  Op ldx;
  ldx.kind = OpKind::DramLoad;
  ldx.name = range_name("load_x", 0, P);
  ldx.dst = "x";
  ldx.token_begin = 0;
  ldx.token_end = P;
  ldx.out_shape = {P, H};
  ldx.bytes = P * H * f4;
  const int load_x = b.add(ldx);
  Op ldc;
  ldc.kind = OpKind::DramLoad;
  ldc.name = "load_cond";
  ldc.dst = "cond";
  ldc.out_shape = {1, H};
  ldc.bytes = H * f4;
  const int load_c = b.add(ldc);

  // adaLN: [1, H] x [6H, H]^T + b -> mod = [sh1 | sc1 | g1 | sh2 | sc2 | g2]
  int ada = -1;
  if (o.adaLN_on_cim) {
    ada = cim(JitLinearKind::adaLN, "cond", "mod", 1, H, 6 * H, {load_c});
    p.ops[static_cast<std::size_t>(ada)].name = "adaLN";
    p.ops[static_cast<std::size_t>(ada)].token_end = 1;
  } else {
    Op ldw;
    ldw.kind = OpKind::DramLoad;
    ldw.name = "load_w.adaLN";
    ldw.dst = "weights_fp32";
    ldw.is_weight = true;
    ldw.linear = static_cast<int>(JitLinearKind::adaLN);
    ldw.bytes = 6 * H * H * o.adaLN_weight_bytes;
    const int ldw_id = b.add(ldw);
    Op op;
    op.kind = OpKind::MacMatmul;
    op.mac = MacFn::Linear;
    op.linear = static_cast<int>(JitLinearKind::adaLN);
    op.name = "adaLN";
    op.src = {"cond", "weights_fp32"};
    op.dst = "mod";
    op.token_begin = 0;
    op.token_end = 1;
    op.in_shape = {1, H};
    op.out_shape = {1, 6 * H};
    op.deps = {load_c, ldw_id};
    ada = b.add(op);
  }
  const int norm1 = elementwise(ElementwiseFn::RmsNorm, "norm1", {"x"}, "xn", H, {load_x});
  const int mod1 =
      elementwise(ElementwiseFn::Modulate, "modulate1", {"xn", "mod"}, "a", H, {norm1, ada});
  const int qkv = cim(JitLinearKind::qkv, "a", "qkv", P, H, 3 * H, {mod1});
  const int rope = elementwise(ElementwiseFn::Rope, "rope", {"qkv"}, "qk_rope", 2 * H, {qkv});
  std::vector<int> ctx_ops;
  for (std::int64_t h = 0; h < NH; ++h) {
    const std::string hs = "[h" + std::to_string(h) + "]";
    Op sc;
    sc.kind = OpKind::MacMatmul;
    sc.mac = MacFn::AttnScores;
    sc.head = static_cast<int>(h);
    sc.name = "scores" + hs;
    sc.src = {"qk_rope"};
    sc.dst = "scores";
    sc.token_begin = 0;
    sc.token_end = P;
    sc.channel_begin = h * D;
    sc.channel_end = (h + 1) * D;
    sc.in_shape = {P, D};
    sc.out_shape = {P, P};
    sc.deps = {rope};
    const int sc_id = b.add(sc);
    Op sm;
    sm.kind = OpKind::Elementwise;
    sm.fn = ElementwiseFn::Softmax;
    sm.head = static_cast<int>(h);
    sm.name = "softmax" + hs;
    sm.src = {"scores"};
    sm.dst = "probs";
    sm.token_begin = 0;
    sm.token_end = P;
    sm.in_shape = sm.out_shape = {P, P};
    sm.deps = {sc_id};
    const int sm_id = b.add(sm);
    Op cx;
    cx.kind = OpKind::MacMatmul;
    cx.mac = MacFn::AttnContext;
    cx.head = static_cast<int>(h);
    cx.name = "context" + hs;
    cx.src = {"probs", "qkv"};
    cx.dst = "o";
    cx.token_begin = 0;
    cx.token_end = P;
    cx.channel_begin = h * D;
    cx.channel_end = (h + 1) * D;
    cx.in_shape = {P, P};
    cx.out_shape = {P, D};
    cx.deps = {sm_id, qkv};
    ctx_ops.push_back(b.add(cx));
  }
  const int proj = cim(JitLinearKind::proj, "o", "po", P, H, H, ctx_ops);
  const int res1 = elementwise(ElementwiseFn::GatedResidual, "gated_residual1", {"x", "mod", "po"},
                               "h1", H, {proj, ada, load_x});
  const int norm2 = elementwise(ElementwiseFn::RmsNorm, "norm2", {"h1"}, "xn2", H, {res1});
  const int mod2 =
      elementwise(ElementwiseFn::Modulate, "modulate2", {"xn2", "mod"}, "f", H, {norm2, ada});
  const int w12 = cim(JitLinearKind::w12, "f", "gu", P, H, 2 * F, {mod2});
  const int swiglu = elementwise(ElementwiseFn::SwiGlu, "swiglu", {"gu"}, "act", F, {w12});
  const int w3 = cim(JitLinearKind::w3, "act", "w3o", P, F, H, {swiglu});
  const int res2 = elementwise(ElementwiseFn::GatedResidual, "gated_residual2",
                               {"h1", "mod", "w3o"}, "out", H, {w3, res1});
  Op st;
  st.kind = OpKind::DramStore;
  st.name = range_name("store", 0, P);
  st.src = {"out"};
  st.token_begin = 0;
  st.token_end = P;
  st.in_shape = {P, H};
  st.bytes = P * H * f4;
  st.deps = {res2};
  b.add(st);
  p.validate();
  return p;
}

std::string format_op_program(const OpProgram& p) {
  std::ostringstream out;
  out << "op program '" << p.layer_name << "' ("
      << p.family << ", " << p.length
      << " tokens, " << p.ops.size() << " ops)\n";
  for (const Op& op : p.ops) {
    out << std::setw(4) << op.id << " " << std::left << std::setw(13) << op_kind_name(op.kind)
        << std::setw(22) << op.name << std::right;
    if (op.kind == OpKind::Elementwise) out << " fn=" << elementwise_fn_name(op.fn);
    if (op.kind == OpKind::MacMatmul) out << " fn=" << mac_fn_name(op.mac);
    if (op.kind == OpKind::CimMatmul || (op.kind == OpKind::DramLoad && op.is_weight) ||
        (op.kind == OpKind::MacMatmul && op.mac == MacFn::Linear))
      out << " linear=" << p.linear_name(op.linear);
    if (!op.src.empty()) {
      out << " src=";
      for (std::size_t i = 0; i < op.src.size(); ++i) out << (i ? "," : "") << op.src[i];
    }
    if (!op.dst.empty()) out << " dst=" << op.dst;
    if (op.in_shape.elements() > 0) out << " in=" << op.in_shape.rows << "x" << op.in_shape.cols;
    if (op.out_shape.elements() > 0)
      out << " out=" << op.out_shape.rows << "x" << op.out_shape.cols;
    if (op.channel_end > op.channel_begin)
      out << " ch=" << op.channel_begin << ":" << op.channel_end;
    if (op.bytes > 0) out << " bytes=" << op.bytes;
    if (op.kind == OpKind::CimMatmul && !op.accumulate_last) out << " partial";
    if (op.input_shift) out << " shifted";
    if (!op.deps.empty()) {
      out << " deps=";
      for (std::size_t i = 0; i < op.deps.size(); ++i) out << (i ? "," : "") << op.deps[i];
    }
    out << "\n";
  }
  out << "buffers:";
  for (const auto& bu : p.buffers) out << " " << bu.name << "=" << bu.bytes << "B";
  out << "\n";
  return out.str();
}

}  // namespace cimba::workloads
