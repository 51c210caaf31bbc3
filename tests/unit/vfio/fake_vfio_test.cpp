// Container, Device, MappedRegion, IrqSet and DmaSpace over FakeVfio (tests/support): the
// library's own code, with an in-memory kernel under the raw layer's seam.
#include "tests/support/fake_vfio.hpp"

#include <gtest/gtest.h>
#include <linux/vfio.h>

#include <cerrno>
#include <memory>

#include "vfiokit/dma/buffer.hpp"
#include "vfiokit/dma/mapping.hpp"
#include "vfiokit/vfio/container.hpp"
#include "vfiokit/vfio/device.hpp"
#include "vfiokit/vfio/error.hpp"
#include "vfiokit/vfio/iommufd.hpp"

namespace vfiokit {
namespace {

using testing::FakeVfio;

class FakeVfioTest : public ::testing::Test {
 protected:
  std::shared_ptr<Container> container() {
    return std::make_shared<Container>(false, fake_.sysfs());
  }
  FakeVfio fake_;
  raw::ScopedVfioOps scope_{fake_};
};

TEST(VfioOpsSeam, ScopedOpsInstallsAndPutsBackTheKernel) {
  raw::VfioOps& kernel = raw::vfio_ops();
  {
    FakeVfio fake;
    raw::ScopedVfioOps scope(fake);
    EXPECT_EQ(&raw::vfio_ops(), &fake);
    {
      FakeVfio inner;
      raw::ScopedVfioOps inner_scope(inner);
      EXPECT_EQ(&raw::vfio_ops(), &inner);
    }
    EXPECT_EQ(&raw::vfio_ops(), &fake);
  }
  EXPECT_EQ(&raw::vfio_ops(), &kernel);
}

TEST_F(FakeVfioTest, ContainerPrefersType1v2AndSetsItWhenTheFirstGroupJoins) {
  auto c = container();
  EXPECT_EQ(c->name(), "container/type1v2");
  EXPECT_EQ(fake_.iommu_type(), 0);
  Device d(c, fake_.bdf);
  EXPECT_EQ(fake_.iommu_type(), VFIO_TYPE1v2_IOMMU);
  EXPECT_EQ(c->owned_groups(), std::vector<int>{fake_.group});
}

// A VF whose PF is on vfio-pci: the container presents the token on the group path; a
// missing or wrong one is EACCES with a hint saying which, a malformed one is refused
// before any ioctl, and iommufd (6.12's cdev bind) cannot present one.
TEST_F(FakeVfioTest, VfTokenIsPresentedOnTheGroupPath) {
  fake_.vf_token = "6c1e2a1b-3f4d-4e5a-8b6c-7d8e9f0a1b2c";
  const auto c = container();  // one: its group stays attached after a refused open
  const auto refused = [&](const AttachOptions& o, int err, const char* hint) {
    try {
      Device d(c, fake_.bdf, o);
      ADD_FAILURE() << "opened with token '" << o.vf_token << "'";
    } catch (const Error& e) {
      EXPECT_EQ(e.error_code(), err) << e.what();
      EXPECT_NE(std::string(e.what()).find(hint), std::string::npos) << e.what();
    }
  };
  refused({}, EACCES, "present the VF token the PF's owner set");
  refused({"11111111-2222-4333-8444-555555555555"}, EACCES, "does not match");
  refused({"not-a-uuid"}, EINVAL, "is not a UUID");
  Device d(c, fake_.bdf, {fake_.vf_token});
  EXPECT_GE(d.fd(), 0);
  try {
    Device i(std::make_shared<Iommufd>(fake_.sysfs()), fake_.bdf, {fake_.vf_token});
    ADD_FAILURE() << "iommufd presented a token";
  } catch (const Error& e) {
    EXPECT_EQ(e.error_code(), EOPNOTSUPP) << e.what();
  }
}

TEST_F(FakeVfioTest, ContainerFallsBackToType1) {
  fake_.type1v2 = false;
  EXPECT_EQ(container()->name(), "container/type1");
}

// Modes 3 and 4 of the kernel's VFIO selftests: /dev/iommu opened as the container
// (iommufd's vfio_compat answers the type1 ioctls) and the group joined to that fd.
TEST_F(FakeVfioTest, IommufdCompatContainerOpensDevIommuAndJoinsTheGroupToIt) {
  for (const bool force_type1 : {false, true}) {
    FakeVfio fake;
    raw::ScopedVfioOps scope(fake);
    auto c = std::make_shared<Container>(force_type1, fake.sysfs(), kIommufdNode);
    EXPECT_EQ(c->name(), force_type1 ? "iommufd-compat/type1" : "iommufd-compat/type1v2");
    Device d(c, fake.bdf);
    EXPECT_TRUE(fake.group_on_iommufd());
    EXPECT_EQ(fake.iommu_type(), force_type1 ? VFIO_TYPE1_IOMMU : VFIO_TYPE1v2_IOMMU);
    alignas(4096) static char buf[4096];
    c->map(buf, 0x10000, sizeof buf, DmaAccess::kReadWrite);
    EXPECT_EQ(fake.mappings().count(0x10000), 1U);
    c->unmap(0x10000, sizeof buf);
  }
  // The legacy node stays the default, and its group does not join an iommufd.
  Device d(container(), fake_.bdf);
  EXPECT_FALSE(fake_.group_on_iommufd());
}

TEST_F(FakeVfioTest, IommufdCompatContainerWithoutDevIommuNamesTheKernelOption) {
  fake_.fail_next("open", ENOENT);
  try {
    Container c(false, fake_.sysfs(), kIommufdNode);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.error_code(), ENOENT);
    EXPECT_NE(std::string(e.what()).find("/dev/iommu"), std::string::npos) << e.what();
    EXPECT_NE(e.hint().find("CONFIG_IOMMUFD"), std::string::npos) << e.hint();
  }
}

TEST(BackendNames, EveryBackendParsesBackFromItsName) {
  for (Backend b : {Backend::kAuto, Backend::kContainer, Backend::kContainerType1,
                    Backend::kIommufd, Backend::kIommufdCompat, Backend::kIommufdCompatType1})
    EXPECT_EQ(parse_backend(backend_name(b)), b) << backend_name(b);
  EXPECT_STREQ(backend_name(Backend::kIommufdCompat), "iommufd-compat");
  EXPECT_STREQ(backend_name(Backend::kIommufdCompatType1), "iommufd-compat-type1");
  try {
    parse_backend("bogus");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.error_code(), EINVAL);
    EXPECT_NE(e.hint().find("iommufd-compat-type1"), std::string::npos) << e.hint();
  }
}

