// `vfiokit bind`, `unbind` and `restore`.
#include <fmt/format.h>

#include "tools/host/binder.hpp"
#include "tools/vfiokit/commands.hpp"

namespace vfiokit::cli {
namespace {

host::Binder make_binder(const GlobalOptions& g) {
  return host::Binder(host::HostFs(g.root), host::Journal(state_dir(g)));
}

nlohmann::json opt(const std::optional<std::string>& s) {
  return s ? nlohmann::json(*s) : nlohmann::json(nullptr);
}

int report(const GlobalOptions& g, const char* command, const host::BindReport& r,
           const std::string& journal) {
  const int status = r.ok() ? check::kExitOk : check::kExitFail;
  if (g.json) {
    nlohmann::json devs = nlohmann::json::array();
    for (const auto& d : r.devices)
      devs.push_back({{"bdf", d.bdf},
                      {"driver_before", opt(d.before)},
                      {"driver_after", opt(d.after)},
                      {"action", host::action_name(d.action)},
                      {"detail", d.detail}});
    print_json({{"schema_version", 1},
                {"command", command},
                {"ok", r.ok()},
                {"journal", journal},
                {"devices", devs},
                {"notes", r.notes}});
    return status;
  }
  const Painter p(g.color);
  Table t;
  for (const auto& d : r.devices) {
    const bool failed = d.action == host::Action::kFailed;
    const std::string name = host::action_name(d.action);
    t.add({d.bdf, fmt::format("{} -> {}", d.before.value_or("none"), d.after.value_or("none")),
           failed ? p.red(name) : p.green(name), failed ? d.detail : ""});
  }
  t.print(stdout);
  for (const auto& n : r.notes) std::printf("%s\n", p.yellow("note: " + n).c_str());
  return status;
}

std::string journal_path(const GlobalOptions& g) {
  return (state_dir(g) / "journal.json").string();
}

}  // namespace

std::filesystem::path state_dir(const GlobalOptions& g) {
  return g.state_dir.empty() ? host::Journal::default_dir() : std::filesystem::path(g.state_dir);
}

int run_bind(const GlobalOptions& g, const std::string& bdf, bool group, bool force) {
  host::Binder b = make_binder(g);
  return report(g, "bind", b.bind(bdf, {group, force}), journal_path(g));
}

int run_unbind(const GlobalOptions& g, const std::string& bdf) {
  host::Binder b = make_binder(g);
  return report(g, "unbind", b.unbind(bdf), journal_path(g));
}

int run_restore(const GlobalOptions& g) {
  host::Binder b = make_binder(g);
  return report(g, "restore", b.restore(), journal_path(g));
}

}  // namespace vfiokit::cli
