#include "pci/link.hpp"

#include <gtest/gtest.h>

#include "tests/support/fixture_tree.hpp"

namespace vfiokit::pci {
namespace {

const std::string kBdf = "0000:01:00.0";

TEST(Link, ParsesTheSpeedsTheKernelWrites) {
  EXPECT_EQ(parse_sysfs_link_speed("2.5 GT/s PCIe\n"), 2.5);
  EXPECT_EQ(parse_sysfs_link_speed("32.0 GT/s PCIe"), 32.0);
  EXPECT_EQ(parse_sysfs_link_speed("8 GT/s"), 8.0);  // kernels before 5.x
  EXPECT_EQ(parse_sysfs_link_speed("Unknown"), 0.0);
}

TEST(Link, AnythingElseIsAnUnknownSpeed) {
  for (const char* text :
       {"", "GT/s", "16.0", "16.0 GB/s", "16.0abc GT/s", "-8 GT/s", "+8 GT/s", "0 GT/s", "nan GT/s",
        "inf GT/s", "1e1 GT/s", "8 GT/s PCIe extra", "8 GT/s SATA"})
    EXPECT_EQ(parse_sysfs_link_speed(text), 0.0) << '"' << text << '"';
}

TEST(Link, GenerationsOfTheStandardRates) {
  EXPECT_EQ(pcie_gen_of(2.5), 1u);
  EXPECT_EQ(pcie_gen_of(16.0), 4u);
  EXPECT_EQ(pcie_gen_of(64.0), 6u);
  EXPECT_EQ(pcie_gen_of(0), 0u);
  EXPECT_EQ(pcie_gen_of(3.0), 0u);
}

void write_link(fixtures::FixtureTree& t, const char* max_width) {
  t.attribute(kBdf, "current_link_speed", "8.0 GT/s PCIe\n");
  t.attribute(kBdf, "max_link_speed", "16.0 GT/s PCIe\n");
  t.attribute(kBdf, "current_link_width", "8\n");
  t.attribute(kBdf, "max_link_width", max_width);
}

TEST(Link, Without256BytesOfConfigTheLinkComesFromSysfs) {
  fixtures::FixtureTree tree;
  tree.add_device({.bdf = kBdf});
  write_link(tree, "16\n");
  const auto r = read_link(ConfigSpace({}), Sysfs(tree.root()), kBdf);
  ASSERT_TRUE(r.link);
  EXPECT_EQ(r.source, "sysfs");
  EXPECT_EQ(r.link->cur_gen, 3u);
  EXPECT_EQ(r.link->max_gen, 4u);
  EXPECT_EQ(r.link->cur_width, 8u);
  EXPECT_EQ(r.link->max_width, 16u);
}

TEST(Link, AWidthThatIsNotANumberOrPastX32GivesNoLink) {
  for (const char* width : {"x16\n", "16abc\n", "-16\n", "255\n", "\n"}) {
    fixtures::FixtureTree tree;
    tree.add_device({.bdf = kBdf});
    write_link(tree, width);
    EXPECT_FALSE(read_link(ConfigSpace({}), Sysfs(tree.root()), kBdf).link) << width;
  }
}

TEST(Link, NoAttributesNoLink) {
  fixtures::FixtureTree tree;
  tree.add_device({.bdf = kBdf});
  const auto r = read_link(ConfigSpace({}), Sysfs(tree.root()), kBdf);
  EXPECT_FALSE(r.link);
  EXPECT_EQ(r.source, "");
}

}  // namespace
}  // namespace vfiokit::pci
