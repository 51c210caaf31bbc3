#include "vfio/human_bytes.hpp"

#include <gtest/gtest.h>

#include <cstdint>

namespace vfiokit::pci {
namespace {

TEST(HumanBytes, BinaryUnitsOneTruncatedDecimal) {
  EXPECT_EQ(human_bytes(0), "0 B");
  EXPECT_EQ(human_bytes(1023), "1023 B");
  EXPECT_EQ(human_bytes(1024), "1 KiB");
  EXPECT_EQ(human_bytes(1536), "1.5 KiB");
  EXPECT_EQ(human_bytes(2047), "1.9 KiB") << "truncated, never more than there is";
  EXPECT_EQ(human_bytes(256ull << 20), "256 MiB");
  EXPECT_EQ(human_bytes((1ull << 30) + 1), "1 GiB");
  EXPECT_EQ(human_bytes(3ull << 29), "1.5 GiB");
  EXPECT_EQ(human_bytes(64ull << 30), "64 GiB");
  EXPECT_EQ(human_bytes(UINT64_MAX), "15.9 EiB");
}

}  // namespace
}  // namespace vfiokit::pci
