// The bind journal: each device's original driver and driver_override, written
// (and fsync'ed) before vfiokit changes anything, so `vfiokit restore` can put
// every device back even after the binding process was killed at any step.
#pragma once

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
class Journal {
 public:
  /// `dir` holds the journal; created (0700) on first save.
  explicit Journal(std::filesystem::path dir);
  /// $VFIOKIT_STATE_DIR, else /var/lib/vfiokit.
  static std::filesystem::path default_dir();

  /// The entries on disk (none when there is no file). Throws vfiokit::Error
  /// naming the file when it cannot be parsed.
  std::vector<JournalEntry> load() const;
  /// Replaces the journal atomically (temp file, fsync, rename, fsync of the
  /// directory); removes the file when `entries` is empty.
  void save(const std::vector<JournalEntry>& entries) const;

  /// Takes an exclusive lock on `<dir>/journal.lock` (flock), held until the
  /// returned fd is closed, so two vfiokit processes do not interleave.
  UniqueFd lock() const;

  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path file() const { return dir_ / "journal.json"; }

 private:
  std::filesystem::path dir_;
};

/// Now as "2026-11-25T04:05:06Z".
std::string utc_now();

}  // namespace vfiokit::host
