// Moving devices to vfio-pci and back: driver_override + drivers_probe (never
// new_id), guarded by the in-use checks and recorded in the Journal first.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tools/host/device_usage.hpp"
#include "tools/host/host_fs.hpp"
#include "tools/host/journal.hpp"

namespace vfiokit::host {

/// What bind, unbind or restore did to one device.
enum class Action { kBound, kAlreadyBound, kRestored, kUnchanged, kUnbound, kFailed };

/// The name printed and serialised for `a`: "bound", "already-bound", "restored",
/// "unchanged", "unbound", "failed" (the JSON output's `action` values).
const char* action_name(Action a);

/// What happened to one device.
struct DeviceChange {
  std::string bdf;
  std::optional<std::string> before, after;  ///< driver before and after
  Action action = Action::kFailed;
  std::string detail;  ///< why it failed, or what was done
};

/// The outcome of bind, unbind or restore.
struct BindReport {
  std::vector<DeviceChange> devices;
  std::vector<std::string> notes;  ///< e.g. "loaded vfio-pci", "group 12 not viable: ..."
  /// True when every device ended where it was meant to.
  bool ok() const;
};

/// Options of Binder::bind.
struct BindOptions {
  bool group = false;  ///< also bind the device's IOMMU group companions (bridges excepted)
  bool force = false;  ///< bind even a device in use
};

/// What a bind is asked to touch: the device, and with --group its companions.
struct BindPlan {
  std::string bdf;                   ///< the device asked for
  std::optional<int> group;          ///< its IOMMU group, if it has one
  std::vector<std::string> targets;  ///< bdf first, then the companions --group adds
};

/// Binds, unbinds and restores devices under a HostFs root, journaling first.
class Binder {
 public:
  Binder(HostFs fs, Journal journal);

  /// Binds `bdf` (and with `group`, its companions) to vfio-pci, under the journal
  /// lock from the first read. Refuses (vfiokit::Error, EBUSY) a device in use:
  /// a data-bearing use always, other uses unless `force`. On a failed
  /// bind, puts the devices back and throws with a hint.
  BindReport bind(const std::string& bdf, const BindOptions& opts);
  /// Gives `bdf` back: to the driver the journal recorded, else (a device
  /// bound outside vfiokit) clears the override and lets the kernel probe.
  /// Refuses (EBUSY, nothing written) while a process holds its VFIO nodes.
  BindReport unbind(const std::string& bdf);
  /// Puts every journaled device back to its original driver and override. A
  /// device held through VFIO stays journaled and is reported failed; when every
  /// device is held, throws (EBUSY) without writing.
  BindReport restore();

  /// Whether this build honours VFIOKIT_TEST_PAUSE_AT (builds with tests only).
  static bool test_hooks_compiled();

 private:
  DeviceChange restore_entry(const JournalEntry& e);
  // The phases of bind, in order: plan, refuse, journal, apply, roll back.
  /// Throws (EINVAL) when `bdf` is a bridge: bridges stay with the host, --force or not.
  void refuse_bridge(const std::string& bdf);
  /// The devices to bind; notes why the group stays not viable (or has no group).
  BindPlan plan(const std::string& bdf, const BindOptions& opts, BindReport& report);
  /// The targets still to bind; reports those already on vfio-pci and throws
  /// (EBUSY) for one in use (see refuse_if_in_use).
  std::vector<std::string> refuse(const BindPlan& plan, bool force, BindReport& report);
  /// Records the original driver of each of `todo` not yet journaled; returns the journal.
  std::vector<JournalEntry> journal(const std::vector<std::string>& todo);
  /// Binds each of `todo` in turn; returns why the first one failed, empty when none did.
  std::string apply(const std::vector<std::string>& todo, BindReport& report);
  /// Puts `todo` back after `failure`, keeps what could not be put back journaled,
  /// and throws (EIO) with a hint.
  [[noreturn]] void roll_back(const BindPlan& plan, const std::vector<std::string>& todo,
                              const std::vector<JournalEntry>& entries, const std::string& failure);
  /// Throws (EBUSY) when `bdf` is in use: data-bearing uses always, others unless `force`.
  void refuse_if_in_use(const std::string& bdf, bool force);
  /// Throws (EBUSY) naming the processes that hold `bdf`'s VFIO group or cdev open.
  void refuse_if_vfio_held(const char* operation, const std::string& bdf);
  void bind_one(const std::string& bdf);
  void ensure_vfio_pci(BindReport& report);
  void step(const char* what, const std::string& bdf);

  HostFs fs_;
  Journal journal_;
  int step_ = 0;
  int pause_at_ = -1;
};

}  // namespace vfiokit::host
