#include "vfiokit/drivers/nvme/nvme.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <thread>

#include "drivers/nvme/prp.hpp"
#include "drivers/nvme/queue.hpp"
#include "vfio/barrier.hpp"
#include "vfio/format.hpp"
#include "vfiokit/vfio/error.hpp"

namespace vfiokit {

using Clock = std::chrono::steady_clock;

namespace {

constexpr uint32_t kAdminEntries = 32;
constexpr int kTeardownTimeoutMs = 2000;
constexpr uint64_t kMaxPageSize = 64 * 1024;  // the largest CC.MPS init chooses

int ms_left(Clock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(std::min<int64_t>(left, INT32_MAX));
}

Clock::time_point after_ms(int ms) { return Clock::now() + std::chrono::milliseconds(ms); }

NvmeCompletion to_completion(const nvme::Cqe& e) {
  return {e.cid, nvme::status_field(e.status), e.dw0, e.sqhd};
}

}  // namespace

const char* completion_mode_name(NvmeCompletionMode m) {
  return m == NvmeCompletionMode::kPoll ? "poll" : "interrupt";
}

const char* shadow_doorbells_name(NvmeShadowDoorbells m) {
  switch (m) {
    case NvmeShadowDoorbells::kOn:
      return "on";
    case NvmeShadowDoorbells::kOff:
      return "off";
    case NvmeShadowDoorbells::kAuto:
      break;
  }
  return "auto";
}

NvmeDriver::NvmeDriver(Device& device, std::shared_ptr<DmaSpace> dma, NvmeOptions options)
    : device_(device),
      dma_(std::move(dma)),
      options_(options),
      bar0_(device.map_region(RegionIndex::kBar0)),
      admin_(std::make_unique<nvme::QueuePair>()),
      io_(std::make_unique<nvme::QueuePair>()) {}

NvmeDriver::~NvmeDriver() { teardown(true); }

uint32_t NvmeDriver::io_queue_depth() const { return io_->capacity(); }
uint32_t NvmeDriver::in_flight() const { return io_->in_flight(); }
uint64_t NvmeDriver::doorbell_writes() const { return io_->mmio_doorbells_written(); }
uint64_t NvmeDriver::doorbell_writes_skipped() const { return io_->mmio_doorbells_skipped(); }
uint64_t NvmeDriver::doorbell_kicks() const { return io_->mmio_doorbells_kicked(); }
uint32_t NvmeDriver::sq_event_idx() const { return io_->sq_event_idx(); }
uint32_t NvmeDriver::cq_event_idx() const { return io_->cq_event_idx(); }

std::string NvmeDriver::object() const { return device_.bdf(); }

nvme::Cap NvmeDriver::cap() const {
  // Two dword reads (low first): 3.1 lets hosts access 64-bit registers as 32-bit halves.
  const uint64_t lo = bar0_.read32(nvme::kRegCap), hi = bar0_.read32(nvme::kRegCap + 4);
  return nvme::decode_cap(hi << 32 | lo);
}

nvme::Version NvmeDriver::version() const {
  return nvme::decode_version(bar0_.read32(nvme::kRegVs));
}

uint32_t NvmeDriver::csts() const { return bar0_.read32(nvme::kRegCsts); }

// --- controller enable / disable (7.6.1, 3.1.5, 3.1.6) -------------------------------------

void NvmeDriver::wait_ready(bool ready, const char* what) {
  const int timeout_ms = std::max<int>(static_cast<int>(cap_.timeout_ms), 500);
  const auto deadline = after_ms(timeout_ms);
  for (;;) {
    const uint32_t s = csts();
    if (s == nvme::kCstsGone)
      throw_error(what, object(), ENODEV,
                  "CSTS reads all ones: the controller does not respond (removed, powered off, "
                  "or memory decoding off)");
    if (ready && (s & nvme::kCstsCfs))
      throw_error(what, object(), EIO,
                  detail::format("the controller reports a fatal error (CSTS.CFS, CSTS {:#x}); "
                                 "reset the function (VFIO_DEVICE_RESET) and retry",
                                 s));
    if (((s & nvme::kCstsRdy) != 0) == ready) return;
    if (Clock::now() > deadline)
      throw_error(what, object(), ETIMEDOUT,
                  detail::format("CSTS.RDY did not become {} within CAP.TO = {} ms (CSTS {:#x})",
                                 ready ? 1 : 0, timeout_ms, s));
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
}

void NvmeDriver::disable_controller() {
  const uint32_t cc = bar0_.read32(nvme::kRegCc);
  const uint32_t s = csts();
  if (s == nvme::kCstsGone)
    throw_error("NVMe disable", object(), ENODEV,
                "CSTS reads all ones: the controller does not respond");
  if (cc & nvme::kCcEn) {
    // 3.1.5: EN should not be cleared while an enable is still in progress (RDY lagging).
    if (!(s & nvme::kCstsRdy) && !(s & nvme::kCstsCfs)) {
      try {
        wait_ready(true, "NVMe disable (finishing a pending enable)");
      } catch (const Error&) {
        // Clear EN anyway: that reset is the way out of a stuck or failed enable.
      }
    }
    // Clearing EN resets the controller (7.3.2), which also clears a fatal status (CFS).
    bar0_.write32(nvme::kRegCc, cc & ~(nvme::kCcEn | nvme::kCcShnMask));
  }
  wait_ready(false, "NVMe disable (CC.EN=0)");
}

void NvmeDriver::enable_controller(uint32_t cc) {
  bar0_.write32(nvme::kRegCc, cc);
  bar0_.write32(nvme::kRegCc, cc | nvme::kCcEn);
  wait_ready(true, "NVMe enable (CC.EN=1)");
}

// --- init: the controller bring-up as a table of states (7.6.1) -------------------------------

void NvmeDriver::init(IrqMode mode) {
  if (mode != IrqMode::kDefault && mode != IrqMode::kMsix)
    throw_error(
        "NVMe init", object(), EINVAL,
        detail::format("the NVMe driver takes MSI-X interrupts, not {} (use msix or default; "
                       "NvmeOptions::completion = kPoll polls the I/O queue)",
                       irq_mode_name(mode)));
  teardown(false);
  device_.enable_bus_master();

  // Each state is one step of the bring-up, run in order (as SPDK's nvme_ctrlr_process_init);
  // a state that fails throws vfiokit::Error, and nothing after it runs.
  struct State {
    const char* name;
    void (NvmeDriver::*run)();
  };
  // Checks of what the controller offers, then 7.6.1 step 1: reset it (EN 1 -> 0) and wait
  // for RDY 0. Nothing is built yet: a failure here leaves nothing to tear down.
  static constexpr State kProbe[] = {
      {"read CAP", &NvmeDriver::init_read_cap},
      {"check MSI-X", &NvmeDriver::init_check_msix},
      {"disable (CC.EN=0, wait CSTS.RDY=0)", &NvmeDriver::disable_controller},
  };
  static constexpr State kBringUp[] = {
      {"enable MSI-X", &NvmeDriver::init_enable_irqs},
      {"configure admin queue", &NvmeDriver::init_configure_admin_queue},
      {"enable (CC.EN=1, wait CSTS.RDY=1)", &NvmeDriver::init_enable},
      {"identify controller", &NvmeDriver::init_identify_controller},
      {"identify namespace", &NvmeDriver::init_identify_namespace},
      {"transfer limit", &NvmeDriver::init_transfer_limit},
      {"set number of queues", &NvmeDriver::init_set_num_queues},
      {"allocate I/O queue", &NvmeDriver::init_allocate_io_queue},
      {"create I/O CQ", &NvmeDriver::init_create_io_cq},
      {"create I/O SQ", &NvmeDriver::init_create_io_sq},
      {"scratch range", &NvmeDriver::init_scratch_range},
  };
  for (const State& s : kProbe) (this->*s.run)();
  live_ = true;  // from here on, a failure tears down what was built
  try {
    for (const State& s : kBringUp) (this->*s.run)();
  } catch (...) {
    teardown(false);
    throw;
  }
}

void NvmeDriver::init_read_cap() {
  cap_ = cap();
  if (!(cap_.css & 1))
    throw_error("NVMe init", object(), ENOTSUP,
                detail::format("CAP.CSS {:#x} lacks the NVM command set", cap_.css));
  // MQES is 0's based and 0 is reserved (3.1.1): a queue needs 2 entries to hold one command.
  if (cap_.mqes_entries < 2)
    throw_error("NVMe init", object(), ENOTSUP,
                detail::format("CAP.MQES {} allows queues of {} entry; a queue needs at least 2",
                               cap_.mqes_entries - 1, cap_.mqes_entries));
  page_size_ = std::max<uint64_t>(4096, cap_.mps_min);
  // Every queue, the Identify buffer and each PRP list page is one memory page: a
  // controller that asks for pages of up to 128 MiB (MPSMIN 15) would have init allocate
  // and map gigabytes. Like Linux (which refuses MPSMIN above the host page), take at
  // most 64 KiB.
  if (page_size_ > kMaxPageSize)
    throw_error("NVMe init", object(), ENOTSUP,
                detail::format("CAP.MPSMIN {} B: the driver uses memory pages of at most {} B",
                               cap_.mps_min, kMaxPageSize));
  if (page_size_ > cap_.mps_max)
    throw_error("NVMe init", object(), ENOTSUP,
                detail::format("no usable memory page size (CAP.MPSMIN {} B, MPSMAX {} B)",
                               cap_.mps_min, cap_.mps_max));
}

void NvmeDriver::init_check_msix() {
  const IrqInfo msix = device_.irq_info(IrqIndex::kMsix);
  if (msix.count < 2)
    throw_error("NVMe init", object(), ENOTSUP,
                detail::format("the controller offers {} MSI-X vectors; the driver needs 2 "
                               "(admin and I/O)",
                               msix.count));
}

void NvmeDriver::init_enable_irqs() {
  irq_ = device_.enable_irq(IrqIndex::kMsix, 2);
  irq_.drain(kAdminVector);
  irq_.drain(kIoVector);
}

// Steps 2-3: the admin queues (AQA, ASQ, ACQ), then CC and EN (3.1.5), then wait for RDY.
void NvmeDriver::init_configure_admin_queue() {
  const uint32_t admin_entries = std::min(kAdminEntries, cap_.mqes_entries);
  *admin_ = nvme::QueuePair(*dma_, bar0_, 0, admin_entries, cap_.doorbell_stride, page_size_, 0);
  id_buf_ =
      DmaBuffer::allocate(std::max<uint64_t>(page_size_, nvme::kIdentifySize), PageBacking::k4K);
  id_map_ = dma_->map(id_buf_.data(), id_buf_.size(), DmaAccess::kReadWrite, page_size_);
  bar0_.write32(nvme::kRegAqa, nvme::make_aqa(admin_entries, admin_entries));
  bar0_.write32(nvme::kRegAsq, static_cast<uint32_t>(admin_->sq_iova()));
  bar0_.write32(nvme::kRegAsq + 4, static_cast<uint32_t>(admin_->sq_iova() >> 32));
  bar0_.write32(nvme::kRegAcq, static_cast<uint32_t>(admin_->cq_iova()));
  bar0_.write32(nvme::kRegAcq + 4, static_cast<uint32_t>(admin_->cq_iova() >> 32));
}

void NvmeDriver::init_enable() {
  enable_controller(nvme::make_cc(static_cast<uint32_t>(page_size_)));
}

// Steps 4-5: Identify Controller, then the namespace.
void NvmeDriver::init_identify_controller() {
  identify();
  auto entry_size_ok = [](uint8_t v, uint32_t want) {
    return v == 0 || ((v & 0xf) <= want && (v >> 4) >= want);
  };
  if (!entry_size_ok(ctrl_.sqes, nvme::kSqesLog2) || !entry_size_ok(ctrl_.cqes, nvme::kCqesLog2))
    throw_error("NVMe init", object(), ENOTSUP,
                detail::format("SQES {:#x} / CQES {:#x} exclude 64-byte SQ and 16-byte CQ entries",
                               ctrl_.sqes, ctrl_.cqes));
}

void NvmeDriver::init_identify_namespace() {
  uint32_t nsid = options_.nsid;
  if (nsid == 0) {
    const auto active = active_namespaces();
    if (active.empty())
      throw_error("NVMe init", object(), ENODEV,
                  detail::format("no active namespace (NN {}): create and attach one", ctrl_.nn));
    nsid = active.front();
  }
  ns_ = identify_namespace(nsid);
  if (ns_.metadata_size != 0)
    throw_error("NVMe init", detail::format("{} namespace {}", object(), nsid), ENOTSUP,
                detail::format("its LBA format {} carries {} metadata bytes per block; the driver "
                               "handles formats without metadata (nvme format --lbaf)",
                               ns_.format_index, ns_.metadata_size));
}

// Transfer limit: MDTS is in units of the minimum page size (5.15.2.1); NLB is 16 bits.
// An MDTS too large for 64 bits counts as no limit (ControllerInfo::max_transfer_bytes).
void NvmeDriver::init_transfer_limit() {
  max_transfer_ = std::min({ctrl_.max_transfer_bytes(cap_.mps_min), options_.max_transfer,
                            uint64_t{65536} * ns_.lba_size});
  max_transfer_ -= max_transfer_ % ns_.lba_size;
  if (max_transfer_ == 0)
    throw_error("NVMe init", object(), EINVAL,
                detail::format("max transfer {} B is below one {} B block (MDTS {}, option {})",
                               max_transfer_, ns_.lba_size, ctrl_.mdts, options_.max_transfer));
}

// Step 6: the number of I/O queues (Set Features 07h), then the I/O CQ and SQ (5.3, 5.4).
void NvmeDriver::init_set_num_queues() {
  admin_checked(nvme::make_set_num_queues(1, 1), "Set Features (Number of Queues)");
}

void NvmeDriver::init_allocate_io_queue() {
  const uint32_t entries = std::clamp<uint32_t>(options_.io_queue_entries, 2, cap_.mqes_entries);
  *io_ = nvme::QueuePair(*dma_, bar0_, kIoQid, entries, cap_.doorbell_stride, page_size_,
                         nvme::prp_list_pages(max_transfer_, page_size_));
  // Shadow doorbells before the I/O queues exist: their slots start at 0, as the queues do.
  setup_shadow_doorbells();
}

void NvmeDriver::init_create_io_cq() {
  admin_checked(nvme::make_create_io_cq(kIoQid, io_->entries(), io_->cq_iova(), kIoVector,
                                        options_.completion == NvmeCompletionMode::kInterrupt),
                "Create I/O Completion Queue");
}

void NvmeDriver::init_create_io_sq() {
  admin_checked(nvme::make_create_io_sq(kIoQid, io_->entries(), io_->sq_iova(), kIoQid),
                "Create I/O Submission Queue");
}

// The memcpy scratch range: the namespace's last blocks (at most half of it).
void NvmeDriver::init_scratch_range() {
  const uint64_t scratch_blocks = std::min<uint64_t>(max_transfer_ / ns_.lba_size, ns_.nsze / 2);
  if (scratch_blocks == 0)
    throw_error("NVMe init", object(), ENOSPC,
                detail::format("namespace {} has {} blocks: too small for a scratch range",
                               ns_.nsid, ns_.nsze));
  scratch_lba_ = ns_.nsze - scratch_blocks;
  scratch_bytes_ = static_cast<size_t>(scratch_blocks * ns_.lba_size);
}

void NvmeDriver::setup_shadow_doorbells() {
  shadow_ = false;
  if (options_.shadow_doorbells == NvmeShadowDoorbells::kOff) return;
  if (!ctrl_.doorbell_buffer_config()) {
    if (options_.shadow_doorbells == NvmeShadowDoorbells::kAuto) return;
    throw_error("NVMe init (shadow doorbells)",
                detail::format("{} ({}, firmware {}, NVMe {}.{})", object(), ctrl_.model,
                               ctrl_.firmware, ctrl_.ver >> 16, (ctrl_.ver >> 8) & 0xff),
                ENOTSUP,
                detail::format("the controller lacks Doorbell Buffer Config (Identify Controller "
                               "OACS {:#x}, bit 8 clear); set NvmeOptions::shadow_doorbells to "
                               "kAuto or kOff, or use a controller that offers it (NVMe 1.3+, "
                               "e.g. QEMU 7.1+ nvme)",
                               ctrl_.oacs));
  }
  // Each queue's slot sits at its doorbell's offset (stride 4 << CAP.DSTRD): a large
  // stride puts the I/O queue's slots past the one page the buffers have.
  if (nvme::shadow_buffer_bytes(kIoQid, cap_.doorbell_stride) > page_size_) {
    if (options_.shadow_doorbells == NvmeShadowDoorbells::kAuto) return;
    throw_error("NVMe init (shadow doorbells)", object(), ENOTSUP,
                detail::format("CAP.DSTRD makes the doorbell stride {} B: queue {}'s shadow "
                               "doorbell would lie past the {} B buffer page; set "
                               "NvmeOptions::shadow_doorbells to kAuto or kOff",
                               cap_.doorbell_stride, kIoQid, page_size_));
  }
  // 5.8: PRP1 the Shadow Doorbell buffer, PRP2 the EventIdx buffer, one memory page each,
  // zeroed (every queue starts at 0).
  dbbuf_ = DmaBuffer::allocate(2 * page_size_, PageBacking::k4K, true);
  dbbuf_map_ = dma_->map(dbbuf_.data(), dbbuf_.size(), DmaAccess::kReadWrite, page_size_);
  const NvmeCompletion c =
      admin(nvme::make_doorbell_buffer_config(dbbuf_map_.iova(), dbbuf_map_.iova() + page_size_));
  if (!c.ok()) {
    if (options_.shadow_doorbells == NvmeShadowDoorbells::kOn)
      throw_error("NVMe Doorbell Buffer Config", object(), EIO,
                  detail::format("the controller failed it: {} (OACS {:#x} offers it); set "
                                 "NvmeOptions::shadow_doorbells to kAuto or kOff",
                                 c.status_text(), ctrl_.oacs));
    dbbuf_map_ = DmaMapping();
    dbbuf_ = DmaBuffer();
    return;
  }
  auto* shadow = reinterpret_cast<volatile uint32_t*>(dbbuf_.bytes());
  auto* event_idx = reinterpret_cast<const volatile uint32_t*>(dbbuf_.bytes() + page_size_);
  // The admin queue keeps writing its MMIO doorbells too: controllers and hosts need not
  // use shadows for it (Linux does not), so a controller may go by either.
  admin_->use_shadow_doorbells(shadow, event_idx, true);
  io_->use_shadow_doorbells(shadow, event_idx, false);
  shadow_ = true;
}

void NvmeDriver::remove() { teardown(true); }

void NvmeDriver::teardown(bool graceful) noexcept {
  if (live_) {
    try {
      const uint32_t s = csts();
      const bool running = s != nvme::kCstsGone && (s & nvme::kCstsRdy) && !(s & nvme::kCstsCfs) &&
                           (bar0_.read32(nvme::kRegCc) & nvme::kCcEn);
      if (graceful && running) {
        // 7.6.2: delete the I/O SQ, then its CQ, then a normal shutdown (CC.SHN 01b).
        if (io_->entries()) {
          try {
            admin(nvme::make_delete_io_sq(kIoQid), kTeardownTimeoutMs);
            admin(nvme::make_delete_io_cq(kIoQid), kTeardownTimeoutMs);
          } catch (const Error&) {
            // The reset below deletes the queues anyway.
          }
        }
        const uint32_t cc = bar0_.read32(nvme::kRegCc);
        bar0_.write32(nvme::kRegCc, (cc & ~nvme::kCcShnMask) | nvme::kCcShnNormal);
        const auto deadline = after_ms(std::max<int>(static_cast<int>(cap_.timeout_ms), 1000));
        while ((csts() & nvme::kCstsShstMask) != nvme::kCstsShstComplete && Clock::now() < deadline)
          std::this_thread::sleep_for(std::chrono::microseconds(100));
      }
      disable_controller();
    } catch (const std::exception& e) {
      // The IOMMU still fences a controller that ignored the reset: unmapping below makes any
      // late DMA fault instead of reaching freed memory.
      std::fprintf(stderr, "vfiokit nvme %s: teardown: %s\n", device_.bdf().c_str(), e.what());
    }
  }
  irq_ = IrqSet();
  *io_ = nvme::QueuePair();
  *admin_ = nvme::QueuePair();
  id_map_ = DmaMapping();
  id_buf_ = DmaBuffer();
  dbbuf_map_ = DmaMapping();  // after the reset above: the controller forgot the buffers
  dbbuf_ = DmaBuffer();
  shadow_ = false;
  admin_done_.clear();
  io_done_.clear();
  admin_detached_.clear();
  admin_pending_.clear();
  copy_ = {};
  scratch_bytes_ = 0;
  scratch_lba_ = 0;
  max_transfer_ = 0;
  live_ = false;
}

// --- admin commands --------------------------------------------------------------------------

bool NvmeDriver::wait_irq(uint32_t vector, Clock::time_point deadline) {
  const int left = ms_left(deadline);
  if (left == 0) return false;
  const uint64_t n = irq_.wait(vector, left);
  irq_seen_[vector] += n;
  return n > 0;
}

// One step of an I/O wait: block on the I/O vector (interrupt mode) or spin (poll mode),
// never past `deadline`. With shadow doorbells, a wait that reaches `kick_at` without a
// completion repeats the doorbells through MMIO (QueuePair::kick) and sets the next one.
void NvmeDriver::wait_io(Clock::time_point deadline, unsigned spins, Clock::time_point& kick_at) {
  const bool poll = options_.completion == NvmeCompletionMode::kPoll;
  if (shadow_ && (!poll || spins % 256 == 255)) {
    const auto now = Clock::now();
    if (kick_at == Clock::time_point{}) {
      kick_at = now + std::chrono::milliseconds(kKickAfterMs);
    } else if (now >= kick_at) {
      io_->kick();
      kick_at = now + std::chrono::milliseconds(kKickAfterMs);
    }
    if (!poll) deadline = std::min(deadline, kick_at);
  }
  if (!poll)
    wait_irq(kIoVector, deadline);
  else if (spins % 256 == 255)
    std::this_thread::yield();
  else
    io::cpu_relax();
}

void NvmeDriver::drain_admin() {
  while (auto e = admin_->pop()) {
    const NvmeCompletion c = to_completion(*e);
    if (admin_detached_.erase(c.cid)) continue;
    // Only a command in flight completes: a repeated or stray CQE (a cid nobody submitted,
    // or one that already completed) would otherwise stand in for the next command that
    // reuses its cid, e.g. a failed Create I/O SQ taken for a success.
    if (!admin_pending_.erase(c.cid)) continue;
    admin_done_.push_back(c);
  }
  admin_->update_head();
}

NvmeCompletion NvmeDriver::admin(nvme::Sqe sqe, int timeout_ms) {
  if (admin_->entries() == 0)
    throw_error("NVMe admin command", object(), EINVAL, "call init() first");
  drain_admin();
  const uint16_t cid = admin_->claim();
  sqe.cid = cid;
  admin_pending_.insert(cid);
  admin_->submit(sqe);
  const auto deadline = after_ms(timeout_ms);
  // The admin CQ always interrupts on vector 0 (5.3: IV 0 is the admin CQ's), in both modes.
  for (;;) {
    drain_admin();
    auto it = std::find_if(admin_done_.begin(), admin_done_.end(),
                           [&](const NvmeCompletion& c) { return c.cid == cid; });
    if (it != admin_done_.end()) {
      const NvmeCompletion c = *it;
      admin_done_.erase(it);
      return c;
    }
    if (!wait_irq(kAdminVector, deadline) && ms_left(deadline) == 0) {
      drain_admin();
      it = std::find_if(admin_done_.begin(), admin_done_.end(),
                        [&](const NvmeCompletion& c) { return c.cid == cid; });
      if (it != admin_done_.end()) {
        const NvmeCompletion c = *it;
        admin_done_.erase(it);
        return c;
      }
      admin_pending_.erase(cid);
      admin_detached_.insert(cid);
      throw_error(detail::format("NVMe admin opcode {:#04x}", sqe.opcode), object(), ETIMEDOUT,
                  detail::format("no completion (and no MSI-X vector {} interrupt) within {} ms; "
                                 "CSTS {:#x}",
                                 kAdminVector, timeout_ms, csts()));
    }
  }
}

NvmeCompletion NvmeDriver::admin_checked(const nvme::Sqe& sqe, const char* what) {
  const NvmeCompletion c = admin(sqe);
  if (!c.ok())
    throw_error(what, object(), EIO,
                detail::format("the controller failed it: {}", c.status_text()));
  return c;
}

uint32_t NvmeDriver::get_features(uint8_t fid) {
  return admin_checked(nvme::make_get_features(fid), "Get Features").dw0;
}

nvme::ControllerInfo NvmeDriver::identify() {
  if (!id_buf_.data()) throw_error("NVMe Identify", object(), EINVAL, "call init() first");
  std::memset(id_buf_.data(), 0, nvme::kIdentifySize);
  admin_checked(nvme::make_identify(nvme::kCnsController, 0, id_map_.iova()),
                "Identify Controller");
  ctrl_ = nvme::parse_identify_controller({id_buf_.bytes(), nvme::kIdentifySize});
  return ctrl_;
}

nvme::NamespaceInfo NvmeDriver::identify_namespace(uint32_t nsid) {
  if (!id_buf_.data()) throw_error("NVMe Identify", object(), EINVAL, "call init() first");
  if (nsid == 0 || nsid == 0xffffffffu || (ctrl_.nn && nsid > ctrl_.nn))
    throw_error("Identify Namespace", detail::format("{} namespace {}", object(), nsid), EINVAL,
                detail::format("namespace IDs run from 1 to NN = {}", ctrl_.nn));
  std::memset(id_buf_.data(), 0, nvme::kIdentifySize);
  admin_checked(nvme::make_identify(nvme::kCnsNamespace, nsid, id_map_.iova()),
                "Identify Namespace");
  return nvme::parse_identify_namespace({id_buf_.bytes(), nvme::kIdentifySize}, nsid);
}

std::vector<uint32_t> NvmeDriver::active_namespaces() {
  if (!id_buf_.data()) throw_error("NVMe Identify", object(), EINVAL, "call init() first");
  const nvme::Version v = version();
  if (v.major == 1 && v.minor == 0) {
    // CNS 02h came with NVMe 1.1: list 1..NN instead.
    std::vector<uint32_t> all;
    for (uint32_t i = 1; i <= std::min<uint32_t>(ctrl_.nn, 1024); ++i) all.push_back(i);
    return all;
  }
  std::memset(id_buf_.data(), 0, nvme::kIdentifySize);
  admin_checked(nvme::make_identify(nvme::kCnsActiveNamespaces, 0, id_map_.iova()),
                "Identify (Active Namespace ID list)");
  return nvme::parse_namespace_list({id_buf_.bytes(), nvme::kIdentifySize});
}

// --- I/O -------------------------------------------------------------------------------------

uint16_t NvmeDriver::submit_io(uint8_t opcode, uint64_t lba, uint32_t blocks, uint64_t iova,
                               bool ring_now) {
  const char* op = opcode == nvme::kNvmRead ? "NVMe Read" : "NVMe Write";
  if (!live_) throw_error(op, object(), EINVAL, "call init() first");
  auto what = [&] {
    return detail::format("{} namespace {} LBA {} + {} blocks", object(), ns_.nsid, lba, blocks);
  };
  if (blocks == 0) throw_error(op, what(), EINVAL, "transfer at least one block");
  if (lba >= ns_.nsze || ns_.nsze - lba < blocks)
    throw_error(op, what(), EINVAL,
                detail::format("the namespace has {} blocks of {} bytes", ns_.nsze, ns_.lba_size));
  const uint64_t bytes = uint64_t{blocks} * ns_.lba_size;
  if (bytes > max_transfer_)
    throw_error(op, what(), EINVAL,
                detail::format("{} bytes exceed the {} byte transfer limit (MDTS): split it", bytes,
                               max_transfer_));
  return io_->submit_rw(opcode, ns_.nsid, lba, blocks, iova, bytes, ring_now);
}

uint16_t NvmeDriver::submit_read(uint64_t lba, uint32_t blocks, uint64_t iova, bool ring_now) {
  return submit_io(nvme::kNvmRead, lba, blocks, iova, ring_now);
}

uint16_t NvmeDriver::submit_write(uint64_t lba, uint32_t blocks, uint64_t iova, bool ring_now) {
  return submit_io(nvme::kNvmWrite, lba, blocks, iova, ring_now);
}

void NvmeDriver::ring() {
  if (live_) io_->ring();
}

void NvmeDriver::drain_io() { io_->drain(io_done_); }

std::vector<NvmeCompletion> NvmeDriver::reap(size_t min, int timeout_ms) {
  if (!live_) throw_error("NVMe reap", object(), EINVAL, "call init() first");
  // Room for everything that can be there: what wait_for() queued and all in flight.
  std::vector<NvmeCompletion> out(std::max<size_t>(min, io_done_.size() + io_->in_flight()));
  out.resize(reap(std::span<NvmeCompletion>(out), min, timeout_ms));
  return out;
}

size_t NvmeDriver::reap(std::span<NvmeCompletion> out, size_t min, int timeout_ms) {
  if (!live_) throw_error("NVMe reap", object(), EINVAL, "call init() first");
  if (min > out.size())
    throw_error("NVMe reap", object(), EINVAL,
                detail::format("waiting for {} completions with room for {}", min, out.size()));
  size_t n = 0;
  if (!io_done_.empty()) {  // completions wait_for() popped come first
    n = std::min(out.size(), io_done_.size());
    std::copy_n(io_done_.begin(), n, out.begin());
    io_done_.erase(io_done_.begin(), io_done_.begin() + static_cast<ptrdiff_t>(n));
  }
  n += io_->drain(out.subspan(n));
  if (n >= min) return n;  // the common case: no clock read, no wait
  const auto deadline = after_ms(timeout_ms);
  Clock::time_point kick_at{};
  for (unsigned spins = 0;; ++spins) {
    if (Clock::now() >= deadline) {
      io_done_.insert(io_done_.begin(), out.begin(), out.begin() + static_cast<ptrdiff_t>(n));
      throw_error(
          "NVMe reap", object(), ETIMEDOUT,
          detail::format(
              "{} of {} completions within {} ms ({} in flight, {} mode{})", n, min, timeout_ms,
              io_->in_flight(), completion_mode_name(options_.completion),
              shadow_ ? detail::format(", shadow doorbells, {} kicks", io_->mmio_doorbells_kicked())
                      : std::string()));
    }
    const size_t before = n;
    wait_io(deadline, spins, kick_at);
    n += io_->drain(out.subspan(n));
    if (n != before) kick_at = {};  // progress: the next kick is kKickAfterMs from now
    if (n >= min) return n;
  }
}

std::optional<NvmeCompletion> NvmeDriver::wait_for(uint16_t cid, int timeout_ms) {
  if (!live_) throw_error("NVMe wait", object(), EINVAL, "call init() first");
  auto find = [&] {
    return std::find_if(io_done_.begin(), io_done_.end(),
                        [&](const NvmeCompletion& c) { return c.cid == cid; });
  };
  if (find() == io_done_.end() && !io_->busy(cid))
    throw_error("NVMe wait", detail::format("{} command {}", object(), cid), EINVAL,
                "no such command in flight");
  const auto deadline = after_ms(timeout_ms);
  Clock::time_point kick_at{};
  for (unsigned spins = 0;; ++spins) {
    const size_t before = io_done_.size();
    drain_io();
    if (io_done_.size() != before) kick_at = {};
    if (auto it = find(); it != io_done_.end()) {
      const NvmeCompletion c = *it;
      io_done_.erase(it);
      return c;
    }
    if (Clock::now() >= deadline) return std::nullopt;
    wait_io(deadline, spins, kick_at);
  }
}

NvmeCompletion NvmeDriver::wait(uint16_t cid, int timeout_ms) {
  if (auto c = wait_for(cid, timeout_ms)) return *c;
  throw_error("NVMe wait", detail::format("{} command {}", object(), cid), ETIMEDOUT,
              detail::format("no completion within {} ms ({} mode, CSTS {:#x})", timeout_ms,
                             completion_mode_name(options_.completion), csts()));
}

void NvmeDriver::io_sync(uint8_t opcode, uint64_t lba, uint32_t blocks, uint64_t iova,
                         int timeout_ms) {
  const NvmeCompletion c = wait(submit_io(opcode, lba, blocks, iova, true), timeout_ms);
  if (!c.ok())
    throw_error(opcode == nvme::kNvmRead ? "NVMe Read" : "NVMe Write",
                detail::format("{} namespace {} LBA {} + {} blocks, IOVA {:#x}", object(), ns_.nsid,
                               lba, blocks, iova),
                EIO, detail::format("the controller failed it: {}", c.status_text()));
}

void NvmeDriver::read(uint64_t lba, uint32_t blocks, uint64_t iova, int timeout_ms) {
  io_sync(nvme::kNvmRead, lba, blocks, iova, timeout_ms);
}

void NvmeDriver::write(uint64_t lba, uint32_t blocks, uint64_t iova, int timeout_ms) {
  io_sync(nvme::kNvmWrite, lba, blocks, iova, timeout_ms);
}

// --- the Driver interface's test operations --------------------------------------------------

void NvmeDriver::memcpy_start(uint64_t src_iova, uint64_t dst_iova, size_t size) {
  if (!live_) throw_error("NVMe memcpy", object(), EINVAL, "call init() first");
  if (copy_.active)
    throw_error("NVMe memcpy", object(), EBUSY, "memcpy_wait() the previous copy first");
  if (size == 0 || size % ns_.lba_size || size > scratch_bytes_)
    throw_error("NVMe memcpy", detail::format("{} {} bytes", object(), size), EINVAL,
                detail::format("copies are whole {} byte blocks, at most {} bytes", ns_.lba_size,
                               scratch_bytes_));
  const auto blocks = static_cast<uint32_t>(size / ns_.lba_size);
  const uint16_t cid = submit_write(scratch_lba_, blocks, src_iova);
  copy_ = {true, cid, dst_iova, blocks};
}

void NvmeDriver::memcpy_wait(int timeout_ms) {
  if (!copy_.active) throw_error("NVMe memcpy_wait", object(), EINVAL, "no copy started");
  copy_.active = false;
  const NvmeCompletion c = wait(copy_.write_cid, timeout_ms);
  if (!c.ok())
    throw_error("NVMe memcpy (write to scratch)", object(), EIO,
                detail::format("the controller failed it: {}", c.status_text()));
  read(scratch_lba_, copy_.blocks, copy_.dst, timeout_ms);
}

void NvmeDriver::read_start(uint64_t dst_iova, size_t size) {
  if (!live_) throw_error("NVMe read", object(), EINVAL, "call init() first");
  if (read_cid_) throw_error("NVMe read", object(), EBUSY, "read_wait() the previous read first");
  if (size == 0 || size % ns_.lba_size || size > scratch_bytes_)
    throw_error("NVMe read", detail::format("{} {} bytes", object(), size), EINVAL,
                detail::format("reads are whole {} byte blocks, at most {} bytes", ns_.lba_size,
                               scratch_bytes_));
  read_cid_ = submit_read(scratch_lba_, static_cast<uint32_t>(size / ns_.lba_size), dst_iova);
}

void NvmeDriver::read_wait(int timeout_ms) {
  if (!read_cid_) throw_error("NVMe read_wait", object(), EINVAL, "no read started");
  const uint16_t cid = *read_cid_;
  read_cid_.reset();
  const NvmeCompletion c = wait(cid, timeout_ms);
  if (!c.ok())
    throw_error("NVMe read (scratch LBAs)", object(), EIO,
                detail::format("the controller failed it: {}", c.status_text()));
}

void NvmeDriver::send_msi() {
  if (!live_) throw_error("NVMe send_msi", object(), EINVAL, "call init() first");
  drain_admin();
  const uint16_t cid = admin_->claim();
  nvme::Sqe sqe = nvme::make_get_features(nvme::kFeatureNumQueues);
  sqe.cid = cid;
  admin_detached_.insert(cid);  // its completion only matters for the interrupt it raises
  admin_->submit(sqe);
}

void NvmeDriver::irq_ack() {
  if (!live_) return;
  drain_admin();
  drain_io();
}

}  // namespace vfiokit
