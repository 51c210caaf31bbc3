// A JSON Schema validator for the tests, of the keywords vfiokit's schemas use (type,
// enum, const, pattern (ECMAScript), required, properties, additionalProperties, items,
// $ref to #/$defs/...):
// Debian 12 has no JSON Schema library for C++, and python3-jsonschema is not among the
// build dependencies. A schema with any other keyword is refused, so a schema that
// grows past this subset fails its tests instead of being checked only in part.
#pragma once

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace vfiokit::check::testing {

class JsonSchema {
 public:
  explicit JsonSchema(nlohmann::json schema) : root_(std::move(schema)) {}

  static JsonSchema load(const std::string& path) {
    std::ifstream in(path);
    return JsonSchema(nlohmann::json::parse(in));
  }

  /// Every violation of `doc`, as "PATH: what"; empty when it is valid.
  std::vector<std::string> validate(const nlohmann::json& doc) const {
    std::vector<std::string> errors;
    check(root_, doc, "$", errors);
    return errors;
  }

 private:
  static bool is_type(const nlohmann::json& v, const std::string& t) {
    if (t == "object") return v.is_object();
    if (t == "array") return v.is_array();
    if (t == "string") return v.is_string();
    if (t == "integer") return v.is_number_integer();
    if (t == "number") return v.is_number();
    if (t == "boolean") return v.is_boolean();
    if (t == "null") return v.is_null();
    return false;
  }

  const nlohmann::json& resolve(const std::string& ref) const {
    const std::string prefix = "#/$defs/";
    if (ref.rfind(prefix, 0) != 0) throw std::runtime_error("unsupported $ref " + ref);
    return root_.at("$defs").at(ref.substr(prefix.size()));
  }

  void check(const nlohmann::json& s, const nlohmann::json& v, const std::string& path,
             std::vector<std::string>& errors) const {
    static const std::set<std::string> kKnown = {
        "$schema", "$id",  "title", "description", "$defs",      "$ref",
        "type",    "enum", "const", "required",    "properties", "additionalProperties",
        "items",   "pattern"};
    for (const auto& [key, _] : s.items())
      if (!kKnown.count(key)) errors.push_back(path + ": the test validator lacks keyword " + key);
    if (s.contains("$ref")) check(resolve(s["$ref"]), v, path, errors);
    if (s.contains("type")) {
      bool ok = false;
      if (s["type"].is_array()) {
        for (const auto& t : s["type"]) ok = ok || is_type(v, t);
      } else {
        ok = is_type(v, s["type"]);
      }
      if (!ok) errors.push_back(path + ": " + v.dump() + " is not of type " + s["type"].dump());
    }
    if (s.contains("pattern") && v.is_string() &&
        !std::regex_search(v.get<std::string>(), std::regex(s["pattern"].get<std::string>())))
      errors.push_back(path + ": " + v.dump() + " does not match " + s["pattern"].dump());
    if (s.contains("enum") && std::find(s["enum"].begin(), s["enum"].end(), v) == s["enum"].end())
      errors.push_back(path + ": " + v.dump() + " is not one of " + s["enum"].dump());
    if (s.contains("const") && v != s["const"])
      errors.push_back(path + ": " + v.dump() + " is not " + s["const"].dump());
    if (v.is_object()) {
      for (const auto& r : s.value("required", nlohmann::json::array()))
        if (!v.contains(r)) errors.push_back(path + ": lacks " + r.dump());
      const nlohmann::json props = s.value("properties", nlohmann::json::object());
      for (const auto& [key, val] : v.items()) {
        if (props.contains(key))
          check(props[key], val, path + "." + key, errors);
        else if (s.value("additionalProperties", true) == false)
          errors.push_back(path + ": has no property " + key + " in the schema");
      }
    }
    if (v.is_array() && s.contains("items"))
      for (size_t i = 0; i < v.size(); ++i)
        check(s["items"], v[i], path + "[" + std::to_string(i) + "]", errors);
  }

  nlohmann::json root_;
};

}  // namespace vfiokit::check::testing
