#include "guest-tests/subprocess.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>

#include "vfiokit/vfio/error.hpp"
#include "vfiokit/vfio/unique_fd.hpp"

namespace vfiokit::guest {
namespace {

/// A pipe: its read end into `r`, its write end into `w` (plain out-parameters, not
/// a pair: clang's analyzer loses track of UniqueFds in structured bindings).
void make_pipe(UniqueFd& r, UniqueFd& w) {
  int p[2] = {-1, -1};
  if (pipe2(p, O_CLOEXEC) != 0) throw_error("pipe2", "subprocess", errno);
  r.reset(p[0]);
  w.reset(p[1]);
}

/// The errno a failed exec wrote to the pipe, or nullopt when the pipe closed
/// empty (exec succeeded).
std::optional<int> read_exec_errno(int fd) {
  int e = 0;
  if (read(fd, &e, sizeof e) != sizeof e) return std::nullopt;
  return e;
}

}  // namespace

RunResult ProcessRunner::run(const std::vector<std::string>& argv, int timeout_s) {
  RunResult r;
  if (argv.empty()) return r;
  UniqueFd out_r, out_w, err_r, err_w, exec_r, exec_w;
  make_pipe(out_r, out_w);
  make_pipe(err_r, err_w);
  make_pipe(exec_r, exec_w);  // carries errno of a failed exec, closes on success

  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  const pid_t pid = fork();
  if (pid < 0) throw_error("fork", argv[0], errno);
  if (pid == 0) {
    dup2(out_w.get(), 1);
    dup2(err_w.get(), 2);
    const int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    setpgid(0, 0);  // own process group, so a timeout kills its children too
    execvp(args[0], args.data());
    const int e = errno;
    (void)!write(exec_w.get(), &e, sizeof e);
    _exit(127);
  }
  out_w.reset();
  err_w.reset();
  exec_w.reset();
  const auto exec_errno = read_exec_errno(exec_r.get());
  r.started = !exec_errno;
  if (!r.started)
    r.err = std::string("cannot execute ") + argv[0] + ": " + std::strerror(*exec_errno);

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  pollfd fds[2] = {{out_r.get(), POLLIN, 0}, {err_r.get(), POLLIN, 0}};
  std::string* sinks[2] = {&r.out, &r.err};
  int open_fds = 2;
  while (open_fds > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0) {
      r.timed_out = true;
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
      break;
    }
    const int n = poll(fds, 2, static_cast<int>(std::min<long long>(left, 1000)));
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[65536];
      const ssize_t got = read(fds[i].fd, buf, sizeof buf);
      if (got > 0) {
        sinks[i]->append(buf, static_cast<size_t>(got));
      } else if (got == 0 || errno != EINTR) {
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status))
    r.exit_code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status))
    r.exit_code = 128 + WTERMSIG(status);
  return r;
}

}  // namespace vfiokit::guest
