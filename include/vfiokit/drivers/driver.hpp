// A userspace driver: the few operations that let one test body prove DMA and
// interrupts on any supported device (after the kernel's vfio selftests' driver ops).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "vfiokit/dma/mapping.hpp"
#include "vfiokit/vfio/device.hpp"

namespace vfiokit {

/// How a driver takes its interrupts.
enum class IrqMode { kDefault, kIntx, kMsi, kMsix };

/// Guarantees, for every driver:
/// - init() leaves the device able to DMA (bus master on) with interrupts on eventfds;
/// - memcpy_start + memcpy_wait copy `size` bytes from src_iova to dst_iova by device
///   DMA (both must be mapped), raising an interrupt at the end;
/// - send_msi() makes the device raise one interrupt, observable on irq();
/// - remove() quiesces the device; the destructor calls it if not yet called.
class Driver {
 public:
  virtual ~Driver() = default;
  /// e.g. "edu", "nvme".
  virtual std::string name() const = 0;
  /// Resets (where possible) and enables the device; sets up its interrupts in `mode`.
  virtual void init(IrqMode mode = IrqMode::kDefault) = 0;
  /// Stops DMA and interrupts.
  virtual void remove() = 0;
  /// The largest size one memcpy_start accepts.
  virtual size_t max_memcpy_size() const = 0;
  /// Starts a device copy; returns at once.
  virtual void memcpy_start(uint64_t src_iova, uint64_t dst_iova, size_t size) = 0;
  /// Waits for the copy to finish (by its interrupt); throws vfiokit::Error on timeout or error.
  virtual void memcpy_wait(int timeout_ms = 5000) = 0;
  /// Whether memcpy_start goes through the device's persistent storage and overwrites
  /// it (NVMe: the scratch LBAs). Callers run it only when the user allowed writes.
  virtual bool memcpy_writes_storage() const { return false; }
  /// Transfer sizes must be whole multiples of this (NVMe: the logical block size).
  virtual size_t dma_granule() const { return 1; }
  /// Starts a DMA of `size` bytes of the device's own data into host memory at
  /// dst_iova that changes nothing the device stores (edu: its buffer; NVMe: a Read
  /// of the scratch LBAs). Throws, before anything reaches the device, for a request
  /// the driver refuses. read_wait() waits for it and throws if the device reports an error.
  virtual void read_start(uint64_t dst_iova, size_t size) = 0;
  virtual void read_wait(int timeout_ms = 5000) = 0;
  /// Makes the device raise an interrupt.
  virtual void send_msi() = 0;
  /// Acknowledges a received interrupt at the device (and unmasks INTx).
  virtual void irq_ack() = 0;
  /// The interrupts init() wired up (vector 0 is the completion/test interrupt).
  virtual const IrqSet& irq() const = 0;
  /// The interrupt mode init() chose.
  virtual IrqMode irq_mode() const = 0;
};

/// A driver known to vfiokit.
struct DriverEntry {
  const char* name;
  /// Whether the driver handles a device with these IDs and class code.
  bool (*match)(uint16_t vendor, uint16_t device, uint32_t class_code);
  /// The device's DMA address limit: create the DmaSpace with it.
  uint64_t dma_mask;
  /// Creates the driver for an open device (init() not yet called).
  std::unique_ptr<Driver> (*create)(Device& device, std::shared_ptr<DmaSpace> dma);
};

/// Every driver vfiokit has.
const std::vector<DriverEntry>& drivers();
/// The entry that matches `device`, or nullptr.
const DriverEntry* find_driver(const Device& device);
/// The driver for `device`, or nullptr when there is none. `dma` must be in the
/// device's context and limited to the entry's dma_mask.
std::unique_ptr<Driver> probe_driver(Device& device, std::shared_ptr<DmaSpace> dma);
/// "default", "intx", "msi", "msix".
const char* irq_mode_name(IrqMode m);

}  // namespace vfiokit
