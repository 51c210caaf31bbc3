#include "tools/host/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "vfiokit/vfio/error.hpp"
#include "vfiokit/vfio/unique_fd.hpp"

namespace sfs = std::filesystem;

namespace vfiokit::host {

void write_file_atomically(const sfs::path& path, const std::string& text) {
  const sfs::path dir = path.has_parent_path() ? path.parent_path() : sfs::path(".");
  if (path.filename().empty())
    throw_error("write", path.string(), EISDIR, "name a file, not a directory");
  std::string tmpl = (dir / ("." + path.filename().string() + ".XXXXXX")).string();
  UniqueFd fd(::mkstemp(tmpl.data()));
  if (!fd)
    throw_error("create a temporary file in", dir.string(), errno,
                "the directory must exist and be writable (it is where the file goes)");
  const sfs::path tmp = tmpl;
  struct Cleanup {
    const sfs::path& p;
    bool armed = true;
    ~Cleanup() {
      if (armed) ::unlink(p.c_str());
    }
  } cleanup{tmp};
  write_all(fd.get(), text, tmp.string());
  // mkstemp makes 0600; readers (nfd-worker, node_exporter) may run as another user.
  if (::fchmod(fd.get(), 0644) != 0) throw_error("chmod", tmp.string(), errno);
  if (::fsync(fd.get()) != 0) throw_error("fsync", tmp.string(), errno);
  fd.reset();
  if (::rename(tmp.c_str(), path.c_str()) != 0) throw_error("rename", path.string(), errno);
  cleanup.armed = false;
  const UniqueFd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dfd) throw_error("open", dir.string(), errno);
  if (::fsync(dfd.get()) != 0) throw_error("fsync", dir.string(), errno);
}

void write_all(int fd, const std::string& text, const std::string& name) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_error("write", name, errno);
    }
    // write(2) of a non-empty buffer returning 0 would spin here for ever.
    if (n == 0) throw_error("write", name, EIO, "the file took none of the bytes left");
    done += static_cast<size_t>(n);
  }
}

}  // namespace vfiokit::host
