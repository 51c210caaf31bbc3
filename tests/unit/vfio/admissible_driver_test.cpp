#include "vfio/admissible_driver.hpp"

#include <gtest/gtest.h>

namespace vfiokit::pci {
namespace {

TEST(AdmissibleDriver, DriversThatLeaveAGroupUsable) {
  for (const char* d : {"vfio-pci", "vfio-platform", "mlx5_vfio_pci", "nvgrace_gpu_vfio_pci",
                        "pci-stub", "pcieport"})
    EXPECT_TRUE(driver_leaves_group_usable(std::string(d))) << d;
  EXPECT_TRUE(driver_leaves_group_usable(std::nullopt)) << "no driver";
  for (const char* d : {"nvidia", "snd_hda_intel", "nvme", "_vfio_pci", "pciback", "xvfio", ""})
    EXPECT_FALSE(driver_leaves_group_usable(std::string(d))) << d;
}

TEST(AdmissibleDriver, DriversThatHoldADeviceIdle) {
  for (const char* d : {"vfio-pci", "pci-stub", "pciback"})
    EXPECT_TRUE(driver_holds_idle(std::string(d))) << d;
  EXPECT_FALSE(driver_holds_idle(std::nullopt)) << "no driver holds nothing";
  for (const char* d : {"mlx5_vfio_pci", "vfio-platform", "pcieport", "nvidia", "nvme", ""})
    EXPECT_FALSE(driver_holds_idle(std::string(d))) << d;
}

}  // namespace
}  // namespace vfiokit::pci
