// vfio/device.cpp without a device: what can be judged of VFIO_DEVICE_GET_INFO's flags.
#include "vfiokit/vfio/device.hpp"

#include <gtest/gtest.h>
#include <linux/vfio.h>

namespace vfiokit {
namespace {

TEST(DeviceFlags, NamedInBitOrder) {
  EXPECT_EQ(device_flag_names(VFIO_DEVICE_FLAGS_RESET | VFIO_DEVICE_FLAGS_PCI |
                              VFIO_DEVICE_FLAGS_CAPS),
            (std::vector<std::string>{"reset", "pci", "caps"}));
  EXPECT_EQ(device_flag_names(VFIO_DEVICE_FLAGS_PLATFORM), std::vector<std::string>{"platform"});
  EXPECT_EQ(device_flag_names(0), std::vector<std::string>{});
  EXPECT_EQ(device_flag_names(1u << 31), std::vector<std::string>{}) << "an unknown bit has no name";
}

}  // namespace
}  // namespace vfiokit
