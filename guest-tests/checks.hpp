// The verdicts of the guest check: pure functions from facts (device, driver,
// nvidia-smi, CUDA sample outputs) to check::Check (check/check.hpp) with hints.
// Nothing here touches the system, so every rule is unit-tested on fixtures.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "check/check.hpp"
#include "guest-tests/cuda_samples.hpp"
#include "guest-tests/nvidia.hpp"
#include "pci/device_facts.hpp"

namespace vfiokit::guest {

/// Every check here is about one device: its id (and title) is the check's name,
/// "present", "driver", "bars", "config_space", "msix", "link", "aer", "nvidia_driver",
/// "nvidia_smi", "cuda.<sample>", "cuda.h2d_pinned", ...; SKIP: not applicable here (no
/// link on an integrated endpoint, no CUDA). main.cpp gathers a device's checks into
/// its check::Report.
/// What the checks hold the device to.
struct CheckOptions {
  std::optional<std::string> expect_driver;  ///< FAIL when another driver is bound
  std::optional<std::pair<unsigned, unsigned>>
      expect_link;             ///< (gen, width): FAIL when the link cannot reach it
  double link_fraction = 0.8;  ///< WARN when pinned copy-engine bandwidth is below this share of
                               ///< the link's practical limit
  double min_h2d_gbs = 0, min_d2h_gbs = 0;  ///< FAIL below these (0: no absolute target)
  double min_membw_gbs = 0;   ///< FAIL below this device-memory triad bandwidth (0: none)
  double max_launch_us = 20;  ///< WARN when an empty kernel's launch+sync takes longer
  unsigned jobs = 10;         ///< parallel jobs the concurrency sample must report per mode
};

/// Device-level checks: present, driver, bars, config_space, msix, link, aer.
std::vector<check::Check> check_device(const pci::DeviceFacts& f, const CheckOptions& o);

/// NVIDIA driver checks for a GPU: nvidia_driver (module loaded, bound), nvidia_smi
/// (runs, lists this GPU, same version as the module, link it reports).
std::vector<check::Check> check_nvidia(const pci::DeviceFacts& f,
                                       const std::optional<std::string>& module_version,
                                       const SmiReport& smi);

/// Judges the CUDA sample outputs of GPU `f` against its link and the options.
std::vector<check::Check> check_samples(const pci::DeviceFacts& f,
                                        const std::vector<SampleOutput>& samples,
                                        const CheckOptions& o);

/// Best pinned copy-engine bandwidth of `direction` ("h2d", "d2h") over all sizes, GB/s.
std::optional<double> best_pinned_ce(const SampleOutput& bandwidth, const std::string& direction);

}  // namespace vfiokit::guest
