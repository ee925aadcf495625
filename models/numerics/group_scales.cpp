#include "models/numerics/group_scales.hpp"

#include <algorithm>
#include <limits>
#include <numeric>
#include <string>

#include "models/common/error.hpp"
#include "models/numerics/quantize.hpp"

namespace cimba::numerics {

GroupLayout GroupLayout::for_mamba1(std::int64_t d_inner, int n_ssd_groups, int head_dim) {
  if (n_ssd_groups < 1 || head_dim < 1)
    throw InvalidArgument("n_ssd_groups and head_dim must be >= 1");
  if (d_inner % (std::int64_t{n_ssd_groups} * head_dim) != 0)
    throw InvalidArgument("head_dim " + std::to_string(head_dim) + " must divide d_inner / G = " +
                          std::to_string(d_inner) + " / " + std::to_string(n_ssd_groups));
  GroupLayout l;
  l.n_ssd_groups = n_ssd_groups;
  l.head_dim = head_dim;
  l.heads_per_group = static_cast<int>(d_inner / (std::int64_t{n_ssd_groups} * head_dim));
  return l;
}

std::int64_t GroupTables::table_bytes() const {
  return 4 * (std::int64_t{G} * HG + std::int64_t{G} * HG * DG) + 4 * std::int64_t{G} * HG * DG;
}

GroupLookup group_lookup(const std::int32_t* head_group_end, const std::int32_t* dim_group_end,
                         const float* scales, int G, int HG, int DG, int g, int h, int d) {
  if (g < 0 || g >= G) throw InvalidArgument("group lookup: g out of range");
  GroupLookup r;
  int hg = 0;
  while (hg < HG && !(h < head_group_end[g * HG + hg])) ++hg;
  r.comparisons += std::min(hg + 1, HG);
  if (hg == HG || h < 0)
    throw InvalidArgument("group lookup: head index " + std::to_string(h) + " outside the table");
  const std::int32_t* dim_end = dim_group_end + (std::int64_t{g} * HG + hg) * DG;
  int dg = 0;
  while (dg < DG && !(d < dim_end[dg])) ++dg;
  r.comparisons += std::min(dg + 1, DG);
  if (dg == DG || d < 0)
    throw InvalidArgument("group lookup: dim index " + std::to_string(d) + " outside the table");
  r.head_group = hg;
  r.dim_group = dg;
  r.scale = scales[(std::int64_t{g} * HG + hg) * DG + dg];
  return r;
}

GroupLookup group_lookup(const GroupTables& t, int g, int h, int d) {
  return group_lookup(t.head_group_end.data(), t.dim_group_end.data(), t.scales.data(), t.G, t.HG,
                      t.DG, g, h, d);
}

GroupLookup group_lookup_channel(const GroupTables& t, std::int64_t c) {
  const int P = t.layout.head_dim, H = t.layout.heads_per_group;
  if (c < 0 || c >= t.layout.channels())
    throw InvalidArgument("group lookup: channel out of range");
  const int d = static_cast<int>(c % P);
  const int h = static_cast<int>((c / P) % H);
  const int g = static_cast<int>(c / (std::int64_t{P} * H));
  const int hr = t.head_pos[std::int64_t{g} * H + h];
  int hg = 0;
  while (!(hr < t.head_group_end[g * t.HG + hg])) ++hg;
  const int dr = t.dim_pos[(std::int64_t{g} * t.HG + hg) * P + d];
  return group_lookup(t, g, hr, dr);
}

std::vector<std::int32_t> split_sorted(const std::vector<double>& v, int k, Grouping grouping) {
  const int n = static_cast<int>(v.size());
  if (k < 1 || n < k)
    throw InvalidArgument("cannot split " + std::to_string(n) + " items into " + std::to_string(k) +
                          " groups");
  std::vector<std::int32_t> ends(k);
  if (grouping == Grouping::EqualSize) {
    for (int i = 0; i < k; ++i) ends[i] = static_cast<std::int32_t>((std::int64_t{i + 1} * n) / k);
    return ends;
  }
  // Optimal 1-D k-means: cost[j][i] = least within-group sum of squares of v[0, i) in j groups.
  std::vector<double> pre(n + 1, 0.0), pre2(n + 1, 0.0);
  for (int i = 0; i < n; ++i) {
    pre[i + 1] = pre[i] + v[i];
    pre2[i + 1] = pre2[i] + v[i] * v[i];
  }
  auto sse = [&](int a, int b) {  // items [a, b)
    const double s = pre[b] - pre[a], s2 = pre2[b] - pre2[a];
    return std::max(0.0, s2 - s * s / (b - a));
  };
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<std::vector<double>> cost(k + 1, std::vector<double>(n + 1, inf));
  std::vector<std::vector<int>> cut(k + 1, std::vector<int>(n + 1, 0));
  cost[0][0] = 0.0;
  for (int j = 1; j <= k; ++j)
    for (int i = j; i <= n - (k - j); ++i)
      for (int a = j - 1; a < i; ++a) {
        if (cost[j - 1][a] == inf) continue;
        const double c = cost[j - 1][a] + sse(a, i);
        if (c < cost[j][i] - 1e-12 * std::max(1.0, c)) {  // strict: the earliest cut wins ties
          cost[j][i] = c;
          cut[j][i] = a;
        }
      }
  int i = n;
  for (int j = k; j >= 1; --j) {
    ends[j - 1] = i;
    i = cut[j][i];
  }
  return ends;
}

namespace {
// Indices 0..n-1 ordered by value ascending, ties by index.
std::vector<int> order_by(const std::vector<double>& values) {
  std::vector<int> idx(values.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](int a, int b) { return values[a] < values[b]; });
  return idx;
}
}  // namespace

