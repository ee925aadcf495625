#pragma once
// Bit-serial CIM linear layer (NUMERICS.md 2): Y = X W^T + b computed as an INT w_bits x
// INT a_bits product whose activations are cut into slices (two's complement or sign-magnitude,
// 2.7) and whose weights are held as one signed analog value or in digit columns (offset,
// differential or two's-complement cells, 2.8); each (slice, weight column, row tile) analog MAC
// is converted by the column ADCs and the conversions shift-added.
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "models/numerics/adc.hpp"
#include "models/numerics/quantize.hpp"
#include "models/numerics/slice_kernels.hpp"
#include "models/numerics/slicing.hpp"
#include "models/numerics/types.hpp"

namespace cimba::numerics {

/// How signed weights are held in the array when they are sliced (NUMERICS.md 2.8).
///  - TwosComplement: two's-complement digits, the top digit signed;
///  - Offset: unsigned cells holding W_q + 2^(w_bits-1); the offset is removed digitally;
///  - Differential: two unsigned arrays W+ = max(W_q, 0) and W- = max(-W_q, 0).
enum class WeightEncoding { TwosComplement, Offset, Differential };

/// "twos_complement" / "offset" / "differential".
const char* to_string(WeightEncoding e);

struct BitSerialConfig {
  int w_bits = 8;             // 2..16 (8 default, 7 supported by the spec)
  double w_clip_pct = 100.0;  // range_w = this percentile of |W|; 100 = max|W|
  int a_bits = 12;            // 1..16 (8..16 in the spec's use)
  int slice_bits = 8;         // S
  int overlap_bits = 4;       // O
  InputEncoding input_encoding = InputEncoding::TwosComplement;  // 2.7 (O = 0 only)
  int weight_slice_bits = 0;  // C; 0 = the weight is one signed analog value (no digit columns)
  WeightEncoding weight_encoding = WeightEncoding::TwosComplement;  // 2.8, used when C > 0
  int rows_per_adc = 0;                                             // R; 0 = K (the whole column)
  AdcConfig adc;
  /// Static activation range (calibrated); unset: dynamic, max|X| of each input tensor.
  std::optional<double> range_x;
  /// Static ADC full scales [slice][column * n_tiles + row tile] (column: the weight digit
  /// columns in the spec's order, array + before -, least significant digit first; one column
  /// when weights are not sliced, so the layout is then [slice][row tile]). Required when
  /// adc.range is Static.
  std::vector<std::vector<double>> acc_full_scale;
  /// Key of the noise stream (see rng.hpp); each (slice, tile) derives its own sub-stream.
  std::uint64_t noise_key = 0;
  /// Kernel of the slice products (slice_kernels.hpp); every kernel gives the same results.
  SliceKernel kernel = SliceKernel::Auto;
  /// Threads of one forward (slice products, packing, conversions); results do not depend on it.
  int threads = 1;
};

/// What one forward did.
struct BitSerialStats {
  std::int64_t conversions = 0;    // ADC conversions (partial sums read out)
  std::int64_t saturated = 0;      // conversions whose level was clamped
  std::int64_t act_saturated = 0;  // activations clamped by a static range_x
  std::int64_t mac_ops = 0;  // slice x input x weight-column products (N M K n_slices n_columns)
  int n_slices = 0, n_tiles = 0, n_columns = 1;
  double range_x = 0.0, scale_x = 0.0, scale_w = 0.0;
  /// The ADC full scale used per [slice][column * n_tiles + tile].
  std::vector<std::vector<double>> full_scale;
  bool float_gemm_exact = true;                 // false: the reference float GEMM would need double
  SliceKernel kernel = SliceKernel::Reference;  // the kernel that computed the slice products
};

/// A linear layer programmed into the CIM array: the weights are quantized once at construction.
class BitSerialLinear {
 public:
  /// W [M x K]. Throws InvalidArgument for inconsistent settings (bits, slices, static full
  /// scales of the wrong shape).
  BitSerialLinear(const MatrixF& W, const BitSerialConfig& config);

  /// Y [N x M] for X [N x K]; bias may be nullptr. `stats` (optional) receives the counts.
  MatrixF forward(const MatrixF& X, const float* bias, BitSerialStats* stats = nullptr) const;
  /// The same into a caller's matrix (resized when needed), so a replay loop allocates nothing.
  /// Without a dynamic ADC range the rows are converted in blocks of at most 64 MiB of partial
  /// sums (same results: every output row depends on its input row alone); a dynamic range keeps
  /// every partial sum of the call (its full scale is a max over the whole tensor).
  void forward_into(const MatrixF& X, const float* bias, MatrixF& Y,
                    BitSerialStats* stats = nullptr) const;

