#include "tools/host/binder.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "tools/host/kernel_modules.hpp"
#include "tools/host/pci_facts.hpp"
#include "vfiokit/vfio/error.hpp"

namespace sfs = std::filesystem;

namespace vfiokit::host {
namespace {

constexpr const char* kVfioPci = "vfio-pci";

std::optional<std::string> read_override(const HostFs& fs, const std::string& bdf) {
  auto o = fs.sysfs().attr(bdf, "driver_override");
  if (!o || o->empty() || *o == "(null)") return std::nullopt;
  return o;
}

std::string show(const std::optional<std::string>& d) { return d.value_or("none"); }

}  // namespace

const char* action_name(Action a) {
  switch (a) {
    case Action::kBound:
      return "bound";
    case Action::kAlreadyBound:
      return "already-bound";
    case Action::kRestored:
      return "restored";
    case Action::kUnchanged:
      return "unchanged";
    case Action::kUnbound:
      return "unbound";
    case Action::kFailed:
      return "failed";
  }
  return "failed";  // not reached: the switch names every Action
}

bool BindReport::ok() const {
  return std::none_of(devices.begin(), devices.end(),
                      [](const DeviceChange& d) { return d.action == Action::kFailed; });
}

Binder::Binder(HostFs fs, Journal journal) : fs_(std::move(fs)), journal_(std::move(journal)) {
#ifdef VFIOKIT_TEST_HOOKS
  // Test hook (test builds only: VFIOKIT_BUILD_TESTS): stop for good after step N
  // so a VM test can kill -9 us there. A packaged vfiokit ignores the variable.
  if (const char* env = std::getenv("VFIOKIT_TEST_PAUSE_AT"); env && *env)
    pause_at_ = std::atoi(env);
#endif
}

bool Binder::test_hooks_compiled() {
#ifdef VFIOKIT_TEST_HOOKS
  return true;
#else
  return false;
#endif
}

void Binder::step(const char* what, const std::string& bdf) {
  ++step_;
  if (step_ != pause_at_) return;
  std::fprintf(stderr, "vfiokit: test hook: paused after step %d (%s %s)\n", step_, what,
               bdf.c_str());
  std::fflush(stderr);
  for (;;) ::pause();
}

void Binder::ensure_vfio_pci(BindReport& report) {
  if (fs_.exists("sys/bus/pci/drivers/vfio-pci")) return;
  std::string why = "vfio-pci is not loaded under " + fs_.root().string();
  if (fs_.is_real_root()) {
    if (modprobe("vfio-pci", &why) && fs_.exists("sys/bus/pci/drivers/vfio-pci")) {
      report.notes.push_back("loaded vfio-pci (modprobe)");
      return;
    }
  }
  throw_error("load vfio-pci", "sys/bus/pci/drivers/vfio-pci", ENOENT,
              fmt::format("{}; modprobe vfio-pci (CONFIG_VFIO_PCI)", why));
}

void Binder::bind_one(const std::string& bdf) {
  fs_.write(device_rel(bdf) / "driver_override", std::string(kVfioPci) + "\n");
  step("driver_override set", bdf);
  if (auto drv = fs_.sysfs().driver(bdf)) {
    fs_.write(sfs::path("sys/bus/pci/drivers") / *drv / "unbind", bdf);
    step("unbound", bdf);
  }
  try {
    fs_.write("sys/bus/pci/drivers_probe", bdf);
  } catch (const Error&) {
    // The result is judged by the driver link below; the errno alone says little.
  }
  step("probed", bdf);
}

void Binder::refuse_if_in_use(const std::string& bdf, bool force) {
  const auto uses = find_uses(fs_, bdf);
  std::vector<std::string> what;
  const DeviceUse* data = nullptr;
  for (const auto& u : uses) {
    what.push_back(u.detail);
    if (u.data_bearing && !data) data = &u;
  }
  // Data-bearing uses are refused even with --force: unbinding the driver under a
  // filesystem, swap, RAID/LVM or a VM's disk loses or corrupts data for good.
  if (data)
    throw_error("bind to vfio-pci", bdf, EBUSY,
                fmt::format("in use: {}; --force does not override a use that holds data "
                            "(mounted, swap, RAID/LVM member, held open); first: {}",
                            fmt::join(what, "; "), data->fix));
  if (!uses.empty() && !force)
    throw_error(
        "bind to vfio-pci", bdf, EBUSY,
        fmt::format("in use: {}; first: {}, or pass --force", fmt::join(what, "; "), uses[0].fix));
}

void Binder::refuse_if_vfio_held(const char* operation, const std::string& bdf) {
  const auto holders = vfio_holders(fs_, bdf);
  if (holders.empty()) return;
  std::vector<std::string> who;
  for (const auto& h : holders) who.push_back(fmt::format("{} through {}", h.who(), h.node));
  // The kernel would block the unbind write until the holder lets go, and ask it to
  // release the device: a surprise unplug in the VM, and every later command hangs.
  throw_error(operation, bdf, EBUSY,
              fmt::format("the device is in use by {}; stop that VM or process first (e.g. "
                          "virsh shutdown DOMAIN, or kill {}); --force does not override this",
                          fmt::join(who, ", "), holders[0].pid));
}

void Binder::refuse_bridge(const std::string& bdf) {
  // Bridges (class 06: host, ISA/LPC, PCI-to-PCI, ...) are never handed to vfio-pci:
  // unbinding one cuts the host off from what sits behind it, --force or not.
  if (const auto cls = fs_.sysfs().hex_attr(bdf, "class"); cls && is_bridge_class(*cls))
    throw_error("bind to vfio-pci", bdf, EINVAL,
                fmt::format("it is a bridge (class {:06x}): VFIO passes endpoints through, not the "
                            "bridges the host needs to reach them; bind the device behind it",
                            *cls));
}

BindPlan Binder::plan(const std::string& bdf, const BindOptions& opts, BindReport& report) {
  BindPlan plan{bdf, fs_.sysfs().iommu_group(bdf), {bdf}};
  if (!plan.group) {
    report.notes.push_back("the device has no IOMMU group: vfio-pci will refuse it (IOMMU off?)");
    return plan;
  }
  std::vector<std::string> blockers;
  for (const auto& m : group_members(fs_, *plan.group)) {
    if (m.bdf == bdf) continue;
    if (is_bridge_class(m.class_code)) {  // bridges stay with the host (pcieport is allowed)
      if (!driver_allows_vfio(m.driver))
        blockers.push_back(describe_member(m) + ", a bridge vfiokit will not unbind");
      continue;
    }
    if (opts.group)
      plan.targets.push_back(m.bdf);
    else if (!driver_allows_vfio(m.driver))
      blockers.push_back(describe_member(m));
  }
  if (!blockers.empty())
    report.notes.push_back(fmt::format(
        "IOMMU group {} stays not viable: {} on a host driver; add --group to bind them too",
        *plan.group, fmt::join(blockers, ", ")));
  return plan;
}

std::vector<std::string> Binder::refuse(const BindPlan& plan, bool force, BindReport& report) {
  std::vector<std::string> todo;
  for (const auto& t : plan.targets) {
    const auto drv = fs_.sysfs().driver(t);
    if (drv == kVfioPci) {
      report.devices.push_back({t, drv, drv, Action::kAlreadyBound, ""});
      continue;
    }
    refuse_if_in_use(t, force);
    todo.push_back(t);
  }
  return todo;
}

std::vector<JournalEntry> Binder::journal(const std::vector<std::string>& todo) {
  auto entries = journal_.load();
  for (const auto& t : todo) {
    const bool known = std::any_of(entries.begin(), entries.end(),
                                   [&](const JournalEntry& e) { return e.bdf == t; });
    // A device already journaled keeps its first original (a bind after a
    // half-finished bind must not record vfio-pci as "original").
    if (!known) entries.push_back({t, fs_.sysfs().driver(t), read_override(fs_, t), utc_now()});
  }
  journal_.save(entries);
  return entries;
}

std::string Binder::apply(const std::vector<std::string>& todo, BindReport& report) {
  for (const auto& t : todo) {
    const auto before = fs_.sysfs().driver(t);
    try {
      bind_one(t);
    } catch (const Error& e) {
      return fmt::format("{}: {}", t, e.what());
    }
    const auto after = fs_.sysfs().driver(t);
    if (after != kVfioPci) return fmt::format("{} is on {} after drivers_probe", t, show(after));
    report.devices.push_back({t, before, after, Action::kBound, ""});
  }
  return "";
}

void Binder::roll_back(const BindPlan& plan, const std::vector<std::string>& todo,
                       const std::vector<JournalEntry>& entries, const std::string& failure) {
  // Put back what this call changed. An entry is forgotten only once its device is
  // back: a failed restore keeps the recorded original driver for `vfiokit restore`.
  std::vector<JournalEntry> keep;
  std::vector<std::string> stuck;
  for (const auto& e : entries) {
    if (std::find(todo.begin(), todo.end(), e.bdf) == todo.end()) {
      keep.push_back(e);
      continue;
    }
    const DeviceChange c = restore_entry(e);
    if (c.action == Action::kFailed) {
      keep.push_back(e);
      stuck.push_back(fmt::format("{} ({})", e.bdf, c.detail));
    }
  }
  journal_.save(keep);
  std::string hint = "the devices were put back; see dmesg for vfio-pci's reason";
  if (!stuck.empty())
    hint = fmt::format(
        "could not put back {}: its original driver stays in the journal; fix the cause and "
        "run 'vfiokit restore'",
        fmt::join(stuck, ", "));
  else if (!plan.group)
    hint = "vfio-pci refuses devices without an IOMMU group: enable the IOMMU (vfiokit check)";
  throw_error("bind to vfio-pci", plan.bdf, EIO, fmt::format("{}; {}", failure, hint));
}

BindReport Binder::bind(const std::string& text, const BindOptions& opts) {
  BindReport report;
  const std::string bdf = require_device(fs_, text);
  refuse_bridge(bdf);
  // The lock comes before anything is read: two binds started together serialize,
  // and the second sees the first's result (vfio-pci, a journal entry) instead of
  // journaling vfio-pci as the "original" driver.
  const UniqueFd lock = journal_.lock();
  const BindPlan p = plan(bdf, opts, report);
  const std::vector<std::string> todo = refuse(p, opts.force, report);
  if (todo.empty()) return report;
  const std::vector<JournalEntry> entries = journal(todo);
  step("journal written", bdf);
  ensure_vfio_pci(report);
  step("vfio-pci available", bdf);
  const std::string failure = apply(todo, report);
  if (failure.empty()) return report;
  roll_back(p, todo, entries, failure);
}

DeviceChange Binder::restore_entry(const JournalEntry& e) {
  DeviceChange c{e.bdf, fs_.sysfs().driver(e.bdf), std::nullopt, Action::kRestored, ""};
  if (!fs_.sysfs().has_device(e.bdf)) {
    c.action = Action::kFailed;
    c.detail = "the device is gone (hot-unplugged or renumbered)";
    return c;
  }
  const auto override_before = read_override(fs_, e.bdf);
  try {
    if (c.before && c.before != e.driver)
      fs_.write(sfs::path("sys/bus/pci/drivers") / *c.before / "unbind", e.bdf);
    // A newline alone clears driver_override.
    fs_.write(device_rel(e.bdf) / "driver_override", e.driver_override.value_or("") + "\n");
    if (e.driver && fs_.sysfs().driver(e.bdf) != e.driver) {
      try {
        fs_.write(sfs::path("sys/bus/pci/drivers") / *e.driver / "bind", e.bdf);
      } catch (const Error&) {
        fs_.write("sys/bus/pci/drivers_probe", e.bdf);
      }
    }
  } catch (const Error& ex) {
    c.detail = ex.what();
  }
  c.after = fs_.sysfs().driver(e.bdf);
  if (c.after != e.driver) {
    c.action = Action::kFailed;
    if (c.detail.empty())
      c.detail = fmt::format("expected driver {}, found {}", show(e.driver), show(c.after));
    return c;
  }
  const bool same = c.before == c.after && override_before == e.driver_override;
  c.action = same ? Action::kUnchanged : Action::kRestored;
  c.detail = fmt::format("driver {} -> {}, driver_override {}", show(c.before), show(c.after),
                         show(e.driver_override));
  return c;
}

BindReport Binder::unbind(const std::string& text) {
  BindReport report;
  const std::string bdf = require_device(fs_, text);
  const UniqueFd lock = journal_.lock();
  refuse_if_vfio_held("unbind", bdf);
  auto entries = journal_.load();
  const auto it = std::find_if(entries.begin(), entries.end(),
                               [&](const JournalEntry& e) { return e.bdf == bdf; });
  if (it != entries.end()) {
    DeviceChange c = restore_entry(*it);
    if (c.action != Action::kFailed) entries.erase(it);
    journal_.save(entries);
    report.devices.push_back(std::move(c));
    return report;
  }
  DeviceChange c{bdf, fs_.sysfs().driver(bdf), std::nullopt, Action::kUnbound, ""};
  if (c.before != kVfioPci) {
    c.after = c.before;
    c.action = Action::kUnchanged;
    c.detail = fmt::format("not on vfio-pci (driver {}) and not in the journal", show(c.before));
    report.devices.push_back(std::move(c));
    return report;
  }
  fs_.write(sfs::path("sys/bus/pci/drivers/vfio-pci/unbind"), bdf);
  if (read_override(fs_, bdf)) fs_.write(device_rel(bdf) / "driver_override", "\n");
  try {
    fs_.write("sys/bus/pci/drivers_probe", bdf);
  } catch (const Error&) {
    // No kernel driver wanting it is not an error here.
  }
  c.after = fs_.sysfs().driver(bdf);
  c.detail = fmt::format("not journaled: released to the kernel, now on {}", show(c.after));
  report.devices.push_back(std::move(c));
  return report;
}

BindReport Binder::restore() {
  BindReport report;
  const UniqueFd lock = journal_.lock();
  const auto entries = journal_.load();
  // A device a VM or process holds through VFIO stays where it is (see
  // refuse_if_vfio_held); when that is every entry, nothing is written at all.
  std::vector<std::string> held, reasons;
  for (const auto& e : entries) {
    try {
      refuse_if_vfio_held("restore", e.bdf);
    } catch (const Error& ex) {
      held.push_back(e.bdf);
      reasons.push_back(entries.size() == 1 ? ex.hint() : fmt::format("{}: {}", e.bdf, ex.hint()));
      report.devices.push_back({e.bdf, fs_.sysfs().driver(e.bdf), fs_.sysfs().driver(e.bdf),
                                Action::kFailed, ex.hint()});
    }
  }
  if (!entries.empty() && held.size() == entries.size())
    throw_error("restore", fmt::format("{}", fmt::join(held, ", ")), EBUSY,
                fmt::format("{}", fmt::join(reasons, "; ")));
  std::vector<JournalEntry> keep;
  for (const auto& e : entries) {
    if (std::find(held.begin(), held.end(), e.bdf) != held.end()) {
      keep.push_back(e);
      continue;
    }
    DeviceChange c = restore_entry(e);
    if (c.action == Action::kFailed) keep.push_back(e);
    report.devices.push_back(std::move(c));
  }
  journal_.save(keep);
  if (report.devices.empty()) report.notes.push_back("the journal is empty: nothing to restore");
  return report;
}

}  // namespace vfiokit::host
