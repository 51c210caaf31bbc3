#include "vfio/text_parse.hpp"

#include <gtest/gtest.h>

namespace vfiokit {
namespace {

TEST(TextParse, NumbersAsSysfsWritesThem) {
  EXPECT_EQ(parse_u64("42\n"), 42u);
  EXPECT_EQ(parse_u64("  7 "), 7u);
  EXPECT_EQ(parse_u64("0x8086\n", 16), 0x8086u);
  EXPECT_EQ(parse_u64("10de", 16), 0x10deu);
  EXPECT_EQ(parse_u64("18446744073709551615"), UINT64_MAX);
  EXPECT_EQ(parse_i64("-1\n"), -1);
  EXPECT_EQ(parse_i64("3"), 3);
}

TEST(TextParse, RejectsWhatIsNotWhollyANumber) {
  for (const char* bad : {"", " ", "12abc", "-1", "+1", "1 2", "0x10", "18446744073709551616", "x"})
    EXPECT_FALSE(parse_u64(bad)) << "'" << bad << "'";
  for (const char* bad : {"", "0x", "0xg", "-0x1", "ffff ffff", "10000000000000000"})
    EXPECT_FALSE(parse_u64(bad, 16)) << "'" << bad << "'";
  for (const char* bad : {"", "--1", "+3", "1.5", "9223372036854775808"})
    EXPECT_FALSE(parse_i64(bad)) << "'" << bad << "'";
}

TEST(TextParse, IomemLines) {
  const auto r = parse_iomem_line("    fd000000-fdffffff : efifb");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->start, 0xfd000000u);
  EXPECT_EQ(r->end, 0xfdffffffu);
  EXPECT_EQ(r->name, "efifb");
  EXPECT_EQ(parse_iomem_line("00000000-00000000 : System RAM")->name, "System RAM");
  for (const char* bad : {"", "fd000000-fdffffff efifb", "fd000000 : x", "ff-00 : backwards",
                          "-ff : x", "zz-ff : x"})
    EXPECT_FALSE(parse_iomem_line(bad)) << "'" << bad << "'";
}

TEST(TextParse, ReservedRegionsAndResourceLines) {
  const auto rr = parse_reserved_region("0x00000000fee00000 0x00000000feefffff msi\n");
  ASSERT_TRUE(rr);
  EXPECT_EQ(rr->start, 0xfee00000u);
  EXPECT_EQ(rr->name, "msi");
  EXPECT_FALSE(parse_reserved_region("0x00000000fee00000 0x00000000feefffff"));
  EXPECT_FALSE(parse_reserved_region("0x2 0x1 direct"));

  const auto bar = parse_resource_line("0x00000000fe000000 0x00000000fe0fffff 0x0000000000040200");
  ASSERT_TRUE(bar);
  EXPECT_EQ(bar->end - bar->start + 1, 0x100000u);
  EXPECT_EQ(bar->flags, 0x40200u);
  EXPECT_TRUE(parse_resource_line("0x0000000000000000 0x0000000000000000 0x0000000000000000"));
  EXPECT_FALSE(parse_resource_line("0x10 0x0f 0x200"));
  EXPECT_FALSE(parse_resource_line("0x10 0x1f"));
}

TEST(TextParse, HugepagesAndLimits) {
  EXPECT_EQ(parse_hugepages_dir("hugepages-2048kB"), 2048u);
  EXPECT_EQ(parse_hugepages_dir("hugepages-1048576kB"), 1048576u);
  for (const char* bad : {"hugepages-kB", "hugepages-0kB", "hugepages-2048", "huge-2048kB", "hugepages--1kB"})
    EXPECT_FALSE(parse_hugepages_dir(bad)) << bad;
  constexpr const char* kLimit = "Max locked memory";
  EXPECT_EQ(parse_limit_line("Max locked memory         8388608              8388608              bytes",
                             kLimit),
            8388608u);
  EXPECT_EQ(parse_limit_line("Max locked memory         unlimited            unlimited            bytes",
                             kLimit),
            UINT64_MAX);
  EXPECT_FALSE(parse_limit_line("Max open files            1024                 1048576              files",
                                kLimit));
  EXPECT_FALSE(parse_limit_line("Max locked memory         lots  bytes", kLimit));
}

}  // namespace
}  // namespace vfiokit
