#include "vfiokit/vfio/sysfs.hpp"

#include <gtest/gtest.h>

#include "tests/support/fixture_tree.hpp"
#include "vfiokit/vfio/container.hpp"

namespace vfiokit {
namespace {

// A GPU (vfio-pci, cdev vfio3) and its audio function (snd_hda_intel) in IOMMU group
// 12, plus an NVMe without a group and without a driver, all on the root bus.
struct GpuAudio {
  fixtures::FixtureTree tree;
  GpuAudio() {
    fixtures::FixtureDevice gpu{"0000:01:00.0", 0x10de, 0x2330, 0x030200, "vfio-pci", 12};
    gpu.attributes["vfio-dev/vfio3/dev"] = "511:3\n";
    tree.add_device(gpu);
    tree.add_device({"0000:01:00.1", 0x10de, 0x22a3, 0x040300, "snd_hda_intel", 12});
    tree.add_device({"0000:02:00.0", 0x1b36, 0x0010, 0x010802, std::nullopt, std::nullopt});
  }
  Sysfs sysfs() const { return Sysfs(tree.root()); }
};

TEST(Sysfs, DriversThatKeepAGroupViable) {
  // The kernel's driver_managed_dma drivers, by their sysfs names in 6.12.
  for (const char* d : {"vfio-pci", "vfio-platform", "mlx5_vfio_pci", "hisi_acc_vfio_pci",
                        "nvgrace_gpu_vfio_pci", "virtio_vfio_pci", "pds_vfio_pci", "qat_vfio_pci",
                        "pci-stub", "pcieport"})
    EXPECT_TRUE(driver_allows_vfio(std::string(d))) << d;
  EXPECT_TRUE(driver_allows_vfio(std::nullopt)) << "no driver";
  for (const char* d : {"nvidia", "nouveau", "amdgpu", "snd_hda_intel", "nvme", "e1000e", "mlx5_core",
                        "_vfio_pci", "xhci_hcd"})
    EXPECT_FALSE(driver_allows_vfio(std::string(d))) << d;
}

TEST(Sysfs, ReadsGroupsDriversAndIds) {
  const GpuAudio f;
  const Sysfs s = f.sysfs();
  EXPECT_EQ(s.devices(), (std::vector<std::string>{"0000:01:00.0", "0000:01:00.1", "0000:02:00.0"}));
  EXPECT_EQ(s.iommu_group("0000:01:00.0"), 12);
  EXPECT_EQ(s.group_devices(12), (std::vector<std::string>{"0000:01:00.0", "0000:01:00.1"}));
  EXPECT_EQ(s.driver("0000:01:00.0"), "vfio-pci");
  EXPECT_EQ(s.driver("0000:01:00.1"), "snd_hda_intel");
  EXPECT_EQ(s.hex_attr("0000:01:00.0", "vendor"), 0x10deu);
  EXPECT_EQ(s.vfio_cdev("0000:01:00.0"), "vfio3");
  EXPECT_FALSE(s.iommu_group("0000:02:00.0"));
  EXPECT_FALSE(s.driver("0000:02:00.0"));
  EXPECT_FALSE(s.has_device("0000:09:00.0"));
}

TEST(Sysfs, NonViableGroupIsDescribedMemberByMember) {
  const GpuAudio f;
  const std::string d = describe_group_members(f.sysfs(), 12);
  EXPECT_EQ(d, "0000:01:00.0 (driver vfio-pci), 0000:01:00.1 (driver snd_hda_intel)");
}

}  // namespace
}  // namespace vfiokit
