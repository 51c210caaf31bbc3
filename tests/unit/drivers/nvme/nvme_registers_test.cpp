#include <gtest/gtest.h>

#include "vfiokit/drivers/nvme/registers.hpp"

namespace vfiokit::nvme {
namespace {

TEST(NvmeRegisters, DecodesQemuCap) {
  // QEMU 7.2 nvme: MQES 0x7ff, CQR 1, TO 0xf, DSTRD 0, NSSRS 0, CSS 0x41 (NVM + admin-only),
  // MPSMIN 0, MPSMAX 4, CMBS 0.
  const uint64_t v = 0x7ffull | 1ull << 16 | 0xfull << 24 | 0x41ull << 37 | 4ull << 52;
  const Cap c = decode_cap(v);
  EXPECT_EQ(c.mqes_entries, 2048u);
  EXPECT_TRUE(c.cqr);
  EXPECT_EQ(c.ams, 0);
  EXPECT_EQ(c.timeout_ms, 7500u);
  EXPECT_EQ(c.doorbell_stride, 4u);
  EXPECT_FALSE(c.nssrs);
  EXPECT_EQ(c.css, 0x41);
  EXPECT_EQ(c.mps_min, 4096u);
  EXPECT_EQ(c.mps_max, 65536u);
  EXPECT_FALSE(c.cmbs);
  EXPECT_FALSE(c.pmrs);
}

TEST(NvmeRegisters, DecodesEveryCapField) {
  const uint64_t v = 0x3full | 2ull << 17 | 0x28ull << 24 | 3ull << 32 | 1ull << 36 | 1ull << 37 |
                     1ull << 45 | 2ull << 48 | 3ull << 52 | 1ull << 56 | 1ull << 57;
  const Cap c = decode_cap(v);
  EXPECT_EQ(c.mqes_entries, 64u);
  EXPECT_FALSE(c.cqr);
  EXPECT_EQ(c.ams, 2);
  EXPECT_EQ(c.timeout_ms, 40u * 500);
  EXPECT_EQ(c.doorbell_stride, 32u);  // 2^(2+3)
  EXPECT_TRUE(c.nssrs);
  EXPECT_EQ(c.css, 1);
  EXPECT_TRUE(c.bps);
  EXPECT_EQ(c.mps_min, 16384u);
  EXPECT_EQ(c.mps_max, 32768u);
  EXPECT_TRUE(c.pmrs);
  EXPECT_TRUE(c.cmbs);
}

TEST(NvmeRegisters, DecodesVersion) {
  const Version v = decode_version(0x00010400);
  EXPECT_EQ(v.major, 1);
  EXPECT_EQ(v.minor, 4);
  EXPECT_EQ(v.tertiary, 0);
  const Version w = decode_version(0x00020001);
  EXPECT_EQ(w.major, 2);
  EXPECT_EQ(w.minor, 0);
  EXPECT_EQ(w.tertiary, 1);
}

TEST(NvmeRegisters, DoorbellOffsetsFollowTheStride) {
  EXPECT_EQ(sq_tail_doorbell(0, 4), 0x1000u);
  EXPECT_EQ(cq_head_doorbell(0, 4), 0x1004u);
  EXPECT_EQ(sq_tail_doorbell(1, 4), 0x1008u);
  EXPECT_EQ(cq_head_doorbell(1, 4), 0x100cu);
  EXPECT_EQ(sq_tail_doorbell(1, 16), 0x1020u);
  EXPECT_EQ(cq_head_doorbell(1, 16), 0x1030u);
}

TEST(NvmeRegisters, ShadowBufferSizeFollowsTheDoorbellStride) {
  // DSTRD 0: queue 1's CQ head slot ends at byte 16 of the page.
  EXPECT_EQ(shadow_buffer_bytes(1, decode_cap(0x1).doorbell_stride), 16u);
  // The largest stride (DSTRD 15, 128 KiB) puts it far past any 4 KiB page: the driver
  // must not use shadows then (it would write past the buffer).
  const uint32_t widest = decode_cap(0xfull << 32).doorbell_stride;
  EXPECT_EQ(widest, 128u * 1024);
  EXPECT_EQ(shadow_buffer_bytes(1, widest), 3u * 128 * 1024 + 4);
  EXPECT_GT(shadow_buffer_bytes(1, decode_cap(9ull << 32).doorbell_stride), 4096u);
  EXPECT_LE(shadow_buffer_bytes(1, decode_cap(8ull << 32).doorbell_stride), 4096u);
  // No 32-bit wrap for the highest queue ID.
  EXPECT_EQ(shadow_buffer_bytes(65535, widest), (2ull * 65535 + 1) * 128 * 1024 + 4);
}

TEST(NvmeRegisters, AqaIsZeroBased) {
  EXPECT_EQ(make_aqa(32, 32), 0x001f001fu);
  EXPECT_EQ(make_aqa(4096, 2), 0x00010fffu);
}

TEST(NvmeRegisters, CcEncodesPageSizeAndEntrySizes) {
  EXPECT_EQ(make_cc(4096), 0x00460000u);  // IOCQES 4, IOSQES 6, MPS 0, CSS 0, EN 0
  EXPECT_EQ(make_cc(16384), 0x00460000u | 2u << kCcMpsShift);
  EXPECT_EQ(make_cc(4096) & kCcEn, 0u);
}

}  // namespace
}  // namespace vfiokit::nvme
