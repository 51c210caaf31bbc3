#include "tools/vfiokit/output.hpp"

#include <algorithm>

namespace vfiokit::cli {
namespace {

size_t visible_width(const std::string& s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\x1b') {
      while (i < s.size() && s[i] != 'm') ++i;
      continue;
    }
    if ((static_cast<unsigned char>(s[i]) & 0xc0) != 0x80) ++n;  // UTF-8 lead bytes only
  }
  return n;
}

}  // namespace

std::string Painter::wrap(const char* code, const std::string& s) const {
  return on_ ? "\x1b[" + std::string(code) + "m" + s + "\x1b[0m" : s;
}

void Table::print(std::FILE* out, const std::string& indent) const {
  std::vector<size_t> width;
  for (const auto& r : rows_) {
    if (width.size() < r.size()) width.resize(r.size(), 0);
    for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], visible_width(r[i]));
  }
  for (const auto& r : rows_) {
    std::string line = indent;
    for (size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(width[i] - visible_width(r[i]) + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::fprintf(out, "%s\n", line.c_str());
  }
}

void print_json(const nlohmann::json& j) { std::printf("%s\n", j.dump(2).c_str()); }

}  // namespace vfiokit::cli
