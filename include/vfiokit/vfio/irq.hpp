// Device interrupts delivered to eventfds (VFIO_DEVICE_SET_IRQS).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "vfiokit/vfio/indexes.hpp"
#include "vfiokit/vfio/unique_fd.hpp"

namespace vfiokit {

/// What VFIO_DEVICE_GET_IRQ_INFO says of one IRQ index.
struct IrqInfo {
  IrqIndex index = IrqIndex::kIntx;
  uint32_t flags = 0;  ///< VFIO_IRQ_INFO_{EVENTFD,MASKABLE,AUTOMASKED,NORESIZE}
  uint32_t count = 0;  ///< vectors available (0: the device has none of this kind)
  /// VFIO_IRQ_INFO_EVENTFD: vectors can signal eventfds.
  bool eventfd() const;
  /// VFIO_IRQ_INFO_MASKABLE: the line can be masked and unmasked.
  bool maskable() const;
  /// VFIO_IRQ_INFO_AUTOMASKED: the kernel masks the line on each interrupt (INTx).
  bool automasked() const;
  /// VFIO_IRQ_INFO_NORESIZE: the vector count cannot change while enabled.
  bool noresize() const;
  /// The flags by name, in bit order: "eventfd", "maskable", "automasked", "noresize".
  std::vector<std::string> flag_names() const;
  /// "INTx", "MSI", "MSI-X", "ERR", "REQ" or "index N".
  std::string name() const;
};

/// `count` vectors of one IRQ index, each signalling its own eventfd. Shares the
/// device fd with its Device, so disabling the index on destruction always reaches
/// this device, never a closed and reused fd number. Move-only.
class IrqSet {
 public:
  IrqSet() = default;
  /// Wires vectors [0, count) of `index` on device `fd` to new eventfds.
  IrqSet(SharedFd device_fd, IrqIndex index, uint32_t count, std::string bdf);
  IrqSet(IrqSet&&) noexcept;
  IrqSet& operator=(IrqSet&&) noexcept;
  IrqSet(const IrqSet&) = delete;
  IrqSet& operator=(const IrqSet&) = delete;
  ~IrqSet();

  /// The IRQ index.
  IrqIndex index() const { return index_; }
  /// Number of vectors wired.
  uint32_t count() const { return static_cast<uint32_t>(fds_.size()); }
  /// The eventfd of `vector` (owned by this set), for poll/epoll.
  int eventfd(uint32_t vector) const;
  /// Waits up to `timeout_ms` for `vector`; returns the number of interrupts
  /// counted since the last wait, 0 on timeout.
  uint64_t wait(uint32_t vector, int timeout_ms) const;
  /// Reads and clears the counter without waiting (0 if none).
  uint64_t drain(uint32_t vector) const;
  /// INTx: unmask the line after handling (VFIO_IRQ_SET_ACTION_UNMASK).
  void unmask() const;
  /// Asks the kernel to signal `vector` itself (a loopback test of the eventfd path).
  void trigger(uint32_t vector) const;

 private:
  void disable() noexcept;
  SharedFd device_fd_;
  IrqIndex index_ = IrqIndex::kIntx;
  std::string bdf_;
  std::vector<UniqueFd> fds_;
};

}  // namespace vfiokit
