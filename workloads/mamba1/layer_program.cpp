#include "workloads/mamba1/layer_program.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <vector>

#include "models/common/error.hpp"
#include "workloads/mamba1/mamba_forward.hpp"
#include "workloads/program/program_builder.hpp"

namespace cimba::workloads {

namespace {

constexpr std::int64_t f4 = 4;  // FP32 bytes

// Throws InvalidArgument unless every layer size, the token chunk and the scan block are valid.
void check_layer_program_args(const Mamba1LayerShape& s, const Mamba1ProgramOptions& o) {
  if (s.d_model <= 0 || s.d_inner <= 0 || s.d_state <= 0 || s.dt_rank <= 0 || s.conv_kernel <= 0 ||
      s.length <= 0)
    throw InvalidArgument("build_mamba1_layer_program: every layer size must be positive");
  if (o.token_chunk <= 0 || o.scan_channel_block < 0)
    throw InvalidArgument(
        "build_mamba1_layer_program: token_chunk must be positive and scan_channel_block >= 0");
}

// Bytes of the weight matrix of linear `k` (ceil(w_bits / 8) bytes per weight).
std::int64_t linear_weight_bytes(const Mamba1LayerShape& s, const Mamba1ProgramOptions& o,
                                 LinearKind k) {
  const std::int64_t H = s.d_model, Di = s.d_inner, XP = s.x_proj_out(), R = s.dt_rank;
  const std::int64_t wbytes_per = (o.w_bits + 7) / 8;
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
}

// Whether `name` is an activation buffer (one whose slots are reused by the chunks).
bool is_activation(const std::string& name) {
  return !name.empty() && name != "weights" && name != "scale_tables" && name != "stream";
}

// Appends the ops of one Mamba1 layer chunk by chunk, with the slot waits and the weight loads.
class LayerProgramBuilder {
 public:
  LayerProgramBuilder(const Mamba1LayerShape& s, const Mamba1ProgramOptions& o)
      : s_(s),
        o_(o),
        L_(s.length),
        H_(s.d_model),
        Di_(s.d_inner),
        XP_(s.x_proj_out()),
        R_(s.dt_rank),
        block_(o.scan_channel_block == 0 ? Di_ : std::min(o.scan_channel_block, Di_)),
        n_chunks_((L_ + o.token_chunk - 1) / o.token_chunk),
        slots_(std::min<std::int64_t>(2, n_chunks_)),
        n_blocks_((Di_ + block_ - 1) / block_) {}

  // The whole program: header and buffers, then every chunk's ops, validated.
  OpProgram build(const std::string& layer_name) {
    init_program(layer_name);
    load_x_.resize(static_cast<std::size_t>(n_chunks_));
    dt_ops_.resize(static_cast<std::size_t>(n_chunks_));
    in_ops_.resize(static_cast<std::size_t>(n_chunks_));
    last_scan_.assign(static_cast<std::size_t>(n_blocks_), -1);  // per channel block
    for (std::int64_t c = 0; c < n_chunks_; ++c) add_chunk(c);
    OpProgram& p = b_.program;
    if (o_.ssm_input == SsmInputScheme::Group) p.buffers.push_back({"scale_tables", 0, 32, false});
    if (!o_.cim_input_bits.empty()) store_cim_inputs_as_codes(p, o_.cim_input_bits);
    batch_program(p, o_.batch);
    p.validate();
    return p;
  }

