// NvmeDriver over the in-memory controller model (tests/support/nvme_model.hpp) behind
// FakeVfio: init, Read/Write through PRPs, and what init does with device values that are
// out of line.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "tests/support/nvme_model.hpp"
#include "vfiokit/dma/buffer.hpp"
#include "vfiokit/dma/mapping.hpp"
#include "vfiokit/drivers/nvme/nvme.hpp"
#include "vfiokit/vfio/container.hpp"
#include "vfiokit/vfio/error.hpp"
#include "vfiokit/vfio/iommufd.hpp"

namespace vfiokit {
namespace {

using testing::FakeVfio;
using testing::NvmeControllerModel;

class NvmeOverModel : public ::testing::Test {
 protected:
  NvmeOverModel() { fake_.bar0 = &model_; }
  void open(bool iommufd = false) {
#if VFIOKIT_HAVE_IOMMUFD
    if (iommufd)
      ctx_ = std::make_shared<Iommufd>(fake_.sysfs());
    else
#endif
      ctx_ = std::make_shared<Container>(false, fake_.sysfs());
    device_ = std::make_unique<Device>(ctx_, fake_.bdf);
    dma_ = DmaSpace::create(ctx_);
  }
  std::unique_ptr<NvmeDriver> driver(NvmeOptions options = {}) {
    if (!device_) open();
    return std::make_unique<NvmeDriver>(*device_, dma_, options);
  }
  // Runs init and expects it to fail with `err`; returns the error's text.
  std::string init_fails(int err, NvmeOptions options = {}) {
    auto d = driver(options);
    try {
      d->init();
    } catch (const Error& e) {
      EXPECT_EQ(e.error_code(), err) << e.what();
      return e.what();
    }
    ADD_FAILURE() << "init succeeded";
    return {};
  }

