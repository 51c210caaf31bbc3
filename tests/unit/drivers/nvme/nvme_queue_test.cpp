// QueuePair's I/O path over host memory (QueuePair::over_memory, a memory-backed BAR0):
// cids, PRPs in the SQE, EBUSY and EINVAL with nothing queued, completions, and the
// shadow-doorbell EventIdx rule (NVMe 1.4 5.8).
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "drivers/nvme/queue.hpp"
#include "vfiokit/drivers/nvme/registers.hpp"
#include "vfiokit/vfio/error.hpp"

namespace vfiokit::nvme {
namespace {

TEST(NvmeEventIdx, CrossedMeansInsideOldToNewHalfOpen) {
  EXPECT_TRUE(event_idx_crossed(5, 5, 6));   // the controller waits for the entry at 5
  EXPECT_FALSE(event_idx_crossed(6, 5, 6));  // ... and not yet for the one at 6
  EXPECT_FALSE(event_idx_crossed(4, 5, 6));  // already behind: it is busy, will look itself
  EXPECT_TRUE(event_idx_crossed(7, 5, 10));  // inside a batch
  EXPECT_FALSE(event_idx_crossed(10, 5, 10));
  EXPECT_FALSE(event_idx_crossed(5, 5, 5));  // nothing new: never
  // 16-bit wraparound: from 65534 to 2 passes 65535, 0 and 1.
  EXPECT_TRUE(event_idx_crossed(65535, 65534, 2));
  EXPECT_TRUE(event_idx_crossed(0, 65534, 2));
  EXPECT_TRUE(event_idx_crossed(1, 65534, 2));
  EXPECT_FALSE(event_idx_crossed(2, 65534, 2));
  EXPECT_FALSE(event_idx_crossed(65533, 65534, 2));
  // A queue index wrapping at the queue size (63 -> 0 of 64 entries) is a long way forward in
  // 16 bits: everything but [0, 63) is inside, so the controller is always told.
  EXPECT_TRUE(event_idx_crossed(63, 63, 0));
  EXPECT_TRUE(event_idx_crossed(100, 63, 0));
}

constexpr uint64_t kPage = 4096;
constexpr uint32_t kEntries = 8;

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};

std::unique_ptr<uint8_t, FreeDeleter> pages(size_t n) {
  auto* p = static_cast<uint8_t*>(std::aligned_alloc(kPage, n * kPage));
  std::memset(p, 0, n * kPage);
  return std::unique_ptr<uint8_t, FreeDeleter>(p);
}

struct Rig {
  std::unique_ptr<uint8_t, FreeDeleter> bar = pages(2);
  std::unique_ptr<uint8_t, FreeDeleter> mem =
      pages(QueuePair::memory_size(kEntries, kPage, 1) / kPage);
  std::unique_ptr<uint8_t, FreeDeleter> dbbuf = pages(2);
  MappedRegion bar0 = MappedRegion::over_memory(bar.get(), 2 * kPage, "test BAR0");
  QueuePair q = QueuePair::over_memory({mem.get(), QueuePair::memory_size(kEntries, kPage, 1)},
                                       0x100000, bar0, 1, kEntries, 4, kPage, 1);
  const Sqe& sqe(uint32_t i) const { return reinterpret_cast<const Sqe*>(mem.get())[i]; }
  Cqe* cq() { return reinterpret_cast<Cqe*>(mem.get() + kPage); }
  uint32_t sq_db() const { return reinterpret_cast<const uint32_t*>(bar.get() + 0x1008)[0]; }
  uint32_t cq_db() const { return reinterpret_cast<const uint32_t*>(bar.get() + 0x100c)[0]; }
  uint32_t* shadow() { return reinterpret_cast<uint32_t*>(dbbuf.get()); }
  uint32_t* event_idx() { return reinterpret_cast<uint32_t*>(dbbuf.get() + kPage); }
  // Posts the completion of `cid` in CQ slot `slot` with phase `phase`.
  void complete(uint32_t slot, uint16_t cid, uint16_t phase, uint16_t sf = 0) {
    Cqe& c = cq()[slot];
    c.cid = cid;
    c.dw0 = 0x1000u + cid;
    c.status = static_cast<uint16_t>(sf << 1 | phase);
  }
};

TEST(NvmeQueue, SubmitBuildsTheSqeAndRings) {
  Rig r;
  const uint16_t a = r.q.submit_rw(kNvmRead, 1, 0x123456789, 8, 0x200000, 4096);
  EXPECT_EQ(a, 0);
  EXPECT_EQ(r.sq_db(), 1u);
  const Sqe& s = r.sqe(0);
  EXPECT_EQ(s.opcode, kNvmRead);
  EXPECT_EQ(s.cid, 0);
  EXPECT_EQ(s.nsid, 1u);
  EXPECT_EQ(s.prp1, 0x200000u);
  EXPECT_EQ(s.prp2, 0u);  // one page
  EXPECT_EQ(s.cdw10, 0x23456789u);
  EXPECT_EQ(s.cdw11, 0x1u);
  EXPECT_EQ(s.cdw12, 7u);
  // Two pages from an offset: PRP2 is the second page; not rung yet.
  EXPECT_EQ(r.q.submit_rw(kNvmWrite, 1, 0, 1, 0x200800, 4096, false), 1);
  EXPECT_EQ(r.sqe(1).prp1, 0x200800u);
  EXPECT_EQ(r.sqe(1).prp2, 0x201000u);
  EXPECT_EQ(r.sq_db(), 1u);
  // Three pages: a PRP list in cid 2's list page.
  EXPECT_EQ(r.q.submit_rw(kNvmRead, 1, 0, 1, 0x300000, 3 * 4096, false), 2);
  EXPECT_EQ(r.sqe(2).prp2, r.q.prp_list_iova(2));
  EXPECT_EQ(r.q.prp_list(2)[0], 0x301000u);
  EXPECT_EQ(r.q.prp_list(2)[1], 0x302000u);
  r.q.ring();
  EXPECT_EQ(r.sq_db(), 3u);
  EXPECT_EQ(r.q.in_flight(), 3u);
}

TEST(NvmeQueue, BadInputAndFullQueueQueueNothing) {
  Rig r;
  for (const auto& [iova, bytes] : {std::pair<uint64_t, uint64_t>{0x200002, 4096},
                                    {0x200000, 0},
                                    {~uint64_t{0} - 4095, 8192}}) {
    try {
      r.q.submit_rw(kNvmRead, 1, 0, 1, iova, bytes);
      ADD_FAILURE() << "accepted IOVA " << iova << " + " << bytes;
    } catch (const Error& e) {
      EXPECT_EQ(e.error_code(), EINVAL) << e.what();
    }
  }
  // 600 pages need 599 list entries: more than the one list page per command holds (512).
  EXPECT_THROW(r.q.submit_rw(kNvmRead, 1, 0, 1, 0x200000, 600 * 4096), Error);
  EXPECT_EQ(r.q.in_flight(), 0u);
  EXPECT_EQ(r.sq_db(), 0u);
  for (uint32_t i = 0; i < kEntries - 1; ++i) r.q.submit_rw(kNvmRead, 1, i, 1, 0x200000, 4096);
  try {
    r.q.submit_rw(kNvmRead, 1, 0, 1, 0x200000, 4096);
    ADD_FAILURE() << "a full queue accepted a command";
  } catch (const Error& e) {
    EXPECT_EQ(e.error_code(), EBUSY) << e.what();
  }
  EXPECT_EQ(r.sq_db(), kEntries - 1);
}

TEST(NvmeQueue, DrainFreesCidsAndSkipsStrayOnes) {
  Rig r;
  r.q.submit_rw(kNvmRead, 1, 0, 1, 0x200000, 4096);
  r.q.submit_rw(kNvmRead, 1, 0, 1, 0x200000, 4096);
  EXPECT_TRUE(r.q.busy(0));
  EXPECT_TRUE(r.q.busy(1));
  r.complete(0, 1, 1);
  r.complete(1, 0, 1, 0x2);
  r.complete(2, 5, 1);  // a cid never submitted: consumed, reported as nothing
  NvmeCompletion out[2];
  EXPECT_EQ(r.q.drain(std::span<NvmeCompletion>(out, 1)), 1u);  // room for one
  EXPECT_EQ(out[0].cid, 1);
  EXPECT_EQ(out[0].dw0, 0x1001u);
  EXPECT_EQ(r.cq_db(), 1u);
  EXPECT_EQ(r.q.drain(std::span<NvmeCompletion>(out)), 1u);
  EXPECT_EQ(out[0].cid, 0);
  EXPECT_EQ(out[0].status, 0x2);
  EXPECT_FALSE(out[0].ok());
  EXPECT_EQ(r.cq_db(), 3u);
  EXPECT_EQ(r.q.in_flight(), 0u);
  EXPECT_FALSE(r.q.busy(5));
  EXPECT_EQ(r.q.drain(std::span<NvmeCompletion>(out)), 0u);  // phase 1 entries are old now
  EXPECT_EQ(r.cq_db(), 3u);
}

// pop() (the admin queue's and wait_for's path) skips a CQE for a cid not in flight, e.g. a
// repeat of one already consumed, which would otherwise complete the next command that
// reuses the cid (fuzz_nvme_init's second finding).
// drain(span), the I/O hot path behind NvmeDriver::reap, reads completions with the same
// reader as pop(): a repeat or a made-up cid is consumed and reported as nothing.
TEST(NvmeQueue, DrainSkipsCompletionsOfCidsNotInFlight) {
  Rig r;
  r.q.submit_rw(kNvmRead, 1, 0, 1, 0x200000, 4096);
  r.complete(0, 0, 1);
  r.complete(1, 0, 1);  // the same completion again
  r.complete(2, 9, 1);  // a cid never submitted
  NvmeCompletion out[4];
  ASSERT_EQ(r.q.drain(std::span<NvmeCompletion>(out)), 1u);
  EXPECT_EQ(out[0].cid, 0);
  EXPECT_EQ(r.cq_db(), 3u);  // all three consumed
  EXPECT_EQ(r.q.in_flight(), 0u);
  EXPECT_EQ(r.q.submit_rw(kNvmRead, 1, 0, 1, 0x200000, 4096), 0);  // cid 0 again
  EXPECT_EQ(r.q.drain(std::span<NvmeCompletion>(out)), 0u);  // nothing stands in for it
  EXPECT_TRUE(r.q.busy(0));
}

TEST(NvmeQueue, PopSkipsCompletionsOfCidsNotInFlight) {
  Rig r;
  r.q.submit_rw(kNvmRead, 1, 0, 1, 0x200000, 4096);
  r.complete(0, 0, 1);
  r.complete(1, 0, 1);  // the same completion again
  r.complete(2, 9, 1);  // a cid never submitted
  auto e = r.q.pop();
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->cid, 0);
  EXPECT_FALSE(r.q.pop().has_value());  // the repeat and the stray complete nothing
  r.q.update_head();
  EXPECT_EQ(r.cq_db(), 3u);  // all three consumed
  EXPECT_EQ(r.q.submit_rw(kNvmRead, 1, 0, 1, 0x200000, 4096), 0);  // cid 0 again
  EXPECT_FALSE(r.q.pop().has_value());  // nothing of the old command stands in for it
  EXPECT_TRUE(r.q.busy(0));
  r.complete(3, 0, 1, 0x6);
  e = r.q.pop();
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->status >> 1, 0x6);
}