  /// Calibration helper: calls fn(slice, term, P) for every partial-sum matrix P [N x M] of X
  /// quantized with the given activation range (dynamic: pass absmax(X)); term = column *
  /// n_tiles() + row tile, the index of acc_full_scale[slice].
  void visit_partial_sums(const MatrixF& X, double range_x,
                          const std::function<void(int, int, const MatrixF&)>& fn) const;

  const BitSerialConfig& config() const { return config_; }
  const SlicePlan& plan() const { return plan_; }
  int n_tiles() const { return n_tiles_; }
  /// Weight digit columns converted on their own per output: ceil(w_bits / C) (x 2 for
  /// differential); 1 when weights are not sliced.
  int n_columns() const { return static_cast<int>(columns_.size()); }
  /// ADC conversions per (input vector, output, slice): n_columns() x n_tiles().
  int n_adc_terms() const { return n_columns() * n_tiles_; }
  int rows_per_tile() const { return rows_; }
  double range_w() const { return range_w_; }
  double scale_w() const { return scale_w_; }
  /// Integer weight levels [M x K] held exactly in float.
  const MatrixF& w_q() const { return w_q_; }
  /// The kernel of the slice products (never Auto): chosen at construction among the kernels
  /// the CPU has (config.kernel Auto) or forced, Reference when the digits do not fit it.
  SliceKernel kernel() const { return kernel_; }

 private:
  // The integer-kernel forward (kernel_ != Reference); same results as the float path.
  void forward_integer(const MatrixF& X, const float* bias, MatrixF& Y,
                       BitSerialStats* stats) const;
  // Picks kernel_ and packs the weight columns for it (packed_, plans_).
  void choose_kernel();
  // Converts rows [0, n) of the terms (all pointing at row r0 of the tensor) into Y, in parallel
  // row chunks; returns the conversion counts.
  AdcStats convert_rows(const std::vector<AdcTerm>& terms, std::int64_t r0, std::int64_t n,
                        double out_scale, const float* bias, const double* row_offset,
                        MatrixF& Y) const;
  // Quantizes and slices X; returns the per-slice max |digit|.
  std::vector<double> quantize_and_slice(const MatrixF& X, const Quantizer& qx,
                                         std::vector<MatrixF>& slices,
                                         std::int64_t* act_saturated) const;
  // The base that packs two slices' partial sums into one exact float (PsumPacking), or 0 when
  // they do not fit (max_digit: the largest |digit| of any slice).
  float packing_base(double max_digit) const;
  // peaks[0], peaks[1] = max |low|, max |high| of a packed partial-sum matrix.
  static void packed_peaks(const MatrixF& R, float base, double* peaks);
  // Builds columns_ (and offset_) from w_q_ under the weight encoding.
  void build_columns();
  // The cells of weight column c [M x K].
  const MatrixF& cells(int column) const;
  // P = slice[:, tile] * D_c[:, tile]^T for weight column c, exactly.
  void partial_sum(const ConstMapF& slice, int column, int tile, double max_digit, MatrixF& P,
                   bool* float_exact) const;

  // One weight digit column: its cells [M x K] (integers held exactly in float), its
  // shift-add weight 2^shift times sign (-1 for the minus array of a differential pair).
  struct Column {
    MatrixF digits;
    int shift = 0;
    double sign = 1.0;
    double max_level = 0.0;  // max |cell|
  };

  BitSerialConfig config_;
  SlicePlan plan_;
  std::int64_t k_ = 0;
  int rows_ = 0, n_tiles_ = 0;
  double range_w_ = 0.0, scale_w_ = 1.0;
  double offset_ = 0.0;  // 2^(w_bits-1) for offset weights, removed digitally; else 0
  MatrixF w_q_;
  std::vector<Column> columns_;
  // Integer kernels: the digit range of every input slice (over every possible x_q), the weight
  // columns packed once, and how each (slice, column) product runs ([slice * n_columns + c]).
  SliceKernel kernel_ = SliceKernel::Reference;
  std::vector<DigitRange> slice_ranges_;
  std::vector<PackedOperand> packed_;
  std::vector<SliceProductPlan> plans_;
};

/// One-shot convenience: BitSerialLinear(W, config).forward(X, bias, stats).
MatrixF bitserial_linear(const MatrixF& X, const MatrixF& W, const float* bias,
                         const BitSerialConfig& config, BitSerialStats* stats = nullptr);

}  // namespace cimba::numerics
