#include "sim/sweep_results.hpp"

#include <algorithm>
#include <fstream>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "models/common/error.hpp"
#include "sim/atomic_file.hpp"
#include "sim/config.hpp"

namespace cimba::sim {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

std::optional<std::string> read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// Splits CSV text into rows of fields (RFC 4180 quoting).
std::vector<std::vector<std::string>> parse_csv(const std::string& text,
                                                const std::string& source) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false, row_has_content = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
      row_has_content = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
      row_has_content = true;
    } else if (c == '\n') {
      row.push_back(std::move(field));
      field.clear();
      rows.push_back(std::move(row));
      row.clear();
      row_has_content = false;
    } else if (c != '\r') {
      field += c;
      row_has_content = true;
    }
  }
  if (quoted) throw FormatError(source + ": unterminated quoted field");
  if (row_has_content) {
    row.push_back(std::move(field));
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string metric_text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return v.dump();  // numbers: shortest text that reads back the same double; bools: true/false
}

void flatten_metrics(const json& object, const std::string& prefix,
                     std::vector<std::pair<std::string, std::string>>& out) {
  for (const auto& [name, value] : object.items()) {
    if (value.is_object())
      flatten_metrics(value, prefix + name + ".", out);
    else if (!value.is_array())
      out.emplace_back(prefix + name, metric_text(value));
  }
}

/// The parsed result.json of a complete point, or null.
json complete_result(const fs::path& point_dir, const RunConfig& config) {
  const auto text = read_file(point_dir / "result.json");
  if (!text || !fs::exists(point_dir / "layers.csv")) return nullptr;
  json result = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!result.is_object() || !result.contains("config") || !result["config"].is_object())
    return nullptr;
  json actual = result["config"];
  if (config.calib.save.empty() && config.calib.load.empty() && actual.contains("calib") &&
      actual["calib"].is_object()) {
    // The sweep passes these to share a calibration; they do not change the numbers.
    if (actual["calib"].contains("save")) actual["calib"]["save"] = "";
    if (actual["calib"].contains("load")) actual["calib"]["load"] = "";
  }
  // The sweep runs points that leave threads at 0 with threads 1; results do not depend on it.
  if (config.threads == 0 && actual.contains("threads")) actual["threads"] = 0;
  if (actual != config_to_json(config)) return nullptr;
  return result;
}

}  // namespace

std::string csv_field(const std::string& text) {
  const bool quote = text.find_first_of(",\"\n\r") != std::string::npos ||
                     (!text.empty() && (text.front() == ' ' || text.back() == ' '));
  if (!quote) return text;
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string render_points_csv(const SweepTable& table) {
  std::string out = "point";
  for (const std::string& key : table.keys) out += "," + csv_field(key);
  out += "\n";
  for (const SweepTable::Row& row : table.rows) {
    out += csv_field(row.id);
    for (const std::string& v : row.values) out += "," + csv_field(v);
    out += "\n";
  }
  return out;
}

SweepTable parse_points_csv(const std::string& text, const std::string& source) {
  const auto rows = parse_csv(text, source);
  if (rows.empty() || rows.front().empty() || rows.front().front() != "point")
    throw FormatError(source + ": not a sweep points.csv (the header must start with 'point')");
  SweepTable table;
  table.keys.assign(rows.front().begin() + 1, rows.front().end());
  for (std::size_t r = 1; r < rows.size(); ++r) {
    if (rows[r].size() != rows.front().size())
      throw FormatError(source + ": row " + std::to_string(r + 1) + " has " +
                        std::to_string(rows[r].size()) + " fields, the header " +
                        std::to_string(rows.front().size()));
    const std::string& id = rows[r].front();
    if (id.empty() || id.find('/') != std::string::npos || id == "." || id == "..")
      throw FormatError(source + ": row " + std::to_string(r + 1) + ": invalid point id '" + id +
                        "'");
    table.rows.push_back({id, std::vector<std::string>(rows[r].begin() + 1, rows[r].end())});
  }
  return table;
}

bool point_result_complete(const fs::path& point_dir, const RunConfig& config) {
  return !complete_result(point_dir, config).is_null();
}

SweepMerge merge_sweep_results(const fs::path& dir, const SweepTable& table) {
  struct Row {
    const SweepTable::Row* point;
    std::string status;
    std::vector<std::pair<std::string, std::string>> metrics;
  };
  std::vector<Row> rows;
  std::vector<std::string> metric_names;
  for (const SweepTable::Row& point : table.rows) {
    Row row{&point, "pending", {}};
    const fs::path point_dir = dir / "points" / point.id;
    json result = nullptr;
    if (fs::exists(point_dir / "config.yaml") && fs::exists(point_dir / "result.json")) {
      try {
        result = complete_result(point_dir, load_run_config(point_dir / "config.yaml", {}));
      } catch (const Error&) {
        result = nullptr;  // an unreadable or invalid config.yaml: not a usable result
      }
    }
    if (!result.is_null()) {
      row.status = "ok";
      if (result.contains("metrics") && result["metrics"].is_object())
        flatten_metrics(result["metrics"], "", row.metrics);
      // The headline hardware figures (latency, energy, area) of workloads that run on the
      // modelled accelerator; per-layer and per-component arrays stay in result.json.
      if (result.contains("hardware") && result["hardware"].is_object())
        for (const char* section : {"totals", "area"})
          if (result["hardware"].contains(section) && result["hardware"][section].is_object())
            flatten_metrics(result["hardware"][section], std::string("hardware.") + section + ".",
                            row.metrics);
      for (const auto& [name, value] : row.metrics)
        if (std::find(metric_names.begin(), metric_names.end(), name) == metric_names.end())
          metric_names.push_back(name);
    } else if (fs::exists(point_dir / "failed.txt")) {
      row.status = "failed";
    }
    rows.push_back(std::move(row));
  }
  std::sort(rows.begin(), rows.end(),
            [](const Row& a, const Row& b) { return a.point->id < b.point->id; });

  SweepMerge merged;
  std::string& out = merged.csv;
  out = "point";
  for (const std::string& key : table.keys) out += "," + csv_field(key);
  out += ",status";
  for (const std::string& name : metric_names) out += "," + csv_field(name);
  out += "\n";
  for (const Row& row : rows) {
    out += csv_field(row.point->id);
    for (const std::string& v : row.point->values) out += "," + csv_field(v);
    out += "," + row.status;
    ++(row.status == "ok" ? merged.ok : row.status == "failed" ? merged.failed : merged.pending);
    for (const std::string& name : metric_names) {
      out += ",";
      for (const auto& [n, v] : row.metrics)
        if (n == name) out += csv_field(v);
    }
    out += "\n";
  }
  return merged;
}

SweepMerge merge_sweep_directory(const fs::path& dir) {
  const fs::path points_csv = dir / "points.csv";
  const auto text = read_file(points_csv);
  if (!text)
    throw IoError(points_csv.string() + ": not found (is " + dir.string() +
                  " the --out directory of a sweep?)");
  const SweepTable table = parse_points_csv(*text, points_csv.string());
  SweepMerge merged = merge_sweep_results(dir, table);
  write_file_atomic(dir / "sweep.csv", merged.csv);
  return merged;
}

}  // namespace cimba::sim
