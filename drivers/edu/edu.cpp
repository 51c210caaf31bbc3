#include "vfiokit/drivers/edu/edu.hpp"

#include <cerrno>
#include <chrono>
#include <thread>

#include "vfio/barrier.hpp"
#include "vfio/format.hpp"
#include "vfiokit/drivers/edu/registers.hpp"
#include "vfiokit/vfio/error.hpp"

namespace vfiokit {

EduDriver::EduDriver(Device& device, std::shared_ptr<DmaSpace> dma)
    : device_(device), dma_(std::move(dma)), bar0_(device.map_region(RegionIndex::kBar0)) {}

EduDriver::~EduDriver() {
  if (live_) remove();
}

uint32_t EduDriver::id() const { return bar0_.read32(edu::kRegId); }

uint32_t EduDriver::liveness(uint32_t v) const {
  bar0_.write32(edu::kRegLiveness, v);
  return bar0_.read32(edu::kRegLiveness);
}

uint32_t EduDriver::factorial(uint32_t n, int timeout_ms) const {
  bar0_.write32(edu::kRegFactorial, n);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (bar0_.read32(edu::kRegStatus) & edu::kStatusBusy) {
    if (std::chrono::steady_clock::now() > deadline)
      throw_error("edu factorial", device_.bdf(), ETIMEDOUT, "the device stayed busy");
    std::this_thread::yield();
  }
  return bar0_.read32(edu::kRegFactorial);
}

void EduDriver::init(IrqMode mode) {
  if (device_.can_reset()) device_.reset();
  device_.enable_bus_master();
  if (mode == IrqMode::kDefault || mode == IrqMode::kMsix) mode = IrqMode::kMsi;
  mode_ = mode;
  irq_ = device_.enable_irq(mode == IrqMode::kIntx ? IrqIndex::kIntx : IrqIndex::kMsi);
  bar0_.write32(edu::kRegIrqAck, 0xffffffff);
  irq_.drain(0);
  if (mode == IrqMode::kIntx) irq_.unmask();
  live_ = true;
}

void EduDriver::remove() {
  irq_ = IrqSet();
  bar0_.write32(edu::kRegStatus, 0);
  bar0_.write32(edu::kRegIrqAck, 0xffffffff);
  live_ = false;
}

void EduDriver::irq_ack() {
  bar0_.write32(edu::kRegIrqAck, bar0_.read32(edu::kRegIrqStatus));
  if (mode_ == IrqMode::kIntx) irq_.unmask();
}

void EduDriver::wait_irq(uint32_t bit, int timeout_ms, const char* what) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0 || irq_.wait(0, static_cast<int>(left)) == 0)
      throw_error(
          what, device_.bdf(), ETIMEDOUT,
          detail::format("no {} interrupt within {} ms (IRQ status {:#x})", irq_mode_name(mode_),
                         timeout_ms, bar0_.read32(edu::kRegIrqStatus)));
    const uint32_t status = bar0_.read32(edu::kRegIrqStatus);
    bar0_.write32(edu::kRegIrqAck, status);
    if (mode_ == IrqMode::kIntx) irq_.unmask();
    if (status & bit) return;
  }
}

void EduDriver::dma_start(uint64_t iova, uint64_t buf_off, size_t size, bool to_ram) {
  // QEMU 7.2 aborts the whole VM on a DMA that reaches the buffer's last byte.
  if (size == 0 || buf_off + size >= edu::kBufferSize || iova > edu::kDmaMask ||
      edu::kDmaMask - iova < size)
    throw_error("edu DMA",
                detail::format("{} IOVA {:#x} buffer offset {:#x} size {}", device_.bdf(), iova,
                               buf_off, size),
                EINVAL, "edu DMA must stay below 2^28 and inside [0, 4095) of its buffer");
  if (bar0_.read32(edu::kRegDmaCmd) & edu::kDmaCmdStart)
    throw_error("edu DMA", device_.bdf(), EBUSY, "a DMA is still running");
  const uint64_t dev_addr = edu::kBufferAddr + buf_off;
  bar0_.write64(edu::kRegDmaSrc, to_ram ? dev_addr : iova);
  bar0_.write64(edu::kRegDmaDst, to_ram ? iova : dev_addr);
  bar0_.write64(edu::kRegDmaCount, size);
  // A DMA from RAM must see what the host wrote to the buffer before the start bit.
  io::dma_wmb();
  bar0_.write64(edu::kRegDmaCmd,
                edu::kDmaCmdStart | edu::kDmaCmdIrq | (to_ram ? edu::kDmaCmdToRam : 0));
}

void EduDriver::dma(uint64_t iova, uint64_t buf_off, size_t size, bool to_ram, int timeout_ms) {
  dma_start(iova, buf_off, size, to_ram);
  wait_irq(edu::kIrqDma, timeout_ms, to_ram ? "edu DMA to RAM" : "edu DMA from RAM");
}

void EduDriver::read_start(uint64_t dst_iova, size_t size) { dma_start(dst_iova, 0, size, true); }

void EduDriver::read_wait(int timeout_ms) { wait_irq(edu::kIrqDma, timeout_ms, "edu DMA to RAM"); }

void EduDriver::memcpy_start(uint64_t src_iova, uint64_t dst_iova, size_t size) {
  if (size > max_memcpy_size())
    throw_error("edu memcpy", detail::format("{} {} bytes", device_.bdf(), size), EINVAL,
                detail::format("at most {} bytes per copy", max_memcpy_size()));
  dma_start(src_iova, 0, size, false);
  pending_to_ram_ = true;
  pending_dst_ = dst_iova;
  pending_size_ = size;
}

void EduDriver::memcpy_wait(int timeout_ms) {
  if (!pending_to_ram_) throw_error("edu memcpy_wait", device_.bdf(), EINVAL, "no copy started");
  pending_to_ram_ = false;
  wait_irq(edu::kIrqDma, timeout_ms, "edu DMA from RAM");
  dma(pending_dst_, 0, pending_size_, true, timeout_ms);
}

void EduDriver::send_msi() { bar0_.write32(edu::kRegIrqRaise, 0x8000); }

}  // namespace vfiokit
