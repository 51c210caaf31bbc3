#include "guest-tests/output_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "vfiokit/vfio/error.hpp"
#include "vfiokit/vfio/unique_fd.hpp"

namespace vfiokit::guest {
namespace {

constexpr const char* kHint =
    "check that the directory exists and is writable and that its file system has space";

void write_all(int fd, const std::string& text, const std::string& name) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_error("write", name, errno, kHint);
    }
    // write(2) of a non-empty buffer returning 0 would spin here for ever.
    if (n == 0) throw_error("write", name, EIO, "the file took none of the bytes left");
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace

void write_output_file(const std::filesystem::path& path, const std::string& text) {
  const std::string name = path.string();
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd) throw_error("create", name, errno, kHint);
  write_all(fd.get(), text, name);
  // ENOSPC and EIO can first show here, on file systems that allocate late (NFS, ext4
  // delalloc); EINVAL/EROFS: the file is not one that can be synced.
  if (::fsync(fd.get()) != 0 && errno != EINVAL && errno != EROFS)
    throw_error("fsync", name, errno, kHint);
  if (::close(fd.release()) != 0 && errno != EINTR) throw_error("close", name, errno, kHint);
}

void write_stdout(const std::string& text) {
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0)
    throw_error("write", "stdout", errno, "stdout must be writable (a full disk? a closed pipe?)");
}

}  // namespace vfiokit::guest
