#pragma once
// The op program: the contract between a compiled layer (workloads/) and the hardware model (hw/).
//
// An OpProgram is an ordered list of hardware operations for one layer. Each op names
//   - its kind (which hardware unit runs it): DramLoad/DramStore (DRAM unit), CimMatmul (CIM
//     macros), Conv1d (conv unit with the SSM-input quantizer), ScaleLookup (scale-index unit),
//     DualScaleDequant (dequant MUX), SsmScan (FP32 SSM core), Elementwise (vector unit),
//     MacMatmul (digital FP32 MAC array);
//   - the on-chip buffers it reads (`src`) and the buffer it writes (`dst`; empty: the result is
//     forwarded to the consumer without being stored, or leaves the chip);
//   - the slice of the layer's tensors it covers: a token range [token_begin, token_end) of the
//     token-major activations, and a channel range [channel_begin, channel_end) of its input
//     (CimMatmul: the K rows of the weight used by a partial-sum op; SsmScan: the d_inner
//     channels scanned); an empty channel range means "all";
//   - its dependencies: ids of earlier ops that must have completed before it starts (data
//     dependencies; an op never depends on a later op);
//   - which numerics it uses (`linear` for CimMatmul, MacMatmul linears and weight loads: an index
//     into the program's `linears` name table, so the contract names no model family;
//     `elementwise` function, `ssm_input` scheme for the SSM-input path, `bytes` moved for DRAM
//     ops).
//
// Op ids are the positions in `ops` (0..n-1). The order of `ops` is the issue priority: among ops
// whose dependencies are met, the controller hands the earlier one to its unit first.
//
// Partial CIM ops: a matrix whose K rows are split over several CimMatmul ops (same `linear`,
// same token range, consecutive channel ranges that cover [0, K)) forms an accumulation group;
// the numerics of the whole product is produced when the last op of the group (`accumulate_last`)
// completes, the partial ops only take time and book their actions.
#include <cstdint>
#include <string>
#include <vector>


