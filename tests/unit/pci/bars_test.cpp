#include <gtest/gtest.h>

#include "pci/bar.hpp"
#include "tests/support/fixture_tree.hpp"
#include "vfiokit/vfio/error.hpp"

namespace vfiokit::pci {
namespace {

const std::string kBdf = "0000:01:00.0";

// A GPU as sysfs lists it: BAR0 32-bit, BAR1 64-bit prefetchable above 4 GiB (its upper
// half, line 3, reads as zeros), an I/O BAR, a ROM, then a bridge-style window line.
constexpr const char* kGpuResource =
    "0x00000000fb000000 0x00000000fbffffff 0x0000000000040200\n"
    "0x0000006000000000 0x00000067ffffffff 0x000000000014220c\n"
    "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
    "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
    "0x000000000000e000 0x000000000000e07f 0x0000000000040101\n"
    "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
    "0x00000000fc000000 0x00000000fc07ffff 0x0000000000046200\n"
    "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
    "this line is past the ROM and never read\n";

TEST(Bars, ParsesEveryListedBarAndTheRom) {
  const auto bars = parse_bars(kGpuResource, "resource");
  ASSERT_EQ(bars.size(), 4u);
  EXPECT_EQ(bars[0].index, 0u);
  EXPECT_EQ(bars[0].size, 16u << 20);
  EXPECT_FALSE(bars[0].mem64 || bars[0].io || bars[0].above_4g());
  EXPECT_TRUE(bars[0].assigned);
  EXPECT_EQ(bars[1].index, 1u);
  EXPECT_EQ(bars[1].start, 0x6000000000u);
  EXPECT_EQ(bars[1].end, 0x67ffffffffu);
  EXPECT_EQ(bars[1].size, 32ull << 30);
  EXPECT_TRUE(bars[1].mem64 && bars[1].prefetchable && bars[1].above_4g());
  EXPECT_EQ(bars[2].index, 4u);
  EXPECT_TRUE(bars[2].io);
  EXPECT_EQ(bars[2].size, 0x80u);
  EXPECT_TRUE(bars[3].is_rom());
  EXPECT_FALSE(bars[0].is_rom());
}

TEST(Bars, ABarTheKernelCouldNotPlaceIsListedUnassigned) {
  // IORESOURCE_UNSET (0x20000000): the size is known, the address is not.
  const auto bars = parse_bars("0x0000000000000000 0x0000000fffffffff 0x000000002014220c\n", "r");
  ASSERT_EQ(bars.size(), 1u);
  EXPECT_FALSE(bars[0].assigned);
  EXPECT_EQ(bars[0].size, 64ull << 30);
}

TEST(Bars, EmptyTextHasNoBars) {
  EXPECT_TRUE(parse_bars("", "resource").empty());
  EXPECT_TRUE(parse_bars("0x0 0x0 0x0\n", "resource").empty());
}

TEST(Bars, AMalformedLineIsAnErrorNamingTheFileAndTheLine) {
  for (const char* text : {"0x1000 0x1fff\n",                       // two fields
                           "0x1000 0x1fff 0x200 0x0\n",             // four
                           "0x1fff 0x1000 0x200\n",                 // end before start
                           "0x1000 0x1fffzz 0x200\n",               // trailing garbage
                           "0x0 0x0 0x0\n\n0x1000 0x1fff 0x200\n",  // an empty line 2
                           "-0x1000 0x1fff 0x200\n",                // a sign
                           "0x10000000000000000 0x1 0x200\n"})      // past 64 bits
  {
    try {
      parse_bars(text, "/sys/bus/pci/devices/0000:01:00.0/resource");
      ADD_FAILURE() << "accepted: " << text;
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("/sys/bus/pci/devices/0000:01:00.0/resource"), std::string::npos) << what;
      EXPECT_NE(what.find("line "), std::string::npos) << what;
      EXPECT_EQ(e.error_code(), EINVAL);
    }
  }
}

TEST(Bars, ReadsTheDevicesResourceFileUnderTheRoot) {
  fixtures::FixtureTree tree;
  tree.add_device({.bdf = kBdf});
  const Sysfs sysfs(tree.root());
  tree.remove(tree.device_path(kBdf) + "/resource");
  EXPECT_TRUE(read_bars(sysfs, kBdf).empty()) << "no resource file: no BARs";
  tree.attribute(kBdf, "resource", kGpuResource);
  EXPECT_EQ(read_bars(sysfs, kBdf).size(), 4u);
  tree.attribute(kBdf, "resource", "garbage\n");
  try {
    read_bars(sysfs, kBdf);
    ADD_FAILURE() << "a garbage resource file was accepted";
  } catch (const Error& e) {
    EXPECT_NE(
        std::string(e.what()).find((Sysfs(tree.root()).device_dir(kBdf) / "resource").string()),
        std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace vfiokit::pci