 private:
  // Sets the program's name, family, linears, length and buffers (weights included).
  void init_program(const std::string& layer_name) {
    const int u_bits = ssm_input_storage_bits(o_.ssm_input, o_.dual_value_bits);
    OpProgram& p = b_.program;
    p.layer_name = layer_name;
    p.family = "mamba1";
    for (LinearKind k :
         {LinearKind::InProj, LinearKind::XProj, LinearKind::DtProj, LinearKind::OutProj})
      p.linears.push_back(linear_kind_name(k));
    p.length = L_;
    // Activation buffers hold the chunks in flight, not the sequence: one chunk when the layer is
    // one chunk, else two (double buffering: chunk c + 1 is produced while chunk c is consumed;
    // the ops below wait so that a slot is never overwritten before its readers are done).
    const std::int64_t rows = slots_ * std::min(L_, o_.token_chunk);
    const std::int64_t H = H_, Di = Di_, XP = XP_;
    p.buffers = {{"xn", rows * H * f4},
                 {"xz", rows * 2 * Di * f4},
                 {"u", (rows * Di * u_bits + 7) / 8, u_bits},
                 {"xp", rows * XP * f4},
                 {"delta", rows * Di * f4},
                 {"y", rows * Di * f4},
                 {"g", rows * Di * f4},
                 {"mo", rows * H * f4}};
    // The block input and output: chunk slots filled from / drained to DRAM, or the residual
    // stream of the whole sequence on chip (in place: a chunk's output overwrites its input).
    if (!o_.stream_in) p.buffers.insert(p.buffers.begin(), BufferUse{"x", rows * H * f4});
    if (!o_.stream_out) p.buffers.push_back({"out", rows * H * f4});
    if (o_.stream_in || o_.stream_out) p.buffers.push_back({"stream", mamba1_stream_bytes(s_)});
    const LinearKind kinds[] = {LinearKind::InProj, LinearKind::XProj, LinearKind::DtProj,
                                LinearKind::OutProj};
    if (!o_.weights_resident) {
      std::int64_t wb = 0;
      for (auto k : kinds)
        wb = o_.weights_streamed_from_dram ? std::max(wb, weight_bytes(k)) : wb + weight_bytes(k);
      p.buffers.push_back({"weights", wb, 32, false});
    }
  }

  // Bytes of the weight matrix of linear `k`.
  std::int64_t weight_bytes(LinearKind k) const { return linear_weight_bytes(s_, o_, k); }

  // Adds an op of chunk c: its write waits for the readers of the chunk that last used the slot
  // (c - slots); its reads are recorded (`extra_read_chunk`: a second chunk it reads, e.g. the
  // conv's K - 1 history rows of chunk c - 1).
  int add_chunked(Op op, std::int64_t c, std::int64_t extra_read_chunk = -1) {
    if (is_activation(op.dst) && c >= slots_) {
      const auto& r = readers_[op.dst][c - slots_];
      op.deps.insert(op.deps.end(), r.begin(), r.end());
    }
    const std::vector<std::string> src = op.src;
    const int id = b_.add(std::move(op));
    for (const std::string& buf : src) {
      if (!is_activation(buf)) continue;
      readers_[buf][c].push_back(id);
      if (extra_read_chunk >= 0) readers_[buf][extra_read_chunk].push_back(id);
    }
    return id;
  }

  // Weight loads: once before first use, or before every CIM op when streamed (-1: resident).
  int weight_dep(LinearKind k) {
    if (o_.weights_resident) return -1;
    const int i = static_cast<int>(k);
    if (!o_.weights_streamed_from_dram && weight_load_[i] >= 0) return weight_load_[i];
    Op ld;
    ld.kind = OpKind::DramLoad;
    ld.name = std::string("load_w.") + linear_kind_name(k);
    ld.dst = "weights";
    ld.is_weight = true;
    ld.linear = static_cast<int>(k);
    ld.bytes = weight_bytes(k);
    // Streamed: the buffer holds one matrix, so the load waits for the CIM op using the last one.
    if (o_.weights_streamed_from_dram) ld.deps = {last_cim_};
    weight_load_[i] = b_.add(ld);
    return weight_load_[i];
  }

  // Adds a CIM matmul of linear k on tokens [t0, t1) and input channels [k0, k1).
  int cim(LinearKind k, std::string name, std::string src, std::string dst, std::int64_t t0,
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
    last_cim_ = add_chunked(std::move(op), t0 / o_.token_chunk);
    return last_cim_;
  }