  FakeVfio fake_;
  NvmeControllerModel model_{fake_};
  raw::ScopedVfioOps scope_{fake_};
  std::shared_ptr<IommuContext> ctx_;
  std::unique_ptr<Device> device_;
  std::shared_ptr<DmaSpace> dma_;
};

TEST_F(NvmeOverModel, InitIdentifiesAndCreatesTheIoQueues) {
  auto d = driver();
  d->init();
  EXPECT_EQ(d->controller().model, "vfiokit NVMe controller model");
  EXPECT_EQ(d->ns().nsid, 1u);
  EXPECT_EQ(d->lba_size(), 512u);
  EXPECT_EQ(d->max_transfer(), 128u * 1024);  // MDTS 5 of 4 KiB pages
  EXPECT_EQ(d->io_queue_depth(), 255u);       // MQES 255: 256 entries
  EXPECT_EQ(model_.errors(), 0u);
  EXPECT_GT(fake_.mappings().size(), 0u);
  d->remove();
  EXPECT_EQ(model_.cc() & 1, 0u);  // disabled
  EXPECT_EQ(model_.errors(), 0u);
}

TEST_F(NvmeOverModel, WriteThenReadThroughPrpListsInBothCompletionModes) {
  for (auto mode : {NvmeCompletionMode::kInterrupt, NvmeCompletionMode::kPoll}) {
    NvmeOptions o;
    o.completion = mode;
    auto d = driver(o);
    d->init();
    // 64 KiB: PRP1 and a PRP list of 15 entries.
    auto src = DmaBuffer::allocate(64 * 1024, PageBacking::k4K);
    auto dst = DmaBuffer::allocate(64 * 1024, PageBacking::k4K);
    for (size_t i = 0; i < src.size(); ++i) src.bytes()[i] = static_cast<uint8_t>(i * 7 + 1);
    DmaMapping ms = dma_->map(src), md = dma_->map(dst);
    d->write(100, 128, ms.iova());
    d->read(100, 128, md.iova());
    EXPECT_EQ(std::memcmp(src.data(), dst.data(), src.size()), 0);
    EXPECT_EQ(model_.block(1, 101)[0], src.bytes()[512]);
    // One block, PRP1 alone; and two pages, PRP1 + PRP2.
    d->read(101, 1, md.iova());
    EXPECT_EQ(dst.bytes()[0], src.bytes()[512]);
    d->read(100, 16, md.iova());
    EXPECT_EQ(std::memcmp(src.data(), dst.data(), 8192), 0);
    EXPECT_EQ(model_.errors(), 0u) << completion_mode_name(mode);
    d->remove();
  }
}

#if VFIOKIT_HAVE_IOMMUFD
TEST_F(NvmeOverModel, InitAndIoOverIommufd) {
  open(true);
  auto d = driver();
  d->init();
  auto buf = DmaBuffer::allocate(4096, PageBacking::k4K);
  std::memset(buf.data(), 0xa5, buf.size());
  DmaMapping m = dma_->map(buf);
  d->write(7, 8, m.iova());
  EXPECT_EQ(model_.block(1, 7)[0], 0xa5);
  d->remove();
  EXPECT_EQ(model_.errors(), 0u);
}
#endif

TEST_F(NvmeOverModel, ReadOutsideTheNamespaceIsRefusedBeforeTheDevice) {
  auto d = driver();
  d->init();
  auto buf = DmaBuffer::allocate(4096, PageBacking::k4K);
  DmaMapping m = dma_->map(buf);
  const uint64_t before = model_.commands();
  EXPECT_THROW(d->read(4096, 1, m.iova()), Error);
  EXPECT_EQ(model_.commands(), before);
}

TEST_F(NvmeOverModel, ControllerErrorStatusIsReportedWithItsText) {
  model_.quirks.fail_opcode = 0x09;         // Set Features
  model_.quirks.fail_opcode_status = 0x06;  // Internal Error
  const std::string what = init_fails(EIO);
  EXPECT_NE(what.find("Set Features (Number of Queues)"), std::string::npos) << what;
}

TEST_F(NvmeOverModel, FatalStatusOnEnableIsReported) {
  model_.quirks.fatal_on_enable = true;
  const std::string what = init_fails(EIO);
  EXPECT_NE(what.find("CSTS.CFS"), std::string::npos) << what;
}

TEST_F(NvmeOverModel, StrayCompletionsDoNotConfuseInit) {
  // Every completion twice, with garbage in SQHD and DW0: the duplicates carry cids nobody
  // waits for by then, and are dropped.
  model_.quirks.duplicate_cqe = true;
  model_.quirks.sqhd_xor = 0x5a5a;
  auto d = driver();
  d->init();
  auto buf = DmaBuffer::allocate(4096, PageBacking::k4K);
  DmaMapping m = dma_->map(buf);
  d->read(0, 8, m.iova());
}

// fuzz_nvme_init's second finding: with every completion posted twice, the repeat of
// Create I/O CQ's success was taken for Create I/O SQ's (same cid, reused), so a failed
// Create I/O SQ went unseen and init "succeeded" without an I/O SQ
// (tests/fuzz/corpus/nvme_init/duplicate-cqe-hides-failure).
TEST_F(NvmeOverModel, RepeatedCompletionDoesNotHideAFailedCommand) {
  model_.quirks.duplicate_cqe = true;
  model_.quirks.fail_opcode = 0x01;         // Create I/O SQ
  model_.quirks.fail_opcode_status = 0x06;  // Internal Error
  const std::string what = init_fails(EIO);
  EXPECT_NE(what.find("Create I/O Submission Queue"), std::string::npos) << what;
}

TEST_F(NvmeOverModel, ControllerThatNeverBecomesReadyTimesOutNamingCapTo) {
  model_.quirks.never_ready = true;  // CAP.TO 1: the driver waits its floor of 500 ms
  const std::string what = init_fails(ETIMEDOUT);
  EXPECT_NE(what.find("CSTS.RDY did not become 1"), std::string::npos) << what;
}

// A BAR0 the kernel reports too small for the doorbells: the first doorbell write is
// refused by MappedRegion (ERANGE, naming the offset and the region's size).
TEST_F(NvmeOverModel, Bar0TooSmallForTheDoorbellsIsAnError) {
  fake_.bar0_size = 0x1000;
  const std::string what = init_fails(ERANGE);
  EXPECT_NE(what.find("offset 0x1000"), std::string::npos) << what;
}

TEST_F(NvmeOverModel, NoNvmCommandSetIsRefused) {
  model_.cap &= ~(0xffull << 37);
  EXPECT_NE(init_fails(ENOTSUP).find("CAP.CSS"), std::string::npos);
}

TEST_F(NvmeOverModel, MqesZeroIsRefused) {
  model_.cap &= ~0xffffull;
  EXPECT_NE(init_fails(ENOTSUP).find("CAP.MQES"), std::string::npos);
}

TEST_F(NvmeOverModel, TinyMqesClampsTheQueues) {
  model_.cap = (model_.cap & ~0xffffull) | 3;  // 4 entries
  auto d = driver();
  d->init();
  EXPECT_EQ(d->io_queue_depth(), 3u);
}

TEST_F(NvmeOverModel, LargeDoorbellStrideWorks) {
  model_.cap |= 2ull << 32;  // DSTRD 2: 16-byte stride
  auto d = driver();
  d->init();
  auto buf = DmaBuffer::allocate(4096, PageBacking::k4K);
  DmaMapping m = dma_->map(buf);
  d->read(0, 8, m.iova());
}

// fuzz_nvme_init's first finding: MPSMIN 15 (128 MiB pages) made init allocate and map a
// 128 MiB page for every queue and buffer (tests/fuzz/corpus/nvme_init/mpsmin-128m).
TEST_F(NvmeOverModel, HugeMinimumPageSizeIsRefused) {
  model_.cap |= 0xfull << 48 | 0xfull << 52;  // MPSMIN = MPSMAX = 15
  EXPECT_NE(init_fails(ENOTSUP).find("CAP.MPSMIN 134217728 B"), std::string::npos);
  EXPECT_TRUE(fake_.mappings().empty());
}

TEST_F(NvmeOverModel, LargerPagesUpTo64KiBWork) {
  model_.cap = (model_.cap & ~(0xffull << 48)) | 4ull << 48 | 4ull << 52;  // 64 KiB
  auto d = driver();
  d->init();
  EXPECT_EQ(d->page_size(), 65536u);
  auto buf = DmaBuffer::allocate(256 * 1024, PageBacking::k4K);
  DmaMapping m = dma_->map(buf.data(), buf.size(), DmaAccess::kReadWrite, 65536);
  d->write(0, 256, m.iova());
  d->read(0, 256, m.iova());
  EXPECT_EQ(model_.errors(), 0u);
}

TEST_F(NvmeOverModel, NoActiveNamespaceIsRefused) {
  model_.id_ns.clear();
  EXPECT_NE(init_fails(ENODEV).find("no active namespace"), std::string::npos);
}

TEST_F(NvmeOverModel, BadLbaDataSizeIsRefusedNamingTheField) {
  model_.id_ns[1][128 + 2] = 40;  // LBADS 40
  EXPECT_NE(init_fails(EINVAL).find("LBADS 40"), std::string::npos);
}

TEST_F(NvmeOverModel, MetadataFormatsAreRefused) {
  model_.id_ns[1][128] = 8;  // 8 metadata bytes per block
  EXPECT_NE(init_fails(ENOTSUP).find("metadata"), std::string::npos);
}

TEST_F(NvmeOverModel, MdtsBelowOneBlockIsRefused) {
  model_.id_ns[1][128 + 2] = 16;  // 64 KiB blocks
  model_.id_ctrl[77] = 1;         // MDTS 1: 8 KiB
  EXPECT_NE(init_fails(EINVAL).find("MDTS"), std::string::npos);
}

}  // namespace
}  // namespace vfiokit
