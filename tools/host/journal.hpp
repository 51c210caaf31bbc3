// The bind journal: each device's original driver and driver_override, written
// (and fsync'ed) before vfiokit changes anything, so `vfiokit restore` can put
// every device back even after the binding process was killed at any step.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "vfiokit/vfio/unique_fd.hpp"

namespace vfiokit::host {

/// What a device was bound to before vfiokit touched it.
struct JournalEntry {
  std::string bdf;
  std::optional<std::string> driver;           ///< nullopt: no driver
  std::optional<std::string> driver_override;  ///< nullopt: none set ("(null)")
  std::string recorded_at;                     ///< UTC, ISO 8601
};

/// The journal file `<dir>/journal.json` (see docs/cli.md for its format).
///
/// Guarantees, because root acts on what the journal says:
/// - the state directory is used only when it is not a symlink, is owned by the
///   effective user and has no group/other write bit (else vfiokit::Error, EPERM,
///   naming the directory, its owner and mode); a missing one is created 0700;
/// - every file in it is opened relative to that directory with O_NOFOLLOW, so a
///   planted symlink (journal.json, journal.json.tmp, journal.lock) is never
///   written through;
/// - load() refuses entries whose BDF is not canonical or whose driver names are
///   not plain names, before anything acts on them.
class Journal {
 public:
  /// How long lock() waits for another process's lock by default.
  static constexpr std::chrono::milliseconds kLockWait{10000};

  /// `dir` holds the journal; created (0700) on first save or lock. `lock_wait`
  /// bounds lock() (tests shorten it).
  explicit Journal(std::filesystem::path dir, std::chrono::milliseconds lock_wait = kLockWait);
  /// $VFIOKIT_STATE_DIR, else /var/lib/vfiokit.
  static std::filesystem::path default_dir();

  /// The entries on disk (none when there is no file). Throws vfiokit::Error
  /// naming the file when it cannot be parsed, and naming the field when an
  /// entry holds a value vfiokit would not have written.
  std::vector<JournalEntry> load() const;
  /// Replaces the journal atomically (temp file, fsync, rename, fsync of the
  /// directory); removes the file when `entries` is empty.
  void save(const std::vector<JournalEntry>& entries) const;

  /// Takes an exclusive lock on `<dir>/journal.lock` (flock), held until the
  /// returned fd is closed, so two vfiokit processes do not interleave. The
  /// holder's PID is written into the file; after `lock_wait` without the lock,
  /// throws vfiokit::Error (ETIMEDOUT) naming that PID.
  UniqueFd lock() const;

  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path file() const { return dir_ / "journal.json"; }

 private:
  /// The state directory, opened (and created when `create`) and checked as above;
  /// an invalid fd when it does not exist and `create` is false.
  UniqueFd open_dir(bool create) const;

  std::filesystem::path dir_;
  std::chrono::milliseconds lock_wait_;
};

/// Now as "2026-11-25T04:05:06Z".
std::string utc_now();

}  // namespace vfiokit::host