TEST_F(FakeVfioTest, ContainerRefusesAnotherApiVersion) {
  fake_.api_version = VFIO_API_VERSION + 1;
  try {
    container();
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.operation(), "VFIO_GET_API_VERSION");
    EXPECT_EQ(e.error_code(), EPROTO);
  }
}

TEST_F(FakeVfioTest, ContainerWithoutType1NamesTheModule) {
  fake_.type1v2 = fake_.type1 = false;
  try {
    container();
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.error_code(), ENODEV);
    EXPECT_NE(e.hint().find("vfio_iommu_type1"), std::string::npos);
  }
}

TEST_F(FakeVfioTest, GroupNotViableNamesItsMembers) {
  fake_.group_flags = 0;
  auto c = container();
  try {
    Device d(c, fake_.bdf);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.operation(), "VFIO_GROUP_GET_STATUS");
    EXPECT_EQ(e.error_code(), EBUSY);
    EXPECT_NE(e.object().find("group 7"), std::string::npos);
    EXPECT_NE(e.hint().find(fake_.bdf), std::string::npos);
  }
}

TEST_F(FakeVfioTest, DeviceFdErrorCarriesOpObjectAndErrno) {
  auto c = container();
  fake_.fail_next("group_get_device_fd", EBUSY);
  try {
    Device d(c, fake_.bdf);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.operation(), "VFIO_GROUP_GET_DEVICE_FD");
    EXPECT_EQ(e.object(), fake_.bdf);
    EXPECT_EQ(e.error_code(), EBUSY);
    EXPECT_NE(e.hint().find("already open"), std::string::npos);
  }
}

