#pragma once
// Quamba2-style piecewise group scales of the SSM input and the scale-index lookup
// (NUMERICS.md 4). Channels c = (g * H + h) * P + d: G SSD groups x H heads x P head dims.
#include <cstdint>
#include <vector>

namespace cimba::numerics {

enum class Grouping { EqualSize, KMeans };

struct GroupLayout {
  int n_ssd_groups = 8;     // G
  int heads_per_group = 0;  // H (Mamba1: d_inner / (G P))
  int head_dim = 64;        // P
  std::int64_t channels() const { return std::int64_t{n_ssd_groups} * heads_per_group * head_dim; }
  /// Layout of a Mamba1 layer (no real heads): d_inner channels seen as G x (d_inner / (G P)) x P.
  /// Throws InvalidArgument unless P divides d_inner / G.
  static GroupLayout for_mamba1(std::int64_t d_inner, int n_ssd_groups, int head_dim);
};

/// The stored tables plus the offline channel permutation (kept as a map, original order).
struct GroupTables {
  int G = 1, HG = 1, DG = 1;
  GroupLayout layout;
  std::vector<std::int32_t> head_group_end;  // [G][HG], exclusive, ascending
  std::vector<std::int32_t> dim_group_end;   // [G][HG][DG], exclusive, ascending
  std::vector<float> scales;                 // [G][HG][DG]
  std::vector<std::int32_t> head_pos;        // [G][H]: reordered position of original head h
  std::vector<std::int32_t> dim_pos;         // [G][HG][P]: reordered position of original dim d

  /// Bytes of the hardware tables: 4 (G HG + G HG DG) int32 bounds + 4 G HG DG fp32 scales.
  std::int64_t table_bytes() const;
  /// Number of distinct scales (G HG DG).
  int n_scales() const { return G * HG * DG; }
};

struct GroupLookup {
  int head_group = 0, dim_group = 0;
  float scale = 1.0f;
  int comparisons = 0;  // comparisons a sequential walk makes (head bounds + dim bounds)
};

/// The lookup of (g, h, d) in reordered coordinates: the first hg with h < head_group_end[g][hg],
/// then the first dg with d < dim_group_end[g][hg][dg]; scale = scales[g][hg][dg].
/// Throws InvalidArgument for an index outside the tables.
GroupLookup group_lookup(const std::int32_t* head_group_end, const std::int32_t* dim_group_end,
                         const float* scales, int G, int HG, int DG, int g, int h, int d);
GroupLookup group_lookup(const GroupTables& tables, int g, int h, int d);

/// Where original channel c lands: (g, reordered h, reordered d) and its lookup.
GroupLookup group_lookup_channel(const GroupTables& tables, std::int64_t channel);

/// Calibration: `channel_range` [C] holds each channel's calibration statistic (absmax, or a
/// percentile). Heads are ordered by their range (max over their dims), ascending, and cut into
/// HG groups (equal size: bounds floor((i+1) n / HG); kmeans: optimal 1-D k-means on the ranges,
/// contiguous in sorted order); likewise the dims of each head group (a dim's range is its max
/// over the group's heads) into DG groups. Scale = group max / qmax(bits) (1 for a zero range).
/// Ties are broken by original index. Throws InvalidArgument if H < HG or P < DG.
GroupTables calibrate_group_scales(const std::vector<double>& channel_range,
                                   const GroupLayout& layout, int n_head_groups, int n_dim_groups,
                                   Grouping grouping, int bits = 8);

/// Quantizes token-major x [tokens, C] with each channel's group scale (INT`bits`) into x_hat
/// (may alias x). Returns the number of clamped elements.
std::int64_t group_fake_quantize(const float* x, std::int64_t tokens, const GroupTables& tables,
                                 float* x_hat, int bits = 8);

/// Cut points of n sorted values into k contiguous groups (exclusive ends, ascending):
/// equal size or optimal 1-D k-means (minimum within-group sum of squares, dynamic program).
std::vector<std::int32_t> split_sorted(const std::vector<double>& sorted_values, int k,
                                       Grouping grouping);

}  // namespace cimba::numerics
