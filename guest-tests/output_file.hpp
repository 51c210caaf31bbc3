// Writing the guest check's outputs (--json FILE, --save-samples DIR) so that a full
// disk or a vanished directory is an error naming the file, not a truncated file and
// exit 0: every write, the fsync and the close are checked.
#pragma once

#include <filesystem>
#include <string>

namespace vfiokit::guest {

/// Creates or truncates `path` (mode 0644), writes all of `text`, fsyncs and closes it.
/// fsync is skipped where the file cannot be synced (EINVAL, EROFS: a pipe, /dev/null).
/// Throws vfiokit::Error naming `path` and the errno, with a hint, on any failure.
void write_output_file(const std::filesystem::path& path, const std::string& text);

/// Writes `text` to stdout and flushes it; throws vfiokit::Error ("stdout") when that
/// fails (`--json -` into a full disk, a closed pipe).
void write_stdout(const std::string& text);

}  // namespace vfiokit::guest
