// The VFIO layer on edu beyond the ownership proof (tests/vm/proof_test.cpp proves DMA,
// the device's interrupt and isolation): one test body per backend the running kernel
// offers ($VFIOKIT_BACKENDS picks them). BARs, DMA at offsets, INTx, reset, IOVA
// ranges, bad requests — against the real kernel VFIO code.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <vector>

#include "tests/vm/vm_support.hpp"
#include "vfiokit/dma/buffer.hpp"
#include "vfiokit/dma/mapping.hpp"
#include "vfiokit/drivers/edu/edu.hpp"
#include "vfiokit/drivers/edu/registers.hpp"
#include "vfiokit/vfio/device.hpp"
#include "vfiokit/vfio/error.hpp"
#include "vfiokit/vfio/iommufd.hpp"

namespace vfiokit {
namespace {

std::string edu_bdf() {
  const auto edus = test::find_pci(edu::kVendor, edu::kDevice);
  return edus.empty() ? std::string() : edus[0];
}

class Ownership : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    bdf_ = edu_bdf();
    ASSERT_FALSE(bdf_.empty()) << "no edu device in this VM";
    dev_ = Device::open_unique(bdf_, GetParam());
    dma_ = DmaSpace::create(dev_->context(), edu::kDmaMask);
    edu_ = std::make_unique<EduDriver>(*dev_, dma_);
  }
  void TearDown() override {
    edu_.reset();
    dma_.reset();
    dev_.reset();
  }

  std::string bdf_;
  std::unique_ptr<Device> dev_;
  std::shared_ptr<DmaSpace> dma_;
  std::unique_ptr<EduDriver> edu_;
};

TEST_P(Ownership, Bar0IsMappedAndRegistersRoundTrip) {
  ASSERT_NE(edu_->bar0().ptr(0, 4), nullptr) << "BAR0 should be mmap'ed, not pread";
  EXPECT_EQ(edu_->id(), 0x010000edu);
  for (uint32_t v : {0u, 0x12345678u, 0xffffffffu}) EXPECT_EQ(edu_->liveness(v), ~v);
  EXPECT_EQ(edu_->factorial(10), 3628800u);
  const ConfigSpace cfg = dev_->config();
  EXPECT_EQ(cfg.vendor_id(), edu::kVendor);
  EXPECT_EQ(cfg.device_id(), edu::kDevice);
  EXPECT_TRUE(cfg.find(false, 0x05)) << "edu advertises MSI";
  std::printf("%s over %s: %u regions, %u IRQ indexes\n", bdf_.c_str(),
              dev_->context()->name().c_str(), dev_->num_regions(), dev_->num_irqs());
}

TEST_P(Ownership, DmaBothDirectionsWithDataChecked) {
  edu_->init(IrqMode::kMsi);
  auto src = DmaBuffer::allocate(4096);
  auto dst = DmaBuffer::allocate(4096);
  auto msrc = dma_->map(src);
  auto mdst = dma_->map(dst);
  ASSERT_LE(msrc.iova() + msrc.size() - 1, edu::kDmaMask);
  for (size_t i = 0; i < 2048; ++i) src.bytes()[i] = static_cast<uint8_t>(i * 7 + 3);
  std::memset(dst.bytes(), 0xee, 4096);
  edu_->memcpy_start(msrc.iova(), mdst.iova(), 2048);
  edu_->memcpy_wait();
  EXPECT_EQ(std::memcmp(src.bytes(), dst.bytes(), 2048), 0) << "RAM -> edu -> RAM lost data";
  EXPECT_EQ(dst.bytes()[2048], 0xee) << "the device wrote past the transfer";
  // A second, offset transfer: IOVA translation inside a mapping.
  edu_->dma(msrc.to_iova(src.bytes() + 100), 0, 512, false);
  edu_->dma(mdst.to_iova(dst.bytes() + 3000), 0, 512, true);
  EXPECT_EQ(std::memcmp(src.bytes() + 100, dst.bytes() + 3000, 512), 0);
}

TEST_P(Ownership, IntxIsDeliveredAndUnmasked) {
  const IrqInfo intx = dev_->irq_info(IrqIndex::kIntx);
  ASSERT_EQ(intx.count, 1u) << "edu has a legacy interrupt pin";
  edu_->init(IrqMode::kIntx);
  for (int i = 0; i < 3; ++i) {
    edu_->send_msi();
    EXPECT_GE(edu_->irq().wait(0, 2000), 1u) << "INTx " << i << " not delivered";
    edu_->irq_ack();  // clears the device's line, then VFIO_IRQ_SET_ACTION_UNMASK
  }
  // And DMA completion by INTx.
  auto buf = DmaBuffer::allocate(4096);
  auto m = dma_->map(buf);
  edu_->dma(m.iova(), 0, 64, true);
}

