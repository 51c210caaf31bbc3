// Userspace NVMe driver (PCI class 01:08:02) for QEMU's emulated `nvme` and real
// drives, written from the NVM Express Base Specification 1.4: controller
// initialization (7.6.1) and shutdown (7.6.2), admin and one I/O queue pair,
// Identify, Read/Write with PRPs (4.3), completions by MSI-X or by polling.
// Registers: registers.hpp; queue entries and commands: commands.hpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "vfiokit/drivers/driver.hpp"
#include "vfiokit/drivers/nvme/commands.hpp"
#include "vfiokit/drivers/nvme/identify.hpp"
#include "vfiokit/drivers/nvme/registers.hpp"

namespace vfiokit {

namespace nvme {
class QueuePair;  // drivers/nvme/queue.hpp, private to the library
}  // namespace nvme

/// How the driver learns that an I/O command completed.
enum class NvmeCompletionMode {
  kInterrupt,  ///< the I/O CQ raises MSI-X vector NvmeDriver::kIoVector; waits block on its eventfd
  kPoll,       ///< the I/O CQ has interrupts off (IEN 0); waits spin on the phase tag
};

/// "interrupt", "poll".
const char* completion_mode_name(NvmeCompletionMode m);

/// Whether the driver uses shadow doorbells (Doorbell Buffer Config, NVMe 1.3+, 5.8): the
/// new SQ tail / CQ head goes to a DMA page the controller reads, and the MMIO doorbell is
/// written only when the controller's EventIdx asks for it (fewer traps on emulated and
/// para-virtual controllers). Controllers offer it with Identify Controller OACS bit 8.
enum class NvmeShadowDoorbells {
  kAuto,  ///< use them when the controller offers them (OACS bit 8); MMIO doorbells otherwise
  kOn,    ///< use them; init() fails on a controller without them (ENOTSUP, naming it, its
          ///< OACS and the fix) or one that fails the command (EIO); kAuto goes on without
  kOff,   ///< MMIO doorbells only
};

/// "auto", "on", "off".
const char* shadow_doorbells_name(NvmeShadowDoorbells m);

/// Settings that take effect at the next init().
struct NvmeOptions {
  NvmeCompletionMode completion = NvmeCompletionMode::kInterrupt;
  /// I/O SQ/CQ entries (clamped to CAP.MQES + 1); the queue depth is one less.
  uint32_t io_queue_entries = 256;
  /// Namespace to use; 0 = the first active one.
  uint32_t nsid = 0;
  /// Upper bound on one command's transfer (MDTS may lower it).
  uint64_t max_transfer = 2u << 20;
  /// Shadow doorbells for the admin and I/O queues; see NvmeShadowDoorbells.
  NvmeShadowDoorbells shadow_doorbells = NvmeShadowDoorbells::kAuto;
};

/// One completed command.
struct NvmeCompletion {
  uint16_t cid = 0;
  uint16_t status = 0;  ///< the Status Field (CQE DW3 31:17); see nvme::status_text
  uint32_t dw0 = 0;     ///< command-specific result
  uint16_t sqhd = 0;    ///< the SQ head the controller reported
  bool ok() const { return nvme::status_ok(status); }
  /// e.g. "SCT 0h SC 00h (Successful Completion)".
  std::string status_text() const { return nvme::status_text(status); }
};

/// Guarantees, beyond Driver's:
/// - init() resets the controller (CC.EN 0, then 1), wires MSI-X vectors 0 (admin CQ) and 1
///   (I/O CQ), identifies the controller and the namespace, and creates I/O queue pair 1;
/// - memcpy_start/memcpy_wait write the source to the scratch LBA range (the last
///   max_memcpy_size() bytes of the namespace, whose data it destroys) and read it back into
///   the destination; sizes must be multiples of lba_size(), IOVAs dword-aligned;
/// - send_msi() issues Get Features (Number of Queues); its completion raises vector 0;
/// - with shadow doorbells in use (shadow_doorbells()), every doorbell value is in the
///   Shadow Doorbell page before any MMIO doorbell write, and an I/O queue's MMIO doorbell is
///   skipped only when the EventIdx rule says the controller does not need it; the admin
///   queue's MMIO doorbell is always written as well; a wait that sees no I/O completion
///   for kKickAfterMs writes the current I/O doorbells to MMIO once more (a repeat of what
///   the shadow slots hold: a controller that missed one shadow update is then told), and
///   again every kKickAfterMs; doorbell_kicks() counts these;
/// - remove() deletes the I/O queues, shuts the controller down (CC.SHN) and clears CC.EN
///   before it frees (unmaps) any queue memory.
/// Not thread-safe.
class NvmeDriver final : public Driver {
 public:
  /// MSI-X vector of the admin CQ (the spec fixes it to 0) and of the I/O CQ.
  static constexpr uint32_t kAdminVector = 0;
  static constexpr uint32_t kIoVector = 1;
  /// The I/O queue pair's ID.
  static constexpr uint16_t kIoQid = 1;

