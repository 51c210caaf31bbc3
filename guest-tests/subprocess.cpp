#include "guest-tests/subprocess.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <optional>

#include "vfiokit/vfio/error.hpp"
#include "vfiokit/vfio/unique_fd.hpp"

namespace vfiokit::guest {
namespace {

using Clock = std::chrono::steady_clock;

volatile std::sig_atomic_t g_stop_signal = 0;

extern "C" void record_stop_signal(int sig) { g_stop_signal = sig; }

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
  ssize_t got = 0;
  while ((got = read(fd, &e, sizeof e)) < 0 && errno == EINTR) {
  }
  if (got != sizeof e) return std::nullopt;
  return e;
}

/// Milliseconds until `t`, at least 0, at most `cap`: poll and sleep never wait
/// past the deadline, and wake often enough to see a recorded stop signal that
/// arrived just before they started waiting.
int ms_until(Clock::time_point t, int cap) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(t - Clock::now()).count();
  return static_cast<int>(std::clamp<long long>(left, 0, cap));
}

void sleep_ms(int ms) {
  timespec ts{ms / 1000, static_cast<long>(ms % 1000) * 1000000L};
  nanosleep(&ts, nullptr);  // EINTR (a stop signal) just ends the nap early
}

/// Appends to a stream's capture keeping only the last `cap` bytes. Trims when the
/// text reaches twice the cap, so a flood costs one move per `cap` bytes, not per read.
void append_capped(std::string& s, std::size_t& dropped, const char* data, std::size_t n,
                   std::size_t cap) {
  s.append(data, n);
  if (s.size() >= 2 * cap) {
    const std::size_t cut = s.size() - cap;
    s.erase(0, cut);
    dropped += cut;
  }
}

void trim_to_cap(std::string& s, std::size_t& dropped, std::size_t cap) {
  if (s.size() <= cap) return;
  const std::size_t cut = s.size() - cap;
  s.erase(0, cut);
  dropped += cut;
}

/// Reaps `pid` without blocking; true once it is gone (its status in `r`).
bool try_reap(pid_t pid, RunResult& r) {
  int status = 0;
  pid_t got = 0;
  while ((got = waitpid(pid, &status, WNOHANG)) < 0 && errno == EINTR) {
  }
  if (got == 0) return false;
  if (got < 0) return true;  // ECHILD: not ours to wait for any more; nothing to block on
  if (WIFEXITED(status))
    r.exit_code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status))
    r.exit_code = 128 + WTERMSIG(status);
  return true;
}

/// Waits up to `ms` for `pid` to be reaped, polling (waitpid with a timeout does not exist).
bool reap_within(pid_t pid, RunResult& r, int ms) {
  const auto until = Clock::now() + std::chrono::milliseconds(ms);
  for (;;) {
    if (try_reap(pid, r)) return true;
    if (Clock::now() >= until) return false;
    sleep_ms(ms_until(until, 20));
  }
}

/// SIGTERM to the child's whole group (the samples' worker processes, a shell's
/// children), SIGKILL after the grace, then give up after another grace: a process
/// in uninterruptible sleep (nvidia-smi on a GPU that fell off the bus) cannot be
/// killed, and waiting on it would hang the checker with it.
void kill_group(pid_t pid, RunResult& r, int grace_ms) {
  kill(-pid, SIGTERM);
  kill(pid, SIGTERM);  // in case setpgid had not happened yet
  if (reap_within(pid, r, grace_ms)) {
    kill(-pid, SIGKILL);  // grandchildren that ignored SIGTERM
    return;
  }
  kill(-pid, SIGKILL);
  kill(pid, SIGKILL);
  if (!reap_within(pid, r, grace_ms)) r.did_not_exit = true;
}

}  // namespace

std::string RunResult::problem() const {
  std::string p;
  const auto add = [&p](const std::string& s) { p += (p.empty() ? "" : "; ") + s; };
  if (!started) add(err.empty() ? "could not be started" : err);
  if (interrupted_by != 0) add("stopped by signal " + std::to_string(interrupted_by));
  if (timed_out) add("timed out after " + std::to_string(timeout_s) + " s");
  if (did_not_exit) add("did not exit after SIGKILL (D state?)");
  if (out_dropped > 0)
    add(std::to_string(out_dropped) + " bytes of stdout dropped (kept the last " +
        std::to_string(out.size()) + ")");
  if (err_dropped > 0)
    add(std::to_string(err_dropped) + " bytes of stderr dropped (kept the last " +
        std::to_string(err.size()) + ")");
  return p;
}

