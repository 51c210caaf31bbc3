// vfiokit's subcommands; each returns the process exit status (see output.hpp).
#pragma once

#include <string>
#include <vector>

#include "tools/vfiokit/output.hpp"

namespace vfiokit::cli {

/// `vfiokit list`: every PCI device by IOMMU group, with names and viability.
int run_list(const GlobalOptions& g);
/// `vfiokit check [BDF...]`: host checks, then each device's.
int run_check(const GlobalOptions& g, const std::vector<std::string>& bdfs);
/// `vfiokit bind BDF [--group] [--force]`.
int run_bind(const GlobalOptions& g, const std::string& bdf, bool group, bool force);
/// `vfiokit unbind BDF`.
int run_unbind(const GlobalOptions& g, const std::string& bdf);
/// `vfiokit restore`.
int run_restore(const GlobalOptions& g);
/// `vfiokit probe BDF [--backend ...]`.
int run_probe(const GlobalOptions& g, const std::string& bdf, const std::string& backend);
/// `vfiokit info BDF [--backend ...]`.
int run_info(const GlobalOptions& g, const std::string& bdf, const std::string& backend);

}  // namespace vfiokit::cli
