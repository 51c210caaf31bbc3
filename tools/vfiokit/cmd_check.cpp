// `vfiokit check`.
#include <fmt/format.h>

#include "tools/host/device_checks.hpp"
#include "tools/host/host_checks.hpp"
#include "tools/host/pci_facts.hpp"
#include "tools/vfiokit/commands.hpp"

namespace vfiokit::cli {

int run_check(const GlobalOptions& g, const std::vector<std::string>& bdfs) {
  const host::HostFs fs(g.root);
  std::vector<std::string> devices;
  for (const auto& b : bdfs) devices.push_back(host::require_device(fs, b));
  std::vector<host::CheckGroup> groups = {host::run_host_checks(fs)};
  for (const auto& bdf : devices) groups.push_back(host::run_device_checks(fs, bdf));
  const int status = host::exit_status(groups);

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