  // Adds every op of token chunk c, in program order.
  void add_chunk(std::int64_t c) {
    const std::int64_t t0 = c * o_.token_chunk, t1 = std::min(L_, t0 + o_.token_chunk), n = t1 - t0;
    const std::int64_t H = H_, Di = Di_, XP = XP_, R = R_;
    const int norm_id = add_load_and_norm(c, t0, t1, n);
    in_ops_[c] = cim(LinearKind::InProj, range_name("in_proj", t0, t1), "xn", "xz", t0, t1, H,
                     2 * Di, 0, H, true, {norm_id});
    const int u_ready = add_ssm_input(c, t0, t1, n);
    const int xp_id = cim(LinearKind::XProj, range_name("x_proj", t0, t1), "u", "xp", t0, t1, Di,
                          XP, 0, Di, true, {u_ready});
    dt_ops_[c] = cim(LinearKind::DtProj, range_name("dt_proj", t0, t1), "xp", "delta", t0, t1, R,
                     Di, 0, R, true, {xp_id});
    const std::vector<int> out_ops = add_scan_blocks(c, t0, t1, n);
    add_residual_and_store(c, t0, t1, n, out_ops);
  }

  // The buffer chunk c's block input is read from.
  const char* input_buffer() const { return o_.stream_in ? "stream" : "x"; }

  // Adds the load of chunk c's x (from DRAM unless it is in the stream) and its RMSNorm; returns
  // the norm's id.
  int add_load_and_norm(std::int64_t c, std::int64_t t0, std::int64_t t1, std::int64_t n) {
    const std::int64_t H = H_;
    load_x_[c] = o_.stream_in ? -1 : add_dram_load(c, t0, t1, n);
    Op norm;
    norm.kind = OpKind::Elementwise;
    norm.fn = ElementwiseFn::RmsNorm;
    norm.name = range_name("norm", t0, t1);
    norm.src = {input_buffer()};
    norm.dst = "xn";
    norm.token_begin = t0;
    norm.token_end = t1;
    norm.in_shape = norm.out_shape = {n, H};
    norm.deps = {load_x_[c]};
    return add_chunked(norm, c);
  }

  // Adds the DRAM load of chunk c's block input into x; returns its id.
  int add_dram_load(std::int64_t c, std::int64_t t0, std::int64_t t1, std::int64_t n) {
    const std::int64_t H = H_;
    Op ld;
    ld.kind = OpKind::DramLoad;
    ld.name = range_name("load_x", t0, t1);
    ld.dst = "x";
    ld.token_begin = t0;
    ld.token_end = t1;
    ld.out_shape = {n, H};
    ld.bytes = n * H * f4;
    return add_chunked(ld, c);
  }

  // Adds chunk c's [scale lookup] -> conv1d + quantizer -> [dual-scale dequant]; returns the id
  // of the op after which u is ready.
  int add_ssm_input(std::int64_t c, std::int64_t t0, std::int64_t t1, std::int64_t n) {
    const std::int64_t Di = Di_;
    std::vector<int> conv_deps = {in_ops_[c], c > 0 ? in_ops_[c - 1] : -1};
    if (o_.ssm_input == SsmInputScheme::Group) {
      Op lk;
      lk.kind = OpKind::ScaleLookup;
      lk.name = range_name("scale_lookup", t0, t1);
      lk.src = {"scale_tables"};
      lk.token_begin = t0;
      lk.token_end = t1;
      lk.in_shape = lk.out_shape = {n, Di};
      lk.ssm_input = o_.ssm_input;
      conv_deps.push_back(add_chunked(lk, c));
    }
    Op conv;
    conv.kind = OpKind::Conv1d;
    conv.name = range_name("conv1d", t0, t1);
    conv.src = {"xz"};
    conv.dst = "u";
    conv.token_begin = t0;
    conv.token_end = t1;
    conv.in_shape = {n + std::min<std::int64_t>(t0, s_.conv_kernel - 1), Di};
    conv.out_shape = {n, Di};
    conv.ssm_input = o_.ssm_input;
    conv.deps = conv_deps;
    int u_ready = add_chunked(conv, c, c > 0 ? c - 1 : -1);
    if (o_.ssm_input == SsmInputScheme::DualScale) {
      Op mux;
      mux.kind = OpKind::DualScaleDequant;
      mux.name = range_name("dequant_mux", t0, t1);
      mux.src = {"u"};
      mux.token_begin = t0;
      mux.token_end = t1;
      mux.in_shape = mux.out_shape = {n, Di};
      mux.ssm_input = o_.ssm_input;
      mux.deps = {u_ready};
      u_ready = add_chunked(mux, c);
    }
    return u_ready;
  }