TEST(NvmeQueue, ShadowDoorbellsFollowEventIdx) {
  Rig r;
  r.q.use_shadow_doorbells(r.shadow(), r.event_idx(), false);
  EXPECT_TRUE(r.q.shadow_doorbells());
  // Slots of queue 1 at stride 4: SQ tail at 8, CQ head at 12 bytes (1008h - 1000h).
  uint32_t* sq_shadow = r.shadow() + 2;
  uint32_t* sq_ei = r.event_idx() + 2;
  uint32_t* cq_shadow = r.shadow() + 3;
  uint32_t* cq_ei = r.event_idx() + 3;
  // EventIdx 0: the controller waits for entry 0, so 0 -> 1 rings.
  r.q.submit_rw(kNvmRead, 1, 0, 1, 0x200000, 4096);
  EXPECT_EQ(*sq_shadow, 1u);
  EXPECT_EQ(r.sq_db(), 1u);
  EXPECT_EQ(r.q.mmio_doorbells_written(), 1u);
  // Still EventIdx 0: 1 -> 2 does not cross it: shadow only.
  r.q.submit_rw(kNvmRead, 1, 0, 1, 0x200000, 4096);
  EXPECT_EQ(*sq_shadow, 2u);
  EXPECT_EQ(r.sq_db(), 1u);
  EXPECT_EQ(r.q.mmio_doorbells_skipped(), 1u);
  // The controller asks for entry 3: 2 -> 4 (a batch) crosses it.
  *sq_ei = 3;
  r.q.submit_rw(kNvmRead, 1, 0, 1, 0x200000, 4096, false);
  r.q.submit_rw(kNvmRead, 1, 0, 1, 0x200000, 4096, false);
  EXPECT_EQ(*sq_shadow, 2u);  // nothing before the ring
  r.q.ring();
  EXPECT_EQ(*sq_shadow, 4u);
  EXPECT_EQ(r.sq_db(), 4u);
  EXPECT_EQ(r.q.mmio_doorbells_written(), 2u);
  // The CQ head the same way: EventIdx 0 lies in [0, 2), so the head write rings.
  r.complete(0, 0, 1);
  r.complete(1, 1, 1);
  NvmeCompletion out[4];
  EXPECT_EQ(r.q.drain(std::span<NvmeCompletion>(out)), 2u);
  EXPECT_EQ(*cq_shadow, 2u);
  EXPECT_EQ(r.cq_db(), 2u);
  *cq_ei = 1;  // behind the head: the controller will look by itself
  r.complete(2, 2, 1);
  EXPECT_EQ(r.q.drain(std::span<NvmeCompletion>(out)), 1u);
  EXPECT_EQ(*cq_shadow, 3u);
  EXPECT_EQ(r.cq_db(), 2u);
  EXPECT_EQ(r.q.mmio_doorbells_written(), 3u);
  EXPECT_EQ(r.q.mmio_doorbells_skipped(), 2u);
}

