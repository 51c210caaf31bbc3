#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "vfiokit/drivers/nvme/identify.hpp"
#include "vfiokit/vfio/error.hpp"

namespace vfiokit::nvme {
namespace {

using Page = std::vector<uint8_t>;

void put(Page& p, size_t off, uint64_t v, size_t n) {
  for (size_t i = 0; i < n; ++i) p[off + i] = static_cast<uint8_t>(v >> (8 * i));
}

void put_str(Page& p, size_t off, size_t len, const char* s) {
  std::memset(p.data() + off, ' ', len);
  std::memcpy(p.data() + off, s, std::strlen(s));
}

// An Identify Controller page like QEMU 7.2's nvme with serial vfiokit0.
Page qemu_controller() {
  Page p(kIdentifySize);
  put(p, 0, 0x1b36, 2);
  put(p, 2, 0x1af4, 2);
  put_str(p, 4, 20, "vfiokit0");
  put_str(p, 24, 40, "QEMU NVMe Ctrl");
  put_str(p, 64, 8, "7.2.0");
  p[77] = 7;
  put(p, 78, 0, 2);
  put(p, 80, 0x00010400, 4);
  put(p, 256, 0x10a, 2);  // OACS: Format NVM, Namespace Management, Doorbell Buffer Config
  p[512] = 0x66;
  p[513] = 0x44;
  put(p, 516, 256, 4);
  put(p, 520, 0x15d, 2);
  p[525] = 1;
  return p;
}

TEST(NvmeIdentify, ParsesController) {
  const ControllerInfo c = parse_identify_controller(qemu_controller());
  EXPECT_EQ(c.vid, 0x1b36);
  EXPECT_EQ(c.ssvid, 0x1af4);
  EXPECT_EQ(c.serial, "vfiokit0");
  EXPECT_EQ(c.model, "QEMU NVMe Ctrl");
  EXPECT_EQ(c.firmware, "7.2.0");
  EXPECT_EQ(c.mdts, 7);
  EXPECT_EQ(c.ver, 0x00010400u);
  EXPECT_EQ(c.sqes, 0x66);
  EXPECT_EQ(c.cqes, 0x44);
  EXPECT_EQ(c.nn, 256u);
  EXPECT_EQ(c.oncs, 0x15d);
  EXPECT_EQ(c.vwc, 1);
  EXPECT_EQ(c.oacs, 0x10a);
  EXPECT_TRUE(c.doorbell_buffer_config());
}

TEST(NvmeIdentify, OacsBit8IsDoorbellBufferConfig) {
  Page p = qemu_controller();
  put(p, 256, 0xfeff, 2);  // every bit but 8
  EXPECT_FALSE(parse_identify_controller(p).doorbell_buffer_config());
  put(p, 256, 0x0100, 2);
  EXPECT_TRUE(parse_identify_controller(p).doorbell_buffer_config());
}

TEST(NvmeIdentify, StringsStopAtPaddingAndHideControlBytes) {
  Page p = qemu_controller();
  std::memset(p.data() + 4, 0, 20);
  std::memcpy(p.data() + 4, "AB\x01", 3);
  EXPECT_EQ(parse_identify_controller(p).serial, "AB?");
  std::memset(p.data() + 24, ' ', 40);
  EXPECT_EQ(parse_identify_controller(p).model, "");
}

Page namespace_page(uint64_t nsze, uint8_t flbas, std::vector<uint32_t> formats) {
  Page p(kIdentifySize);
  put(p, 0, nsze, 8);
  put(p, 8, nsze, 8);
  put(p, 16, nsze / 2, 8);
  p[25] = static_cast<uint8_t>(formats.size() - 1);
  p[26] = flbas;
  for (size_t i = 0; i < formats.size(); ++i) put(p, 128 + 4 * i, formats[i], 4);
  return p;
}

TEST(NvmeIdentify, ParsesNamespaceAndItsFormat) {
  // 64 MiB of 512-byte blocks; formats: 512 B, 512+8 B, 4 KiB (in use).
  const Page p = namespace_page(131072, 2, {9u << 16, 9u << 16 | 8, 12u << 16 | 1u << 24});
  const NamespaceInfo n = parse_identify_namespace(p, 1);
  EXPECT_EQ(n.nsid, 1u);
  EXPECT_EQ(n.nsze, 131072u);
  EXPECT_EQ(n.nuse, 65536u);
  EXPECT_EQ(n.nlbaf, 2);
  ASSERT_EQ(n.formats.size(), 3u);
  EXPECT_EQ(n.formats[1].metadata_size, 8);
  EXPECT_EQ(n.formats[2].relative_perf, 1);
  EXPECT_EQ(n.format_index, 2);
  EXPECT_EQ(n.lba_size, 4096u);
  EXPECT_EQ(n.metadata_size, 0);
  EXPECT_EQ(n.bytes(), 131072ull * 4096);
}

TEST(NvmeIdentify, NamespaceErrors) {
  EXPECT_THROW(parse_identify_namespace(namespace_page(0, 0, {9u << 16}), 1), Error);
  // FLBAS points past NLBAF.
  EXPECT_THROW(parse_identify_namespace(namespace_page(8, 3, {9u << 16}), 1), Error);
  // LBADS 0: an unused format.
  EXPECT_THROW(parse_identify_namespace(namespace_page(8, 0, {0}), 1), Error);
  EXPECT_THROW(parse_identify_namespace(Page(512), 1), Error);
}

TEST(NvmeIdentify, MdtsInBytesNeverOverflows) {
  ControllerInfo c;
  EXPECT_EQ(c.max_transfer_bytes(4096), UINT64_MAX);  // MDTS 0: no limit
  c.mdts = 5;
  EXPECT_EQ(c.max_transfer_bytes(4096), 128u * 1024);
  c.mdts = 51;  // 2^12 << 51 = 2^63: the largest that fits
  EXPECT_EQ(c.max_transfer_bytes(4096), uint64_t{1} << 63);
  EXPECT_EQ(c.max_transfer_bytes(1u << 27), UINT64_MAX);  // MPSMIN 15: 2^78
  // A device byte up to 255: shifting by it (>= 64) was undefined; now "no limit".
  for (const unsigned mdts : {52u, 63u, 64u, 65u, 200u, 255u}) {
    c.mdts = static_cast<uint8_t>(mdts);
    EXPECT_EQ(c.max_transfer_bytes(4096), UINT64_MAX) << "MDTS " << mdts;
  }
}

TEST(NvmeIdentify, NamespaceBytesSaturate) {
  NamespaceInfo n;
  n.nsze = UINT64_MAX / 2;  // a device's NSZE times 4 KiB blocks: past 64 bits
  n.lba_size = 4096;
  EXPECT_EQ(n.bytes(), UINT64_MAX);
  n.nsze = 1000;
  EXPECT_EQ(n.bytes(), 4096000u);
}

TEST(NvmeIdentify, NamespaceList) {
  Page p(kIdentifySize);
  put(p, 0, 1, 4);
  put(p, 4, 3, 4);
  put(p, 8, 0x10, 4);
  EXPECT_EQ(parse_namespace_list(p), (std::vector<uint32_t>{1, 3, 0x10}));
  EXPECT_TRUE(parse_namespace_list(Page(kIdentifySize)).empty());
}

}  // namespace
}  // namespace vfiokit::nvme
