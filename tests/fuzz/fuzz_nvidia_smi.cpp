// nvidia-smi's output and the PCIe link attributes, as the guest check reads them
// (guest-tests/nvidia.hpp, pci/link.hpp, pci/link_budget.hpp): whatever a driver of
// another version prints parses or is skipped; only a user's bad link spec is an Error.
#include <cstddef>
#include <cstdint>
#include <string>

#include "pci/link_budget.hpp"
#include "guest-tests/nvidia.hpp"
#include "pci/link.hpp"
#include "vfiokit/vfio/error.hpp"
#include "vfiokit/vfio/pci_address.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vfiokit::guest;
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (const auto& gpu : parse_nvidia_smi_csv(text))
    if (vfiokit::normalize_bdf(gpu.bdf) != gpu.bdf) __builtin_trap();  // only normalized BDFs
  (void)parse_nvidia_smi_version(text);
  const double gts = vfiokit::pci::parse_sysfs_link_speed(text);
  (void)vfiokit::pci::pcie_gen_of(gts);
  try {
    const auto [gen, width] = vfiokit::pci::parse_link_spec(text);
    if (gen < 1 || gen > 6 || width == 0) __builtin_trap();
  } catch (const vfiokit::Error&) {
  }
  return 0;
}