namespace cimba::workloads {

enum class OpKind {
  DramLoad,          // DRAM -> buffer `dst` (`bytes`)
  DramStore,         // buffer `src[0]` -> DRAM (`bytes`)
  CimMatmul,         // Y[tokens, :] (+)= X[tokens, channels] W[:, channels]^T on the CIM macros
  Conv1d,            // causal depthwise conv1d + SiLU + SSM-input quantizer (encode)
  ScaleLookup,       // scale-index lookups of the group scheme for the elements of `tokens`
  DualScaleDequant,  // the dual-scale dequant MUX: x_hat = q * (flag ? scale2 : scale1)
  SsmScan,           // FP32 selective scan of `channels` over `tokens`
  Elementwise,       // RMSNorm, gate y * silu(z), residual add (JiT: modulation, RoPE,
                     // softmax, gated residual, SwiGLU)
  MacMatmul,         // digital FP32 MAC array: products of two activations (attention
                     // q k^T and p v) and FP32 linears whose weights are not in the CIM (adaLN)
};
const char* op_kind_name(OpKind kind);

enum class ElementwiseFn {
  None,
  RmsNorm,
  Gate,
  Residual,
  Modulate,       // JiT: x * (1 + scale) + shift (adaLN modulation of a normed input)
  Rope,           // JiT: 2-D RoPE of q and k (the first 2H columns of the qkv output)
  Softmax,        // JiT: row softmax of one head's scaled scores
  GatedResidual,  // JiT: h + gate * y
  SwiGlu,         // JiT: silu(gate) * up
};
const char* elementwise_fn_name(ElementwiseFn fn);

/// What a MacMatmul op computes.
enum class MacFn {
  None,
  Linear,       // Y = X W^T + b with FP32 weights (JiT adaLN when not on the CIM)
  AttnScores,   // one head: S = q_h k_h^T (RoPE'd q, k)           [P x D] x [D x P]
  AttnContext,  // one head: o_h = softmax(S / sqrt(D)) v_h       [P x P] x [P x D]
};
const char* mac_fn_name(MacFn fn);

/// Quantization of the SSM input u (NUMERICS.md 3); selects which ops follow the conv1d.
enum class SsmInputScheme { Fp32, Int8, Group, DualScale };
const char* ssm_input_scheme_name(SsmInputScheme scheme);
/// Parses "fp32", "int8", "group", "dual_scale"; throws InvalidArgument otherwise.
SsmInputScheme parse_ssm_input_scheme(const std::string& name);
/// Bits per element of u as stored by the quantizer: 32, 8, 8, value_bits + 1.
int ssm_input_storage_bits(SsmInputScheme scheme, int dual_value_bits);

/// A tensor shape [rows, cols] (token-major activations: rows = tokens).
struct TensorShape {
  std::int64_t rows = 0, cols = 0;
  std::int64_t elements() const { return rows * cols; }
};

struct Op {
  int id = 0;
  OpKind kind = OpKind::Elementwise;
  std::string name;              // human-readable, e.g. "in_proj[t0:64]"
  std::vector<std::string> src;  // buffers read
  std::string dst;               // buffer written ("" = forwarded / off-chip)
  std::int64_t token_begin = 0, token_end = 0;
  std::int64_t channel_begin = 0, channel_end = 0;  // empty range = all channels
  TensorShape in_shape, out_shape;                  // the slice this op reads and writes
  std::vector<int> deps;                   // ids of ops that must complete first (all < id)
  /// CimMatmul, MacMatmul Linear and DramLoad of weights: which of the program's linears
  /// (an index into OpProgram::linears; the family's executor knows what it is).
  int linear = 0;
  bool is_weight = false;  // DramLoad: a weight matrix (`linear`), not activations
  bool accumulate_last = true;             // CimMatmul: last op of its accumulation group
  ElementwiseFn fn = ElementwiseFn::None;
  SsmInputScheme ssm_input = SsmInputScheme::Fp32;  // Conv1d, ScaleLookup, DualScaleDequant
  std::int64_t bytes = 0;                           // DramLoad / DramStore
  MacFn mac = MacFn::None;  // MacMatmul
  int head = -1;            // attention ops: the head
  bool input_shift = false;  // CimMatmul: per-channel shift subtracted before the quantizer
  std::int64_t tokens() const { return token_end - token_begin; }
};

/// An on-chip buffer the program uses, the bytes it must hold (the token chunks in flight, or the
/// weights it stages) and the bits one stored element occupies (FP32 activations 32; the codes of
/// a CIM input at their container, store_cim_inputs_as_codes; the SSM input at its scheme's).
struct BufferUse {
  std::string name;
  std::int64_t bytes = 0;
  int element_bits = 32;
  /// true: one copy per sequence (image) in flight (activations, the residual stream); false:
  /// shared by the batch (staged weights, scale tables). batch_program scales the former.
  bool per_sequence = true;
};

struct OpProgram {
  std::string layer_name;
  /// The model family whose executor runs the program ("mamba1", "jit_block"): executors refuse
  /// a program of another family.
  std::string family;
  /// Names of the linears the ops' `linear` indices refer to ("in_proj", ...).
  std::vector<std::string> linears;
  std::int64_t length = 0;  // L tokens of the (single) sequence
  /// Sequences (images) in flight through every op (hw.batch): the executor computes one of
  /// them; the hardware books the ops' data work batch times and each weight load and macro
  /// program once (they are shared). Buffer and activation-transfer sizes already include it.
  std::int64_t batch = 1;
  std::vector<Op> ops;
  std::vector<BufferUse> buffers;
  /// Checks ids, dependency order, buffer names and linear indices; throws InvalidArgument naming
  /// the op.
  void validate() const;
  /// The name of linear `index` ("?" outside the table).
  const std::string& linear_name(int index) const;
  const BufferUse* buffer(const std::string& name) const;
};

/// Bits of the container a CIM input code of `a_bits` is stored in: a_bits rounded up to whole
/// bytes (12-bit codes in 16-bit words), so that codes stay byte-addressable.
int code_container_bits(int a_bits);

/// Stores the inputs of the CIM linears as the codes the CIM's input quantizer makes: every
/// buffer written by an op and read only by CimMatmul ops gets element_bits =
/// code_container_bits(the largest input_bits[linear] of its readers), its bytes scaled from
/// FP32. input_bits[i] is the a_bits of linear i (0: not quantized; a buffer one of whose readers
/// is 0 stays FP32). Buffers also read by other units (B and C next to dt in x_proj's output, the
/// SSM input u) keep their own width. Throws InvalidArgument when input_bits is shorter than
/// the program's linears.
void store_cim_inputs_as_codes(OpProgram& program, const std::vector<int>& input_bits);

/// Runs the program on `batch` sequences (images) in flight that share every weight load:
/// sets program.batch, multiplies the bytes of every per_sequence buffer and of every DRAM
/// transfer that is not a weight load. Throws InvalidArgument for batch < 1 or a program already
/// batched.
void batch_program(OpProgram& program, std::int64_t batch);

/// One line per op ("  12 cim_matmul   qkv[t0:64]  src=a dst=qkv deps=5,6 ..."), then the buffers:
/// the listing the workloads issue asks for.
std::string format_op_program(const OpProgram& program);

}  // namespace cimba::workloads

