// detail::format against what fmt prints for every form the core library uses.
#include "vfio/format.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace vfiokit {
namespace {

// Each case is formatted by both and must match byte for byte.
#define EXPECT_SAME(...) EXPECT_EQ(detail::format(__VA_ARGS__), fmt::format(__VA_ARGS__))

TEST(Format, PlainArguments) {
  const std::string s = "0000:00:02.0";
  EXPECT_SAME("{} region {}", s, 2u);
  EXPECT_SAME("{} {} {} {}", -5, int64_t{INT64_MIN}, uint64_t{UINT64_MAX}, uint8_t{7});
  EXPECT_SAME("{} {} {}", true, false, 'c');
  EXPECT_SAME("{} and {}", "text", std::string_view("view"));
  EXPECT_SAME("{} {} {}", 0.5, 1e20, 3.0);
  int x = 0;
  const void* p = &x;
  EXPECT_SAME("at {}", p);
  EXPECT_SAME("no placeholders");
  EXPECT_SAME("braces {{}} and {}", 1);
}

TEST(Format, HexForms) {
  for (const uint64_t v : {uint64_t{0}, uint64_t{0xab}, uint64_t{0xfee00000}, uint64_t{UINT64_MAX}}) {
    EXPECT_SAME("{:#x}", v);
    EXPECT_SAME("{:x}", v);
    EXPECT_SAME("{:02x}", v);
    EXPECT_SAME("{:04x}", v);
    EXPECT_SAME("{:06x}", v);
    EXPECT_SAME("{:#04x}", v);
    EXPECT_SAME("{:#06x}", v);
    EXPECT_SAME("{:#018x}", v);
    EXPECT_SAME("{:X} {:#X}", v, v);
  }
  EXPECT_SAME("{:#x} {:x} {:04x}", -26, -1, -3);
  EXPECT_SAME("{:04x}:{:02x}:{:02x}.{:x}", 0, 0x3a, 0x1f, 7);
  EXPECT_SAME("{:d} {:5} {:05}", 42, 42, -42);
}

TEST(Format, WhatIsNotOursPrintsAsWritten) {
  EXPECT_EQ(detail::format("{} {}", 1), "1 {}");         // no argument left
  EXPECT_EQ(detail::format("{:>8}", 1), "{:>8}");         // alignment is not supported
  EXPECT_EQ(detail::format("open {", 1), "open {");       // unterminated
  EXPECT_EQ(detail::format("{:.3f}", 1.0), "{:.3f}");    // precision is not supported
}

}  // namespace
}  // namespace vfiokit
