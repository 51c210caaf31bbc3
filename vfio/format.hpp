// String formatting for the core library's messages, so that libvfiokit needs nothing but
// the C++ standard library and the kernel's UAPI headers (GCC 12 has no <format>; the
// tools and tests still use fmt). The subset of the std::format / fmt mini-language the
// library's messages use: "{}" for strings, integers, bool, char, floating point and
// pointers (0x...), and
// for integers "{:[#][0][width][x|X|d]}" ("{:#x}" -> 0x1f, "{:#06x}" -> 0x001f,
// "{:02x}" -> 0f); "{{" and "}}" are braces. A placeholder past the last argument, or a
// spec outside that subset, prints as written (tests/unit/format_test.cpp pins each form).
#pragma once

#include <charconv>
#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

namespace vfiokit::detail {

/// One argument, type-erased: an integer (with its sign), a string, or a double.
struct FormatArg {
  enum class Kind { kSigned, kUnsigned, kString, kDouble, kBool, kChar, kPointer } kind;
  int64_t i = 0;
  uint64_t u = 0;
  double d = 0;
  std::string_view s;
};

template <class T>
FormatArg format_arg(const T& v) {
  using U = std::remove_cvref_t<T>;
  if constexpr (std::is_same_v<U, bool>) {
    return {FormatArg::Kind::kBool, 0, v ? 1u : 0u, 0, {}};
  } else if constexpr (std::is_same_v<U, char>) {
    return {FormatArg::Kind::kChar, 0, static_cast<unsigned char>(v), 0, {}};
  } else if constexpr (std::is_enum_v<U>) {
    static_assert(!std::is_enum_v<U>, "format an enum through its name or std::to_underlying");
    return {};
  } else if constexpr (std::is_integral_v<U> && std::is_signed_v<U>) {
    return {FormatArg::Kind::kSigned, static_cast<int64_t>(v), 0, 0, {}};
  } else if constexpr (std::is_integral_v<U>) {
    return {FormatArg::Kind::kUnsigned, 0, static_cast<uint64_t>(v), 0, {}};
  } else if constexpr (std::is_pointer_v<U> && !std::is_convertible_v<U, std::string_view>) {
    return {FormatArg::Kind::kPointer, 0, reinterpret_cast<uintptr_t>(v), 0, {}};
  } else if constexpr (std::is_floating_point_v<U>) {
    return {FormatArg::Kind::kDouble, 0, 0, static_cast<double>(v), {}};
  } else {
    static_assert(
        std::is_convertible_v<const U&, std::string_view>,
        "detail::format takes strings, integers, bool, char, floating point and pointers");
    return {FormatArg::Kind::kString, 0, 0, 0, std::string_view(v)};
  }
}

std::string vformat(std::string_view fmt, const FormatArg* args, size_t n);

/// std::format's "{}" and integer "{:#0Nx}" forms (see above) into a new string.
template <class... Args>
std::string format(std::string_view fmt, const Args&... args) {
  if constexpr (sizeof...(Args) == 0) {
    return vformat(fmt, nullptr, 0);
  } else {
    const FormatArg a[] = {format_arg(args)...};
    return vformat(fmt, a, sizeof...(Args));
  }
}

}  // namespace vfiokit::detail
