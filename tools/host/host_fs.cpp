#include "tools/host/host_fs.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <sstream>
#include <system_error>

#include "tools/host/atomic_file.hpp"
#include "vfiokit/vfio/error.hpp"
#include "vfiokit/vfio/unique_fd.hpp"

namespace sfs = std::filesystem;

namespace vfiokit::host {

HostFs::HostFs(sfs::path root) : root_(std::move(root)), sysfs_(root_) {}

sfs::path HostFs::path(const sfs::path& rel) const { return root_ / rel.relative_path(); }

bool HostFs::exists(const sfs::path& rel) const {
  std::error_code ec;
  return sfs::exists(path(rel), ec);
}

std::optional<std::string> HostFs::read(const sfs::path& rel) const {
  std::ifstream in(path(rel), std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return s.str();
}

std::optional<std::string> HostFs::read_line(const sfs::path& rel) const {
  std::ifstream in(path(rel));
  if (!in) return std::nullopt;
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  return line;
}

std::vector<std::string> HostFs::lines(const sfs::path& rel) const {
  std::vector<std::string> out;
  std::ifstream in(path(rel));
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::vector<uint8_t> HostFs::read_bytes(const sfs::path& rel) const {
  std::ifstream in(path(rel), std::ios::binary);
  if (!in) return {};
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::vector<std::string> HostFs::list(const sfs::path& rel) const {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : sfs::directory_iterator(path(rel), ec)) out.push_back(e.path().filename());
  std::sort(out.begin(), out.end());
  return out;
}

void HostFs::write(const sfs::path& rel, const std::string& text) const {
  const sfs::path p = path(rel);
  // O_WRONLY without O_CREAT/O_TRUNC: a sysfs attribute, written whole (a short
  // write or EINTR continues where it stopped instead of dropping the rest).
  const UniqueFd fd(::open(p.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) throw_error("open", p.string(), errno, errno == EACCES ? "run as root" : "");
  std::string shown = text;
  while (!shown.empty() && shown.back() == '\n') shown.pop_back();
  try {
    write_all(fd.get(), text, p.string());
  } catch (const Error& e) {
    throw_error(fmt::format("write '{}'", shown), p.string(), e.error_code());
  }
}

bool HostFs::is_real_root() const {
  std::error_code ec;
  return sfs::equivalent(root_, "/", ec);
}

std::string HostFs::kernel_release() const {
  if (auto r = read_line("proc/sys/kernel/osrelease"); r && !r->empty()) return *r;
  if (is_real_root()) {
    utsname u{};
    if (uname(&u) == 0) return u.release;
  }
  return {};
}

std::vector<std::string> split_ws(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

}  // namespace vfiokit::host
