#include "vfiokit/vfio/error.hpp"

#include <cerrno>

#include <gtest/gtest.h>

namespace vfiokit {
namespace {

TEST(Error, MessageNamesOperationObjectErrnoAndHint) {
  try {
    throw_error("VFIO_IOMMU_MAP_DMA", "IOVA [0x1000, 0x1fff]", EEXIST);
  } catch (const Error& e) {
    const std::string w = e.what();
    EXPECT_NE(w.find("VFIO_IOMMU_MAP_DMA on IOVA [0x1000, 0x1fff]"), std::string::npos) << w;
    EXPECT_NE(w.find("errno 17"), std::string::npos) << w;
    EXPECT_NE(w.find("overlaps"), std::string::npos) << w;
    EXPECT_EQ(e.error_code(), EEXIST);
    return;
  }
  FAIL();
}

TEST(Error, KnownHints) {
  EXPECT_NE(errno_hint("VFIO_SET_IOMMU(TYPE1v2)", EPERM).find("allow_unsafe_interrupts"),
            std::string::npos);
  EXPECT_NE(errno_hint("VFIO_IOMMU_MAP_DMA", ENOSPC).find("dma_entry_limit"), std::string::npos);
  EXPECT_NE(errno_hint("IOMMU_IOAS_MAP", EEXIST).find("overlaps"), std::string::npos);
  EXPECT_NE(errno_hint("open group", EBUSY).find("fuser"), std::string::npos);
  EXPECT_TRUE(errno_hint("VFIO_DEVICE_GET_INFO", EIO).empty());
}

TEST(Error, MemlockHintQuotesTheLimit) {
  const std::string h = errno_hint("VFIO_IOMMU_MAP_DMA", ENOMEM);
  EXPECT_TRUE(h.find("RLIMIT_MEMLOCK") != std::string::npos ||
              h.find("out of memory") != std::string::npos)
      << h;
}

}  // namespace
}  // namespace vfiokit