TEST_P(Ownership, ResetIsOfferedOrClearlyRefused) {
  std::printf("reset: VFIO_DEVICE_FLAGS_RESET=%d, sysfs reset_method:", dev_->can_reset());
  for (const auto& m : dev_->reset_methods()) std::printf(" %s", m.c_str());
  std::printf("\n");
  if (dev_->can_reset()) {
    edu_->liveness(0x55);
    dev_->reset();
    EXPECT_EQ(edu_->id(), 0x010000edu) << "device alive after reset";
  } else {
    try {
      dev_->reset();
      FAIL() << "reset succeeded though the device reports none";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("VFIO_DEVICE_RESET"), std::string::npos);
      EXPECT_FALSE(e.hint().empty());
    }
  }
  // Hot reset: edu sits on the root bus, where there is no bus to reset.
  try {
    const auto affected = dev_->hot_reset_info();
    std::printf("hot reset affects %zu device(s)\n", affected.size());
  } catch (const Error& e) {
    std::printf("hot reset: %s\n", e.what());
    EXPECT_FALSE(e.hint().empty());
  }
}

TEST_P(Ownership, IovaRangesAreReadAndEnforced) {
  const auto ranges = dev_->context()->iova_ranges();
  ASSERT_FALSE(ranges.empty());
  for (const auto& r : ranges)
    std::printf("IOVA range [%#llx, %#llx]\n", static_cast<unsigned long long>(r.start),
                static_cast<unsigned long long>(r.last));
  std::printf("alignment %#llx, DMA available: %s\n",
              static_cast<unsigned long long>(dev_->context()->iova_alignment()),
              dev_->context()->dma_avail() ? std::to_string(*dev_->context()->dma_avail()).c_str()
                                           : "not reported");
  // The first hole between usable ranges (on x86: the MSI window at 0xfee00000).
  uint64_t hole = 0;
  for (size_t i = 0; i + 1 < ranges.size(); ++i)
    if (ranges[i].last + 1 < ranges[i + 1].start) {
      hole = ranges[i].last + 1;
      break;
    }
  if (hole == 0 && ranges.back().last != UINT64_MAX) hole = ranges.back().last + 1;
  ASSERT_NE(hole, 0u) << "expected a reserved IOVA hole (x86 MSI window)";
  auto buf = DmaBuffer::allocate(4096);
  try {
    DmaMapping m(dev_->context(), buf.data(), 4096, hole & ~0xfffull);
    FAIL() << "mapping inside a reserved range at " << std::hex << hole << " was accepted";
  } catch (const Error& e) {
    std::printf("refused as expected: %s\n", e.what());
    EXPECT_NE(std::string(e.what()).find("IOVA"), std::string::npos);
  }
  // The allocator never hands out anything outside the ranges.
  auto m = dma_->map(buf);
  bool inside = false;
  for (const auto& r : ranges) inside |= m.iova() >= r.start && m.iova() + m.size() - 1 <= r.last;
  EXPECT_TRUE(inside);
}

TEST_P(Ownership, EveryIrqIndexIsReportedAndReqErrWireToEventfds) {
  const auto irqs = dev_->irqs();
  ASSERT_EQ(irqs.size(), size_t{index_number(IrqIndex::kReq) + 1});
  for (const auto& i : irqs)
    std::printf("IRQ %-5s count %u flags%s%s%s%s\n", i.name().c_str(), i.count,
                i.eventfd() ? " eventfd" : "", i.maskable() ? " maskable" : "",
                i.automasked() ? " automasked" : "", i.noresize() ? " noresize" : "");
  EXPECT_EQ(irqs[index_number(IrqIndex::kMsi)].count, 1u);
  EXPECT_EQ(irqs[index_number(IrqIndex::kMsix)].count, 0u) << "edu has no MSI-X";
  // REQ (the kernel asks us to release the device) exists on every vfio-pci device;
  // ERR only on PCIe devices with AER. The kernel can signal either itself.
  for (IrqIndex index : {IrqIndex::kReq, IrqIndex::kErr}) {
    if (irqs[index_number(index)].count == 0) {
      EXPECT_THROW(dev_->enable_irq(index), Error);
      continue;
    }
    IrqSet set = dev_->enable_irq(index);
    set.trigger(0);
    EXPECT_EQ(set.wait(0, 1000), 1u) << to_string(index);
  }
  EXPECT_EQ(irqs[index_number(IrqIndex::kReq)].count, 1u);
}