TEST_F(FakeVfioTest, DeviceReadsItsInfoRegionsAndConfigSpace) {
  Device d(container(), fake_.bdf);
  EXPECT_EQ(d.num_regions(), VFIO_PCI_NUM_REGIONS);
  EXPECT_TRUE(d.can_reset());
  EXPECT_EQ(d.config_read16(0), 0x1b36);
  EXPECT_EQ(d.config_read32(8) >> 8, 0x010802u);
  const RegionInfo bar0 = d.region_info(RegionIndex::kBar0);
  EXPECT_EQ(bar0.size, fake_.bar0_size);
  EXPECT_FALSE(bar0.mmappable());
  // The VGA region of a non-VGA device is absent, not an error.
  EXPECT_EQ(d.region_info(RegionIndex::kVga).size, 0u);
  d.enable_bus_master();
  EXPECT_EQ(fake_.config[4] & 6, 6);
  try {
    d.config_read32(fake_.config.size() - 2);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.error_code(), ERANGE);
  }
  try {
    d.region_info(region_at(VFIO_PCI_NUM_REGIONS));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.operation(), "VFIO_DEVICE_GET_REGION_INFO");
    EXPECT_EQ(e.error_code(), EINVAL);
  }
}

TEST_F(FakeVfioTest, UnmappableBarGoesThroughPreadAndPwrite) {
  Device d(container(), fake_.bdf);
  const MappedRegion bar = d.map_region(RegionIndex::kBar0);
  EXPECT_EQ(bar.ptr(0), nullptr);
  bar.write32(0x10, 0xdeadbeef);
  EXPECT_EQ(bar.read32(0x10), 0xdeadbeefu);
  EXPECT_EQ(fake_.bar0_memory[0x10], 0xef);
  fake_.fail_next("pread", EIO);
  try {
    bar.read32(0x10);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.operation(), "pread BAR0");
    EXPECT_EQ(e.error_code(), EIO);
  }
}

TEST_F(FakeVfioTest, ResetAndItsAbsence) {
  Device d(container(), fake_.bdf);
  d.reset();
  EXPECT_EQ(fake_.resets(), 1);
  fake_.fail_next("device_reset", ENOTTY);
  try {
    d.reset();
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.error_code(), ENOTTY);
    EXPECT_NE(e.hint().find("reset_method"), std::string::npos);
  }
}

TEST_F(FakeVfioTest, MsixVectorsAreTheEventfdsTheKernelGot) {
  Device d(container(), fake_.bdf);
  {
    IrqSet irq = d.enable_irq(IrqIndex::kMsix, 2);
    EXPECT_EQ(fake_.msix_eventfd(1), irq.eventfd(1));
    fake_.raise_msix(1);
    EXPECT_EQ(irq.wait(1, 0), 1u);
    EXPECT_EQ(irq.wait(0, 0), 0u);
  }
  EXPECT_EQ(fake_.msix_eventfd(0), -1);  // the IrqSet tore its vectors down
  try {
    d.enable_irq(IrqIndex::kMsix, 3);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.error_code(), EINVAL);
  }
}

TEST_F(FakeVfioTest, MapUnmapBookkeepingAndErrors) {
  auto c = container();
  Device d(c, fake_.bdf);
  auto buf = DmaBuffer::allocate(2 * 4096, PageBacking::k4K);
  c->map(buf.data(), 0x10000, 8192, DmaAccess::kReadWrite);
  ASSERT_EQ(fake_.mappings().size(), 1u);
  EXPECT_EQ(fake_.mappings().at(0x10000).size, 8192u);
  EXPECT_EQ(fake_.translate(0x11000, 16, true), buf.bytes() + 0x1000);
  EXPECT_EQ(fake_.translate(0x11ff8, 16, true), nullptr);  // runs past the mapping
  try {
    c->map(buf.data(), 0x11000, 4096, DmaAccess::kRead);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.operation(), "VFIO_IOMMU_MAP_DMA");
    EXPECT_EQ(e.object(), "IOVA [0x11000, 0x11fff] (4096 bytes)");
    EXPECT_EQ(e.error_code(), EEXIST);
  }
  // Unmapping part of a mapping is refused; the whole of it works.
  EXPECT_THROW(c->unmap(0x10000, 4096), Error);
  c->unmap(0x10000, 8192);
  EXPECT_TRUE(fake_.mappings().empty());
  try {
    c->unmap(0x10000, 8192);  // nothing there: type1 answers 0 bytes
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.error_code(), ENOENT);
  }
}

TEST_F(FakeVfioTest, MapBeforeAnyDeviceIsRefused) {
  auto c = container();
  int x = 0;
  try {
    c->map(&x, 0, 4096, DmaAccess::kRead);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.error_code(), EINVAL);
    EXPECT_NE(e.hint().find("attach a device first"), std::string::npos);
  }
}

