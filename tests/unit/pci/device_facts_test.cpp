#include "pci/device_facts.hpp"

#include <gtest/gtest.h>

#include "tests/support/fixture_tree.hpp"

namespace vfiokit::pci {
namespace {

const std::string kBdf = "0000:01:00.0";

TEST(DeviceFacts, AMissingDeviceIsNotPresent) {
  fixtures::FixtureTree tree;
  tree.add_device({.bdf = kBdf});
  EXPECT_FALSE(read_device_facts(Sysfs(tree.root()), "0000:02:00.0").present);
}

TEST(DeviceFacts, AMalformedResourceFileIsAnErrorInTheFactsNotAThrow) {
  fixtures::FixtureTree tree;
  tree.add_device({.bdf = kBdf});
  tree.attribute(kBdf, "vendor", "0x10de\n");
  tree.attribute(kBdf, "resource", "0x1000 0x1fff\n");
  const DeviceFacts f = read_device_facts(Sysfs(tree.root()), kBdf);
  EXPECT_TRUE(f.present);
  EXPECT_EQ(f.vendor, 0x10de);
  EXPECT_TRUE(f.bars.empty());
  EXPECT_NE(f.bars_error.find((Sysfs(tree.root()).device_dir(kBdf) / "resource").string()),
            std::string::npos)
      << f.bars_error;
}

TEST(DeviceFacts, NumaNodeAndAerCountersParseStrictly) {
  fixtures::FixtureTree tree;
  tree.add_device({.bdf = kBdf});
  tree.attribute(kBdf, "numa_node", "-1\n");
  tree.attribute(kBdf, "aer_dev_correctable", "RxErr 0\nBadTLP 2\nTOTAL_ERR_COR 3\n");
  tree.attribute(kBdf, "aer_dev_fatal", "TOTAL_ERR_FATAL 1x\n");
  DeviceFacts f = read_device_facts(Sysfs(tree.root()), kBdf);
  EXPECT_EQ(f.numa_node, -1);
  ASSERT_TRUE(f.aer);
  EXPECT_EQ(f.aer->correctable, 3u);
  EXPECT_EQ(f.aer->fatal, 0u) << "\"1x\" is not a count";

  tree.attribute(kBdf, "numa_node", "1abc\n");
  EXPECT_FALSE(read_device_facts(Sysfs(tree.root()), kBdf).numa_node);
  tree.attribute(kBdf, "numa_node", "4294967296\n");
  EXPECT_FALSE(read_device_facts(Sysfs(tree.root()), kBdf).numa_node);
}

}  // namespace
}  // namespace vfiokit::pci
