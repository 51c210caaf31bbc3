// json-schema-check SCHEMA FILE: FILE's JSON validated by SCHEMA with the tests' validator
// (json_schema.hpp), so a VM test can check a program's --json output inside the guest,
// where no Python is. Exit 0 valid, 1 invalid (each violation on stdout), 64 usage.
#include <cstdio>
#include <exception>
#include <fstream>

#include "tests/support/json_schema.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: json-schema-check SCHEMA FILE\n");
    return 64;
  }
  try {
    const auto schema = vfiokit::check::testing::JsonSchema::load(argv[1]);
    std::ifstream in(argv[2]);
    if (!in) {
      std::fprintf(stderr, "json-schema-check: cannot open %s\n", argv[2]);
      return 64;
    }
    const auto errors = schema.validate(nlohmann::json::parse(in));
    for (const auto& e : errors) std::printf("%s: %s\n", argv[2], e.c_str());
    if (errors.empty()) std::printf("%s: valid (%s)\n", argv[2], argv[1]);
    return errors.empty() ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "json-schema-check: %s: %s\n", argv[2], e.what());
    return 1;
  }
}
