#include "vfio/format.hpp"

#include <array>
#include <optional>

namespace vfiokit::detail {
namespace {

struct Spec {
  bool alt = false;   // '#': 0x prefix
  bool zero = false;  // '0': pad with zeros after the sign and prefix
  size_t width = 0;
  char type = 0;  // 0, 'd', 'x' or 'X'
};

// "" or ":[#][0][width][type]"; nullopt for anything else.
std::optional<Spec> parse_spec(std::string_view s) {
  Spec spec;
  if (s.empty()) return spec;
  if (s[0] != ':') return std::nullopt;
  s.remove_prefix(1);
  if (!s.empty() && s[0] == '#') {
    spec.alt = true;
    s.remove_prefix(1);
  }
  if (!s.empty() && s[0] == '0') {
    spec.zero = true;
    s.remove_prefix(1);
  }
  while (!s.empty() && s[0] >= '0' && s[0] <= '9') {
    spec.width = spec.width * 10 + static_cast<size_t>(s[0] - '0');
    if (spec.width > 64) return std::nullopt;
    s.remove_prefix(1);
  }
  if (!s.empty() && (s[0] == 'x' || s[0] == 'X' || s[0] == 'd')) {
    spec.type = s[0];
    s.remove_prefix(1);
  }
  if (!s.empty()) return std::nullopt;
  return spec;
}

void put_integer(std::string& out, bool negative, uint64_t magnitude, const Spec& spec) {
  const bool hex = spec.type == 'x' || spec.type == 'X';
  std::array<char, 24> digits{};
  auto [end, ec] =
      std::to_chars(digits.data(), digits.data() + digits.size(), magnitude, hex ? 16 : 10);
  std::string body(digits.data(), end);
  if (spec.type == 'X')
    for (char& c : body) c = static_cast<char>(c >= 'a' && c <= 'f' ? c - 'a' + 'A' : c);
  std::string prefix = negative ? "-" : "";
  if (spec.alt && hex) prefix += spec.type == 'X' ? "0X" : "0x";
  const size_t len = prefix.size() + body.size();
  if (len < spec.width) {
    if (spec.zero)
      body.insert(0, spec.width - len, '0');
    else
      prefix.insert(0, spec.width - len, ' ');
  }
  out += prefix;
  out += body;
}

void put_arg(std::string& out, const FormatArg& a, const Spec& spec) {
  switch (a.kind) {
    case FormatArg::Kind::kSigned:
      put_integer(out, a.i < 0,
                  a.i < 0 ? 0 - static_cast<uint64_t>(a.i) : static_cast<uint64_t>(a.i), spec);
      return;
    case FormatArg::Kind::kUnsigned:
      put_integer(out, false, a.u, spec);
      return;
    case FormatArg::Kind::kPointer:
      put_integer(out, false, a.u, Spec{true, false, 0, 'x'});
      return;
    case FormatArg::Kind::kBool:
      out += a.u ? "true" : "false";
      return;
    case FormatArg::Kind::kChar:
      out += static_cast<char>(a.u);
      return;
    case FormatArg::Kind::kString:
      out += a.s;
      return;
    case FormatArg::Kind::kDouble: {
      std::array<char, 32> buf{};
      auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), a.d);
      out.append(buf.data(), end);
      return;
    }
  }
}

}  // namespace

std::string vformat(std::string_view fmt, const FormatArg* args, size_t n) {
  std::string out;
  out.reserve(fmt.size() + 16 * n);
  size_t next = 0;
  for (size_t i = 0; i < fmt.size(); ++i) {
    const char c = fmt[i];
    if ((c == '{' || c == '}') && i + 1 < fmt.size() && fmt[i + 1] == c) {
      out += c;
      ++i;
      continue;
    }
    if (c != '{') {
      out += c;
      continue;
    }
    const size_t close = fmt.find('}', i);
    const std::optional<Spec> spec = close == std::string_view::npos
                                         ? std::nullopt
                                         : parse_spec(fmt.substr(i + 1, close - i - 1));
    if (!spec || next >= n) {  // not ours, or no argument left: as written
      const size_t stop = close == std::string_view::npos ? fmt.size() : close + 1;
      out += fmt.substr(i, stop - i);
      i = stop - 1;
      continue;
    }
    put_arg(out, args[next++], *spec);
    i = close;
  }
  return out;
}

}  // namespace vfiokit::detail
