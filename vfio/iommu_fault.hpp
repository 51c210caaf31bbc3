// IOMMU fault records as the kernel logs them: the evidence that a device's DMA
// really left the device and was blocked by the IOMMU (vfiokit probe's isolation
// step, the VM tests). Pure parsing, host-tested on captured lines.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vfiokit {

/// One decoded DMA fault record.
struct IommuFault {
  std::string iommu;  ///< "DMAR" (Intel VT-d), "AMD-Vi" or "virtio-iommu"
  /// The requester as bus:device.function ("00:03.0"); empty where the record names
  /// only a virtio-iommu endpoint id.
  std::string requester;
  /// The requester's PCI segment (domain) where the record names one (AMD-Vi's
  /// "device=0001:..." or a "0001:bb:dd.f:" device prefix); Intel DMAR and
  /// virtio-iommu records do not.
  std::optional<uint16_t> segment;
  /// virtio-iommu endpoint id (on x86 the requester id, bus << 8 | devfn).
  std::optional<uint32_t> endpoint;
  uint64_t iova = 0;
  std::string access;  ///< "read", "write" or "" where the record does not say
  std::string reason;  ///< the IOMMU's reason, as logged
};

/// Decodes one kernel log line (the message text, with or without a dmesg
/// timestamp). Recognised: Intel "DMAR: [DMA Write NO_PASID] Request device
/// [00:03.0] fault addr 0x1000 [fault reason 0x05] ...", AMD "... AMD-Vi: Event
/// logged [IO_PAGE_FAULT ... address=0x1000 flags=0x0020]" and virtio-iommu
/// "virtio_iommu virtio0: page fault from EP 24 at 0x1000 [W]". Interrupt-remapping
/// faults and other lines give nullopt.
std::optional<IommuFault> parse_iommu_fault(std::string_view line);

/// Whether `fault` is a DMA by the device `bdf` ("0000:00:03.0") that hit
/// [iova, iova + size). The segment counts: a record naming segment 0001 is no
/// fault of 0000:bb:dd.f, and a record that names none (DMAR, virtio-iommu)
/// counts only for a device in segment 0000, since bus:dev.fn alone is ambiguous
/// on a host with several (such a device's isolation stays "not proven").
bool fault_matches(const IommuFault& fault, const std::string& bdf, uint64_t iova, uint64_t size);

/// One line for people: "DMAR: write by 00:03.0 at IOVA 0x1000 blocked (PTE Write access
/// is not set)".
std::string describe(const IommuFault& fault);

}  // namespace vfiokit
