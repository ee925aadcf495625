#include "workloads/io/json_text.hpp"

#include <set>
#include <vector>

namespace cimba::workloads {

nlohmann::json parse_json_text(const std::string& text, std::string& duplicate) {
  duplicate.clear();
  std::vector<std::set<std::string>> open_objects;  // keys seen in each object being parsed
  const nlohmann::json::parser_callback_t track = [&](int, nlohmann::json::parse_event_t event,
                                                      nlohmann::json& parsed) {
    switch (event) {
      case nlohmann::json::parse_event_t::object_start:
        open_objects.emplace_back();
        break;
      case nlohmann::json::parse_event_t::object_end:
        if (!open_objects.empty()) open_objects.pop_back();
        break;
      case nlohmann::json::parse_event_t::key: {
        const std::string& key = parsed.get_ref<const std::string&>();
        if (!open_objects.empty() && !open_objects.back().insert(key).second && duplicate.empty())
          duplicate = key;
        break;
      }
      default:
        break;
    }
    return true;
  };
  return nlohmann::json::parse(text, track);
}

}  // namespace cimba::workloads