TEST_P(Ownership, IommuHardwareInfoOnIommufd) {
  const std::optional<IommuHwInfo> info = dev_->context()->hw_info(bdf_);
  if (dev_->context()->name() != "iommufd") {
    EXPECT_FALSE(info) << "only iommufd has IOMMU_GET_HW_INFO";
    GTEST_SKIP() << "IOMMU_GET_HW_INFO is an iommufd ioctl";
  }
  ASSERT_TRUE(info);
  const IommuHwInfo& hw = *info;
  std::printf("IOMMU hw info: type %s (%u), capabilities %#llx\n", hw.data_type_name.c_str(),
              hw.data_type, static_cast<unsigned long long>(hw.capabilities));
  if (std::ifstream("/sys/class/iommu/dmar0/intel-iommu/cap")) {
    EXPECT_EQ(hw.data_type_name, "intel-vtd");
    ASSERT_TRUE(hw.vtd_cap_reg);
    std::string sysfs_cap;
    std::ifstream("/sys/class/iommu/dmar0/intel-iommu/cap") >> sysfs_cap;
    EXPECT_EQ(*hw.vtd_cap_reg, std::stoull(sysfs_cap, nullptr, 16)) << "matches sysfs";
  }
}

TEST_P(Ownership, BadIndexesAreClearErrors) {
  EXPECT_THROW(dev_->region_info(region_at(99)), Error);
  EXPECT_THROW(dev_->irq_info(irq_at(99)), Error);
  try {
    dev_->enable_irq(IrqIndex::kMsi, 64);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("offers"), std::string::npos) << e.what();
  }
}

TEST_P(Ownership, OverlappingMapIsRefusedAndNothingLeaks) {
  auto buf = DmaBuffer::allocate(8192);
  DmaMapping a(dev_->context(), buf.data(), 8192, 0x100000);
  try {
    DmaMapping b(dev_->context(), buf.data(), 4096, 0x101000);
    FAIL() << "overlapping map accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.error_code(), EEXIST) << e.what();
    EXPECT_NE(e.hint().find("overlaps"), std::string::npos);
  }
  a.unmap();
  // After unmap the range is free again.
  DmaMapping c(dev_->context(), buf.data(), 8192, 0x100000);
}

