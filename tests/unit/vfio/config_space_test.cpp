#include "vfiokit/vfio/config_space.hpp"

#include <gtest/gtest.h>

namespace vfiokit {
namespace {

// A PCIe endpoint: PM @0x40 -> MSI @0x50 -> PCIe @0x70 -> MSI-X @0xb0;
// extended: AER @0x100 -> ACS @0x148 -> SR-IOV @0x160 -> Resizable BAR @0x1a0.
std::vector<uint8_t> endpoint() {
  std::vector<uint8_t> b(4096);
  auto w16 = [&](size_t o, uint16_t v) { b[o] = v & 0xff; b[o + 1] = v >> 8; };
  auto w32 = [&](size_t o, uint32_t v) { w16(o, v & 0xffff); w16(o + 2, v >> 16); };
  w16(0x00, 0x10de); w16(0x02, 0x2330);
  w32(0x08, 0x03020000 | 0xa1);  // 3D controller
  w16(0x06, 0x0010);             // capability list
  b[0x34] = 0x40;
  b[0x40] = 0x01; b[0x41] = 0x50; w16(0x44, 0x0008);  // PM, No_Soft_Reset set
  b[0x50] = 0x05; b[0x51] = 0x70; w16(0x52, 0x3 << 1);  // MSI, 8 vectors
  b[0x70] = 0x10; b[0x71] = 0xb0; w16(0x72, 0x0002);   // PCIe v2 endpoint
  w32(0x74, 1u << 28);                                  // FLR
  w32(0x7c, 0x5 | (16 << 4));                           // link cap: Gen5 x16
  w16(0x82, 0x3 | (8 << 4));                            // link status: Gen3 x8
  b[0xb0] = 0x11; b[0xb1] = 0x00; w16(0xb2, 63);       // MSI-X, 64 entries
  w32(0x100, 0x0001 | (2u << 16) | (0x148u << 20));    // AER
  w32(0x148, 0x000d | (1u << 16) | (0x160u << 20));    // ACS
  w32(0x160, 0x0010 | (1u << 16) | (0x1a0u << 20));    // SR-IOV
  w32(0x1a0, 0x0015 | (1u << 16));                     // Resizable BAR, end
  return b;
}

TEST(ConfigSpace, WalksStandardAndExtendedCapabilities) {
  ConfigSpace c(endpoint());
  EXPECT_TRUE(c.walk_errors().empty());
  std::vector<std::string> names;
  for (const auto& cap : c.capabilities()) names.push_back(cap.name);
  EXPECT_EQ(names, (std::vector<std::string>{"Power Management", "MSI", "PCI Express", "MSI-X",
                                             "AER", "ACS", "SR-IOV", "Resizable BAR"}));
  EXPECT_EQ(c.vendor_id(), 0x10de);
  EXPECT_EQ(c.class_code(), 0x030200u);
  EXPECT_EQ(c.find(true, 0x0d)->offset, 0x148);
}

TEST(ConfigSpace, DecodesMsiMsixLinkFlrAndPm) {
  ConfigSpace c(endpoint());
  EXPECT_EQ(c.msi_vectors(), 8u);
  EXPECT_EQ(c.msix_table_size(), 64u);
  ASSERT_TRUE(c.pcie_link());
  EXPECT_EQ(c.pcie_link()->max_gen, 5u);
  EXPECT_EQ(c.pcie_link()->max_width, 16u);
  EXPECT_EQ(c.pcie_link()->cur_gen, 3u);
  EXPECT_EQ(c.pcie_link()->cur_width, 8u);
  EXPECT_DOUBLE_EQ(c.pcie_link()->max_gts, 32.0);
  EXPECT_TRUE(c.has_flr());
  EXPECT_EQ(c.pm_reset(), false);
}

TEST(ConfigSpace, StandardLoopIsReportedNotFollowedForever) {
  auto b = endpoint();
  b[0xb1] = 0x40;  // MSI-X points back to PM
  ConfigSpace c(b);
  ASSERT_FALSE(c.walk_errors().empty());
  EXPECT_NE(c.walk_errors()[0].find("loops"), std::string::npos);
  EXPECT_EQ(c.find(false, 0x11)->offset, 0xb0);
}

TEST(ConfigSpace, OutOfRangePointersAreReported) {
  auto b = endpoint();
  b[0x34] = 0x20;  // inside the header
  EXPECT_FALSE(ConfigSpace(b).walk_errors().empty());
  auto e = endpoint();
  e[0x1a2] = 0x01; e[0x1a3] = 0x0f;  // extended next = 0xf0: below 0x100
  ConfigSpace c(e);
  EXPECT_FALSE(c.walk_errors().empty());
  auto l = endpoint();
  l[0x1a2] = 0x01; l[0x1a3] = 0x10;  // Resizable BAR -> 0x100 (AER): loop
  EXPECT_NE(ConfigSpace(l).walk_errors().at(0).find("loops"), std::string::npos);
}

TEST(ConfigSpace, ShortSnapshotHasNoExtendedCaps) {
  auto b = endpoint();
  b.resize(256);
  ConfigSpace c(b);
  EXPECT_FALSE(c.find(true, 0x01));
  EXPECT_TRUE(c.find(false, 0x10));
  EXPECT_EQ(c.read32(0x100), 0xffffffffu);  // beyond the snapshot reads as all-ones
}

TEST(ConfigSpace, TooShortIsAnErrorNotACrash) {
  ConfigSpace c(std::vector<uint8_t>(10));
  EXPECT_FALSE(c.walk_errors().empty());
  EXPECT_TRUE(c.capabilities().empty());
}

}  // namespace
}  // namespace vfiokit
