// vfiokit's subcommands; each returns the process exit status (see output.hpp).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "tools/vfiokit/output.hpp"
#include "vfiokit/proof/reset_policy.hpp"

namespace vfiokit::cli {

/// `vfiokit list`: every PCI device by IOMMU group, with names and viability.
int run_list(const GlobalOptions& g);
/// Options of `vfiokit check`.
struct CheckOptions {
  std::vector<std::string> bdfs;
  bool all = false;        ///< also every PCI device that is not a bridge
  std::string nfd;         ///< write the NFD feature file here (docs/fleet.md)
  long nfd_ttl = 3600;     ///< seconds until NFD drops the labels
  std::string prometheus;  ///< write the node_exporter textfile here
};
/// `vfiokit check [BDF...] [--all] [--nfd FILE] [--prometheus FILE]`: host checks,
/// then each device's; the fleet files are written (atomically) after the checks.
int run_check(const GlobalOptions& g, const CheckOptions& options);
/// The bind journal's directory: --state-dir, $VFIOKIT_STATE_DIR, or the default.
std::filesystem::path state_dir(const GlobalOptions& g);
/// `vfiokit bind BDF [--group] [--force]`.
int run_bind(const GlobalOptions& g, const std::string& bdf, bool group, bool force);
/// `vfiokit unbind BDF`.
int run_unbind(const GlobalOptions& g, const std::string& bdf);
/// `vfiokit restore`.
int run_restore(const GlobalOptions& g);
/// `vfiokit probe BDF [--backend ...]`.
/// Options of `vfiokit probe`.
struct ProbeOptions {
  std::string backend = "auto";
  /// Run the steps that write the device's storage (NVMe: memcpy through the scratch LBAs).
  bool allow_write = false;
  /// Tests only: the isolation DMA's size instead of the driver's granule-sized one
  /// (a size the driver refuses shows that a DMA that never left is not a PASS).
  size_t isolation_bytes = 0;
  /// Whether the reset step runs (--reset, --no-reset; default: not on display devices).
  proof::ResetPolicy reset = proof::ResetPolicy::kUnlessDisplay;
  /// --vf-token UUID: presented when the device is a VF whose PF is on vfio-pci.
  std::string vf_token;
};
int run_probe(const GlobalOptions& g, const std::string& bdf, const ProbeOptions& options);
/// `vfiokit info BDF [--backend ...]`.
int run_info(const GlobalOptions& g, const std::string& bdf, const std::string& backend);
/// `vfiokit info BDF --iommu-tables`: the IOMMU's page table checked against vfiokit's
/// mappings (a check report's exit status).
int run_iommu_tables(const GlobalOptions& g, const std::string& bdf, const std::string& backend);
/// Options of `vfiokit soak`.
struct SoakOptions {
  std::string backend = "auto";
  unsigned cycles = 5;               ///< per reset method
  std::vector<std::string> methods;  ///< empty: every method the device offers, and hot-reset
  bool allow_write = false;          ///< NVMe: the copy through the scratch LBAs after each reset
  bool force = false;                ///< display devices (class 03) too
  bool rebind = false;               ///< also hand it to its host driver and back, N times
};
/// `vfiokit soak BDF [--cycles N] [--methods M,...]`: the check report's exit status.
int run_soak(const GlobalOptions& g, const std::string& bdf, const SoakOptions& options);
/// `vfiokit trace -- COMMAND...`: COMMAND's status, 3 when tracing cannot start.
int run_trace(const GlobalOptions& g, const std::vector<std::string>& command);

}  // namespace vfiokit::cli