GroupTables calibrate_group_scales(const std::vector<double>& channel_range,
                                   const GroupLayout& layout, int HG, int DG, Grouping grouping,
                                   int bits) {
  const int G = layout.n_ssd_groups, H = layout.heads_per_group, P = layout.head_dim;
  if (static_cast<std::int64_t>(channel_range.size()) != layout.channels())
    throw InvalidArgument("calibrate_group_scales: " + std::to_string(channel_range.size()) +
                          " channel ranges for a layout of " + std::to_string(layout.channels()));
  if (HG < 1 || HG > H)
    throw InvalidArgument("n_head_groups must be in 1..heads per SSD group (" + std::to_string(H) +
                          ")");
  if (DG < 1 || DG > P)
    throw InvalidArgument("n_dim_groups must be in 1..head_dim (" + std::to_string(P) + ")");
  GroupTables t;
  t.G = G;
  t.HG = HG;
  t.DG = DG;
  t.layout = layout;
  t.head_group_end.resize(std::size_t(G) * HG);
  t.dim_group_end.resize(std::size_t(G) * HG * DG);
  t.scales.resize(std::size_t(G) * HG * DG);
  t.head_pos.resize(std::size_t(G) * H);
  t.dim_pos.resize(std::size_t(G) * HG * P);
  auto range_of = [&](int g, int h, int d) {
    return channel_range[(std::size_t(g) * H + h) * P + d];
  };
  for (int g = 0; g < G; ++g) {
    std::vector<double> head_range(H, 0.0);
    for (int h = 0; h < H; ++h)
      for (int d = 0; d < P; ++d) head_range[h] = std::max(head_range[h], range_of(g, h, d));
    const std::vector<int> head_order = order_by(head_range);
    std::vector<double> sorted_heads(H);
    for (int i = 0; i < H; ++i) {
      sorted_heads[i] = head_range[head_order[i]];
      t.head_pos[std::size_t(g) * H + head_order[i]] = i;
    }
    const std::vector<std::int32_t> head_ends = split_sorted(sorted_heads, HG, grouping);
    int h_begin = 0;
    for (int hg = 0; hg < HG; ++hg) {
      t.head_group_end[std::size_t(g) * HG + hg] = head_ends[hg];
      std::vector<double> dim_range(P, 0.0);
      for (int i = h_begin; i < head_ends[hg]; ++i)
        for (int d = 0; d < P; ++d)
          dim_range[d] = std::max(dim_range[d], range_of(g, head_order[i], d));
      const std::vector<int> dim_order = order_by(dim_range);
      std::vector<double> sorted_dims(P);
      for (int i = 0; i < P; ++i) {
        sorted_dims[i] = dim_range[dim_order[i]];
        t.dim_pos[(std::size_t(g) * HG + hg) * P + dim_order[i]] = i;
      }
      const std::vector<std::int32_t> dim_ends = split_sorted(sorted_dims, DG, grouping);
      int d_begin = 0;
      for (int dg = 0; dg < DG; ++dg) {
        const std::size_t at = (std::size_t(g) * HG + hg) * DG + dg;
        t.dim_group_end[at] = dim_ends[dg];
        double group_max = 0.0;
        for (int i = d_begin; i < dim_ends[dg]; ++i)
          group_max = std::max(group_max, sorted_dims[i]);
        t.scales[at] = static_cast<float>(scale_for_range(group_max, bits));
        d_begin = dim_ends[dg];
      }
      h_begin = head_ends[hg];
    }
  }
  return t;
}

std::int64_t group_fake_quantize(const float* x, std::int64_t tokens, const GroupTables& t,
                                 float* x_hat, int bits) {
  const std::int64_t C = t.layout.channels();
  std::vector<double> scale(C);
  for (std::int64_t c = 0; c < C; ++c) scale[c] = group_lookup_channel(t, c).scale;
  std::int64_t clamped = 0;
  for (std::int64_t i = 0; i < tokens; ++i)
    for (std::int64_t c = 0; c < C; ++c) {
      const float* src = x + i * C + c;
      float* dst = x_hat + i * C + c;
      clamped += quantize(src, 1, Quantizer::from_scale(scale[c], bits), nullptr, dst).saturated;
    }
  return clamped;
}

}  // namespace cimba::numerics
