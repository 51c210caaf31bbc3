// Driver for QEMU's edu device: registers, factorial, DMA through its 4 KiB
// buffer, MSI or INTx. See registers.hpp for the spec it follows.
#pragma once

#include "vfiokit/drivers/driver.hpp"

namespace vfiokit {

class EduDriver final : public Driver {
 public:
  EduDriver(Device& device, std::shared_ptr<DmaSpace> dma);
  ~EduDriver() override;

  std::string name() const override { return "edu"; }
  void init(IrqMode mode = IrqMode::kDefault) override;
  void remove() override;
  /// QEMU 7.2 aborts the VM on a DMA that touches the buffer's last byte, so less than 4 KiB.
  size_t max_memcpy_size() const override { return 2048; }
  void memcpy_start(uint64_t src_iova, uint64_t dst_iova, size_t size) override;
  void memcpy_wait(int timeout_ms = 5000) override;
  /// A DMA from the start of the edu buffer to RAM.
  void read_start(uint64_t dst_iova, size_t size) override;
  void read_wait(int timeout_ms = 5000) override;
  void send_msi() override;
  void irq_ack() override;
  const IrqSet& irq() const override { return irq_; }
  IrqMode irq_mode() const override { return mode_; }

  /// BAR0.
  const MappedRegion& bar0() const { return bar0_; }
  /// Identification register (0x010000ed for edu 1.0).
  uint32_t id() const;
  /// Writes `v` to the liveness register and returns what it reads back (~v).
  uint32_t liveness(uint32_t v) const;
  /// n! computed by the device (polled).
  uint32_t factorial(uint32_t n, int timeout_ms = 5000) const;
  /// One DMA between RAM (iova) and the edu buffer at `buf_off`; waits for its interrupt.
  void dma(uint64_t iova, uint64_t buf_off, size_t size, bool to_ram, int timeout_ms = 5000);

 private:
  void dma_start(uint64_t iova, uint64_t buf_off, size_t size, bool to_ram);
  void wait_irq(uint32_t bit, int timeout_ms, const char* what);

  Device& device_;
  std::shared_ptr<DmaSpace> dma_;
  MappedRegion bar0_;
  IrqSet irq_;
  IrqMode mode_ = IrqMode::kDefault;
  bool pending_to_ram_ = false;
  uint64_t pending_dst_ = 0;
  size_t pending_size_ = 0;
  bool live_ = false;
};

}  // namespace vfiokit