  // The scan of chunk c, block by block, carrying each block's state from the previous chunk
  // (NUMERICS.md 7.1); the gate and out_proj (K-partial over the blocks) follow, so out_proj of
  // block j runs on the CIM while the SSM core scans block j + 1. Returns the out_proj ops.
  std::vector<int> add_scan_blocks(std::int64_t c, std::int64_t t0, std::int64_t t1,
                                   std::int64_t n) {
    const std::int64_t H = H_, Di = Di_;
    std::vector<int> out_ops;
    for (std::int64_t j = 0; j < n_blocks_; ++j) {
      const std::int64_t c0 = j * block_, c1 = std::min(Di, c0 + block_);
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
      scan.ssm_input = o_.ssm_input;
      scan.deps = {dt_ops_[c], last_scan_[static_cast<std::size_t>(j)]};
      const int scan_id = add_chunked(scan, c);
      last_scan_[static_cast<std::size_t>(j)] = scan_id;
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
          n_blocks_ > 1 ? "out_proj" + range_name("", t0, t1) + range_name("", c0, c1, 'k')
                        : range_name("out_proj", t0, t1);
      out_ops.push_back(cim(LinearKind::OutProj, out_name, "g", "mo", t0, t1, Di, H, c0, c1,
                            j == n_blocks_ - 1, {gate_id}));
    }
    return out_ops;
  }

  // Adds chunk c's residual (after its out_proj ops) and the store of the block output.
  void add_residual_and_store(std::int64_t c, std::int64_t t0, std::int64_t t1, std::int64_t n,
                              const std::vector<int>& out_ops) {
    const std::int64_t H = H_;
    std::vector<int> res_deps = {load_x_[c]};
    res_deps.insert(res_deps.end(), out_ops.begin(), out_ops.end());
    Op res;
    res.kind = OpKind::Elementwise;
    res.fn = ElementwiseFn::Residual;
    res.name = range_name("residual", t0, t1);
    res.src = {input_buffer(), "mo"};
    res.dst = o_.stream_out ? "stream" : "out";
    res.token_begin = t0;
    res.token_end = t1;
    res.in_shape = res.out_shape = {n, H};
    res.deps = res_deps;
    const int res_id = add_chunked(res, c);
    if (o_.stream_out) return;  // the output stays on chip for the next layer
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

  const Mamba1LayerShape& s_;
  const Mamba1ProgramOptions& o_;
  const std::int64_t L_, H_, Di_, XP_, R_;
  const std::int64_t block_;     // channels per scan block
  const std::int64_t n_chunks_;  // token chunks
  const std::int64_t slots_;     // chunks an activation buffer holds
  const std::int64_t n_blocks_;  // scan blocks per chunk
  ProgramBuilder b_;
  // Readers of each activation buffer per chunk, for the write-after-read waits of the slots.
  std::map<std::string, std::map<std::int64_t, std::vector<int>>> readers_;
  int weight_load_[4] = {-1, -1, -1, -1};
  int last_cim_ = -1;
  std::vector<int> load_x_, dt_ops_, in_ops_;
  std::vector<int> last_scan_;  // last scan op per channel block
};

}  // namespace

OpProgram build_mamba1_layer_program(const Mamba1LayerShape& s, const Mamba1ProgramOptions& o,
                                     const std::string& layer_name) {
  check_layer_program_args(s, o);
  return LayerProgramBuilder(s, o).build(layer_name);
}

}  // namespace cimba::workloads
