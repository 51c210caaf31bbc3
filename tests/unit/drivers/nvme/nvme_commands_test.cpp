#include <gtest/gtest.h>

#include <cstring>

#include "vfiokit/drivers/nvme/commands.hpp"

namespace vfiokit::nvme {
namespace {

// The raw dwords of an SQE as the controller reads them (little-endian host).
std::array<uint32_t, 16> dwords(const Sqe& s) {
  std::array<uint32_t, 16> d{};
  std::memcpy(d.data(), &s, sizeof(s));
  return d;
}

TEST(NvmeCommands, SqeLayoutMatchesTheSpec) {
  Sqe s;
  s.opcode = 0x02;
  s.cid = 0x1234;
  s.nsid = 7;
  s.mptr = 0x1111222233334444ull;
  s.prp1 = 0xaaaabbbbccccddddull;
  s.prp2 = 0x5555666677778888ull;
  s.cdw10 = 10;
  s.cdw15 = 15;
  const auto d = dwords(s);
  EXPECT_EQ(d[0], 0x12340002u);  // CID 31:16, opcode 7:0
  EXPECT_EQ(d[1], 7u);
  EXPECT_EQ(d[4], 0x33334444u);  // MPTR at DW4-5
  EXPECT_EQ(d[5], 0x11112222u);
  EXPECT_EQ(d[6], 0xccccddddu);  // PRP1 at DW6-7
  EXPECT_EQ(d[7], 0xaaaabbbbu);
  EXPECT_EQ(d[8], 0x77778888u);  // PRP2 at DW8-9
  EXPECT_EQ(d[10], 10u);
  EXPECT_EQ(d[15], 15u);
}

TEST(NvmeCommands, CqeLayoutMatchesTheSpec) {
  const uint32_t raw[4] = {0xdeadbeef, 0, 0x0001002a, 0x0005abcd};  // SQID 1, SQHD 42
  Cqe e;
  std::memcpy(&e, raw, sizeof(e));
  EXPECT_EQ(e.dw0, 0xdeadbeefu);
  EXPECT_EQ(e.sqhd, 42);
  EXPECT_EQ(e.sqid, 1);
  EXPECT_EQ(e.cid, 0xabcd);
  EXPECT_EQ(e.status & 1, 1);                         // phase tag
  EXPECT_EQ(status_code(status_field(e.status)), 2);  // Invalid Field in Command
}

TEST(NvmeCommands, IdentifyEncodesCnsAndNsid) {
  const Sqe s = make_identify(kCnsNamespace, 3, 0x10000);
  EXPECT_EQ(s.opcode, 0x06);
  EXPECT_EQ(s.nsid, 3u);
  EXPECT_EQ(s.prp1, 0x10000u);
  EXPECT_EQ(s.cdw10, 0u);
  EXPECT_EQ(make_identify(kCnsController, 0, 0).cdw10, 1u);
  EXPECT_EQ(make_identify(kCnsActiveNamespaces, 0, 0).cdw10, 2u);
}

TEST(NvmeCommands, CreateIoCqWithAndWithoutInterrupts) {
  const Sqe s = make_create_io_cq(1, 256, 0x200000, 1, true);
  EXPECT_EQ(s.opcode, 0x05);
  EXPECT_EQ(s.prp1, 0x200000u);
  EXPECT_EQ(s.cdw10, 0x00ff0001u);  // QSIZE 255, QID 1
  EXPECT_EQ(s.cdw11, 0x00010003u);  // IV 1, IEN, PC
  const Sqe p = make_create_io_cq(1, 256, 0x200000, 1, false);
  EXPECT_EQ(p.cdw11, 0x00000001u);  // no IEN: polled
}

TEST(NvmeCommands, CreateIoSqNamesItsCq) {
  const Sqe s = make_create_io_sq(2, 64, 0x300000, 5);
  EXPECT_EQ(s.opcode, 0x01);
  EXPECT_EQ(s.cdw10, 0x003f0002u);
  EXPECT_EQ(s.cdw11, 0x00050001u);  // CQID 5, PC
}

TEST(NvmeCommands, DeleteQueues) {
  EXPECT_EQ(make_delete_io_sq(1).opcode, 0x00);
  EXPECT_EQ(make_delete_io_cq(1).opcode, 0x04);
  EXPECT_EQ(make_delete_io_cq(9).cdw10, 9u);
}

TEST(NvmeCommands, Features) {
  const Sqe g = make_get_features(kFeatureNumQueues);
  EXPECT_EQ(g.opcode, 0x0a);
  EXPECT_EQ(g.cdw10, 7u);
  const Sqe s = make_set_num_queues(4, 2);
  EXPECT_EQ(s.opcode, 0x09);
  EXPECT_EQ(s.cdw10, 7u);
  EXPECT_EQ(s.cdw11, 0x00010003u);  // NCQR 1, NSQR 3 (0's based)
}

TEST(NvmeCommands, DoorbellBufferConfigPassesBothPages) {
  const Sqe s = make_doorbell_buffer_config(0x10000, 0x11000);
  EXPECT_EQ(s.opcode, 0x7c);
  EXPECT_EQ(s.prp1, 0x10000u);  // Shadow Doorbell buffer
  EXPECT_EQ(s.prp2, 0x11000u);  // EventIdx buffer
  EXPECT_EQ(s.nsid, 0u);
  EXPECT_EQ(s.cdw10, 0u);
}

TEST(NvmeCommands, ReadWriteSplitTheLbaAndCountFromZero) {
  const Sqe r = make_rw(kNvmRead, 1, 0x123456789aull, 8);
  EXPECT_EQ(r.opcode, 0x02);
  EXPECT_EQ(r.nsid, 1u);
  EXPECT_EQ(r.cdw10, 0x3456789au);
  EXPECT_EQ(r.cdw11, 0x12u);
  EXPECT_EQ(r.cdw12, 7u);
  EXPECT_EQ(make_rw(kNvmWrite, 1, 0, 65536).cdw12, 0xffffu);
  EXPECT_EQ(make_rw(kNvmWrite, 1, 0, 1).opcode, 0x01);
}

TEST(NvmeCommands, StatusDecoding) {
  EXPECT_TRUE(status_ok(0));
  EXPECT_EQ(status_text(0), "SCT 0h SC 00h (Successful Completion)");
  const uint16_t lba_range = 0x80 | 1u << 14;  // generic, LBA Out of Range, DNR
  EXPECT_FALSE(status_ok(lba_range));
  EXPECT_TRUE(status_dnr(lba_range));
  EXPECT_EQ(status_text(lba_range), "SCT 0h SC 80h (LBA Out of Range), DNR");
  const uint16_t bad_q = 1u << 8 | 0x01;  // command specific, Invalid Queue Identifier
  EXPECT_EQ(status_type(bad_q), 1);
  EXPECT_EQ(status_text(bad_q), "SCT 1h SC 01h (Invalid Queue Identifier)");
  EXPECT_EQ(status_text(2u << 8 | 0x81), "SCT 2h SC 81h (Unrecovered Read Error)");
  EXPECT_EQ(status_text(7u << 8 | 0x42), "SCT 7h SC 42h");
  // More bits (M, CRD) do not change success: only SC and SCT do.
  EXPECT_TRUE(status_ok(1u << 13));
}

}  // namespace
}  // namespace vfiokit::nvme
