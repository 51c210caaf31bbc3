// QEMU's "edu" educational PCI device (vendor 0x1234, device 0x11e8).
// Source: QEMU docs/specs/edu.rst ("EDU device"), register map of BAR0.
#pragma once

#include <cstdint>

namespace vfiokit::edu {

constexpr uint16_t kVendor = 0x1234;
constexpr uint16_t kDevice = 0x11e8;

constexpr uint32_t kRegId = 0x00;          ///< RO: 0xRRrr00ed, RR.rr = version
constexpr uint32_t kRegLiveness = 0x04;    ///< RW: reads back the bitwise inverse of the last write
constexpr uint32_t kRegFactorial = 0x08;   ///< RW: write n, read n! when not busy
constexpr uint32_t kRegStatus = 0x20;      ///< RW: bit 0 factorial busy (RO), bit 7 IRQ on factorial done
constexpr uint32_t kRegIrqStatus = 0x24;   ///< RO: pending interrupt bits
constexpr uint32_t kRegIrqRaise = 0x60;    ///< WO: raise an interrupt with these bits
constexpr uint32_t kRegIrqAck = 0x64;      ///< WO: clear these interrupt bits
constexpr uint32_t kRegDmaSrc = 0x80;      ///< RW: DMA source address (64-bit)
constexpr uint32_t kRegDmaDst = 0x88;      ///< RW: DMA destination address (64-bit)
constexpr uint32_t kRegDmaCount = 0x90;    ///< RW: DMA byte count (64-bit)
constexpr uint32_t kRegDmaCmd = 0x98;      ///< RW: DMA command (64-bit)

constexpr uint32_t kStatusBusy = 0x01;
constexpr uint32_t kStatusIrqFactorial = 0x80;
constexpr uint64_t kDmaCmdStart = 0x01;
constexpr uint64_t kDmaCmdToRam = 0x02;  ///< direction: 0 RAM -> edu buffer, 1 edu buffer -> RAM
constexpr uint64_t kDmaCmdIrq = 0x04;    ///< raise interrupt 0x100 when done

constexpr uint32_t kIrqFactorial = 0x001;
constexpr uint32_t kIrqDma = 0x100;

/// The device's internal DMA buffer, as addressed by kRegDmaSrc/kRegDmaDst.
constexpr uint64_t kBufferAddr = 0x40000;
constexpr uint64_t kBufferSize = 4096;
/// edu masks DMA addresses to 28 bits ("dma_mask" in QEMU's hw/misc/edu.c).
constexpr uint64_t kDmaMask = (1ull << 28) - 1;

}  // namespace vfiokit::edu
