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
  std::vector<host::CheckGroup> groups = {host::run_host_checks(fs)};
  for (const auto& bdf : devices) groups.push_back(host::run_device_checks(fs, bdf));
  const int status = host::exit_status(groups);

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

  if (g.json) {
    nlohmann::json subjects = nlohmann::json::array();
    for (const auto& grp : groups) {
      nlohmann::json checks = nlohmann::json::array();
      for (const auto& c : grp.checks) checks.push_back(host::to_json(c));
      subjects.push_back({{"subject", grp.subject},
                          {"verdict", host::verdict_name(grp.worst())},
                          {"checks", checks}});
    }
    print_json({{"schema_version", 1},
                {"command", "check"},
                {"exit_status", status},
                {"subjects", subjects}});
    return status;
  }

  const Painter p(g.color);
  unsigned counts[4] = {};
  for (const auto& grp : groups) {
    std::printf("%s\n", p.bold(grp.subject == "host" ? "host" : "device " + grp.subject).c_str());
    Table t;
    for (const auto& c : grp.checks) {
      ++counts[static_cast<int>(c.verdict)];
      t.add({p.verdict(c.verdict), c.title, c.summary});
      if (!c.hint.empty() && c.verdict != host::Verdict::kPass)
        t.add({"", "", p.cyan("hint: " + c.hint)});
    }
    t.print(stdout, "  ");
  }
  std::printf("%u PASS, %u WARN, %u FAIL, %u SKIP: exit %d\n",
              counts[static_cast<int>(host::Verdict::kPass)],
              counts[static_cast<int>(host::Verdict::kWarn)],
              counts[static_cast<int>(host::Verdict::kFail)],
              counts[static_cast<int>(host::Verdict::kSkip)], status);
  return status;
}

}  // namespace vfiokit::cli
