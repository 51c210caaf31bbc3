// The typed region and IRQ indexes: BAR lookup, its refusal, and the names printed.
#include "vfiokit/vfio/indexes.hpp"

#include <gtest/gtest.h>

#include "vfiokit/vfio/error.hpp"

namespace vfiokit {
namespace {

TEST(Indexes, BarRegionNamesEachBar) {
  EXPECT_EQ(bar_region(0), RegionIndex::kBar0);
  EXPECT_EQ(bar_region(5), RegionIndex::kBar5);
  EXPECT_EQ(to_string(bar_region(3)), "BAR3");
}

TEST(Indexes, BarRegionRefusesPastBar5) {
  try {
    bar_region(6);
    FAIL() << "BAR6 accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.error_code(), EINVAL);
    EXPECT_NE(std::string(e.what()).find("BAR6"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("kRom"), std::string::npos) << e.what();
  }
}

TEST(Indexes, RegionNames) {
  EXPECT_EQ(to_string(RegionIndex::kRom), "ROM");
  EXPECT_EQ(to_string(RegionIndex::kConfig), "config");
  EXPECT_EQ(to_string(RegionIndex::kVga), "VGA");
  EXPECT_EQ(to_string(region_at(9)), "region 9");
  EXPECT_EQ(index_number(RegionIndex::kConfig), 7u);
}

TEST(Indexes, IrqNames) {
  EXPECT_EQ(to_string(IrqIndex::kIntx), "INTx");
  EXPECT_EQ(to_string(IrqIndex::kMsi), "MSI");
  EXPECT_EQ(to_string(IrqIndex::kMsix), "MSI-X");
  EXPECT_EQ(to_string(IrqIndex::kErr), "ERR");
  EXPECT_EQ(to_string(IrqIndex::kReq), "REQ");
  EXPECT_EQ(to_string(irq_at(7)), "index 7");
  EXPECT_EQ(index_number(IrqIndex::kMsix), 2u);
}

}  // namespace
}  // namespace vfiokit
