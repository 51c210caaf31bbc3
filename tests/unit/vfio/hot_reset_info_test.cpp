// decode_hot_reset_info on replies built the way the kernel lays them out
// (struct vfio_pci_hot_reset_info followed by count vfio_pci_dependent_device).
#include <gtest/gtest.h>
#include <linux/vfio.h>

#include <cstddef>
#include <cstring>
#include <vector>

#include "vfio/info_decode.hpp"
#include "vfiokit/vfio/device.hpp"
#include "vfiokit/vfio/error.hpp"

namespace vfiokit {
namespace {

std::vector<uint8_t> reply(uint32_t flags, const std::vector<vfio_pci_dependent_device>& devs) {
  std::vector<uint8_t> buf(sizeof(vfio_pci_hot_reset_info) + devs.size() * sizeof(devs[0]));
  vfio_pci_hot_reset_info head{};
  head.argsz = static_cast<uint32_t>(buf.size());
  head.flags = flags;
  head.count = static_cast<uint32_t>(devs.size());
  std::memcpy(buf.data(), &head, sizeof head);
  if (!devs.empty())
    std::memcpy(buf.data() + offsetof(vfio_pci_hot_reset_info, devices), devs.data(),
                devs.size() * sizeof(devs[0]));
  return buf;
}

vfio_pci_dependent_device dev(uint32_t group, uint8_t bus, uint8_t slot, uint8_t fn) {
  vfio_pci_dependent_device d{};
  d.group_id = group;
  d.segment = 0;
  d.bus = bus;
  d.devfn = static_cast<uint8_t>(slot << 3 | fn);
  return d;
}

// One container holding two groups: a device in either is ours, a third group's is not.
TEST(HotResetInfo, OwnershipCountsEveryGroupOfTheContext) {
  const auto buf = reply(0, {dev(5, 1, 0, 0), dev(9, 1, 0, 1), dev(12, 1, 1, 0)});
  const auto out = decode_hot_reset_info(buf, {5, 9}, "0000:01:00.0");
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].bdf, "0000:01:00.0");
  EXPECT_EQ(out[1].bdf, "0000:01:00.1");
  EXPECT_EQ(out[2].bdf, "0000:01:01.0");
  EXPECT_TRUE(out[0].owned);
  EXPECT_TRUE(out[1].owned) << "a second group of the same container is ours too";
  EXPECT_FALSE(out[2].owned);
  EXPECT_EQ(out[2].group_id, 12);
  // The same reply seen from a context holding only group 5.
  EXPECT_FALSE(decode_hot_reset_info(buf, {5}, "0000:01:00.0")[1].owned);
}

#ifdef VFIO_PCI_HOT_RESET_FLAG_DEV_ID
TEST(HotResetInfo, IommufdOwnershipIsTheKernelsDevId) {
  auto mine = dev(0, 2, 0, 0), other = dev(0, 2, 0, 1);
  mine.devid = 3;
  other.devid = VFIO_PCI_DEVID_NOT_OWNED;
  const auto out = decode_hot_reset_info(reply(VFIO_PCI_HOT_RESET_FLAG_DEV_ID, {mine, other}), {},
                                         "0000:02:00.0");
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(out[0].owned);
  EXPECT_EQ(out[0].dev_id, 3);
  EXPECT_FALSE(out[1].owned);
}
#endif

TEST(HotResetInfo, ReplyShorterThanItsCountIsAClearError) {
  auto buf = reply(0, {dev(5, 1, 0, 0), dev(9, 1, 0, 1)});
  buf.resize(buf.size() - 1);
  try {
    decode_hot_reset_info(buf, {5}, "0000:01:00.0");
    FAIL() << "decoded a truncated reply";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("dependent device 1 of 2"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace vfiokit
