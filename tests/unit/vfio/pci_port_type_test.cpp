#include "vfio/pci_port_type.hpp"

#include <gtest/gtest.h>

namespace vfiokit::pci {
namespace {

// A 256-byte header whose only capability is PCI Express at 0x40 with `type`.
ConfigSpace with_port_type(unsigned type) {
  std::vector<uint8_t> b(256, 0);
  b[0x06] = 0x10;  // Status: capability list
  b[0x34] = 0x40;
  b[0x40] = 0x10;  // PCI Express, next 0
  b[0x42] = static_cast<uint8_t>(type << 4);
  return ConfigSpace(b);
}

TEST(PortType, DecodesTheCapabilityField) {
  EXPECT_EQ(pcie_port_type(with_port_type(kPortTypeRootPort)), kPortTypeRootPort);
  EXPECT_EQ(pcie_port_type(with_port_type(kPortTypeIntegratedEndpoint)),
            kPortTypeIntegratedEndpoint);
  EXPECT_FALSE(pcie_port_type(ConfigSpace(std::vector<uint8_t>(64, 0)))) << "no capability";
}

TEST(PortType, NamesAndLinks) {
  EXPECT_EQ(pcie_port_type_name(kPortTypeEndpoint), "endpoint");
  EXPECT_EQ(pcie_port_type_name(kPortTypeRootPort), "root port");
  EXPECT_EQ(pcie_port_type_name(kPortTypeDownstreamPort), "downstream port");
  EXPECT_EQ(pcie_port_type_name(kPortTypeIntegratedEndpoint), "integrated endpoint");
  EXPECT_EQ(pcie_port_type_name(15), "port type 15");
  EXPECT_TRUE(port_type_has_link(kPortTypeEndpoint));
  EXPECT_FALSE(port_type_has_link(kPortTypeIntegratedEndpoint));
  EXPECT_FALSE(port_type_has_link(kPortTypeEventCollector));
  EXPECT_FALSE(with_port_type(kPortTypeIntegratedEndpoint).pcie_link());
}

}  // namespace
}  // namespace vfiokit::pci