// Each bad request answers EINVAL with the reason, from vfiokit or from the kernel.
TEST_P(Ownership, BadMapRequestsAreClearErrors) {
  auto buf = DmaBuffer::allocate(8192);
  auto* bytes = static_cast<uint8_t*>(buf.data());
  struct Case {
    const char* what;
    const void* vaddr;
    uint64_t iova, size;
    const char* says;  // in the message
  };
  const Case cases[] = {
      {"zero size", bytes, 0x100000, 0, "give a size > 0"},
      {"past the end of the IOVA space", bytes, ~0ull - 4095, 8192, "past the end of the 64-bit"},
      {"unaligned IOVA", bytes, 0x100001, 4096, "aligned to the IOMMU page size"},
      {"unaligned size", bytes, 0x100000, 4097, "aligned to the IOMMU page size"},
      {"unaligned address", bytes + 1, 0x100000, 4096, "aligned to the IOMMU page size"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    try {
      dev_->context()->map(c.vaddr, c.iova, c.size, DmaAccess::kReadWrite);
      dev_->context()->unmap(c.iova, c.size);
      ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
      std::printf("%s: %s\n", c.what, e.what());
      EXPECT_EQ(e.error_code(), EINVAL) << e.what();
      EXPECT_NE(std::string(e.what()).find(c.says), std::string::npos) << e.what();
    }
  }
  // Nothing was left mapped: the whole range maps now.
  DmaMapping ok(dev_->context(), buf.data(), 8192, 0x100000);
}

// Past vfio_iommu_type1's dma_entry_limit the map fails with ENOSPC and the hint names
// the parameter. The limit (65535 by default) is read when a container opens, so the
// test lowers it to 8 (a runtime parameter; this is a test VM) and opens a new one.
TEST_P(Ownership, PastTheEntryLimitIsAClearError) {
  // type1's dma_entry_limit binds /dev/vfio/vfio served by vfio_iommu_type1 only; /dev/iommu
  // as a container is iommufd's, even where vfio_iommu_type1 is loaded beside it.
  if (GetParam() == Backend::kIommufd || GetParam() == Backend::kIommufdCompat ||
      GetParam() == Backend::kIommufdCompatType1)
    GTEST_SKIP() << "iommufd (native, or its compat container on /dev/iommu) has no entry limit";
  const char* param = "/sys/module/vfio_iommu_type1/parameters/dma_entry_limit";
  std::string saved;
  std::ifstream(param) >> saved;
  if (saved.empty()) GTEST_SKIP() << "no " << param << ": the container is iommufd's compat layer";
  constexpr int kLimit = 8;
  edu_.reset();
  dma_.reset();
  dev_.reset();
  std::ofstream(param) << kLimit;
  struct Restore {
    const char* param;
    std::string value;
    ~Restore() { std::ofstream(param) << value; }
  } restore{param, saved};
  dev_ = Device::open_unique(bdf_, GetParam());
  auto buf = DmaBuffer::allocate(4096 * (kLimit + 1));
  auto* bytes = static_cast<uint8_t*>(buf.data());
  std::vector<std::unique_ptr<DmaMapping>> maps;
  int mapped = 0;
  try {
    // Every other IOVA page: adjacent ones would be merged into one entry by the kernel.
    for (int i = 0; i <= kLimit; ++i, ++mapped)
      maps.push_back(std::make_unique<DmaMapping>(dev_->context(), bytes + 4096 * i, 4096,
                                                  0x200000 + 0x2000 * static_cast<uint64_t>(i)));
    FAIL() << "mapped " << kLimit + 1 << " entries past a limit of " << kLimit;
  } catch (const Error& e) {
    std::printf("mapping %d of limit %d: %s\n", mapped + 1, kLimit, e.what());
    EXPECT_EQ(e.error_code(), ENOSPC) << e.what();
    EXPECT_NE(e.hint().find("dma_entry_limit"), std::string::npos) << e.what();
    EXPECT_EQ(mapped, kLimit) << "the kernel refused before its limit";
  }
  if (const auto avail = dev_->context()->dma_avail()) EXPECT_EQ(*avail, 0u);
  maps.clear();  // every entry unmapped again
  if (const auto avail = dev_->context()->dma_avail())
    EXPECT_EQ(*avail, static_cast<uint32_t>(kLimit));
}

TEST_P(Ownership, UnmappingWhatIsNotMappedIsAnError) {
  try {
    dev_->context()->unmap(0x7000000, 4096);
    FAIL() << "unmap of nothing succeeded";
  } catch (const Error& e) {
    std::printf("%s\n", e.what());
    EXPECT_NE(std::string(e.what()).find("0x7000000"), std::string::npos);
  }
}

TEST_P(Ownership, SecondProcessCannotTakeTheDevice) {
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    int code = 0;
    try {
      Device other = Device::open(bdf_, GetParam());
      code = 10;  // must not succeed
    } catch (const Error& e) {
      std::fprintf(stderr, "child: %s\n", e.what());
      // Groups answer EBUSY; a cdev already bound answers EINVAL, which the hint explains.
      const bool busy =
          e.error_code() == EBUSY ||
          (e.error_code() == EINVAL && e.hint().find("already open") != std::string::npos);
      code = busy ? 0 : 20 + (e.error_code() & 0x3f);
    }
    _exit(code);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "second open should fail as busy";
}

TEST_P(Ownership, MemlockLimitIsReportedWithTheLimit) {
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    rlimit rl{64 * 1024, 64 * 1024};
    if (setrlimit(RLIMIT_MEMLOCK, &rl) != 0 || setgid(65534) != 0 || setuid(65534) != 0) _exit(30);
    auto buf = DmaBuffer::allocate(4 << 20);
    try {
      DmaMapping m(dev_->context(), buf.data(), buf.size(), 0x4000000);
      _exit(10);
    } catch (const Error& e) {
      std::fprintf(stderr, "child: %s\n", e.what());
      if (e.error_code() != ENOMEM) _exit(11);
      _exit(e.hint().find("RLIMIT_MEMLOCK is 64 KiB") != std::string::npos ? 0 : 12);
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: exit code 10 = mapped despite the limit, 11 = wrong "
                                       "errno, 12 = hint without the limit";
}

TEST(Hugepages, NoneReservedIsAClearError) {
  std::ofstream("/proc/sys/vm/nr_hugepages") << 0;
  try {
    DmaBuffer::allocate(2 << 20, PageBacking::k2M);
    FAIL() << "allocated a hugepage with none reserved";
  } catch (const Error& e) {
    EXPECT_NE(e.hint().find("/proc/sys/vm/nr_hugepages"), std::string::npos) << e.what();
  }
  std::ofstream("/proc/sys/vm/nr_hugepages") << 4;
  auto b = DmaBuffer::allocate(2 << 20, PageBacking::k2M);
  EXPECT_EQ(b.page_size(), 2u << 20);
  auto a = DmaBuffer::allocate(4 << 20);  // kAuto picks hugepages when enough are free
  EXPECT_EQ(a.backing(), PageBacking::k2M);
}

INSTANTIATE_TEST_SUITE_P(Backends, Ownership, ::testing::ValuesIn(test::test_backends()),
                         [](const auto& info) { return test::backend_param_name(info.param); });

}  // namespace
}  // namespace vfiokit