namespace {

/// The child's side of fork: its own process group, stdin /dev/null, stdout and
/// stderr into the pipes, then exec; a failed exec writes its errno to `exec_w`.
[[noreturn]] void exec_child(char* const* args, pid_t parent, int out_w, int err_w, int exec_w) {
  setpgid(0, 0);  // own process group, so a timeout kills its children too
  // Dies with the checker (a crash, SIGKILL of the pod); the check after it closes
  // the race where the checker died before prctl.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(127);
  // Copies above 2 first: when the checker started with 0, 1 or 2 closed, a pipe may
  // sit on one of them, and dup2 onto itself would keep close-on-exec.
  const int in = fcntl(open("/dev/null", O_RDONLY | O_CLOEXEC), F_DUPFD_CLOEXEC, 3);
  const int out = fcntl(out_w, F_DUPFD_CLOEXEC, 3);
  const int err = fcntl(err_w, F_DUPFD_CLOEXEC, 3);
  dup2(in, 0);
  dup2(out, 1);
  dup2(err, 2);
  execvp(args[0], args);
  const int e = errno;
  (void)!write(exec_w, &e, sizeof e);
  _exit(127);
}

/// Reads stdout and stderr into `r` until both pipes close; a grandchild that holds
/// them open keeps this going until the deadline, when the group kill ends it.
/// True when the child must be killed (the deadline passed or a stop signal came).
bool drain_pipes(int out_fd, int err_fd, RunResult& r, Clock::time_point deadline,
                 std::size_t cap) {
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  std::string* sinks[2] = {&r.out, &r.err};
  std::size_t* dropped[2] = {&r.out_dropped, &r.err_dropped};
  int open_fds = 2;
  while (open_fds > 0) {
    if ((r.interrupted_by = stop_requested()) != 0 || Clock::now() >= deadline) return true;
    const int n = poll(fds, 2, ms_until(deadline, 250));
    if (n < 0 && errno != EINTR) break;
    if (n <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[65536];
      const ssize_t got = read(fds[i].fd, buf, sizeof buf);
      if (got > 0) {
        append_capped(*sinks[i], *dropped[i], buf, static_cast<std::size_t>(got), cap);
      } else if (got == 0 || errno != EINTR) {
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  return false;
}

/// The pipes closed: the child itself may still run, e.g. one that closed stdout and
/// stderr and sleeps. Polls for its exit until the deadline; true when it must be killed.
bool wait_for_exit(pid_t pid, RunResult& r, Clock::time_point deadline) {
  while (!try_reap(pid, r)) {
    if ((r.interrupted_by = stop_requested()) != 0 || Clock::now() >= deadline) return true;
    sleep_ms(ms_until(deadline, 50));
  }
  return false;
}

}  // namespace

RunResult ProcessRunner::run(const std::vector<std::string>& argv, int timeout_s) {
  RunResult r;
  r.timeout_s = timeout_s;
  if (argv.empty()) return r;
  UniqueFd out_r, out_w, err_r, err_w, exec_r, exec_w;
  make_pipe(out_r, out_w);
  make_pipe(err_r, err_w);
  make_pipe(exec_r, exec_w);  // carries errno of a failed exec, closes on success

  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  const pid_t parent = getpid();
  const auto deadline = Clock::now() + std::chrono::seconds(std::max(timeout_s, 0));
  const pid_t pid = fork();
  if (pid < 0) throw_error("fork", argv[0], errno);
  if (pid == 0) exec_child(args.data(), parent, out_w.get(), err_w.get(), exec_w.get());
  setpgid(pid, pid);  // also here: a kill at once must not miss the group
  out_w.reset();
  err_w.reset();
  exec_w.reset();
  const auto exec_errno = read_exec_errno(exec_r.get());
  r.started = !exec_errno;
  if (!r.started)
    r.err = std::string("cannot execute ") + argv[0] + ": " + std::strerror(*exec_errno);

  const std::size_t cap = std::max<std::size_t>(limits_.output_cap, 1);
  const bool must_kill =
      drain_pipes(out_r.get(), err_r.get(), r, deadline, cap) || wait_for_exit(pid, r, deadline);
  if (must_kill) {
    r.timed_out = r.interrupted_by == 0;
    kill_group(pid, r, limits_.kill_grace_ms);
  }
  trim_to_cap(r.out, r.out_dropped, cap);
  trim_to_cap(r.err, r.err_dropped, cap);
  return r;
}

void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = record_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: poll and nanosleep return EINTR at once
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

int stop_requested() { return g_stop_signal; }

}  // namespace vfiokit::guest