  NvmeDriver(Device& device, std::shared_ptr<DmaSpace> dma, NvmeOptions options = {});
  ~NvmeDriver() override;

  std::string name() const override { return "nvme"; }
  /// kDefault or kMsix; kIntx and kMsi throw vfiokit::Error (EINVAL).
  void init(IrqMode mode = IrqMode::kDefault) override;
  void remove() override;
  /// Bytes per memcpy (the scratch range), 0 before init().
  size_t max_memcpy_size() const override { return scratch_bytes_; }
  void memcpy_start(uint64_t src_iova, uint64_t dst_iova, size_t size) override;
  void memcpy_wait(int timeout_ms = 5000) override;
  /// memcpy writes the scratch LBAs: only with the user's leave (--allow-write).
  bool memcpy_writes_storage() const override { return true; }
  size_t dma_granule() const override { return ns_.lba_size; }
  /// A Read of the scratch LBAs into dst_iova (whole blocks): changes no user data.
  void read_start(uint64_t dst_iova, size_t size) override;
  void read_wait(int timeout_ms = 5000) override;
  void send_msi() override;
  /// Consumes the completions that are in the CQs (MSI-X needs no unmasking).
  void irq_ack() override;
  const IrqSet& irq() const override { return irq_; }
  IrqMode irq_mode() const override { return IrqMode::kMsix; }

  /// Replaces the options; they apply at the next init().
  void set_options(const NvmeOptions& options) { options_ = options; }
  const NvmeOptions& options() const { return options_; }
  NvmeCompletionMode completion_mode() const { return options_.completion; }

  /// BAR0 (controller registers and doorbells).
  const MappedRegion& bar0() const { return bar0_; }
  /// CAP, VS and CSTS as read now.
  nvme::Cap cap() const;
  nvme::Version version() const;
  uint32_t csts() const;
  /// The memory page size chosen for CC.MPS.
  uint64_t page_size() const { return page_size_; }

  /// Identify Controller as read by init().
  const nvme::ControllerInfo& controller() const { return ctrl_; }
  /// Identify Namespace of the namespace in use, as read by init().
  const nvme::NamespaceInfo& ns() const { return ns_; }
  uint32_t lba_size() const { return ns_.lba_size; }
  /// Issues Identify Controller now and returns (and keeps) the result.
  nvme::ControllerInfo identify();
  /// Issues Identify Namespace for `nsid` now.
  nvme::NamespaceInfo identify_namespace(uint32_t nsid);
  /// The active namespace IDs (Identify CNS 02h).
  std::vector<uint32_t> active_namespaces();
  /// The largest transfer one command may carry (MDTS, NvmeOptions::max_transfer, NLB).
  uint64_t max_transfer() const { return max_transfer_; }
  /// First LBA of the memcpy scratch range.
  uint64_t scratch_lba() const { return scratch_lba_; }

  /// Commands the I/O queue can hold at once.
  uint32_t io_queue_depth() const;
  /// I/O commands submitted and not yet reaped.
  uint32_t in_flight() const;
  /// Queues a Read of `blocks` blocks from `lba` into IOVA-contiguous memory at `iova`;
  /// rings the doorbell unless `ring` is false (then call ring()). Returns its cid.
  /// Throws vfiokit::Error for a range outside the namespace, a transfer over
  /// max_transfer(), a misaligned IOVA, or a full queue (EBUSY).
  uint16_t submit_read(uint64_t lba, uint32_t blocks, uint64_t iova, bool ring = true);
  /// As submit_read, for a Write from `iova`.
  uint16_t submit_write(uint64_t lba, uint32_t blocks, uint64_t iova, bool ring = true);
  /// Rings the I/O SQ tail doorbell for commands queued with ring = false.
  void ring();
  /// Waits until at least `min` I/O completions are available and returns all that are
  /// (in completion order). Throws vfiokit::Error (ETIMEDOUT) when fewer came in time; the
  /// ones that did stay queued for the next call.
  /// A thin wrapper over the span overload (it allocates the vector).
  std::vector<NvmeCompletion> reap(size_t min, int timeout_ms = 5000);
  /// The I/O path's reap: as above, into caller memory, no allocation. Waits until at
  /// least `min` (<= out.size()) completions are available, writes up to out.size() of
  /// them in completion order and returns how many; the rest stay queued. Throws
  /// vfiokit::Error (EINVAL for min > out.size(), ETIMEDOUT as above, with none lost).
  size_t reap(std::span<NvmeCompletion> out, size_t min, int timeout_ms = 5000);
  /// Waits for I/O command `cid`; nullopt on timeout (the command stays in flight).
  std::optional<NvmeCompletion> wait_for(uint16_t cid, int timeout_ms = 5000);
  /// As wait_for; throws vfiokit::Error (ETIMEDOUT) on timeout.
  NvmeCompletion wait(uint16_t cid, int timeout_ms = 5000);
  /// Synchronous Read/Write; throws vfiokit::Error (EIO, with the status) on an error status.
  void read(uint64_t lba, uint32_t blocks, uint64_t iova, int timeout_ms = 5000);
  void write(uint64_t lba, uint32_t blocks, uint64_t iova, int timeout_ms = 5000);

