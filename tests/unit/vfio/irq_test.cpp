// vfio/irq.cpp without a device: what VFIO_DEVICE_GET_IRQ_INFO's flags are called.
#include "vfiokit/vfio/irq.hpp"

#include <gtest/gtest.h>
#include <linux/vfio.h>

namespace vfiokit {
namespace {

TEST(IrqInfo, FlagsNamedInBitOrder) {
  IrqInfo i;
  i.flags = VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED;
  EXPECT_EQ(i.flag_names(), (std::vector<std::string>{"eventfd", "maskable", "automasked"}));
  i.flags = VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE;
  EXPECT_EQ(i.flag_names(), (std::vector<std::string>{"eventfd", "noresize"}));
  i.flags = 0;
  EXPECT_EQ(i.flag_names(), std::vector<std::string>{});
}

}  // namespace
}  // namespace vfiokit
