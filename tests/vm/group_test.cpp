// IOMMU groups with more than one device: two functions behind a conventional
// PCI bridge share a group (ci/vm/run --device KIND@BRIDGE).

#include <gtest/gtest.h>

#include "tests/vm/vm_support.hpp"
#include "vfiokit/drivers/edu/registers.hpp"
#include "vfiokit/vfio/container.hpp"
#include "vfiokit/vfio/device.hpp"
#include "vfiokit/vfio/error.hpp"
#include "vfiokit/vfio/sysfs.hpp"

namespace vfiokit {
namespace {

// edu@br (vfio-pci) + nvme:kernel@br (driver nvme): the group is not viable.
TEST(Group, NotViableNamesEveryMemberAndItsDriver) {
  const auto edus = test::find_pci(edu::kVendor, edu::kDevice);
  const auto nvmes = test::find_pci_class(0x010802);
  ASSERT_EQ(edus.size(), 1u);
  ASSERT_EQ(nvmes.size(), 1u);
  Sysfs sysfs;
  ASSERT_EQ(sysfs.iommu_group(edus[0]), sysfs.iommu_group(nvmes[0]))
      << "the bridge should group them";
  ASSERT_EQ(sysfs.driver(nvmes[0]), "nvme");
  for (Backend b : test::test_backends()) {
    SCOPED_TRACE(backend_name(b));
    try {
      Device d = Device::open(edus[0], b);
      FAIL() << "opened a device of a non-viable group";
    } catch (const Error& e) {
      const std::string w = e.what();
      std::printf("%s: %s\n", backend_name(b), w.c_str());
      EXPECT_NE(w.find("not viable"), std::string::npos) << w;
      EXPECT_NE(w.find(nvmes[0] + " (driver nvme)"), std::string::npos) << w;
      EXPECT_NE(w.find(edus[0] + " (driver vfio-pci)"), std::string::npos) << w;
    }
  }
  // Nothing was changed: the NVMe keeps its driver.
  EXPECT_EQ(sysfs.driver(nvmes[0]), "nvme");
}

// edu@br + edu@br, both vfio-pci: one container holds the group once; a hot
// reset lists both as owned (ownership is per group) and is allowed.
TEST(Group, TwoDevicesShareOneGroupAndHotReset) {
  const auto edus = test::find_pci(edu::kVendor, edu::kDevice);
  ASSERT_EQ(edus.size(), 2u);
  for (Backend b : test::test_backends()) {
    SCOPED_TRACE(backend_name(b));
    auto ctx = open_iommu_context(b, edus[0]);
    Device a(ctx, edus[0]);
    const auto affected = a.hot_reset_info();
    ASSERT_EQ(affected.size(), 2u);
    for (const auto& h : affected)
      std::printf("hot reset affects %s (owned: %d)\n", h.bdf.c_str(), h.owned);
    // Ownership is per group: the container holds the group fd, and iommufd claims
    // the whole group when the first device binds. So both devices count as ours.
    for (const auto& h : affected) EXPECT_TRUE(h.owned) << h.bdf;
    a.hot_reset();
    Device second(ctx, edus[1]);  // same group: no EBUSY inside one context
    a.hot_reset();
    const MappedRegion bar = second.map_region(RegionIndex::kBar0);
    EXPECT_EQ(bar.read32(edu::kRegId), 0x010000edu) << "device alive after the bus reset";
    if (a.can_reset()) a.reset();  // reset_method "bus", every device of the bus is ours
  }
}

}  // namespace
}  // namespace vfiokit
