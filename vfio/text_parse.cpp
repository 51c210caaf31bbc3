#include "vfio/text_parse.hpp"

#include <algorithm>
#include <charconv>
#include <limits>
#include <type_traits>
#include <vector>

namespace vfiokit {
namespace {

constexpr std::string_view kBlanks = " \t\n\r";

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(kBlanks);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(kBlanks) - first + 1);
}

std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (true) {
    i = s.find_first_not_of(kBlanks, i);
    if (i == std::string_view::npos) return out;
    const size_t end = std::min(s.find_first_of(kBlanks, i), s.size());
    out.push_back(s.substr(i, end - i));
    i = end;
  }
}

template <typename T>
std::optional<T> whole(std::string_view s, int base) {
  if (s.empty() || s.front() == '+' || (s.front() == '-' && std::is_unsigned_v<T>)) return std::nullopt;
  T v{};
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

std::optional<uint64_t> parse_u64(std::string_view text, int base) {
  std::string_view s = trim(text);
  if (base == 16 && s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s.remove_prefix(2);
  return whole<uint64_t>(s, base);
}

std::optional<int64_t> parse_i64(std::string_view text) { return whole<int64_t>(trim(text), 10); }

std::optional<NamedRange> parse_iomem_line(std::string_view line) {
  const auto colon = line.find(" : ");
  if (colon == std::string_view::npos) return std::nullopt;
  const std::string_view range = trim(line.substr(0, colon));
  const auto dash = range.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  const auto start = whole<uint64_t>(range.substr(0, dash), 16);
  const auto end = whole<uint64_t>(range.substr(dash + 1), 16);
  if (!start || !end || *end < *start) return std::nullopt;
  return NamedRange{*start, *end, std::string(trim(line.substr(colon + 3)))};
}

std::optional<NamedRange> parse_reserved_region(std::string_view line) {
  const auto w = words(line);
  if (w.size() != 3) return std::nullopt;
  const auto start = parse_u64(w[0], 16), end = parse_u64(w[1], 16);
  if (!start || !end || *end < *start) return std::nullopt;
  return NamedRange{*start, *end, std::string(w[2])};
}

std::optional<ResourceLine> parse_resource_line(std::string_view line) {
  const auto w = words(line);
  if (w.size() != 3) return std::nullopt;
  const auto start = parse_u64(w[0], 16), end = parse_u64(w[1], 16), flags = parse_u64(w[2], 16);
  // An unused BAR reads as three zeros; otherwise end >= start.
  if (!start || !end || !flags || (*end < *start && (*start || *end))) return std::nullopt;
  return ResourceLine{*start, *end, *flags};
}

std::optional<uint64_t> parse_hugepages_dir(std::string_view name) {
  constexpr std::string_view kPrefix = "hugepages-", kSuffix = "kB";
  if (name.size() <= kPrefix.size() + kSuffix.size() || name.substr(0, kPrefix.size()) != kPrefix ||
      name.substr(name.size() - kSuffix.size()) != kSuffix)
    return std::nullopt;
  const auto kb = whole<uint64_t>(
      name.substr(kPrefix.size(), name.size() - kPrefix.size() - kSuffix.size()), 10);
  if (!kb || *kb == 0) return std::nullopt;
  return kb;
}

std::optional<uint64_t> parse_limit_line(std::string_view line, std::string_view limit) {
  if (line.substr(0, limit.size()) != limit) return std::nullopt;
  const auto w = words(line.substr(limit.size()));
  if (w.empty()) return std::nullopt;
  if (w[0] == "unlimited") return std::numeric_limits<uint64_t>::max();
  return whole<uint64_t>(w[0], 10);
}

}  // namespace vfiokit