TEST_F(FakeVfioTest, DmaSpaceAllocatesInsideTheKernelsRangesAndReturnsIovas) {
  fake_.ranges = {{0x100000, 0x1fffff}, {0x400000, 0x40ffff}};
  fake_.dma_avail = 100;
  auto c = container();
  Device d(c, fake_.bdf);
  EXPECT_EQ(c->dma_avail(), std::optional<uint32_t>(100));
  auto space = DmaSpace::create(c);
  ASSERT_EQ(space->ranges().size(), 2u);
  EXPECT_EQ(space->ranges()[1].start, 0x400000u);
  const uint64_t free_before = space->free_bytes();
  auto buf = DmaBuffer::allocate(64 * 1024, PageBacking::k4K);
  {
    DmaMapping m = space->map(buf);
    EXPECT_GE(m.iova(), 0x100000u);
    EXPECT_LE(m.iova() + m.size() - 1, 0x1fffffu);
    EXPECT_EQ(fake_.mappings().count(m.iova()), 1u);
    EXPECT_EQ(space->free_bytes(), free_before - m.size());
    EXPECT_EQ(*fake_.dma_avail, 99u);
  }
  EXPECT_TRUE(fake_.mappings().empty());
  EXPECT_EQ(space->free_bytes(), free_before);
  // A kernel failure leaves the IOVA free again and names the range.
  fake_.fail_next("type1_map_dma", ENOMEM);
  EXPECT_THROW(space->map(buf), Error);
  EXPECT_EQ(space->free_bytes(), free_before);
}

TEST_F(FakeVfioTest, DmaSpaceHonoursTheIovaLimit) {
  auto c = container();
  Device d(c, fake_.bdf);
  auto space = DmaSpace::create(c, (1u << 28) - 1);
  auto buf = DmaBuffer::allocate(4096, PageBacking::k4K);
  DmaMapping m = space->map(buf);
  EXPECT_LT(m.iova() + m.size() - 1, 1u << 28);
}

#if VFIOKIT_HAVE_IOMMUFD
TEST_F(FakeVfioTest, IommufdBindsAttachesAndMapsThroughTheIoas) {
  fake_.ranges = {{0x100000, 0xffffffff}};
  auto ctx = std::make_shared<Iommufd>(fake_.sysfs());
  EXPECT_EQ(ctx->name(), "iommufd");
  Device d(ctx, fake_.bdf);
  EXPECT_EQ(fake_.bound_dev_id(), 2u);
  EXPECT_EQ(fake_.attached_pt(), 1u);
  EXPECT_TRUE(ctx->owned_groups().empty());
  const auto hw = ctx->hw_info(fake_.bdf);
  ASSERT_TRUE(hw.has_value());
  EXPECT_EQ(hw->data_type, 0u);
  auto space = DmaSpace::create(ctx);
  ASSERT_EQ(space->ranges().size(), 1u);
  auto buf = DmaBuffer::allocate(8192, PageBacking::k4K);
  {
    DmaMapping m = space->map(buf, DmaAccess::kRead);
    EXPECT_GE(m.iova(), 0x100000u);
    EXPECT_NE(fake_.translate(m.iova(), 8192, false), nullptr);
    EXPECT_EQ(fake_.translate(m.iova(), 8192, true), nullptr);  // read-only for the device
  }
  EXPECT_TRUE(fake_.mappings().empty());
  try {
    ctx->unmap(0x100000, 4096);  // nothing mapped there
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.operation(), "IOMMU_IOAS_UNMAP");
    EXPECT_EQ(e.error_code(), ENOENT);
  }
}

TEST_F(FakeVfioTest, IommufdBindFailureOfAnOpenDeviceSaysSo) {
  auto ctx = std::make_shared<Iommufd>(fake_.sysfs());
  fake_.fail_next("bind_iommufd", EINVAL);
  try {
    Device d(ctx, fake_.bdf);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.operation(), "VFIO_DEVICE_BIND_IOMMUFD");
    EXPECT_EQ(e.object(), fake_.bdf + " (/dev/vfio/devices/vfio0)");
    EXPECT_NE(e.hint().find("already open"), std::string::npos);
  }
}
#endif

}  // namespace
}  // namespace vfiokit
