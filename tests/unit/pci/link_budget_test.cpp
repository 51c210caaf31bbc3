// pci/link_budget: what a PCIe link carries, how a link is written and read back.
#include "pci/link_budget.hpp"

#include <gtest/gtest.h>

#include "vfiokit/vfio/error.hpp"

namespace vfiokit::pci {
namespace {

TEST(LinkBudget, Gen5x16MatchesThePcieArithmetic) {
  const LinkBudget b = link_budget(32, 16, 256);
  EXPECT_NEAR(b.theoretical_gbs, 63.02, 0.01);  // 32 GT/s x 16 x 128/130 / 8
  EXPECT_NEAR(b.practical_gbs, 55.9, 0.1);
  // nvbandwidth's 55.3 GB/s copy-engine H2D on Gen5 x16 sits just under the practical limit.
  EXPECT_GT(55.3 / b.practical_gbs, 0.95);
  EXPECT_LT(55.3, b.practical_gbs);
  EXPECT_NEAR(link_budget(2.5, 1, 128).theoretical_gbs, 0.25, 1e-9);  // 8b/10b
  EXPECT_NEAR(link_budget(8, 8, 256).theoretical_gbs, 7.877, 0.001);
  EXPECT_LT(link_budget(32, 16, 128).practical_gbs, link_budget(32, 16, 512).practical_gbs);
  EXPECT_EQ(pcie_encoding_efficiency(0), 0);
}

TEST(LinkBudget, ParsesLinkSpecsAndRejectsNonsense) {
  EXPECT_EQ(parse_link_spec("gen5x16"), std::make_pair(5u, 16u));
  EXPECT_EQ(parse_link_spec("Gen4 x8"), std::make_pair(4u, 8u));
  EXPECT_EQ(parse_link_spec("3x4"), std::make_pair(3u, 4u));
  EXPECT_THROW(parse_link_spec("gen7x16"), Error);
  EXPECT_THROW(parse_link_spec("gen5x3"), Error);
  EXPECT_THROW(parse_link_spec("fast"), Error);
  try {
    parse_link_spec("x16");
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("gen5x16"), std::string::npos) << e.what();
  }
}

TEST(LinkBudget, DescribesTheTrainedAndTheMaximumLink) {
  const PcieLink l{32, 8, 16, 8, 5, 3};
  EXPECT_EQ(describe_link(l, false), "Gen5 x16 (32 GT/s)");
  EXPECT_EQ(describe_link(l, true), "Gen3 x8 (8 GT/s)");
  EXPECT_EQ(describe_link(PcieLink{}, true), "unknown");
}

}  // namespace
}  // namespace vfiokit::pci
