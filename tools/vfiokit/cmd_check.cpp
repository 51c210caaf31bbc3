// `vfiokit check`.
#include <fmt/format.h>

#include <algorithm>
#include <ctime>

#include "tools/host/atomic_file.hpp"
#include "tools/host/device_checks.hpp"
#include "tools/host/fleet_facts.hpp"
#include "tools/host/host_checks.hpp"
#include "tools/host/node_labels.hpp"
#include "tools/host/pci_facts.hpp"
#include "tools/host/prometheus_text.hpp"
#include "tools/vfiokit/commands.hpp"
#include "vfiokit/version.hpp"
#include "vfiokit/vfio/sysfs.hpp"

namespace vfiokit::cli {

int run_check(const GlobalOptions& g, const CheckOptions& o) {
  const host::HostFs fs(g.root);
  std::vector<std::string> devices;
  for (const auto& b : o.bdfs) devices.push_back(host::require_device(fs, b));
  if (o.all)
    for (const auto& bdf : fs.sysfs().devices())
      if (!is_bridge_class(fs.sysfs().hex_attr(bdf, "class").value_or(0)) &&
          std::find(devices.begin(), devices.end(), bdf) == devices.end())
        devices.push_back(bdf);
  std::vector<check::Report> groups = {host::run_host_checks(fs)};
  for (const auto& bdf : devices) groups.push_back(host::run_device_checks(fs, bdf));
  const int status = check::exit_status(groups);

  // The fleet files first: a reader of stdout (or a closed pipe) must not keep them stale.
  if (!o.nfd.empty() || !o.prometheus.empty()) {
    const host::FleetFacts facts = host::fleet_facts(groups);
    const int64_t now = std::time(nullptr);
    if (!o.nfd.empty())
      host::write_file_atomically(o.nfd, host::nfd_feature_file(host::node_labels(facts, kVersion),
                                                                now, o.nfd_ttl, kVersion));
    if (!o.prometheus.empty())
      host::write_file_atomically(o.prometheus,
                                  host::prometheus_text(groups, facts, kVersion, now));
  }

  if (g.json)
    print_json(check::document("check", groups));
  else
    std::fputs(check::render_text(groups, g.color).c_str(), stdout);
  return status;
}

}  // namespace vfiokit::cli
