// /dev/kmsg records and what counts as IOMMU fault evidence: only the kernel's own
// records (facility 0), never a line someone wrote into /dev/kmsg.
#include "vfio/kernel_log.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace vfiokit {
namespace {

constexpr const char* kDmar =
    "DMAR: [DMA Write NO_PASID] Request device [00:03.0] fault addr 0x1000 [fault reason 0x05] "
    "PTE Write access is not set";

std::string record(unsigned pri, const std::string& text) {
  return std::to_string(pri) + ",1234,5678901,-;" + text +
         "\n SUBSYSTEM=pci\n DEVICE=+pci:0000:00:03.0\n";
}

TEST(KernelLog, RecordFieldsAreDecoded) {
  const auto r = parse_kmsg_record("3,1234,5678901,-,caller=T1;hello\n KEY=v\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->facility, 0u);
  EXPECT_EQ(r->level, 3u);
  EXPECT_EQ(r->seq, 1234u);
  EXPECT_EQ(r->text, "hello");
  EXPECT_TRUE(r->from_kernel());
  const auto u = parse_kmsg_record("12,7,1,-;from a user\n");  // LOG_USER | LOG_WARNING
  ASSERT_TRUE(u);
  EXPECT_EQ(u->facility, 1u);
  EXPECT_EQ(u->level, 4u);
  EXPECT_FALSE(u->from_kernel());
}

TEST(KernelLog, MalformedRecordsAreNone) {
  for (const char* rec : {"", "no prefix", ";text", "x,1,2,-;t", "3;t", "3,;t", "3,x,1,-;t",
                          "-3,1,2,-;t", "99999999999,1,2,-;t"})
    EXPECT_FALSE(parse_kmsg_record(rec)) << rec;
}

TEST(KernelLog, KernelFaultRecordIsEvidence) {
  const auto r = parse_kmsg_record(record(3, kDmar));  // facility 0 (kernel), LOG_ERR
  ASSERT_TRUE(r);
  const auto f = fault_evidence(*r, "0000:00:03.0", 0x1000, 4096);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->requester, "00:03.0");
  EXPECT_FALSE(fault_evidence(*r, "0000:00:04.0", 0x1000, 4096));
  EXPECT_FALSE(fault_evidence(*r, "0000:00:03.0", 0x2000, 4096));
}

TEST(KernelLog, ForgedFaultFromUserspaceIsNoEvidence) {
  // `echo "DMAR: ... fault addr ..." > /dev/kmsg` is logged with facility 1 (user);
  // with "<3>" in front, facility 0 is still not reachable from userspace.
  for (const unsigned pri : {8u + 3, 8u + 6, 3u * 8 + 3, 23u * 8 + 7}) {
    const auto r = parse_kmsg_record(record(pri, kDmar));
    ASSERT_TRUE(r);
    EXPECT_FALSE(fault_evidence(*r, "0000:00:03.0", 0x1000, 4096)) << "PRI " << pri;
  }
}

}  // namespace
}  // namespace vfiokit

namespace vfiokit {
namespace {

// A saved log: one record a line, continuation lines and garbage skipped, the bound held.
TEST(KernelLog, SavedLogIsReadFromTheStartRecordByRecord) {
  const auto path =
      std::filesystem::temp_directory_path() / ("vfiokit-kmsg-" + std::to_string(::getpid()));
  {
    std::ofstream f(path);
    f << "6,1,100,-;DMAR: IOMMU enabled\n"
         " SUBSYSTEM=pci\n"
         "not a record\n"
         "14,2,200,-;written by a user\n"
         "4,3,300,-;DMAR: dmar0: No supported address widths. Not attempting DMA translation.\n";
  }
  const auto all = read_kernel_log(path);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].text, "DMAR: IOMMU enabled");
  EXPECT_TRUE(all[0].from_kernel());
  EXPECT_FALSE(all[1].from_kernel());
  EXPECT_EQ(all[2].seq, 3u);
  EXPECT_EQ(read_kernel_log(path, 2).size(), 2u);
  EXPECT_TRUE(read_kernel_log(path.string() + ".missing").empty());
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace vfiokit
