#include "workloads/jit/block_program.hpp"

#include <algorithm>
#include <map>
#include <vector>

#include "models/common/error.hpp"
#include "workloads/jit/jit_forward.hpp"
#include "workloads/jit/jit_quant_config.hpp"
#include "workloads/program/program_builder.hpp"

namespace cimba::workloads {

namespace {

constexpr std::int64_t f4 = 4;  // FP32 bytes

// Throws InvalidArgument unless every block size is positive and heads x head_dim = hidden.
void check_block_program_args(const JitBlockShape& s) {
  if (s.tokens <= 0 || s.hidden <= 0 || s.heads <= 0 || s.head_dim <= 0 || s.ffn_hidden <= 0)
    throw InvalidArgument("build_jit_block_program: every block size must be positive");
  if (s.heads * s.head_dim != s.hidden)
    throw InvalidArgument("build_jit_block_program: heads x head_dim (" +
                          std::to_string(s.heads * s.head_dim) + ") must equal hidden (" +
                          std::to_string(s.hidden) + ")");
}

// Appends the ops of one JiT block on one image, with the weight loads of its CIM linears.
class BlockProgramBuilder {
 public:
  BlockProgramBuilder(const JitBlockShape& s, const JitBlockProgramOptions& o)
      : o_(o),
        P_(s.tokens),
        H_(s.hidden),
        D_(s.head_dim),
        F_(s.ffn_hidden),
        NH_(s.heads),
        wb_((o.w_bits + 7) / 8) {}

  // The whole program: header and buffers, then the ops in forward order, validated.
  OpProgram build(const std::string& layer_name) {
    init_program(layer_name);
    const std::int64_t P = P_, H = H_, F = F_;
    const int load_x = add_load_x();
    const int load_c = add_load_cond();
    const int ada = add_adaLN(load_c);
    const int norm1 = elementwise(ElementwiseFn::RmsNorm, "norm1", {"x"}, "xn", H, {load_x});
    const int mod1 =
        elementwise(ElementwiseFn::Modulate, "modulate1", {"xn", "mod"}, "a", H, {norm1, ada});
    const int qkv = cim(JitLinearKind::qkv, "a", "qkv", P, H, 3 * H, {mod1});
    const int rope = elementwise(ElementwiseFn::Rope, "rope", {"qkv"}, "qk_rope", 2 * H, {qkv});
    std::vector<int> ctx_ops;
    for (std::int64_t h = 0; h < NH_; ++h) ctx_ops.push_back(add_attention_head(h, rope, qkv));
    const int proj = cim(JitLinearKind::proj, "o", "po", P, H, H, ctx_ops);
    const int res1 = elementwise(ElementwiseFn::GatedResidual, "gated_residual1",
                                 {"x", "mod", "po"}, "h1", H, {proj, ada, load_x});
    const int norm2 = elementwise(ElementwiseFn::RmsNorm, "norm2", {"h1"}, "xn2", H, {res1});
    const int mod2 =
        elementwise(ElementwiseFn::Modulate, "modulate2", {"xn2", "mod"}, "f", H, {norm2, ada});
    const int w12 = cim(JitLinearKind::w12, "f", "gu", P, H, 2 * F, {mod2});
    const int swiglu = elementwise(ElementwiseFn::SwiGlu, "swiglu", {"gu"}, "act", F, {w12});
    const int w3 = cim(JitLinearKind::w3, "act", "w3o", P, F, H, {swiglu});
    const int res2 = elementwise(ElementwiseFn::GatedResidual, "gated_residual2",
                                 {"h1", "mod", "w3o"}, "out", H, {w3, res1});
    add_store(res2);
    OpProgram& p = b_.program;
    if (!o_.cim_input_bits.empty()) store_cim_inputs_as_codes(p, o_.cim_input_bits);
    batch_program(p, o_.batch);
    p.validate();
    return p;
  }

 private:
  // Bytes of the CIM weight matrix of linear `k` (ceil(w_bits / 8) bytes per weight).
  std::int64_t cim_weight_bytes(JitLinearKind k) const {
    const std::int64_t H = H_, F = F_, wb = wb_;
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
  }

  // Sets the program's name, family, linears, length and buffers (weights included).
  void init_program(const std::string& layer_name) {
    const std::int64_t P = P_, H = H_, F = F_, NH = NH_;
    OpProgram& p = b_.program;
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
    if (o_.adaLN_on_cim) cim_kinds.insert(cim_kinds.begin(), JitLinearKind::adaLN);
    if (!o_.weights_resident) {
      std::int64_t bytes = 0;
      for (auto k : cim_kinds)
        bytes = o_.weights_streamed_from_dram ? std::max(bytes, cim_weight_bytes(k))
                                              : bytes + cim_weight_bytes(k);
      p.buffers.push_back({"weights", bytes, 32, false});
    }
    if (!o_.adaLN_on_cim) p.buffers.push_back({"weights_fp32", 6 * H * H * o_.adaLN_weight_bytes, 32, false});
  }