TEST(NvmeQueue, ShadowDoorbellsAlwaysMmioStillWritesTheShadow) {
  Rig r;
  *(r.event_idx() + 2) = 100;  // never crossed
  r.q.use_shadow_doorbells(r.shadow(), r.event_idx(), true);
  r.q.submit_rw(kNvmRead, 1, 0, 1, 0x200000, 4096);
  r.q.submit_rw(kNvmRead, 1, 0, 1, 0x200000, 4096);
  EXPECT_EQ(*(r.shadow() + 2), 2u);
  EXPECT_EQ(r.sq_db(), 2u);
  EXPECT_EQ(r.q.mmio_doorbells_written(), 2u);
  EXPECT_EQ(r.q.mmio_doorbells_skipped(), 0u);
}

TEST(NvmeQueue, KickRepeatsTheShadowValuesThroughMmio) {
  Rig r;
  r.q.kick();  // without shadow doorbells: nothing to repeat
  EXPECT_EQ(r.q.mmio_doorbells_kicked(), 0u);
  *(r.event_idx() + 2) = 100;  // the controller never asks: every SQ write is shadow-only
  *(r.event_idx() + 3) = 100;
  r.q.use_shadow_doorbells(r.shadow(), r.event_idx(), false);
  r.q.submit_rw(kNvmRead, 1, 0, 1, 0x200000, 4096);
  r.q.submit_rw(kNvmRead, 1, 0, 1, 0x200000, 4096);
  r.complete(0, 0, 1);
  NvmeCompletion out[2];
  EXPECT_EQ(r.q.drain(std::span<NvmeCompletion>(out)), 1u);
  EXPECT_EQ(r.sq_db(), 0u);  // only the shadow slots know the SQ tail 2 and the CQ head 1
  EXPECT_EQ(r.cq_db(), 0u);
  EXPECT_EQ(r.q.mmio_doorbells_skipped(), 3u);
  r.q.kick();
  EXPECT_EQ(r.sq_db(), 2u);
  EXPECT_EQ(r.cq_db(), 1u);
  EXPECT_EQ(r.q.mmio_doorbells_kicked(), 1u);
  EXPECT_EQ(r.q.mmio_doorbells_written(), 0u);  // kicks are counted apart
  EXPECT_EQ(r.q.mmio_doorbells_skipped(), 3u);
}

}  // namespace
}  // namespace vfiokit::nvme
