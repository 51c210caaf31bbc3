// Replacing a file that another process reads at any moment (nfd-worker's
// features.d, node_exporter's textfile directory): the reader sees the old
// content or the new, never a half-written file.
#pragma once

#include <filesystem>
#include <string>

namespace vfiokit::host {

/// Writes `text` to `.<name>.XXXXXX` beside `path` (a dot file: nfd-worker skips
/// those, node_exporter reads only `*.prom`), fsyncs it, sets mode 0644, renames
/// it over `path` and fsyncs the directory. The temp file is removed on failure.
/// Throws vfiokit::Error naming the file, with a hint when the directory is missing
/// or not writable.
void write_file_atomically(const std::filesystem::path& path, const std::string& text);

/// Writes all of `text` to `fd` (retrying short writes and EINTR); throws
/// vfiokit::Error naming `name`.
void write_all(int fd, const std::string& text, const std::string& name);

}  // namespace vfiokit::host