  // Weight loads: once before first use, or before every CIM op when streamed (-1: resident).
  int weight_dep(JitLinearKind k) {
    if (o_.weights_resident) return -1;
    if (!o_.weights_streamed_from_dram && weight_load_.count(k)) return weight_load_[k];
    Op ld;
    ld.kind = OpKind::DramLoad;
    ld.name = std::string("load_w.") + jit_linear_kind_name(k);
    ld.dst = "weights";
    ld.is_weight = true;
    ld.linear = static_cast<int>(k);
    ld.bytes = cim_weight_bytes(k);
    if (o_.weights_streamed_from_dram) ld.deps = {last_cim_};
    weight_load_[k] = b_.add(ld);
    return weight_load_[k];
  }

  // Adds a CIM matmul of linear k: [rows, K] x [M, K]^T.
  int cim(JitLinearKind k, const std::string& src, const std::string& dst, std::int64_t rows,
          std::int64_t K, std::int64_t M, std::vector<int> deps) {
    const std::int64_t P = P_;
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
    op.input_shift = k == JitLinearKind::w3 && o_.w3_input_shift;
    op.deps = std::move(deps);
    last_cim_ = b_.add(op);
    return last_cim_;
  }

  // Adds an elementwise op over all tokens and `cols` columns.
  int elementwise(ElementwiseFn fn, const std::string& name, std::vector<std::string> src,
                  const std::string& dst, std::int64_t cols, std::vector<int> deps) {
    const std::int64_t P = P_;
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
    return b_.add(op);
  }

  // Adds the load of the block input x; returns its id.
  int add_load_x() {
    const std::int64_t P = P_, H = H_;
    Op ldx;
    ldx.kind = OpKind::DramLoad;
    ldx.name = range_name("load_x", 0, P);
    ldx.dst = "x";
    ldx.token_begin = 0;
    ldx.token_end = P;
    ldx.out_shape = {P, H};
    ldx.bytes = P * H * f4;
    return b_.add(ldx);
  }

  // Adds the load of the conditioning s; returns its id.
  int add_load_cond() {
    const std::int64_t H = H_;
    Op ldc;
    ldc.kind = OpKind::DramLoad;
    ldc.name = "load_cond";
    ldc.dst = "cond";
    ldc.out_shape = {1, H};
    ldc.bytes = H * f4;
    return b_.add(ldc);
  }

  // adaLN: [1, H] x [6H, H]^T + b -> mod = [sh1 | sc1 | g1 | sh2 | sc2 | g2], on the CIM or on
  // the MAC array (after loading its FP32 weights); returns its id.
  int add_adaLN(int load_c) {
    const std::int64_t H = H_;
    OpProgram& p = b_.program;
    int ada = -1;
    if (o_.adaLN_on_cim) {
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
      ldw.bytes = 6 * H * H * o_.adaLN_weight_bytes;
      const int ldw_id = b_.add(ldw);
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
      ada = b_.add(op);
    }
    return ada;
  }

  // Adds head h's scores (MAC) -> softmax (vector) -> context (MAC); returns the context's id.
  int add_attention_head(std::int64_t h, int rope, int qkv) {
    const std::int64_t P = P_, D = D_;
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
    const int sc_id = b_.add(sc);
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
    const int sm_id = b_.add(sm);
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
    return b_.add(cx);
  }

  // Adds the store of the block output after `res2`.
  void add_store(int res2) {
    const std::int64_t P = P_, H = H_;
    Op st;
    st.kind = OpKind::DramStore;
    st.name = range_name("store", 0, P);
    st.src = {"out"};
    st.token_begin = 0;
    st.token_end = P;
    st.in_shape = {P, H};
    st.bytes = P * H * f4;
    st.deps = {res2};
    b_.add(st);
  }

  const JitBlockProgramOptions& o_;
  const std::int64_t P_, H_, D_, F_, NH_;
  const std::int64_t wb_;  // bytes per CIM weight
  ProgramBuilder b_;
  std::map<JitLinearKind, int> weight_load_;
  int last_cim_ = -1;
};

}  // namespace

OpProgram build_jit_block_program(const JitBlockShape& s, const JitBlockProgramOptions& o,
                                  const std::string& layer_name) {
  check_block_program_args(s);
  return BlockProgramBuilder(s, o).build(layer_name);
}

}  // namespace cimba::workloads