  /// Runs one admin command (its cid is set here) and returns its completion, whatever the
  /// status; throws vfiokit::Error (ETIMEDOUT) when none comes.
  NvmeCompletion admin(nvme::Sqe sqe, int timeout_ms = 5000);
  /// Get Features (current value) of `fid`: the completion's DW0.
  uint32_t get_features(uint8_t fid);

  /// Whether init() set up shadow doorbells (NvmeOptions::shadow_doorbells, OACS bit 8).
  bool shadow_doorbells() const { return shadow_; }
  /// With shadow doorbells: the I/O queue's MMIO doorbell writes made and skipped since
  /// init() (skipped: EventIdx said the controller did not need them). 0 without.
  uint64_t doorbell_writes() const;
  uint64_t doorbell_writes_skipped() const;
  /// With shadow doorbells: the repeats written by waits that saw no progress for
  /// kKickAfterMs (see the class comment). 0 on a controller that never misses a doorbell.
  uint64_t doorbell_kicks() const;
  static constexpr int kKickAfterMs = 100;
  /// With shadow doorbells: the I/O SQ's and CQ's EventIdx slots as the controller last
  /// wrote them (the EventIdx page starts zeroed). 0 without.
  uint32_t sq_event_idx() const;
  uint32_t cq_event_idx() const;

  /// Interrupts the driver consumed from `vector`'s eventfd while waiting.
  uint64_t interrupts(uint32_t vector) const { return vector < 2 ? irq_seen_[vector] : 0; }

 private:
  uint16_t submit_io(uint8_t opcode, uint64_t lba, uint32_t blocks, uint64_t iova, bool ring);
  void io_sync(uint8_t opcode, uint64_t lba, uint32_t blocks, uint64_t iova, int timeout_ms);
  NvmeCompletion admin_checked(const nvme::Sqe& sqe, const char* what);
  void drain_admin();
  void drain_io();
  bool wait_irq(uint32_t vector, std::chrono::steady_clock::time_point deadline);
  void wait_io(std::chrono::steady_clock::time_point deadline, unsigned spins,
               std::chrono::steady_clock::time_point& kick_at);
  void disable_controller();
  void enable_controller(uint32_t cc);
  void wait_ready(bool ready, const char* what);
  void teardown(bool graceful) noexcept;
  void setup_shadow_doorbells();
  // init()'s states, in the order init runs them (see init).
  void init_read_cap();
  void init_check_msix();
  void init_enable_irqs();
  void init_configure_admin_queue();
  void init_enable();
  void init_identify_controller();
  void init_identify_namespace();
  void init_transfer_limit();
  void init_set_num_queues();
  void init_allocate_io_queue();
  void init_create_io_cq();
  void init_create_io_sq();
  void init_scratch_range();
  std::string object() const;

  Device& device_;
  std::shared_ptr<DmaSpace> dma_;
  NvmeOptions options_;
  MappedRegion bar0_;
  IrqSet irq_;
  nvme::Cap cap_{};
  uint64_t page_size_ = 4096;
  std::unique_ptr<nvme::QueuePair> admin_;  // never null
  std::unique_ptr<nvme::QueuePair> io_;     // never null
  DmaBuffer id_buf_;
  DmaMapping id_map_;
  DmaBuffer dbbuf_;  // shadow doorbell page, then EventIdx page
  DmaMapping dbbuf_map_;
  bool shadow_ = false;
  nvme::ControllerInfo ctrl_;
  nvme::NamespaceInfo ns_;
  uint64_t max_transfer_ = 0;
  uint64_t scratch_lba_ = 0;
  size_t scratch_bytes_ = 0;
  std::vector<NvmeCompletion> admin_done_, io_done_;
  std::set<uint16_t> admin_detached_;  // cids whose completion nobody waits for
  std::set<uint16_t> admin_pending_;   // cids admin() submitted and waits for
  uint64_t irq_seen_[2] = {0, 0};
  struct PendingCopy {
    bool active = false;
    uint16_t write_cid = 0;
    uint64_t dst = 0;
    uint32_t blocks = 0;
  } copy_;
  std::optional<uint16_t> read_cid_;  // read_start's command, until read_wait
  bool live_ = false;
};

}  // namespace vfiokit
