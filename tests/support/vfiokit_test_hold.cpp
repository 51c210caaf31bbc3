// vfiokit-test-hold PATH excl|rdonly|rdwr: a stand-in for a VM, a Ceph OSD or a
// desktop session in the VM tests (busybox cannot open with O_EXCL). It opens
// PATH, says "holding PATH as fd N (pid P)" and keeps it open until SIGTERM. On
// SIGUSR1 it proves the fd still works: fstat, and for a VFIO group node the
// group's status (a group whose device was pulled away is no longer viable).
// Test builds only; never installed.
#include <fcntl.h>
#include <linux/vfio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: vfiokit-test-hold PATH excl|rdonly|rdwr\n");
    return 64;
  }
  const std::string path = argv[1], mode = argv[2];
  int flags = O_CLOEXEC;
  if (mode == "excl")
    flags |= O_RDONLY | O_EXCL;
  else if (mode == "rdonly")
    flags |= O_RDONLY;
  else if (mode == "rdwr")
    flags |= O_RDWR;
  else {
    std::fprintf(stderr, "vfiokit-test-hold: mode '%s': choose excl, rdonly or rdwr\n",
                 mode.c_str());
    return 64;
  }
  // Blocked before the open so a signal sent as soon as "holding" shows is not lost.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigprocmask(SIG_BLOCK, &set, nullptr);
  const int fd = ::open(path.c_str(), flags);
  if (fd < 0) {
    std::fprintf(stdout, "vfiokit-test-hold: open %s: %s\n", path.c_str(), std::strerror(errno));
    return 3;
  }
  std::fprintf(stdout, "holding %s as fd %d (pid %d)\n", path.c_str(), fd, getpid());
  std::fflush(stdout);
  const bool vfio_group = path.rfind("/dev/vfio/", 0) == 0 &&
                          path.find_first_not_of("0123456789", 10) == std::string::npos;
  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0 || sig != SIGUSR1) break;
    struct stat st {};
    if (fstat(fd, &st) != 0) {
      std::fprintf(stdout, "fd %d broken: %s\n", fd, std::strerror(errno));
    } else if (vfio_group) {
      vfio_group_status status{};
      status.argsz = sizeof status;
      if (ioctl(fd, VFIO_GROUP_GET_STATUS, &status) != 0)
        std::fprintf(stdout, "fd %d valid; VFIO_GROUP_GET_STATUS: %s\n", fd, std::strerror(errno));
      else
        std::fprintf(stdout, "fd %d valid; group %s\n", fd,
                     (status.flags & VFIO_GROUP_FLAGS_VIABLE) ? "viable" : "not viable");
    } else {
      std::fprintf(stdout, "fd %d valid\n", fd);
    }
    std::fflush(stdout);
  }
  ::close(fd);
  return 0;
}
